/*
 * dhcps.c - DHCP server (RFC 2131, options RFC 2132) on UDP port 67 with
 * lwIP's raw UDP API. Layer: portable (firmware/net); includes lwIP, config.h,
 * stm32net_opt.h, dhcps.h/net.h only. Runs from the main loop (lwIP callback).
 *
 * Assumptions and limits:
 * - One host sits on the other end of the USB link, so we are the only server
 *   there and answer authoritatively: a client asking (INIT-REBOOT or RENEW)
 *   for a free pool address gets it ACKed even without a record - after a
 *   device reset the host keeps its address instead of waiting for a NAK
 *   timeout. Only another client's, a declined, or an off-pool address is
 *   NAKed (RFC 2131 4.3.2 lets a server without a record stay silent; on a
 *   point-to-point link nobody else would answer).
 * - A client is its client identifier (option 61) when it sends one, else
 *   its chaddr (RFC 2131 4.2): the same identifier from another MAC is the
 *   same client. The identifier is kept as a 32-bit FNV-1a hash (RAM), so two
 *   different identifiers collide with odds of 2^-32; option 61 is echoed
 *   (RFC 6842).
 * - Pool full: an offer nobody took in DHCPS_OFFER_HOLD_S is forgotten at
 *   once, so its address is the first to go again; after that, a binding of a
 *   client that is no longer on the link - it has not spoken since the link
 *   last came up: on USB one host is attached at a time, and a replugged
 *   host finds its own binding first - is reused, offers before bindings,
 *   the least recently heard first. A client heard since the last link-up
 *   keeps its address; then the new one gets nothing (pool_exhausted).
 * - Replies are addressed as RFC 2131 4.1 says (dhcps_reply). A relayed
 *   request (giaddr != 0) is dropped and counted, deliberately: there is no
 *   relay on a USB point-to-point link, so one means something on the host
 *   forwards another network's clients to our one-host pool, and answering
 *   needs a route to giaddr that the device does not have (no gateway).
 * - RAM: the lease table (DHCPS_POOL_SIZE x 20 bytes), the counters, the
 *   clock (12 bytes) and one lwIP timeout from the MEMP_SYS_TIMEOUT pool. The
 *   request is read straight from the pbuf with bounds checks (no copy
 *   buffer); the reply is built in one PBUF_RAM.
 * - Every byte of a request is untrusted: anything malformed is dropped and
 *   counted in dhcps_stats, never asserted.
 * - Time: sys_now() is milliseconds in a u32_t that wraps every 49.7 days,
 *   so expiry times are never kept in it. dhcps_clock() turns the ms deltas
 *   into a private seconds count (dhcps_secs, u32: wraps after 136 years of
 *   uptime, which we do not handle) and every expiry/timestamp is in those
 *   seconds, compared without wrap tricks. The clock needs to be advanced
 *   at least once per 49.7 days to see every delta; an lwIP timer
 *   (dhcps_tick, every DHCPS_TICK_MS) advances it and sweeps expired
 *   entries even when no DHCP traffic comes. It uses the one spare
 *   MEMP_NUM_SYS_TIMEOUT entry of lwipopts.h.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lwip/ip_addr.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/sys.h"
#include "lwip/timeouts.h"
#include "lwip/udp.h"
#include "lwip/ip.h"

#include "netif/ethernet.h"
#include "lwip/prot/ethernet.h"

#include "config.h"
#include "dhcps.h"
#include "ident.h"
#include "net.h"
#include "stm32net_opt.h"

#ifndef DHCPS_OFFER_HOLD_S      /* how long an offered address waits for the REQUEST */
#define DHCPS_OFFER_HOLD_S 60u
#endif
#ifndef DHCPS_DECLINE_HOLD_S    /* RFC 2131 4.3.3: a declined address is withheld */
#define DHCPS_DECLINE_HOLD_S DHCPS_LEASE_S
#endif

#ifndef DHCPS_TICK_MS           /* clock/sweep period without traffic */
#define DHCPS_TICK_MS 60000u
#endif

/* Times are seconds of dhcps_secs (u32). A year bounds them so expiry
 * (dhcps_secs + X_S) cannot wrap in any realistic uptime; 0xffffffff
 * ("infinite", RFC 2132 9.2) is not supported. */
#define DHCPS_MAX_INTERVAL_S 31536000u   /* 365 days */
#if DHCPS_LEASE_S < 1 || DHCPS_LEASE_S > DHCPS_MAX_INTERVAL_S
#error "DHCPS_LEASE_S must be 1 .. 31536000 s"
#endif
#if DHCPS_OFFER_HOLD_S < 1 || DHCPS_OFFER_HOLD_S > DHCPS_MAX_INTERVAL_S
#error "DHCPS_OFFER_HOLD_S must be 1 .. 31536000 s"
#endif
#if DHCPS_DECLINE_HOLD_S < 1 || DHCPS_DECLINE_HOLD_S > DHCPS_MAX_INTERVAL_S
#error "DHCPS_DECLINE_HOLD_S must be 1 .. 31536000 s"
#endif
#if DHCPS_TICK_MS < 1000u || DHCPS_TICK_MS > 3600000u
#error "DHCPS_TICK_MS must be 1 s .. 1 h (far below the 49.7-day sys_now() wrap)"
#endif

#if DHCPS_POOL_SIZE < 1 || DHCPS_POOL_FIRST < 1 || (DHCPS_POOL_FIRST + DHCPS_POOL_SIZE - 1) > 254
#error "DHCP pool must lie within .1 .. .254"
#endif

#define DHCPS_SERVER_PORT 67u
#define DHCPS_CLIENT_PORT 68u

/* RFC 2131 2, Figure 1: offsets in the fixed BOOTP part */
#define BOOTP_OP       0u
#define BOOTP_HTYPE    1u
#define BOOTP_HLEN     2u
#define BOOTP_XID      4u
#define BOOTP_FLAGS   10u
#define BOOTP_CIADDR  12u
#define BOOTP_YIADDR  16u
#define BOOTP_GIADDR  24u
#define BOOTP_CHADDR  28u
#define BOOTP_COOKIE 236u
#define BOOTP_OPTIONS 240u
#define BOOTP_HDR_KEEP 44u   /* op .. chaddr: what a reply copies or we check */
#define BOOTP_MIN_LEN 300u   /* RFC 1542 2.1: BOOTP relays/clients expect >= 300 */

#define BOOTREQUEST 1u
#define BOOTREPLY   2u

/* RFC 2132 9.6 message types */
#define DHCPDISCOVER 1u
#define DHCPOFFER    2u
#define DHCPREQUEST  3u
#define DHCPDECLINE  4u
#define DHCPACK      5u
#define DHCPNAK      6u
#define DHCPRELEASE  7u
#define DHCPINFORM   8u

/* RFC 2132 option codes */
#define OPT_PAD        0u
#define OPT_NETMASK    1u
#define OPT_ROUTER     3u
#define OPT_DNS        6u
#define OPT_DOMAIN    15u
#define OPT_REQ_IP    50u
#define OPT_LEASE     51u
#define OPT_OVERLOAD  52u
#define OPT_MSGTYPE   53u
#define OPT_SERVER_ID 54u
#define OPT_T1        58u
#define OPT_T2        59u
#define OPT_CLIENT_ID 61u
#define OPT_END      255u

/* 53,54,51,58,59,1,6 (3+6*6) + 15 (2+31) + 3 (6) + 255 (1) */
#define DHCPS_OPTS_MAX (3u + 6u * 6u + 2u + (CONFIG_NAME_MAX - 1u) + 6u + 1u)

enum { LEASE_UNUSED = 0, LEASE_OFFERED, LEASE_BOUND, LEASE_FREE, LEASE_DECLINED };

typedef struct {
    uint8_t mac[6];     /* the client's chaddr, the newest it used */
    uint8_t state;
    uint8_t has_cid;    /* 1: the client is cid (option 61), 0: it is mac */
    uint32_t cid;       /* FNV-1a of option 61's data */
    uint32_t t;         /* dhcps_secs. OFFERED/BOUND: expiry; FREE/DECLINED: when it became so */
    uint32_t seen;      /* dhcps_secs when the client last spoke to us */
} dhcps_lease_t;

/* Who a request is from (RFC 2131 4.2). */
typedef struct {
    const uint8_t *mac;
    bool has_cid;
    uint32_t cid;
} dhcps_id_t;

typedef struct {
    uint8_t type;
    bool has_server_id;
    bool has_req_ip;
    uint8_t server_id[4];
    uint8_t req_ip[4];
    uint16_t cid_off;      /* option 61 data in the request pbuf, echoed (RFC 6842) */
    uint8_t cid_len;       /* 0: none */
} dhcps_req_t;

dhcps_stats_t dhcps_stats;
static dhcps_lease_t dhcps_leases[DHCPS_POOL_SIZE];
static struct udp_pcb *dhcps_pcb;
static uint32_t dhcps_secs;       /* seconds since dhcps_init() */
static uint32_t dhcps_last_ms;    /* sys_now() that dhcps_secs accounts for ... */
static uint16_t dhcps_rem_ms;     /* ... minus these not yet whole seconds */
static uint32_t dhcps_link_s;     /* dhcps_secs when the link last came up */
static const uint8_t *dhcps_to_mac;   /* chaddr while a reply goes out by dhcps_output_chaddr */
static netif_ext_callback_t dhcps_netif_cb;

static const uint8_t dhcps_cookie[4] = {99, 130, 83, 99};  /* RFC 2131 3 */

/* ------------------------------------------------------------ lease table */

/* Advances dhcps_secs by the time since the last call. The u32 ms
 * difference is exact as long as calls are less than 49.7 days apart
 * (dhcps_tick sees to that); whole seconds move over, the rest is kept. */
static uint32_t dhcps_clock(void)
{
    uint32_t ms = sys_now();
    uint32_t d = ms - dhcps_last_ms;
    uint32_t rem = dhcps_rem_ms + d % 1000u;   /* < 2000 */
    dhcps_last_ms = ms;
    dhcps_secs += d / 1000u + rem / 1000u;
    dhcps_rem_ms = (uint16_t)(rem % 1000u);
    return dhcps_secs;
}

/* Brings the table up to date: an offer or lease whose time is over goes
 * FREE, a declined address comes back after its hold time (RFC 2131 4.3.3).
 * Returns the current time in dhcps_secs. */
static uint32_t dhcps_sweep(void)
{
    uint32_t now = dhcps_clock();
    for (unsigned i = 0; i < DHCPS_POOL_SIZE; i++) {
        dhcps_lease_t *l = &dhcps_leases[i];
        if (l->state == LEASE_OFFERED && now >= l->t) {
            memset(l, 0, sizeof *l);   /* never taken: first to go again (LEASE_UNUSED) */
        } else if (l->state == LEASE_BOUND && now >= l->t) {
            l->state = LEASE_FREE;   /* remember the client: it gets the address again */
        } else if (l->state == LEASE_DECLINED && now - l->t >= DHCPS_DECLINE_HOLD_S) {
            l->state = LEASE_UNUSED;
        }
    }
    return now;
}

/* lwIP timer: keeps the clock within one u32 ms wrap and expires leases
 * without waiting for the next DHCP packet. */
static void dhcps_tick(void *arg)
{
    (void)arg;
    (void)dhcps_sweep();
    sys_timeout(DHCPS_TICK_MS, dhcps_tick, NULL);
}

static void dhcps_pool_addr(unsigned i, uint8_t ip[4])
{
    memcpy(ip, fw_config.ip, 3);
    ip[3] = (uint8_t)(DHCPS_POOL_FIRST + i);
}

/* Pool slot of ip, or -1 (also for the device's own address). */
static int dhcps_slot(const uint8_t ip[4])
{
    if (memcmp(ip, fw_config.ip, 3) != 0 || ip[3] == fw_config.ip[3] ||
        ip[3] < DHCPS_POOL_FIRST || ip[3] - DHCPS_POOL_FIRST >= DHCPS_POOL_SIZE) {
        return -1;
    }
    return ip[3] - DHCPS_POOL_FIRST;
}

static bool dhcps_usable(unsigned i)
{
    return DHCPS_POOL_FIRST + i != fw_config.ip[3];
}

static bool dhcps_owned_by(unsigned i, const dhcps_id_t *id)
{
    const dhcps_lease_t *l = &dhcps_leases[i];
    if (l->state != LEASE_OFFERED && l->state != LEASE_BOUND && l->state != LEASE_FREE) {
        return false;
    }
    return id->has_cid ? (l->has_cid && l->cid == id->cid)
                       : (!l->has_cid && memcmp(l->mac, id->mac, 6) == 0);
}

/* Slot i now belongs to client id (offered or bound by the caller). */
static void dhcps_assign(unsigned i, const dhcps_id_t *id, uint32_t now)
{
    dhcps_lease_t *l = &dhcps_leases[i];
    memcpy(l->mac, id->mac, 6);
    l->has_cid = id->has_cid ? 1u : 0u;
    l->cid = id->has_cid ? id->cid : 0u;
    l->seen = now;
}

/* May this client have slot i? Its own, or one nobody holds. */
static bool dhcps_may_have(int i, const dhcps_id_t *id)
{
    if (i < 0 || !dhcps_usable((unsigned)i)) {
        return false;
    }
    uint8_t st = dhcps_leases[i].state;
    return dhcps_owned_by((unsigned)i, id) || st == LEASE_UNUSED || st == LEASE_FREE;
}

static int dhcps_find(const dhcps_id_t *id)
{
    for (unsigned i = 0; i < DHCPS_POOL_SIZE; i++) {
        if (dhcps_owned_by(i, id)) {
            return (int)i;
        }
    }
    return -1;
}

/* Address choice for DISCOVER, RFC 2131 4.3.1: the client's current or
 * previous binding, then its requested address, then a never-used one (or
 * an expired offer's), then the one expired longest ago, then - pool full -
 * the least recently heard client that is no longer on the link (header). */
static int dhcps_choose(const dhcps_id_t *id, const dhcps_req_t *r, uint32_t now)
{
    int i = dhcps_find(id);
    if (i >= 0) {
        return i;
    }
    if (r->has_req_ip) {
        i = dhcps_slot(r->req_ip);
        if (i >= 0 && dhcps_may_have(i, id)) {
            return i;
        }
    }
    for (unsigned k = 0; k < DHCPS_POOL_SIZE; k++) {
        if (dhcps_usable(k) && dhcps_leases[k].state == LEASE_UNUSED) {
            return (int)k;
        }
    }
    int best = -1;
    uint32_t best_age = 0;
    for (unsigned k = 0; k < DHCPS_POOL_SIZE; k++) {
        if (dhcps_usable(k) && dhcps_leases[k].state == LEASE_FREE &&
            (best < 0 || now - dhcps_leases[k].t > best_age)) {
            best = (int)k;
            best_age = now - dhcps_leases[k].t;
        }
    }
    if (best >= 0) {
        return best;
    }
    for (unsigned k = 0; k < DHCPS_POOL_SIZE; k++) {
        const dhcps_lease_t *l = &dhcps_leases[k];
        if (!dhcps_usable(k) || (l->state != LEASE_OFFERED && l->state != LEASE_BOUND) ||
            l->seen >= dhcps_link_s) {
            continue;   /* declined, or its client is still on the link */
        }
        const dhcps_lease_t *b = best >= 0 ? &dhcps_leases[best] : NULL;
        if (b == NULL || (l->state == LEASE_OFFERED && b->state == LEASE_BOUND) ||
            (l->state == b->state && l->seen < b->seen)) {
            best = (int)k;
        }
    }
    return best;
}

/* RFC 2131 4.3.1/4.3.2: a client (keyed by chaddr) has one binding. When it
 * is bound to slot i - SELECTING, INIT-REBOOT or RENEW for another address
 * than it held - every other slot it holds (offer, binding, remembered free
 * one) is forgotten, or one MAC could walk through the whole pool. */
static void dhcps_bind(unsigned i, const dhcps_id_t *id, uint32_t now)
{
    for (unsigned k = 0; k < DHCPS_POOL_SIZE; k++) {
        if (k != i && dhcps_owned_by(k, id)) {
            memset(&dhcps_leases[k], 0, sizeof dhcps_leases[k]);   /* LEASE_UNUSED */
        }
    }
    dhcps_assign(i, id, now);
    dhcps_leases[i].state = LEASE_BOUND;
    dhcps_leases[i].t = now + DHCPS_LEASE_S;
}

bool dhcps_lease_get(unsigned i, uint8_t mac[6], uint8_t ip[4], uint32_t *remaining_s)
{
    if (i >= DHCPS_POOL_SIZE) {
        return false;
    }
    uint32_t now = dhcps_sweep();
    if (dhcps_leases[i].state != LEASE_BOUND) {
        return false;
    }
    memcpy(mac, dhcps_leases[i].mac, 6);
    dhcps_pool_addr(i, ip);
    *remaining_s = dhcps_leases[i].t - now;   /* > 0: the sweep freed it otherwise */
    return true;
}

/* ------------------------------------------------------------ parsing */

static int dhcps_byte(const struct pbuf *p, uint32_t off)
{
    return off > 0xffffu ? -1 : pbuf_try_get_at(p, (u16_t)off);
}

/* RFC 2132 2: code, length, data; 0 and 255 have no length. Every length is
 * checked against the end of the datagram. Option 52 (overload) is skipped:
 * we never look into sname/file, so a hostile overload cannot hurt. */
static bool dhcps_parse_options(const struct pbuf *p, dhcps_req_t *r)
{
    uint32_t off = BOOTP_OPTIONS;
    uint32_t end = p->tot_len;

    while (off < end) {
        int code = dhcps_byte(p, off);
        if (code == OPT_END) {
            break;
        }
        if (code == OPT_PAD) {
            off++;
            continue;
        }
        int len = dhcps_byte(p, off + 1u);
        if (code < 0 || len < 0 || off + 2u + (uint32_t)len > end) {
            return false;
        }
        uint32_t d = off + 2u;
        switch (code) {
        case OPT_MSGTYPE:
            if (len != 1) {
                return false;
            }
            r->type = (uint8_t)dhcps_byte(p, d);
            break;
        case OPT_SERVER_ID:
        case OPT_REQ_IP:
            if (len != 4) {
                return false;
            }
            if (code == OPT_SERVER_ID) {
                (void)pbuf_copy_partial(p, r->server_id, 4, (u16_t)d);
                r->has_server_id = true;
            } else {
                (void)pbuf_copy_partial(p, r->req_ip, 4, (u16_t)d);
                r->has_req_ip = true;
            }
            break;
        case OPT_CLIENT_ID:
            if (len < 2) {   /* RFC 2132 9.14: type + at least one octet */
                return false;
            }
            r->cid_off = (uint16_t)d;
            r->cid_len = (uint8_t)len;
            break;
        default:             /* incl. OPT_OVERLOAD and the parameter request list */
            break;
        }
        off = d + (uint32_t)len;
    }
    return r->type != 0;    /* RFC 2131 3: option 53 is mandatory */
}

/* ------------------------------------------------------------ replies */

static uint8_t *dhcps_opt(uint8_t *o, uint8_t code, uint8_t len, const void *data)
{
    o[0] = code;
    o[1] = len;
    memcpy(o + 2, data, len);
    return o + 2 + len;
}

static uint8_t *dhcps_opt32(uint8_t *o, uint8_t code, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    return dhcps_opt(o, code, 4, b);
}

/* netif->output for a reply to a client that has no address yet and did
 * not ask for broadcast: straight to its chaddr, without ARP (it could not
 * answer an ARP request for yiaddr before it has taken the address). */
static err_t dhcps_output_chaddr(struct netif *netif, struct pbuf *p, const ip4_addr_t *ip)
{
    (void)ip;
    return ethernet_output(netif, p, (const struct eth_addr *)netif->hwaddr,
                           (const struct eth_addr *)dhcps_to_mac, ETHTYPE_IP);
}

/* type: OFFER, ACK or NAK. yiaddr NULL -> 0. lease: with options 51/58/59
 * (not for INFORM, RFC 2131 Table 3). Addressed as RFC 2131 4.1 says (giaddr
 * is 0 here, see dhcps_recv): NAK -> broadcast; ciaddr set -> unicast to
 * ciaddr (lwIP ARPs for it: the client owns that address); broadcast bit set
 * or nothing to unicast to -> broadcast; else unicast to chaddr and yiaddr. */
static void dhcps_reply(const struct pbuf *req, const uint8_t *hdr, const dhcps_req_t *r,
                        uint8_t type, const uint8_t *yiaddr, bool lease)
{
    uint16_t size = (uint16_t)(BOOTP_OPTIONS + DHCPS_OPTS_MAX + (r->cid_len ? 2u + r->cid_len : 0u));
    struct pbuf *p = pbuf_alloc(PBUF_TRANSPORT, size, PBUF_RAM);
    if (p == NULL) {
        dhcps_stats.tx_failed++;
        return;
    }
    uint8_t *m = (uint8_t *)p->payload;
    memset(m, 0, size);
    m[BOOTP_OP] = BOOTREPLY;
    m[BOOTP_HTYPE] = 1;
    m[BOOTP_HLEN] = 6;
    memcpy(m + BOOTP_XID, hdr + BOOTP_XID, 4);
    memcpy(m + BOOTP_FLAGS, hdr + BOOTP_FLAGS, 2);
    if (type == DHCPACK) {   /* Table 3: ciaddr from the request in ACK, 0 in OFFER/NAK */
        memcpy(m + BOOTP_CIADDR, hdr + BOOTP_CIADDR, 4);
    }
    if (yiaddr != NULL) {
        memcpy(m + BOOTP_YIADDR, yiaddr, 4);
    }
    memcpy(m + BOOTP_GIADDR, hdr + BOOTP_GIADDR, 4 + 16);  /* giaddr + chaddr */
    memcpy(m + BOOTP_COOKIE, dhcps_cookie, 4);

    uint8_t *o = m + BOOTP_OPTIONS;
    o = dhcps_opt(o, OPT_MSGTYPE, 1, &type);
    o = dhcps_opt(o, OPT_SERVER_ID, 4, fw_config.ip);
    if (type != DHCPNAK) {
        if (lease) {
            /* RFC 2131 4.4.5 defaults: T1 = 0.5, T2 = 0.875 of the lease */
            o = dhcps_opt32(o, OPT_LEASE, DHCPS_LEASE_S);
            o = dhcps_opt32(o, OPT_T1, DHCPS_LEASE_S / 2u);
            o = dhcps_opt32(o, OPT_T2, (uint32_t)((DHCPS_LEASE_S * 7ull) / 8u));
        }
        o = dhcps_opt(o, OPT_NETMASK, 4, fw_config.netmask);
        o = dhcps_opt(o, OPT_DNS, 4, fw_config.ip);  /* dnss.c answers for the zone */
        uint8_t zl = 0;
        while (zl < CONFIG_NAME_MAX - 1u && fw_config.zone[zl] != '\0') {
            zl++;
        }
        if (zl > 0) {
            o = dhcps_opt(o, OPT_DOMAIN, zl, fw_config.zone);
        }
#if DHCPS_OFFER_ROUTER
        o = dhcps_opt(o, OPT_ROUTER, 4, fw_config.ip);
#endif
    }
    if (r->cid_len != 0) {
        o[0] = OPT_CLIENT_ID;
        o[1] = r->cid_len;
        (void)pbuf_copy_partial(req, o + 2, r->cid_len, r->cid_off);
        o += 2 + r->cid_len;
    }
    *o++ = OPT_END;
    uint16_t used = (uint16_t)(o - m);
    pbuf_realloc(p, used < BOOTP_MIN_LEN ? BOOTP_MIN_LEN : used);

    ip_addr_t dst;
    const uint8_t *ci = hdr + BOOTP_CIADDR;
    bool to_chaddr = false;
    if (type != DHCPNAK && (ci[0] | ci[1] | ci[2] | ci[3]) != 0) {
        IP_ADDR4(&dst, ci[0], ci[1], ci[2], ci[3]);
    } else if (type == DHCPNAK || (hdr[BOOTP_FLAGS] & 0x80u) != 0u || yiaddr == NULL) {
        IP_ADDR4(&dst, 255, 255, 255, 255);
    } else {
        IP_ADDR4(&dst, yiaddr[0], yiaddr[1], yiaddr[2], yiaddr[3]);
        to_chaddr = true;
    }
    struct netif *nif = ip_current_input_netif() != NULL ? ip_current_input_netif() : netif_default;
    netif_output_fn saved = nif != NULL ? nif->output : NULL;
    if (to_chaddr) {
        /* one send, main loop only: nothing else can use the netif meanwhile */
        dhcps_to_mac = hdr + BOOTP_CHADDR;
        nif->output = dhcps_output_chaddr;
    }
    err_t err = nif != NULL ? udp_sendto_if(dhcps_pcb, p, &dst, DHCPS_CLIENT_PORT, nif) : ERR_IF;
    if (to_chaddr) {
        nif->output = saved;
        dhcps_to_mac = NULL;
    }
    if (err != ERR_OK) {
        dhcps_stats.tx_failed++;
    } else if (type == DHCPOFFER) {
        dhcps_stats.offer++;
    } else if (type == DHCPACK) {
        dhcps_stats.ack++;
    } else {
        dhcps_stats.nak++;
    }
    pbuf_free(p);
}

static void dhcps_nak(const struct pbuf *req, const uint8_t *hdr, const dhcps_req_t *r)
{
    dhcps_reply(req, hdr, r, DHCPNAK, NULL, false);  /* RFC 2131 4.1: NAK broadcast */
}

static bool dhcps_zero4(const uint8_t *a)
{
    return (a[0] | a[1] | a[2] | a[3]) == 0;
}

static bool dhcps_same_subnet(const uint8_t ip[4])
{
    for (unsigned k = 0; k < 4; k++) {
        if ((ip[k] & fw_config.netmask[k]) != (fw_config.ip[k] & fw_config.netmask[k])) {
            return false;
        }
    }
    return true;
}

/* RFC 2131 4.3.2: which state the client is in follows from the options. */
static void dhcps_request(const struct pbuf *p, const uint8_t *hdr, const dhcps_req_t *r,
                          const dhcps_id_t *id, uint32_t now)
{
    const uint8_t *ciaddr = hdr + BOOTP_CIADDR;
    uint8_t ip[4];
    int i;

    if (r->has_server_id) {
        /* SELECTING */
        if (memcmp(r->server_id, fw_config.ip, 4) != 0) {
            i = dhcps_find(id);   /* it took another server's offer */
            if (i >= 0 && dhcps_leases[i].state == LEASE_OFFERED) {
                dhcps_leases[i].state = LEASE_FREE;
                dhcps_leases[i].t = now;
            }
            dhcps_stats.ignored++;
            return;
        }
        if (!r->has_req_ip) {
            dhcps_stats.malformed++;   /* SELECTING MUST carry option 50 */
            return;
        }
        i = dhcps_slot(r->req_ip);
        if (!dhcps_may_have(i, id)) {
            dhcps_nak(p, hdr, r);
            return;
        }
        dhcps_bind((unsigned)i, id, now);
        dhcps_pool_addr((unsigned)i, ip);
        dhcps_reply(p, hdr, r, DHCPACK, ip, true);
        return;
    }
    if (r->has_req_ip && dhcps_zero4(ciaddr)) {
        /* INIT-REBOOT: NAK a wrong subnet or an address that is not ours to give */
        i = dhcps_slot(r->req_ip);
        if (!dhcps_same_subnet(r->req_ip) || !dhcps_may_have(i, id)) {
            dhcps_nak(p, hdr, r);
            return;
        }
        dhcps_bind((unsigned)i, id, now);
        dhcps_reply(p, hdr, r, DHCPACK, r->req_ip, true);
        return;
    }
    if (!dhcps_zero4(ciaddr)) {
        /* RENEWING (unicast) or REBINDING (broadcast): extend or NAK */
        i = dhcps_slot(ciaddr);
        if (!dhcps_may_have(i, id)) {
            dhcps_nak(p, hdr, r);
            return;
        }
        dhcps_bind((unsigned)i, id, now);
        dhcps_reply(p, hdr, r, DHCPACK, ciaddr, true);
        return;
    }
    dhcps_stats.malformed++;   /* no server id, no requested address, no ciaddr */
}

static void dhcps_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
                       u16_t port)
{
    uint8_t hdr[BOOTP_HDR_KEEP];
    uint8_t cookie[4];
    dhcps_req_t r;

    (void)arg;
    (void)pcb;
    (void)addr;
    (void)port;
    dhcps_stats.rx++;
    memset(&r, 0, sizeof r);
    if (p->tot_len < BOOTP_OPTIONS ||
        pbuf_copy_partial(p, hdr, sizeof hdr, 0) != sizeof hdr ||
        pbuf_copy_partial(p, cookie, 4, BOOTP_COOKIE) != 4 ||
        hdr[BOOTP_OP] != BOOTREQUEST || hdr[BOOTP_HTYPE] != 1 || hdr[BOOTP_HLEN] != 6 ||
        memcmp(cookie, dhcps_cookie, 4) != 0 || !dhcps_parse_options(p, &r)) {
        dhcps_stats.malformed++;
        pbuf_free(p);
        return;
    }
    if (!dhcps_zero4(hdr + BOOTP_GIADDR)) {
        dhcps_stats.relayed++;   /* deliberately not served, see the header */
        pbuf_free(p);
        return;
    }
    uint32_t now = dhcps_sweep();
    dhcps_id_t id = { hdr + BOOTP_CHADDR, r.cid_len != 0u, 0u };
    if (id.has_cid) {
        /* FNV-1a runs on in pieces: 32 octets of stack, not 255 */
        uint8_t chunk[32];
        id.cid = 2166136261u;   /* FNV-1a offset basis */
        for (uint16_t o = 0; o < r.cid_len; o = (uint16_t)(o + sizeof chunk)) {
            uint16_t left = (uint16_t)(r.cid_len - o);
            uint16_t n = left < (uint16_t)sizeof chunk ? left : (uint16_t)sizeof chunk;
            (void)pbuf_copy_partial(p, chunk, n, (u16_t)(r.cid_off + o));
            id.cid = ident_fnv1a(chunk, n, id.cid);
        }
    }
    int i = dhcps_find(&id);
    if (i >= 0) {
        dhcps_leases[i].seen = now;   /* it is on the link */
        memcpy(dhcps_leases[i].mac, id.mac, 6);
    }
    uint8_t ip[4];

    switch (r.type) {
    case DHCPDISCOVER:   /* RFC 2131 4.3.1 */
        dhcps_stats.discover++;
        i = dhcps_choose(&id, &r, now);
        if (i < 0) {
            dhcps_stats.pool_exhausted++;
            break;
        }
        if (dhcps_leases[i].state != LEASE_BOUND || !dhcps_owned_by((unsigned)i, &id)) {
            dhcps_assign((unsigned)i, &id, now);
            dhcps_leases[i].state = LEASE_OFFERED;
            dhcps_leases[i].t = now + DHCPS_OFFER_HOLD_S;
        }
        dhcps_pool_addr((unsigned)i, ip);
        dhcps_reply(p, hdr, &r, DHCPOFFER, ip, true);
        break;
    case DHCPREQUEST:
        dhcps_stats.request++;
        dhcps_request(p, hdr, &r, &id, now);
        break;
    case DHCPDECLINE:    /* RFC 2131 4.3.3: the address is in use on the wire */
        dhcps_stats.decline++;
        i = r.has_req_ip ? dhcps_slot(r.req_ip) : -1;
        if (i >= 0 && dhcps_owned_by((unsigned)i, &id) &&
            (!r.has_server_id || memcmp(r.server_id, fw_config.ip, 4) == 0)) {
            dhcps_leases[i].state = LEASE_DECLINED;
            dhcps_leases[i].t = now;
        } else {
            dhcps_stats.ignored++;
        }
        break;
    case DHCPRELEASE:    /* RFC 2131 4.3.4: keep the client's identity for next time */
        dhcps_stats.release++;
        i = dhcps_slot(hdr + BOOTP_CIADDR);
        if (i >= 0 && dhcps_owned_by((unsigned)i, &id) && dhcps_leases[i].state != LEASE_FREE &&
            (!r.has_server_id || memcmp(r.server_id, fw_config.ip, 4) == 0)) {
            dhcps_leases[i].state = LEASE_FREE;
            dhcps_leases[i].t = now;
        } else {
            dhcps_stats.ignored++;
        }
        break;
    case DHCPINFORM:     /* RFC 2131 4.3.5: configuration only, no lease */
        dhcps_stats.inform++;
        dhcps_reply(p, hdr, &r, DHCPACK, NULL, false);
        break;
    default:             /* server-to-client types or unknown: not for us */
        dhcps_stats.malformed++;
        break;
    }
    pbuf_free(p);
}

/* lwIP's netif status callback (a list: mdns.c listens too): a link-up
 * starts a new "who is on the link" period for the pool-full rule. */
static void dhcps_netif_changed(struct netif *netif, netif_nsc_reason_t reason,
                                const netif_ext_callback_args_t *args)
{
    (void)netif;
    if ((reason & LWIP_NSC_LINK_CHANGED) != 0u && args != NULL && args->link_changed.state != 0u) {
        dhcps_link_s = dhcps_clock();
    }
}

void dhcps_deinit(void)
{
    netif_remove_ext_callback(&dhcps_netif_cb);
    sys_untimeout(dhcps_tick, NULL);   /* no-op if it is not running */
    if (dhcps_pcb != NULL) {
        udp_remove(dhcps_pcb);
        dhcps_pcb = NULL;
    }
}

void dhcps_init(void)
{
    dhcps_deinit();   /* a restart must not arm a second timer or leave port 67 taken */
    memset(dhcps_leases, 0, sizeof dhcps_leases);
    memset(&dhcps_stats, 0, sizeof dhcps_stats);
    dhcps_secs = 0;
    dhcps_rem_ms = 0;
    dhcps_last_ms = sys_now();
    dhcps_link_s = 0;
    netif_add_ext_callback(&dhcps_netif_cb, dhcps_netif_changed);
    sys_timeout(DHCPS_TICK_MS, dhcps_tick, NULL);
    dhcps_pcb = udp_new();
    if (dhcps_pcb == NULL) {
        return;  /* MEMP_NUM_UDP_PCB too small: a build configuration error */
    }
    if (udp_bind(dhcps_pcb, IP_ANY_TYPE, DHCPS_SERVER_PORT) != ERR_OK) {
        udp_remove(dhcps_pcb);
        dhcps_pcb = NULL;
        return;
    }
    udp_recv(dhcps_pcb, dhcps_recv, NULL);
}
