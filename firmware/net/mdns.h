/*
 * mdns.h - Multicast DNS responder (RFC 6762) for the device's one name,
 * <name>.local -> fw_config.ip, on 224.0.0.251:5353.
 *
 * Layer: portable (firmware/net). Includes only <stdint.h>; lwIP raw UDP
 * inside. Our own, not lwIP 2.1.3's apps/mdns (whose worst call chain needs
 * about 2.1 KB of stack, over our 2 KB reserve, and which lacks the RFC
 * fixes of lwIP 2.2). Built on dnss.c's message helpers.
 * What it does: probes three times 250 ms apart when the link comes up
 * (RFC 6762 8.1), announces twice one second apart (8.3), answers A/ANY
 * questions for its name: multicast (id 0, cache-flush, TTL 120), unicast
 * when asked (QU bit, 5.4, or a query sent to our address), and legacy
 * unicast (source port != 5353: the query's id, the question repeated,
 * TTL 10, no cache-flush, 6.7). Renames itself on conflicts (9, see
 * mdns_name.h). Silent for every other name.
 * Limits: IPv4 only, one A record, no services (DNS-SD), no NSEC negative
 * answers (6.1: a SHOULD; an AAAA question for our name gets silence), the
 * address is fixed while we run (no re-probe on address change needed).
 */
#ifndef MDNS_H
#define MDNS_H

#include <stdint.h>

#define MDNS_PORT      5353u
#define MDNS_TTL_S     120u   /* RFC 6762 10: records with a host name */
#define MDNS_LEGACY_TTL_S 10u /* RFC 6762 6.7 */

/* Counters (main loop only). */
typedef struct {
    uint32_t rx;          /* datagrams received on port 5353 */
    uint32_t answered;    /* replies sent (multicast, unicast, legacy) */
    uint32_t conflicts;   /* conflicts seen (each renames or re-probes) */
    uint32_t ignored;     /* malformed, not from our link, or not for us */
} mdns_stats_t;

extern mdns_stats_t mdns_stats;

enum { MDNS_OFF, MDNS_PROBING, MDNS_ANNOUNCING, MDNS_ACTIVE };

/* Opens the UDP pcb on port 5353 and starts probing if the link is up;
 * follows the link through lwIP's netif status callback (called by net_init()
 * after the netif exists). Keeps the name chosen after a conflict. */
void mdns_init(void);
/* Stops the timer and removes the pcb (tests, restart of the stack). */
void mdns_deinit(void);
/* MDNS_OFF / PROBING / ANNOUNCING / ACTIVE. */
int mdns_state(void);

#endif
