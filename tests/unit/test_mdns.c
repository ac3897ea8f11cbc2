/* test_mdns.c - mDNS responder (firmware/net/mdns.c, mdns_name.c) through
 * lwIP and a fake netif: every message is built here from RFC 6762 and RFC
 * 1035 4.1 and compared byte by byte; frames to 224.0.0.251 go through
 * lwIP's ip4_input() with LWIP_IGMP 0 (so the "multicast without IGMP"
 * claim in mdns.c is tested); conflicts, tie-breaks, known answers, rate
 * limits; malformed and mutated input under ASan with no pool leaked. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"
#include "dnss.h"
#include "fake_board.h"
#include "ident.h"
#include "dns_wire.h"
#include "lwip_harness.h"
#include "mdns.h"
#include "mdns_name.h"
#include "lwip/netif.h"
#include "lwip/opt.h"

#if LWIP_IGMP
#error "these tests hold that mDNS works with LWIP_IGMP 0"
#endif

static const uint8_t dev_ip[4] = { 192, 168, 7, 1 };
static const uint8_t host_ip[4] = { 192, 168, 7, 2 };
static const uint8_t host_mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
static const uint8_t group_ip[4] = { 224, 0, 0, 251 };
static const uint8_t group_mac[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb };

/* ------------------------------------------------------------ builders */


static size_t hdr(uint8_t *p, uint16_t id, uint8_t f2, uint16_t qd, uint16_t an, uint16_t ns,
                  uint16_t ar)
{
    put16(p, id);
    p[2] = f2;
    p[3] = 0;
    put16(p + 4, qd);
    put16(p + 6, an);
    put16(p + 8, ns);
    put16(p + 10, ar);
    return 12;
}

static size_t question(uint8_t *p, const char *name, uint16_t type, uint16_t cls)
{
    size_t n = enc_name(p, name);
    n += put16(p + n, type);
    n += put16(p + n, cls);
    return n;
}

/* An A record: owner (name or, if name == NULL, pointer ptr), class, ttl, ip */
static size_t a_rr(uint8_t *p, const char *name, uint16_t ptr, uint16_t cls, uint32_t ttl,
                   const uint8_t ip[4])
{
    size_t n = name ? enc_name(p, name) : put16(p, (uint16_t)(0xC000 | ptr));
    n += put16(p + n, 1);
    n += put16(p + n, cls);
    n += put16(p + n, (uint16_t)(ttl >> 16));
    n += put16(p + n, (uint16_t)ttl);
    n += put16(p + n, 4);
    memcpy(p + n, ip, 4);
    return n + 4;
}

/* A query for name/type from the host, id, from sport, to dst (group or us). */
static size_t mkquery(uint8_t *p, uint16_t id, const char *name, uint16_t type, uint16_t cls)
{
    size_t n = hdr(p, id, 0, 1, 0, 0, 0);
    return n + question(p + n, name, type, cls);
}

/* The responses RFC 6762 wants from us, for the name given. */
static size_t want_answer(uint8_t *p, const char *name)   /* 6, 8.3, 10.2 */
{
    size_t n = hdr(p, 0, 0x84, 0, 1, 0, 0);
    return n + a_rr(p + n, name, 0, 0x8001, 120, dev_ip);
}

static size_t want_probe(uint8_t *p, const char *name)    /* 8.1 */
{
    size_t n = hdr(p, 0, 0x00, 1, 0, 1, 0);
    n += question(p + n, name, 255, 0x8001);
    return n + a_rr(p + n, NULL, 12, 1, 120, dev_ip);
}

static size_t want_legacy(uint8_t *p, uint16_t id, const char *name, uint16_t type)   /* 6.7 */
{
    size_t n = hdr(p, id, 0x84, 1, 1, 0, 0);
    n += question(p + n, name, type, 1);
    return n + a_rr(p + n, NULL, 12, 1, 10, dev_ip);
}

/* ------------------------------------------------------------ wire */

static void send_from(const uint8_t src_ip[4], uint16_t sport, const uint8_t dst_ip[4],
                      uint16_t dport, const uint8_t *msg, size_t len)
{
    uint8_t frame[HARNESS_FRAME_MAX], dev_mac[6];
    ident_device_mac(dev_mac);
    bool mc = dst_ip[0] == 224;
    uint16_t flen = harness_build_udp(frame, sizeof frame, host_mac, mc ? group_mac : dev_mac,
                                      src_ip, dst_ip, sport, dport, msg, (uint16_t)len);
    assert_true(flen > 0);
    harness_input(frame, flen);
}

static void send_mc(uint16_t sport, const uint8_t *msg, size_t len)
{
    send_from(host_ip, sport, group_ip, 5353, msg, len);
}

/* Frame i is a UDP datagram from 192.168.7.1:5353 to dst:dport (to the
 * group's MAC when dst is the group), with IP TTL 255 (RFC 6762 11), whose
 * payload equals want. */
static void expect_frame(unsigned i, const uint8_t dst[4], uint16_t dport, const uint8_t *want,
                         size_t wlen)
{
    uint16_t flen, sp, dp, plen;
    uint8_t mac[6], sip[4], dip[4];
    const uint8_t *f = harness_out(i, &flen);
    assert_non_null(f);
    const uint8_t *pl = harness_parse_udp(f, flen, mac, sip, dip, &sp, &dp, &plen);
    assert_non_null(pl);
    assert_memory_equal(sip, dev_ip, 4);
    assert_memory_equal(dip, dst, 4);
    assert_memory_equal(mac, dst[0] == 224 ? group_mac : host_mac, 6);
    assert_int_equal(f[14 + 8], 255);
    assert_int_equal(sp, 5353);
    assert_int_equal(dp, dport);
    assert_int_equal(plen, wlen);
    assert_memory_equal(pl, want, wlen);
}

/* The time of the first probe after link-up: 0..249 ms from the MAC. */
static uint32_t first_delay(void)
{
    uint8_t mac[6];
    ident_device_mac(mac);
    return ((uint32_t)mac[5] * 250u) >> 8;
}

/* From link-up: the three probes, then the two announcements; ends active. */
static void expect_claim(const char *name)
{
    uint8_t want[200];
    size_t wlen;
    harness_out_clear();
    if (first_delay() > 0) {
        harness_advance_ms(first_delay() - 1);
        assert_int_equal(harness_out_count(), 0);   /* not before the delay */
        harness_advance_ms(1);
    } else {
        harness_advance_ms(1);
    }
    assert_int_equal(mdns_state(), MDNS_PROBING);
    wlen = want_probe(want, name);
    for (unsigned i = 0; i < 3; i++) {
        assert_int_equal(harness_out_count(), 1);
        expect_frame(0, group_ip, 5353, want, wlen);
        harness_out_clear();
        harness_advance_ms(249);
        assert_int_equal(harness_out_count(), 0);   /* 250 ms apart (8.1) */
        harness_advance_ms(1);
    }
    /* 250 ms after the third probe: the first announcement */
    assert_int_equal(harness_out_count(), 1);
    wlen = want_answer(want, name);
    expect_frame(0, group_ip, 5353, want, wlen);
    assert_int_equal(mdns_state(), MDNS_ANNOUNCING);
    harness_out_clear();
    harness_advance_ms(999);
    assert_int_equal(harness_out_count(), 0);
    harness_advance_ms(1);
    assert_int_equal(harness_out_count(), 1);       /* second, 1 s later (8.3) */
    expect_frame(0, group_ip, 5353, want, wlen);
    assert_int_equal(mdns_state(), MDNS_ACTIVE);
    harness_out_clear();
    harness_advance_ms(5000);
    assert_int_equal(harness_out_count(), 0);       /* then quiet */
}

static int setup(void **state)
{
    (void)state;
    static const fw_config_t defaults = { { 192, 168, 7, 1 }, { 255, 255, 255, 0 }, "stm32net", "usb" };
    fw_config = defaults;
    harness_init();
    mdns_name_reset();
    mdns_init();
    harness_on_teardown(mdns_deinit);
    harness_arp_seed(host_ip, host_mac);
    return 0;
}

/* ------------------------------------------------------------ tests */

static void test_probe_and_announce(void **state)
{
    (void)state;
    expect_claim("stm32net.local");
    harness_mark();
    uint8_t q[100];
    size_t qlen = mkquery(q, 0, "stm32net.local", 1, 1);
    send_mc(5353, q, qlen);
    assert_int_equal(harness_out_count(), 1);
    harness_out_clear();
    harness_assert_pools_clean();
}

/* A query before probing is over is not answered (8.1). */
static void test_silent_while_probing(void **state)
{
    (void)state;
    uint8_t q[100];
    size_t qlen = mkquery(q, 0, "stm32net.local", 1, 1);
    harness_advance_ms(first_delay() + 1);
    harness_out_clear();
    send_mc(5353, q, qlen);
    send_mc(40000, q, qlen);
    assert_int_equal(harness_out_count(), 0);
    assert_int_equal(mdns_state(), MDNS_PROBING);
}

/* Multicast query: id 0, no question, AA, cache-flush, TTL 120, to the
 * group (6, 10.2), at most once a second (6), case-insensitive names. */
static void test_multicast_answer(void **state)
{
    (void)state;
    uint8_t q[100], want[100];
    expect_claim("stm32net.local");
    size_t wlen = want_answer(want, "stm32net.local");
    size_t qlen = mkquery(q, 0, "StM32NeT.LOCAL", 1, 1);
    send_mc(5353, q, qlen);
    assert_int_equal(harness_out_count(), 1);
    expect_frame(0, group_ip, 5353, want, wlen);
    harness_out_clear();
    qlen = mkquery(q, 0, "stm32net.local", 255, 1);   /* ANY */
    send_mc(5353, q, qlen);
    assert_int_equal(harness_out_count(), 0);         /* 1 s not over */
    harness_advance_ms(1000);
    send_mc(5353, q, qlen);
    assert_int_equal(harness_out_count(), 1);
    expect_frame(0, group_ip, 5353, want, wlen);
    assert_int_equal(mdns_stats.answered, 2);
}

/* Legacy unicast (6.7): source port != 5353 -> unicast to the source with
 * its id, the question repeated, TTL 10, no cache-flush; not rate-limited. */
static void test_legacy_unicast(void **state)
{
    (void)state;
    uint8_t q[100], want[100];
    expect_claim("stm32net.local");
    for (int i = 0; i < 2; i++) {
        size_t qlen = mkquery(q, 0x1234, "stm32net.local", 1, 1);
        send_mc(40000, q, qlen);
        size_t wlen = want_legacy(want, 0x1234, "stm32net.local", 1);
        assert_int_equal(harness_out_count(), 1);
        expect_frame(0, host_ip, 40000, want, wlen);
        harness_out_clear();
    }
    /* sent to our address instead of the group: the same */
    size_t qlen = mkquery(q, 0x4321, "stm32net.local", 255, 1);
    send_from(host_ip, 40001, dev_ip, 5353, q, qlen);
    size_t wlen = want_legacy(want, 0x4321, "stm32net.local", 255);
    assert_int_equal(harness_out_count(), 1);
    expect_frame(0, host_ip, 40001, want, wlen);
}

/* QU questions (5.4) and unicast queries from port 5353 (5.5): unicast
 * reply to the querier's port 5353, in the multicast format. */
static void test_qu_and_direct_unicast(void **state)
{
    (void)state;
    uint8_t q[100], want[100];
    expect_claim("stm32net.local");
    size_t wlen = want_answer(want, "stm32net.local");
    size_t qlen = mkquery(q, 0, "stm32net.local", 1, 0x8001);
    send_mc(5353, q, qlen);
    assert_int_equal(harness_out_count(), 1);
    expect_frame(0, host_ip, 5353, want, wlen);
    harness_out_clear();
    qlen = mkquery(q, 0, "stm32net.local", 1, 1);
    send_from(host_ip, 5353, dev_ip, 5353, q, qlen);
    assert_int_equal(harness_out_count(), 1);
    expect_frame(0, host_ip, 5353, want, wlen);
}

/* Silence: other names, other types, other classes, responses, opcodes,
 * rcodes, sources off our link or our own address. */
static void test_silence(void **state)
{
    (void)state;
    uint8_t q[200];
    expect_claim("stm32net.local");
    const char *names[] = { "other.local", "stm32net", "stm32net.usb", "stm32net.local.x",
                            "x.stm32net.local", "stm32net-2.local", "stm32ne.local" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t qlen = mkquery(q, 7, names[i], 1, 1);
        send_mc(40000, q, qlen);
    }
    size_t qlen = mkquery(q, 7, "stm32net.local", 28, 1);   /* AAAA */
    send_mc(40000, q, qlen);
    qlen = mkquery(q, 7, "stm32net.local", 1, 3);           /* class CH */
    send_mc(40000, q, qlen);
    qlen = mkquery(q, 7, "stm32net.local", 1, 1);
    q[2] = 0x80;                                            /* a response (no records) */
    send_mc(40000, q, qlen);
    q[2] = 0x28;                                            /* opcode 5 (18.3) */
    send_mc(40000, q, qlen);
    q[2] = 0;
    q[3] = 3;                                               /* rcode (18.11) */
    send_mc(40000, q, qlen);
    q[3] = 0;
    const uint8_t far[4] = { 10, 0, 0, 2 };
    send_from(far, 40000, group_ip, 5353, q, qlen);         /* off link (11) */
    send_from(dev_ip, 40000, group_ip, 5353, q, qlen);      /* "from" ourselves */
    assert_int_equal(harness_out_count(), 0);
    assert_int_equal(mdns_stats.answered, 0);
    send_mc(40000, q, qlen);                                /* and still alive */
    assert_int_equal(harness_out_count(), 1);
}

/* Several questions, the second for us with its name compressed against
 * the first (RFC 1035 4.1.4; mDNS queriers do this). A pointer that goes
 * forward or loops is not followed. */
static void test_compressed_question(void **state)
{
    (void)state;
    uint8_t q[200], want[100];
    expect_claim("stm32net.local");
    size_t n = hdr(q, 9, 0, 2, 0, 0, 0);
    n += question(q + n, "a.local", 1, 1);               /* "local" at offset 14 */
    q[n++] = 8;
    memcpy(q + n, "stm32net", 8);
    n += 8;
    n += put16(q + n, 0xC00E);
    n += put16(q + n, 1);
    n += put16(q + n, 1);
    send_mc(40000, q, n);
    size_t wlen = want_legacy(want, 9, "stm32net.local", 1);
    assert_int_equal(harness_out_count(), 1);
    expect_frame(0, host_ip, 40000, want, wlen);
    harness_out_clear();
    /* the same question whose pointer points at itself */
    put16(q + n - 6, (uint16_t)(0xC000 | (n - 6)));
    send_mc(40000, q, n);
    /* and forward */
    put16(q + n - 6, (uint16_t)(0xC000 | (n - 2)));
    send_mc(40000, q, n);
    assert_int_equal(harness_out_count(), 0);
}

/* 7.1: a query listing our record with at least half its TTL left gets no
 * answer; with less, or another address, it does. */
static void test_known_answer_suppression(void **state)
{
    (void)state;
    uint8_t q[200];
    expect_claim("stm32net.local");
    size_t n = hdr(q, 0, 0, 1, 1, 0, 0);
    n += question(q + n, "stm32net.local", 1, 1);
    size_t ka = n;
    n += a_rr(q + n, NULL, 12, 0x8001, 60, dev_ip);
    send_mc(5353, q, n);
    assert_int_equal(harness_out_count(), 0);
    a_rr(q + ka, NULL, 12, 0x8001, 59, dev_ip);
    send_mc(5353, q, n);
    assert_int_equal(harness_out_count(), 1);
}

/* 8.1: a response naming our name while we probe -> the next name,
 * probed from the start; the status page's name follows (mdns_name). */
static void test_conflict_while_probing(void **state)
{
    (void)state;
    uint8_t r[200];
    const uint8_t other[4] = { 192, 168, 7, 99 };
    harness_advance_ms(first_delay() + 1);   /* first probe out */
    size_t n = hdr(r, 0, 0x84, 0, 1, 0, 0);
    n += a_rr(r + n, "STM32NET.local", 0, 0x8001, 120, other);
    send_mc(5353, r, n);
    assert_int_equal(mdns_stats.conflicts, 1);
    char label[MDNS_NAME_LABEL_MAX];
    mdns_name_label(label, sizeof label);
    assert_string_equal(label, "stm32net-2");
    expect_claim("stm32net-2.local");
    /* the old name is not ours any more */
    uint8_t q[100], want[100];
    size_t qlen = mkquery(q, 5, "stm32net.local", 1, 1);
    send_mc(40000, q, qlen);
    assert_int_equal(harness_out_count(), 0);
    qlen = mkquery(q, 5, "stm32net-2.local", 1, 1);
    send_mc(40000, q, qlen);
    size_t wlen = want_legacy(want, 5, "stm32net-2.local", 1);
    expect_frame(0, host_ip, 40000, want, wlen);
}

/* 9: once active, a response giving our name another address makes us
 * probe again; answered by the other host, we take the next name. Our own
 * data in someone's response is no conflict. */
static void test_conflict_when_active(void **state)
{
    (void)state;
    uint8_t r[200];
    expect_claim("stm32net.local");
    size_t n = hdr(r, 0, 0x84, 0, 1, 0, 0);
    n += a_rr(r + n, "stm32net.local", 0, 0x8001, 120, dev_ip);
    send_mc(5353, r, n);
    assert_int_equal(mdns_state(), MDNS_ACTIVE);
    assert_int_equal(mdns_stats.conflicts, 0);
    const uint8_t other[4] = { 192, 168, 7, 77 };
    n = hdr(r, 0, 0x84, 0, 1, 0, 0);
    n += a_rr(r + n, "stm32net.local", 0, 0x8001, 120, other);
    send_mc(5353, r, n);
    assert_int_equal(mdns_stats.conflicts, 1);
    assert_int_equal(mdns_state(), MDNS_PROBING);
    expect_claim("stm32net.local");   /* nobody objected: same name */
    send_mc(5353, r, n);
    harness_advance_ms(first_delay() + 1);
    send_mc(5353, r, n);                /* the other host answers our probe */
    assert_int_equal(mdns_stats.conflicts, 3);
    expect_claim("stm32net-2.local");
}

/* 8.2 simultaneous probes: the lexicographically later record set wins.
 * Theirs later (192.168.7.200 > .1) -> we defer 1 s and probe again;
 * theirs earlier -> we go on; identical -> no conflict. */
static void test_probe_tiebreak(void **state)
{
    (void)state;
    uint8_t p[200];
    harness_advance_ms(first_delay() + 1);   /* probe 1 out */
    const uint8_t later[4] = { 192, 168, 7, 200 };
    const uint8_t earlier[4] = { 192, 168, 6, 200 };
    size_t n = hdr(p, 0, 0, 1, 0, 1, 0);
    n += question(p + n, "stm32net.local", 255, 0x8001);
    size_t auth = n;
    n += a_rr(p + n, NULL, 12, 1, 120, earlier);
    send_mc(5353, p, n);
    assert_int_equal(mdns_stats.conflicts, 0);
    a_rr(p + auth, NULL, 12, 1, 120, dev_ip);
    send_mc(5353, p, n);
    assert_int_equal(mdns_stats.conflicts, 0);
    a_rr(p + auth, NULL, 12, 1, 120, later);
    harness_out_clear();
    send_mc(5353, p, n);
    assert_int_equal(mdns_stats.conflicts, 1);
    assert_int_equal(mdns_state(), MDNS_PROBING);
    harness_advance_ms(999);
    assert_int_equal(harness_out_count(), 0);   /* deferred one second */
    uint8_t want[200];
    size_t wlen = want_probe(want, "stm32net.local");
    harness_advance_ms(1);
    assert_int_equal(harness_out_count(), 1);
    expect_frame(0, group_ip, 5353, want, wlen);
    char label[MDNS_NAME_LABEL_MAX];
    mdns_name_label(label, sizeof label);
    assert_string_equal(label, "stm32net");     /* no rename for a tie-break */
}

/* A probe for our name from another host while we are active gets our
 * answer at once, even within the 1 s multicast gap (6). */
static void test_defend_against_probe(void **state)
{
    (void)state;
    uint8_t p[200], want[100];
    const uint8_t other[4] = { 192, 168, 7, 50 };
    expect_claim("stm32net.local");
    uint8_t q[100];
    size_t qlen = mkquery(q, 0, "stm32net.local", 1, 1);
    send_mc(5353, q, qlen);
    harness_out_clear();
    size_t n = hdr(p, 0, 0, 1, 0, 1, 0);
    n += question(p + n, "stm32net.local", 255, 1);
    n += a_rr(p + n, NULL, 12, 1, 120, other);
    send_mc(5353, p, n);
    size_t wlen = want_answer(want, "stm32net.local");
    assert_int_equal(harness_out_count(), 1);
    expect_frame(0, group_ip, 5353, want, wlen);
    assert_int_equal(mdns_state(), MDNS_ACTIVE);
}

/* Link down: quiet; link up again: probing from the start (8). */
static void test_link_cycle(void **state)
{
    (void)state;
    expect_claim("stm32net.local");
    netif_set_link_down(netif_default);
    assert_int_equal(mdns_state(), MDNS_OFF);
    harness_out_clear();
    harness_advance_ms(3000);
    assert_int_equal(harness_out_count(), 0);
    netif_set_link_up(netif_default);
    /* lwIP's gratuitous ARP on link-up (etharp) goes first: drop it */
    harness_out_clear();
    expect_claim("stm32net.local");
}

/* 15 conflicts in a row: 5 s between attempts (8.1). */
static void test_conflict_rate_limit(void **state)
{
    (void)state;
    uint8_t r[200];
    const uint8_t other[4] = { 192, 168, 7, 99 };
    for (unsigned i = 0; i < 15; i++) {
        harness_advance_ms(300);
        char label[MDNS_NAME_LABEL_MAX], name[MDNS_NAME_LABEL_MAX + 8];
        mdns_name_label(label, sizeof label);
        snprintf(name, sizeof name, "%s.local", label);
        size_t n = hdr(r, 0, 0x84, 0, 1, 0, 0);
        n += a_rr(r + n, name, 0, 0x8001, 120, other);
        send_mc(5353, r, n);
    }
    assert_int_equal(mdns_stats.conflicts, 15);
    harness_out_clear();
    harness_advance_ms(4900);
    assert_int_equal(harness_out_count(), 0);
    harness_advance_ms(200);
    assert_int_equal(harness_out_count(), 1);
}

static uint32_t rng_state = 0x6D444E53u;
static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/* Mutated queries and responses, and random bytes, in every state: no
 * crash, no over-read (ASan), every reply well formed, no pool leaked. */
static void test_mutations(void **state)
{
    (void)state;
    expect_claim("stm32net.local");
    harness_mark();
    uint8_t base[200], m[200];
    size_t n = hdr(base, 0, 0, 2, 1, 1, 0);
    n += question(base + n, "stm32net.local", 1, 1);
    n += question(base + n, "x.local", 255, 0x8001);
    n += a_rr(base + n, NULL, 12, 0x8001, 120, dev_ip);
    n += a_rr(base + n, "stm32net.local", 0, 1, 120, dev_ip);
    for (unsigned iter = 0; iter < 4000; iter++) {
        size_t len = n;
        memcpy(m, base, n);
        unsigned flips = 1 + rng() % 4;
        for (unsigned f = 0; f < flips; f++) {
            m[rng() % n] = (uint8_t)rng();
        }
        if (iter % 3 == 0) {
            len = rng() % (n + 1);
        }
        if (iter % 7 == 0) {
            for (size_t i = 0; i < len; i++) {
                m[i] = (uint8_t)rng();
            }
        }
        harness_out_clear();
        send_mc((iter & 1) ? 5353 : 40000, m, len);
        for (unsigned i = 0; i < harness_out_count(); i++) {
            uint16_t flen, plen;
            const uint8_t *pl = harness_parse_udp(harness_out(i, &flen), flen, NULL, NULL, NULL,
                                                  NULL, NULL, &plen);
            if (pl == NULL) {
                continue;   /* lwIP's ARP */
            }
            assert_true(plen >= 12 && (pl[2] & 0x80) != 0);
        }
        harness_advance_ms(50);
    }
    harness_out_clear();
    harness_advance_ms(10000);   /* let any re-probe finish */
    harness_out_clear();
    harness_assert_pools_clean();
}

static void test_name_suffixes(void **state)
{
    (void)state;
    char b[MDNS_NAME_LABEL_MAX];
    mdns_name_reset();
    assert_int_equal(mdns_name_label(b, sizeof b), 8);
    assert_string_equal(b, "stm32net");
    mdns_name_next();
    assert_int_equal(mdns_name_suffix(), 2);
    for (int i = 0; i < 8; i++) {
        mdns_name_next();
    }
    assert_int_equal(mdns_name_label(b, sizeof b), 11);
    assert_string_equal(b, "stm32net-10");
    assert_int_equal(mdns_name_label(b, 11), 0);   /* no room for the NUL */
    assert_string_equal(b, "");
    while (mdns_name_suffix() != 255) {
        mdns_name_next();
    }
    mdns_name_label(b, sizeof b);
    assert_string_equal(b, "stm32net-255");
    mdns_name_next();
    assert_int_equal(mdns_name_suffix(), 2);
    memset(fw_config.hostname, 'h', sizeof fw_config.hostname);   /* no NUL */
    assert_int_equal(mdns_name_label(b, sizeof b), CONFIG_NAME_MAX - 1 + 2);
    mdns_name_reset();
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, harness_cmocka_teardown)
    const struct CMUnitTest tests[] = {
        T(test_probe_and_announce),
        T(test_silent_while_probing),
        T(test_multicast_answer),
        T(test_legacy_unicast),
        T(test_qu_and_direct_unicast),
        T(test_silence),
        T(test_compressed_question),
        T(test_known_answer_suppression),
        T(test_conflict_while_probing),
        T(test_conflict_when_active),
        T(test_probe_tiebreak),
        T(test_defend_against_probe),
        T(test_link_cycle),
        T(test_conflict_rate_limit),
        T(test_mutations),
        T(test_name_suffixes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
