/*
 * mdns.c - Multicast DNS responder for <name>.local (RFC 6762), see mdns.h.
 *
 * Layer: portable (firmware/net). Includes lwIP raw UDP/netif/timeouts,
 * dnss.h (the DNS message helpers it shares with the unicast server),
 * mdns_name.h, config.h. No static buffers: each message is built in a
 * transient PBUF_RAM pbuf of MDNS_MSG_MAX octets.
 *
 * Multicast without IGMP: lwIP 2.1.3's ip4_input() (LWIP_IGMP 0) accepts
 * every multicast destination on a netif that is up and has an address
 * (ip4.c, the "#else LWIP_IGMP" branch of the multicast check), and
 * etharp_output() maps 224.0.0.251 to 01:00:5e:00:00:fb by itself. On a USB
 * link the host sees every frame we send and we see everything it sends
 * (ECM's wNumberMCFilters is 0), so there is no switch to join the group
 * on: LWIP_IGMP stays 0 (saves igmp.o's ~1.4 KB flash and its group RAM).
 * The unit tests feed 224.0.0.251 frames through ip4_input() to hold this.
 *
 * Timeline (RFC 6762 8): link up -> wait 0..250 ms (8.1; LWIP_RAND is not
 * random here, so the delay comes from our MAC, which differs per device)
 * -> 3 probes 250 ms apart -> 250 ms with no conflict -> 2 announcements
 * 1 s apart (8.3) -> active. Queries are answered only once probing is over.
 * Conflicts: during probing any response holding a record with our name
 * (8.1), or a simultaneous probe that wins the tie-break (8.2: we defer 1 s
 * and probe again); once active, a response giving our name another address
 * (9: probe again; if the probe meets the other host, take the next name).
 * 15 conflicts in a row -> 5 s between attempts (8.1's rate limit, applied
 * without the 10 s window: stricter, one counter instead of a history).
 * Input bounds: only the first pbuf of a datagram is read (an lwIP pool
 * buffer holds the header and all questions of any query we answer; known
 * answers or records beyond it are not seen, which costs at most an extra
 * answer); every read is checked against its length by dnss.c's helpers,
 * compression pointers must go backwards, loops are bounded by the counts
 * and by the message length (each record >= 11 octets).
 */
#include "mdns.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "config.h"
#include "dnss.h"
#include "mdns_name.h"
#include "lwip/ip.h"
#include "lwip/ip_addr.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/sys.h"
#include "lwip/timeouts.h"
#include "lwip/udp.h"

#define MDNS_PROBE_MS      250u    /* RFC 6762 8.1 */
#define MDNS_PROBES        3u
#define MDNS_ANNOUNCE_MS   1000u   /* RFC 6762 8.3 */
#define MDNS_ANNOUNCES     2u
#define MDNS_DEFER_MS      1000u   /* RFC 6762 8.2: lost the tie-break */
#define MDNS_SLOW_MS       5000u   /* RFC 6762 8.1: after 15 conflicts */
#define MDNS_SLOW_AFTER    15u
#define MDNS_MC_GAP_MS     1000u   /* RFC 6762 6: one multicast per record per second */
#define MDNS_IP_TTL        255u    /* RFC 6762 11 */
#define CLASS_FLUSH        0x8000u /* RFC 6762 10.2 cache-flush; in questions: QU (5.4) */
#define F2_QR              0x80u
#define F2_AA              0x04u

/* header 12 + our name (<= 1 + 35 + 1 + 5 + 1 = 43) + type/class 4 + an A
 * record with a pointer owner (2 + 14), or with the name itself: < 80 */
#define MDNS_MSG_MAX 80u

mdns_stats_t mdns_stats;

static struct {
    struct udp_pcb *pcb;
    uint32_t last_mc_ms;    /* when our A record was last multicast */
    uint8_t state;          /* MDNS_OFF .. MDNS_ACTIVE */
    uint8_t step;           /* probes / announcements sent in this state */
    uint8_t conflicts;      /* in a row, for the 8.1 rate limit */
    bool mc_sent;           /* last_mc_ms is valid */
} mdns;

static const ip_addr_t mdns_group = IPADDR4_INIT_BYTES(224, 0, 0, 251);

static void mdns_tick(void *arg);

int mdns_state(void)
{
    return mdns.state;
}

/* The first delay of a probe sequence: 0..249 ms from the MAC's last octet. */
static uint32_t mdns_first_delay(void)
{
    const struct netif *n = netif_default;
    return n != NULL ? ((uint32_t)n->hwaddr[5] * MDNS_PROBE_MS) >> 8 : 0u;
}

static void mdns_start(uint32_t delay_ms)
{
    sys_untimeout(mdns_tick, NULL);
    mdns.state = MDNS_PROBING;
    mdns.step = 0;
    if (mdns.conflicts >= MDNS_SLOW_AFTER) {
        delay_ms = MDNS_SLOW_MS;
    }
    sys_timeout(delay_ms, mdns_tick, NULL);
}

static void mdns_stop(void)
{
    sys_untimeout(mdns_tick, NULL);
    mdns.state = MDNS_OFF;
}

/* Writes <label>.local at p; returns its length. */
static uint16_t mdns_put_own_name(uint8_t *p, const char *label)
{
    return dnss_put_name(p, label, "local");
}

static void mdns_header(uint8_t *p, uint16_t id, uint8_t flags, uint16_t qd, uint16_t an,
                        uint16_t ns)
{
    dnss_put16(p, id);
    p[2] = flags;
    p[3] = 0;
    dnss_put16(p + 4, qd);
    dnss_put16(p + 6, an);
    dnss_put16(p + 8, ns);
    dnss_put16(p + 10, 0);
}

static void mdns_send(struct pbuf *q, uint16_t len, const ip_addr_t *to, uint16_t port)
{
    pbuf_realloc(q, len);
    if (mdns.pcb != NULL && udp_sendto(mdns.pcb, q, to, port) == ERR_OK &&
        ip_addr_cmp(to, &mdns_group)) {
        mdns.last_mc_ms = sys_now();
        mdns.mc_sent = true;
    }
    pbuf_free(q);
}

/* A message buffer and our current label; NULL (nothing held) when there
 * is no memory - the caller skips this message, the next tick or query
 * tries again. */
static struct pbuf *mdns_alloc(char label[MDNS_NAME_LABEL_MAX])
{
    if (mdns_name_label(label, MDNS_NAME_LABEL_MAX) == 0u) {
        return NULL;
    }
    return pbuf_alloc(PBUF_TRANSPORT, MDNS_MSG_MAX, PBUF_RAM);
}

/* RFC 6762 8.1: a query for our name, type ANY, QU bit set (the first
 * probes want unicast answers; we set it on all three, which 8.1 allows),
 * our proposed A record in the authority section, cache-flush bit clear
 * (10.2: never in probes' authority records). */
static void mdns_send_probe(void)
{
    char label[MDNS_NAME_LABEL_MAX];
    struct pbuf *q = mdns_alloc(label);
    if (q == NULL) {
        return;
    }
    uint8_t *p = (uint8_t *)q->payload;
    mdns_header(p, 0, 0, 1, 0, 1);
    uint16_t n = DNSS_HDR_LEN;
    n = (uint16_t)(n + mdns_put_own_name(p + n, label));
    dnss_put16(p + n, DNSS_TYPE_ANY);
    dnss_put16(p + n + 2, CLASS_FLUSH | DNSS_CLASS_IN);
    n = (uint16_t)(n + 4u);
    dnss_put16(p + n, 0xC000u | DNSS_HDR_LEN);
    n = (uint16_t)(n + 2u + dnss_put_a(p + n + 2, DNSS_CLASS_IN, MDNS_TTL_S, fw_config.ip));
    mdns_send(q, n, &mdns_group, MDNS_PORT);
}

/* A response with our A record alone: announcements (8.3) and answers to
 * multicast or QU queries (6: no question section, id 0, AA, cache-flush
 * because the name is ours alone, 10.2). */
static void mdns_send_answer(const ip_addr_t *to, uint16_t port)
{
    char label[MDNS_NAME_LABEL_MAX];
    struct pbuf *q = mdns_alloc(label);
    if (q == NULL) {
        return;
    }
    uint8_t *p = (uint8_t *)q->payload;
    mdns_header(p, 0, F2_QR | F2_AA, 0, 1, 0);
    uint16_t n = DNSS_HDR_LEN;
    n = (uint16_t)(n + mdns_put_own_name(p + n, label));
    n = (uint16_t)(n + dnss_put_a(p + n, CLASS_FLUSH | DNSS_CLASS_IN, MDNS_TTL_S, fw_config.ip));
    mdns_send(q, n, to, port);
}

/* RFC 6762 6.7 legacy unicast: the query's id, the question repeated, TTL
 * at most 10 s, no cache-flush bit - a plain DNS answer for a plain stub. */
static void mdns_send_legacy(uint16_t id, uint16_t qtype, uint16_t qclass, const ip_addr_t *to,
                             uint16_t port)
{
    char label[MDNS_NAME_LABEL_MAX];
    struct pbuf *q = mdns_alloc(label);
    if (q == NULL) {
        return;
    }
    uint8_t *p = (uint8_t *)q->payload;
    mdns_header(p, id, F2_QR | F2_AA, 1, 1, 0);
    uint16_t n = DNSS_HDR_LEN;
    n = (uint16_t)(n + mdns_put_own_name(p + n, label));
    dnss_put16(p + n, qtype);
    dnss_put16(p + n + 2, (uint16_t)(qclass & ~CLASS_FLUSH));
    n = (uint16_t)(n + 4u);
    dnss_put16(p + n, 0xC000u | DNSS_HDR_LEN);
    n = (uint16_t)(n + 2u + dnss_put_a(p + n + 2, DNSS_CLASS_IN, MDNS_LEGACY_TTL_S, fw_config.ip));
    mdns_send(q, n, to, port);
}

static void mdns_tick(void *arg)
{
    (void)arg;
    if (mdns.state == MDNS_PROBING) {
        if (mdns.step < MDNS_PROBES) {
            mdns_send_probe();
            mdns.step++;
            sys_timeout(MDNS_PROBE_MS, mdns_tick, NULL);
            return;
        }
        /* 250 ms after the last probe and nobody objected: the name is ours */
        mdns.state = MDNS_ANNOUNCING;
        mdns.step = 0;
        mdns.conflicts = 0;
    }
    if (mdns.state == MDNS_ANNOUNCING) {
        mdns_send_answer(&mdns_group, MDNS_PORT);
        if (++mdns.step < MDNS_ANNOUNCES) {
            sys_timeout(MDNS_ANNOUNCE_MS, mdns_tick, NULL);
        } else {
            mdns.state = MDNS_ACTIVE;
        }
    }
}

static void mdns_conflict(bool rename)
{
    mdns_stats.conflicts++;
    if (mdns.conflicts < 255u) {
        mdns.conflicts++;
    }
    if (rename) {
        mdns_name_next();
    }
    mdns_start(mdns_first_delay());
}

/* One resource record at *pos: its owner is our name?, type, class, TTL,
 * RDATA offset and length. False if it does not parse. */
typedef struct {
    bool ours;
    uint16_t type;
    uint16_t rrclass;
    uint32_t ttl;
    uint16_t rdata;
    uint16_t rdlen;
} mdns_rr_t;

static bool mdns_read_rr(const uint8_t *m, uint16_t len, uint16_t *pos, const char *label,
                         mdns_rr_t *rr)
{
    uint16_t name = *pos;
    if (!dnss_skip_name(m, len, pos) || (uint16_t)(len - *pos) < DNSS_RR_FIXED) {
        return false;
    }
    const uint8_t *f = m + *pos;
    rr->ours = dnss_name_is(m, len, name, label, "local");
    rr->type = dnss_get16(f);
    rr->rrclass = (uint16_t)(dnss_get16(f + 2) & ~CLASS_FLUSH);
    rr->ttl = ((uint32_t)dnss_get16(f + 4) << 16) | dnss_get16(f + 6);
    rr->rdlen = dnss_get16(f + 8);
    rr->rdata = (uint16_t)(*pos + DNSS_RR_FIXED);
    if ((uint16_t)(len - rr->rdata) < rr->rdlen) {
        return false;
    }
    *pos = (uint16_t)(rr->rdata + rr->rdlen);
    return true;
}

static bool mdns_rr_is_our_a(const uint8_t *m, const mdns_rr_t *rr)
{
    return rr->type == DNSS_TYPE_A && rr->rrclass == DNSS_CLASS_IN && rr->rdlen == 4u &&
           memcmp(m + rr->rdata, fw_config.ip, 4) == 0;
}

/* RFC 6762 8.2 order of records: class (without the cache-flush bit), then
 * type, then RDATA octet by octet, a prefix before the longer. <0, 0, >0. */
static int mdns_rr_cmp_ours(const uint8_t *m, const mdns_rr_t *rr)
{
    if (rr->rrclass != DNSS_CLASS_IN) {
        return rr->rrclass > DNSS_CLASS_IN ? -1 : 1;
    }
    if (rr->type != DNSS_TYPE_A) {
        return rr->type > DNSS_TYPE_A ? -1 : 1;
    }
    uint16_t n = rr->rdlen < 4u ? rr->rdlen : 4u;
    int c = memcmp(fw_config.ip, m + rr->rdata, n);
    if (c != 0) {
        return c;
    }
    return rr->rdlen == 4u ? 0 : (rr->rdlen > 4u ? -1 : 1);
}

/* A response from another host: conflicts only (we never cache). */
static void mdns_handle_response(const uint8_t *m, uint16_t len, const char *label)
{
    uint16_t pos = DNSS_HDR_LEN;
    /* RFC 6762 6: questions in a response are ignored; step over them */
    for (uint16_t i = 0; i < dnss_get16(m + 4); i++) {
        if (!dnss_skip_name(m, len, &pos) || (uint16_t)(len - pos) < 4u) {
            return;
        }
        pos = (uint16_t)(pos + 4u);
    }
    uint32_t total = (uint32_t)dnss_get16(m + 6) + dnss_get16(m + 8) + dnss_get16(m + 10);
    for (uint32_t i = 0; i < total; i++) {
        mdns_rr_t rr;
        if (!mdns_read_rr(m, len, &pos, label, &rr)) {
            return;
        }
        if (!rr.ours) {
            continue;
        }
        if (mdns.state == MDNS_PROBING) {
            mdns_conflict(true);   /* 8.1: any record with the name we want */
            return;
        }
        if (rr.type == DNSS_TYPE_A && rr.rrclass == DNSS_CLASS_IN && !mdns_rr_is_our_a(m, &rr)) {
            mdns_conflict(false);  /* 9: probe again before giving the name up */
            return;
        }
    }
}

/* A query: answer A/ANY questions for our name unless a known answer
 * suppresses it (7.1); while probing, the simultaneous-probe tie-break. */
static void mdns_handle_query(const uint8_t *m, uint16_t len, const char *label,
                              const ip_addr_t *from, uint16_t port)
{
    uint16_t pos = DNSS_HDR_LEN;
    bool match = false, asked = false, qu = false;
    uint16_t qtype = 0, qclass = 0;
    for (uint16_t i = 0; i < dnss_get16(m + 4); i++) {
        uint16_t name = pos;
        if (!dnss_skip_name(m, len, &pos) || (uint16_t)(len - pos) < 4u) {
            mdns_stats.ignored++;
            return;
        }
        uint16_t t = dnss_get16(m + pos), c = dnss_get16(m + pos + 2u);
        pos = (uint16_t)(pos + 4u);
        uint16_t cl = (uint16_t)(c & ~CLASS_FLUSH);
        if ((cl != DNSS_CLASS_IN && cl != DNSS_CLASS_ANY) ||
            !dnss_name_is(m, len, name, label, "local")) {
            continue;
        }
        asked = true;
        if ((t == DNSS_TYPE_A || t == DNSS_TYPE_ANY) && !match) {
            match = true;
            qu = (c & CLASS_FLUSH) != 0u;
            qtype = t;
            qclass = c;
        }
    }
    uint16_t an = dnss_get16(m + 6), ns = dnss_get16(m + 8);
    bool suppressed = false;
    int lowest = 1;          /* tie-break: their lowest record vs ours (8.2) */
    unsigned theirs = 0;
    for (uint32_t i = 0; i < (uint32_t)an + ns; i++) {
        mdns_rr_t rr;
        if (!mdns_read_rr(m, len, &pos, label, &rr)) {
            break;   /* what we could read still counts */
        }
        if (!rr.ours) {
            continue;
        }
        if (i < an) {
            /* 7.1: the querier knows our answer with at least half its TTL */
            suppressed |= mdns_rr_is_our_a(m, &rr) && rr.ttl >= MDNS_TTL_S / 2u;
        } else {
            /* only the sign matters: their lowest record is below ours if
             * any is, equal if any is equal and none below, else above */
            int c = -mdns_rr_cmp_ours(m, &rr);
            c = c < 0 ? -1 : (c > 0 ? 1 : 0);
            theirs++;
            if (c < lowest) {
                lowest = c;
            }
        }
    }
    if (mdns.state == MDNS_PROBING) {
        /* 8.2: compare with the other prober's records; the lexicographically
         * later set wins, equal sets are the same host data (no conflict) */
        if (asked && theirs > 0u && (lowest > 0 || (lowest == 0 && theirs > 1u))) {
            mdns_stats.conflicts++;
            mdns_start(MDNS_DEFER_MS);
        }
        return;   /* 8.1: no answers before the name is ours */
    }
    if (!match || suppressed || mdns.state == MDNS_OFF) {
        mdns_stats.ignored++;
        return;
    }
    if (port != MDNS_PORT) {
        mdns_send_legacy(dnss_get16(m), qtype, qclass, from, port);
    } else if (qu || !ip_addr_ismulticast(ip_current_dest_addr())) {
        mdns_send_answer(from, port);   /* 5.4 QU / 5.5 direct unicast query */
    } else {
        /* 6: at most one multicast per second, except to defend the name
         * against a probe (a query with authority records) */
        if (ns == 0u && mdns.mc_sent && (uint32_t)(sys_now() - mdns.last_mc_ms) < MDNS_MC_GAP_MS) {
            mdns_stats.ignored++;
            return;
        }
        mdns_send_answer(&mdns_group, MDNS_PORT);
    }
    mdns_stats.answered++;
}

static void mdns_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
                      u16_t port)
{
    (void)arg;
    (void)pcb;
    const struct netif *inp = ip_current_netif();
    const uint8_t *m = (const uint8_t *)p->payload;
    uint16_t len = p->len;   /* first pbuf only, see the header */
    char label[MDNS_NAME_LABEL_MAX];

    mdns_stats.rx++;
    /* RFC 6762 11: only from our link (the host's address on our subnet),
     * never from ourselves or port 0 */
    if (inp == NULL || port == 0u || ip4_addr_isany_val(*netif_ip4_addr(inp)) ||
        !ip4_addr_netcmp(ip_2_ip4(addr), netif_ip4_addr(inp), netif_ip4_netmask(inp)) ||
        ip4_addr_cmp(ip_2_ip4(addr), netif_ip4_addr(inp)) || len < DNSS_HDR_LEN ||
        mdns_name_label(label, sizeof label) == 0u) {
        goto ignore;
    }
    /* RFC 6762 18.3, 18.11: other opcodes and non-zero rcodes are ignored */
    if ((m[2] & 0x78u) != 0u || (m[3] & 0x0Fu) != 0u) {
        goto ignore;
    }
    if ((m[2] & F2_QR) != 0u) {
        mdns_handle_response(m, len, label);
    } else {
        mdns_handle_query(m, len, label, addr, port);
    }
    pbuf_free(p);
    return;
ignore:
    mdns_stats.ignored++;
    pbuf_free(p);
}

static netif_ext_callback_t mdns_netif_cb;

static void mdns_link(struct netif *netif)
{
    if (netif_is_link_up(netif)) {
        mdns.conflicts = 0;
        mdns_start(mdns_first_delay());   /* 8: probe on every link-up */
    } else {
        mdns_stop();
    }
}

/* lwIP's netif status callback (a list: dhcps.c listens too) */
static void mdns_netif_changed(struct netif *netif, netif_nsc_reason_t reason,
                               const netif_ext_callback_args_t *args)
{
    (void)args;
    if ((reason & LWIP_NSC_LINK_CHANGED) != 0u && mdns.pcb != NULL) {
        mdns_link(netif);
    }
}

void mdns_init(void)
{
    mdns_deinit();
    memset(&mdns_stats, 0, sizeof mdns_stats);
    mdns.pcb = udp_new();
    if (mdns.pcb == NULL) {
        return;   /* no UDP pcb left: no mDNS, the rest works */
    }
    if (udp_bind(mdns.pcb, IP_ANY_TYPE, MDNS_PORT) != ERR_OK) {
        udp_remove(mdns.pcb);
        mdns.pcb = NULL;
        return;
    }
    mdns.pcb->ttl = MDNS_IP_TTL;   /* LWIP_MULTICAST_TX_OPTIONS is 0: this TTL goes to multicast too */
    udp_recv(mdns.pcb, mdns_recv, NULL);
    netif_add_ext_callback(&mdns_netif_cb, mdns_netif_changed);
    if (netif_default != NULL && netif_is_link_up(netif_default)) {
        mdns_link(netif_default);
    }
}

void mdns_deinit(void)
{
    mdns_stop();
    mdns.mc_sent = false;
    mdns.conflicts = 0;
    netif_remove_ext_callback(&mdns_netif_cb);
    if (mdns.pcb != NULL) {
        udp_remove(mdns.pcb);
        mdns.pcb = NULL;
    }
}
