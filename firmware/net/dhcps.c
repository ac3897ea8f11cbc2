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
 * - Leases are keyed by chaddr (RFC 2131 4.2 allows chaddr when there is no
 *   client identifier; we do not key on option 61 but echo it, RFC 6842).
 * - RAM: the lease table (DHCPS_POOL_SIZE x 12 bytes), the counters, the
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

#include "config.h"
#include "dhcps.h"
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
    uint8_t mac[6];
    uint8_t state;
    uint32_t t;   /* dhcps_secs. OFFERED/BOUND: expiry; FREE/DECLINED: when it became so */
} dhcps_lease_t;

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
        if ((l->state == LEASE_OFFERED || l->state == LEASE_BOUND) && now >= l->t) {
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

static bool dhcps_owned_by(unsigned i, const uint8_t mac[6])
{
    const dhcps_lease_t *l = &dhcps_leases[i];
    return (l->state == LEASE_OFFERED || l->state == LEASE_BOUND || l->state == LEASE_FREE) &&
           memcmp(l->mac, mac, 6) == 0;
}

/* May this client have slot i? Its own, or one nobody holds. */
static bool dhcps_may_have(int i, const uint8_t mac[6])
{
    if (i < 0 || !dhcps_usable((unsigned)i)) {
        return false;
    }
    uint8_t st = dhcps_leases[i].state;
    return dhcps_owned_by((unsigned)i, mac) || st == LEASE_UNUSED || st == LEASE_FREE;
}

static int dhcps_find_mac(const uint8_t mac[6])
{
    for (unsigned i = 0; i < DHCPS_POOL_SIZE; i++) {
        if (dhcps_owned_by(i, mac)) {
            return (int)i;
        }
    }
    return -1;
}

/* Address choice for DISCOVER, RFC 2131 4.3.1: the client's current or
 * previous binding, then its requested address, then a never-used one, then
 * the one expired longest ago. */
static int dhcps_choose(const uint8_t mac[6], const dhcps_req_t *r, uint32_t now)
{
    int i = dhcps_find_mac(mac);
    if (i >= 0) {
        return i;
    }
    if (r->has_req_ip) {
        i = dhcps_slot(r->req_ip);
        if (i >= 0 && dhcps_may_have(i, mac)) {
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
    return best;
}

/* RFC 2131 4.3.1/4.3.2: a client (keyed by chaddr) has one binding. When it
 * is bound to slot i - SELECTING, INIT-REBOOT or RENEW for another address
 * than it held - every other slot it holds (offer, binding, remembered free
 * one) is forgotten, or one MAC could walk through the whole pool. */
static void dhcps_bind(unsigned i, const uint8_t mac[6], uint32_t now)
{
    for (unsigned k = 0; k < DHCPS_POOL_SIZE; k++) {
        if (k != i && dhcps_owned_by(k, mac)) {
            memset(&dhcps_leases[k], 0, sizeof dhcps_leases[k]);   /* LEASE_UNUSED */
        }
    }
    memcpy(dhcps_leases[i].mac, mac, 6);
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

/* type: OFFER, ACK or NAK. yiaddr NULL -> 0. lease: with options 51/58/59
 * (not for INFORM, RFC 2131 Table 3). unicast: to ciaddr, else broadcast. */
static void dhcps_reply(const struct pbuf *req, const uint8_t *hdr, const dhcps_req_t *r,
                        uint8_t type, const uint8_t *yiaddr, bool lease, bool unicast)
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
    if (unicast) {
        IP_ADDR4(&dst, hdr[BOOTP_CIADDR], hdr[BOOTP_CIADDR + 1], hdr[BOOTP_CIADDR + 2],
                 hdr[BOOTP_CIADDR + 3]);
    } else {
        IP_ADDR4(&dst, 255, 255, 255, 255);   /* RFC 2131 4.1: client has no address yet */
    }
    struct netif *nif = ip_current_input_netif() != NULL ? ip_current_input_netif() : netif_default;
    if (nif == NULL || udp_sendto_if(dhcps_pcb, p, &dst, DHCPS_CLIENT_PORT, nif) != ERR_OK) {
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
    dhcps_reply(req, hdr, r, DHCPNAK, NULL, false, false);  /* RFC 2131 4.1: NAK broadcast */
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
                          uint32_t now)
{
    const uint8_t *mac = hdr + BOOTP_CHADDR;
    const uint8_t *ciaddr = hdr + BOOTP_CIADDR;
    uint8_t ip[4];
    int i;

    if (r->has_server_id) {
        /* SELECTING */
        if (memcmp(r->server_id, fw_config.ip, 4) != 0) {
            i = dhcps_find_mac(mac);   /* it took another server's offer */
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
        if (!dhcps_may_have(i, mac)) {
            dhcps_nak(p, hdr, r);
            return;
        }
        dhcps_bind((unsigned)i, mac, now);
        dhcps_pool_addr((unsigned)i, ip);
        dhcps_reply(p, hdr, r, DHCPACK, ip, true, false);
        return;
    }
    if (r->has_req_ip && dhcps_zero4(ciaddr)) {
        /* INIT-REBOOT: NAK a wrong subnet or an address that is not ours to give */
        i = dhcps_slot(r->req_ip);
        if (!dhcps_same_subnet(r->req_ip) || !dhcps_may_have(i, mac)) {
            dhcps_nak(p, hdr, r);
            return;
        }
        dhcps_bind((unsigned)i, mac, now);
        dhcps_reply(p, hdr, r, DHCPACK, r->req_ip, true, false);
        return;
    }
    if (!dhcps_zero4(ciaddr)) {
        /* RENEWING (unicast) or REBINDING (broadcast): extend or NAK */
        i = dhcps_slot(ciaddr);
        if (!dhcps_may_have(i, mac)) {
            dhcps_nak(p, hdr, r);
            return;
        }
        dhcps_bind((unsigned)i, mac, now);
        dhcps_reply(p, hdr, r, DHCPACK, ciaddr, true, true);
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
    uint32_t now = dhcps_sweep();
    const uint8_t *mac = hdr + BOOTP_CHADDR;
    int i;
    uint8_t ip[4];

    switch (r.type) {
    case DHCPDISCOVER:   /* RFC 2131 4.3.1 */
        dhcps_stats.discover++;
        i = dhcps_choose(mac, &r, now);
        if (i < 0) {
            dhcps_stats.pool_exhausted++;
            break;
        }
        if (dhcps_leases[i].state != LEASE_BOUND || !dhcps_owned_by((unsigned)i, mac)) {
            memcpy(dhcps_leases[i].mac, mac, 6);
            dhcps_leases[i].state = LEASE_OFFERED;
            dhcps_leases[i].t = now + DHCPS_OFFER_HOLD_S;
        }
        dhcps_pool_addr((unsigned)i, ip);
        dhcps_reply(p, hdr, &r, DHCPOFFER, ip, true, false);
        break;
    case DHCPREQUEST:
        dhcps_stats.request++;
        dhcps_request(p, hdr, &r, now);
        break;
    case DHCPDECLINE:    /* RFC 2131 4.3.3: the address is in use on the wire */
        dhcps_stats.decline++;
        i = r.has_req_ip ? dhcps_slot(r.req_ip) : -1;
        if (i >= 0 && dhcps_owned_by((unsigned)i, mac) &&
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
        if (i >= 0 && dhcps_owned_by((unsigned)i, mac) && dhcps_leases[i].state != LEASE_FREE &&
            (!r.has_server_id || memcmp(r.server_id, fw_config.ip, 4) == 0)) {
            dhcps_leases[i].state = LEASE_FREE;
            dhcps_leases[i].t = now;
        } else {
            dhcps_stats.ignored++;
        }
        break;
    case DHCPINFORM:     /* RFC 2131 4.3.5: configuration only, no lease */
        dhcps_stats.inform++;
        dhcps_reply(p, hdr, &r, DHCPACK, NULL, false, !dhcps_zero4(hdr + BOOTP_CIADDR));
        break;
    default:             /* server-to-client types or unknown: not for us */
        dhcps_stats.malformed++;
        break;
    }
    pbuf_free(p);
}

void dhcps_deinit(void)
{
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
