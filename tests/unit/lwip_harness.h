/*
 * lwip_harness.h - shared test bench for the unit tests of our lwIP services
 * (DHCP, DNS, HTTP) and of the netif glue. Layer: tests/unit only (uses
 * cmocka, libc). Follows how lwIP tests itself: raw Ethernet frames go into a
 * fake netif, the frames lwIP sends are copied into a list, and after each
 * test every pool must be back where it started (no pbuf/pcb leaked).
 *
 * lwIP keeps global state and lwip_init() cannot simply be run again while
 * pcbs, timeouts or the netif of an earlier test still exist (memp_init does
 * not reset the "used" counters, the timeout list would be corrupted). So
 * lwip_init() runs once per process (harness_init(), or net_init() in
 * test_net), and harness_teardown() removes everything a test created:
 * all TCP pcbs (aborted/closed), all UDP pcbs, the netif, the TCP timer.
 *
 * Usage in a cmocka test file (link lwip_harness.c fake_board.c
 * firmware/ident.c firmware/config.c firmware/net/sys_arch.c, test_X_LWIP := 1):
 *
 *   static int setup(void **s)
 *   { harness_init(); dhcps_init(); harness_on_teardown(dhcps_deinit); harness_mark(); return 0; }
 *   ... cmocka_unit_test_setup_teardown(test_x, setup, harness_cmocka_teardown) ...
 *
 *   in a test: build a frame with harness_build_udp(), feed it with
 *   harness_input(), look at harness_out(i, &len) / harness_parse_udp(),
 *   then harness_assert_pools_clean() (pbufs of the exchange all freed).
 *
 * Rules for tests: do not call fake_board_reset() between harness_init() and
 * harness_teardown() (time must not run backwards under lwIP's timers); a
 * service that starts its own sys_timeout() must be stopped before
 * harness_teardown() checks the timeout pool: register its stop function
 * with harness_on_teardown() (e.g. dhcps_deinit).
 */
#ifndef LWIP_HARNESS_H
#define LWIP_HARNESS_H

#include <stdint.h>

#define HARNESS_MAX_OUT   32u    /* captured frames kept; more fails the test */
#define HARNESS_FRAME_MAX 1514u

/* lwip_init() (first call only), then a netif "h0" with the device MAC from
 * ident_device_mac(), IP/netmask from fw_config, default, up, link up. Calls
 * harness_teardown() first if an earlier test left its netif behind. Takes
 * the pool snapshot used by harness_assert_pools_clean(). */
void harness_init(void);

/* Removes every pcb and the default netif, settles the TCP timer and checks
 * that every pool and the heap are back to the state right after lwip_init().
 * Works for any default netif (also the one net_init() created). */
void harness_teardown(void);

/* Take the current pool/heap use as the "clean" state, e.g. after the
 * services under test created their pcbs. Optional: if a test never calls it,
 * the snapshot is taken by harness_init() and taken again right before the
 * first harness_input() (by then the services exist, nothing is in flight). */
void harness_mark(void);
/* Every memp pool's used count and the heap's used bytes equal the last
 * harness_init()/harness_mark() snapshot (fails the test otherwise). */
void harness_assert_pools_clean(void);

/* A frame from the host: pbuf_alloc(PBUF_POOL) + netif->input. Fails the test
 * if the pool is empty (that is a leak in a harness test). */
void harness_input(const uint8_t *frame, uint16_t len);

/* Frames lwIP sent through the harness netif, oldest first. */
unsigned harness_out_count(void);
const uint8_t *harness_out(unsigned i, uint16_t *len);  /* NULL if i too big */
void harness_out_clear(void);

/* Ethernet + IPv4 + UDP with correct IP and UDP checksums; returns the frame
 * length, or 0 if it does not fit in room. */
uint16_t harness_build_udp(uint8_t *buf, uint16_t room, const uint8_t src_mac[6],
                           const uint8_t dst_mac[6], const uint8_t src_ip[4],
                           const uint8_t dst_ip[4], uint16_t sport, uint16_t dport,
                           const uint8_t *payload, uint16_t plen);

/* Parses a captured frame as Ethernet/IPv4/UDP, verifies the IP header
 * checksum and the UDP checksum (a zero UDP checksum is refused too: lwIP
 * always fills it). Returns the payload or NULL; output pointers may be NULL. */
const uint8_t *harness_parse_udp(const uint8_t *frame, uint16_t len, uint8_t dst_mac[6],
                                 uint8_t src_ip[4], uint8_t dst_ip[4], uint16_t *sport,
                                 uint16_t *dport, uint16_t *plen);

/* Teaches lwIP's ARP cache ip -> mac the way a real host does: an ARP request
 * from (mac, ip) for the device's address. lwIP's ARP reply is removed from
 * the capture list, so unicast replies to ip then go out directly. */
void harness_arp_seed(const uint8_t ip[4], const uint8_t mac[6]);

/* Frame i of the capture list is lwIP's ARP request (RFC 826) for ip: to the
 * Ethernet broadcast, from the device's MAC and address (fails the test
 * otherwise). */
void harness_assert_arp_request(unsigned i, const uint8_t ip[4]);

/* The host answers that ARP request: an ARP reply (mac, ip) unicast to the
 * device. Whatever lwIP sends because of it (the packet it kept waiting for
 * the address) stays in the capture list. */
void harness_arp_reply(const uint8_t ip[4], const uint8_t mac[6]);

/* Moves fake_board_ms forward (in steps of at most 100 ms, so cyclic timers
 * fire as often as they would) and runs sys_check_timeouts(). */
void harness_advance_ms(uint32_t ms);
/* The same in steps of at most step_ms (>= 1), for long spans (days): lwIP
 * runs every timer that fell due at each step, cyclic ones once per step.
 * fake_board_ms is a u32 and wraps like the board's clock. */
void harness_advance_steps(uint64_t ms, uint32_t step_ms);

/* A service under test that arms its own sys_timeout() registers its stop
 * function here (after harness_init()); harness_teardown() calls it first,
 * then forgets it. Up to HARNESS_MAX_STOP per test. */
#define HARNESS_MAX_STOP 4u
void harness_on_teardown(void (*stop)(void));
/* harness_teardown() with cmocka's teardown signature. */
int harness_cmocka_teardown(void **state);

/* Internet checksum (RFC 1071) over buf, folded, not inverted, added to sum. */
uint32_t harness_csum_add(uint32_t sum, const uint8_t *buf, uint16_t len);

#endif
