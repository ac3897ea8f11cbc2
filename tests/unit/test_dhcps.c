/*
 * test_dhcps.c - the DHCP server (firmware/net/dhcps.c) through lwIP, byte
 * level: raw Ethernet frames in through the harness netif, replies parsed
 * from the captured frames. Requests are written here from RFC 2131/2132
 * in the option orders three real clients use (busybox udhcpc, ISC
 * dhclient, systemd-networkd); no captured packets are copied.
 * Every test ends with the pools clean (harness_assert_pools_clean, then
 * harness_teardown checks against the state right after lwip_init()).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"
#include "dhcps.h"
#include "fake_board.h"
#include "ident.h"
#include "lwip_harness.h"
#include "lwip/netif.h"
#include "lwip/stats.h"
#include "net.h"
#include "stm32net_opt.h"

static const uint8_t BCAST_MAC[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t ZERO4[4] = {0, 0, 0, 0};
static const uint8_t BCAST_IP[4] = {255, 255, 255, 255};
static const uint8_t DEV_IP[4] = {192, 168, 7, 1};
static const uint8_t IP2[4] = {192, 168, 7, 2};
static const uint8_t IP3[4] = {192, 168, 7, 3};
static const uint8_t OTHER_SERVER[4] = {192, 168, 7, 99};

static const uint8_t MAC_A[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0a};
static const uint8_t MAC_B[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0b};
static const uint8_t MAC_C[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0c};
static const uint8_t MAC_D[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0d};
static const uint8_t MAC_E[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0e};
static const uint8_t MAC_F[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0f};
static const uint8_t MAC_G[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x10};
static const uint8_t MAC_H[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x11};

enum { DISCOVER = 1, OFFER, REQUEST, DECLINE, ACK, NAK, RELEASE, INFORM };
enum { UDHCPC, DHCLIENT, SYSTEMD };

/* ------------------------------------------------------------ building requests */

typedef struct {
    uint8_t b[1024];
    uint16_t n;
} opts_t;

static void o_add(opts_t *o, uint8_t code, uint8_t len, const void *data)
{
    assert_true(o->n + 2u + len <= sizeof o->b);
    o->b[o->n++] = code;
    o->b[o->n++] = len;
    memcpy(o->b + o->n, data, len);
    o->n = (uint16_t)(o->n + len);
}

static void o_u8(opts_t *o, uint8_t code, uint8_t v) { o_add(o, code, 1, &v); }

static void o_raw(opts_t *o, const uint8_t *data, uint16_t len)
{
    assert_true(o->n + len <= sizeof o->b);
    memcpy(o->b + o->n, data, len);
    o->n = (uint16_t)(o->n + len);
}

/* BOOTP fixed part (RFC 2131 Figure 1), magic cookie, options as given. */
static uint16_t mk_bootp(uint8_t *m, uint8_t op, const uint8_t mac[6], uint32_t xid,
                         uint16_t flags, const uint8_t ciaddr[4], const opts_t *o,
                         uint16_t pad_to)
{
    memset(m, 0, 1200);
    m[0] = op;
    m[1] = 1;
    m[2] = 6;
    m[4] = (uint8_t)(xid >> 24);
    m[5] = (uint8_t)(xid >> 16);
    m[6] = (uint8_t)(xid >> 8);
    m[7] = (uint8_t)xid;
    m[10] = (uint8_t)(flags >> 8);
    m[11] = (uint8_t)flags;
    memcpy(m + 12, ciaddr, 4);
    memcpy(m + 28, mac, 6);
    m[236] = 99;
    m[237] = 130;
    m[238] = 83;
    m[239] = 99;
    memcpy(m + 240, o->b, o->n);
    uint16_t n = (uint16_t)(240u + o->n);
    return n < pad_to ? pad_to : n;
}

/* The message a client of the given kind sends, options in its order. */
static uint16_t client_msg(int kind, uint8_t type, const uint8_t mac[6], uint32_t xid,
                           const uint8_t *req_ip, const uint8_t *server_id,
                           const uint8_t ciaddr[4], uint8_t *m)
{
    opts_t o = {.n = 0};
    uint8_t cid[16];
    const uint8_t max_size[2] = {0x02, 0x40};  /* 576 */
    uint16_t pad = 0, flags = 0;

    switch (kind) {
    case UDHCPC: {  /* 53, 61, 50?, 54?, 57, 55, 60, 12 */
        static const uint8_t prl[] = {1, 3, 6, 12, 15, 28, 42};
        o_u8(&o, 53, type);
        cid[0] = 1;
        memcpy(cid + 1, mac, 6);
        o_add(&o, 61, 7, cid);
        if (req_ip != NULL) {
            o_add(&o, 50, 4, req_ip);
        }
        if (server_id != NULL) {
            o_add(&o, 54, 4, server_id);
        }
        o_add(&o, 57, 2, max_size);
        o_add(&o, 55, sizeof prl, prl);
        o_add(&o, 60, 12, "udhcp 1.35.0");
        o_add(&o, 12, 4, "host");
        pad = 300;
        break;
    }
    case DHCLIENT: {  /* 53, 54?, 50?, 12, 55 */
        static const uint8_t prl[] = {1, 28, 2, 3, 15, 6, 119, 12, 44, 47, 26, 121, 42};
        o_u8(&o, 53, type);
        if (server_id != NULL) {
            o_add(&o, 54, 4, server_id);
        }
        if (req_ip != NULL) {
            o_add(&o, 50, 4, req_ip);
        }
        o_add(&o, 12, 6, "laptop");
        o_add(&o, 55, sizeof prl, prl);
        pad = 300;
        break;
    }
    default: {  /* systemd-networkd: 53, 57, 61, 54?, 50?, 12, 55; broadcast flag off */
        static const uint8_t prl[] = {1, 3, 6, 12, 15, 28, 42, 119, 121, 249, 252};
        o_u8(&o, 53, type);
        o_add(&o, 57, 2, max_size);
        cid[0] = 255;                             /* RFC 4361: IAID + DUID-LL */
        memcpy(cid + 1, "\x12\x34\x56\x78\x00\x03\x00\x01", 8);
        memcpy(cid + 9, mac, 6);
        o_add(&o, 61, 15, cid);
        if (server_id != NULL) {
            o_add(&o, 54, 4, server_id);
        }
        if (req_ip != NULL) {
            o_add(&o, 50, 4, req_ip);
        }
        o_add(&o, 12, 2, "sd");
        o_add(&o, 55, sizeof prl, prl);
        flags = 0;
        break;
    }
    }
    if (kind == DHCLIENT) {
        flags = 0x8000;   /* exercise the copied flags field */
    }
    uint8_t end = 255;
    o_raw(&o, &end, 1);
    return mk_bootp(m, 1, mac, xid, flags, ciaddr, &o, pad);
}

static uint8_t dev_mac[6];

/* Sends a DHCP payload the way a client would: from 0.0.0.0 broadcast, or
 * from its address to the device (unicast) when src_ip is set. */
static void send_dhcp(const uint8_t mac[6], const uint8_t src_ip[4], const uint8_t dst_ip[4],
                      const uint8_t *payload, uint16_t plen)
{
    static uint8_t frame[1600];
    const uint8_t *dmac = memcmp(dst_ip, BCAST_IP, 4) == 0 ? BCAST_MAC : dev_mac;
    uint16_t n = harness_build_udp(frame, sizeof frame, mac, dmac, src_ip, dst_ip, 68, 67,
                                   payload, plen);
    assert_true(n > 0);
    harness_input(frame, n);
}

static void send_bcast(const uint8_t mac[6], const uint8_t *payload, uint16_t plen)
{
    send_dhcp(mac, ZERO4, BCAST_IP, payload, plen);
}

/* ------------------------------------------------------------ reading replies */

typedef struct {
    const uint8_t *m;
    uint16_t len;
    uint8_t dst_mac[6], src_ip[4], dst_ip[4];
    uint16_t sport, dport;
    int off[256];          /* option data offset in m, -1 if absent */
    uint8_t olen[256];
    uint8_t order[64];
    unsigned norder;
} reply_t;

/* Exactly one frame went out; parse it as DHCP (strictly: a server bug fails). */
static void get_reply(reply_t *r)
{
    uint16_t fl;
    assert_int_equal(harness_out_count(), 1);
    const uint8_t *f = harness_out(0, &fl);
    assert_non_null(f);
    r->m = harness_parse_udp(f, fl, r->dst_mac, r->src_ip, r->dst_ip, &r->sport, &r->dport,
                             &r->len);
    assert_non_null(r->m);
    assert_true(r->len >= 300);              /* RFC 1542 minimum */
    assert_int_equal(r->sport, 67);
    assert_int_equal(r->dport, 68);
    assert_memory_equal(r->src_ip, DEV_IP, 4);
    assert_memory_equal(f + 6, dev_mac, 6);
    assert_int_equal(r->m[0], 2);
    assert_int_equal(r->m[1], 1);
    assert_int_equal(r->m[2], 6);
    assert_memory_equal(r->m + 236, "\x63\x82\x53\x63", 4);
    for (unsigned i = 0; i < 256; i++) {
        r->off[i] = -1;
    }
    r->norder = 0;
    unsigned o = 240;
    bool ended = false;
    while (o < r->len) {
        uint8_t c = r->m[o];
        if (c == 255) {
            ended = true;
            break;
        }
        assert_int_not_equal(c, 0);            /* we never pad between options */
        assert_true(o + 2u <= r->len);
        uint8_t l = r->m[o + 1];
        assert_true(o + 2u + l <= r->len);
        assert_int_equal(r->off[c], -1);       /* no option twice */
        r->off[c] = (int)(o + 2u);
        r->olen[c] = l;
        assert_true(r->norder < 64);
        r->order[r->norder++] = c;
        o += 2u + l;
    }
    assert_true(ended);
    harness_out_clear();
}

static uint32_t opt32(const reply_t *r, uint8_t c)
{
    assert_int_not_equal(r->off[c], -1);
    assert_int_equal(r->olen[c], 4);
    const uint8_t *p = r->m + r->off[c];
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void assert_opt(const reply_t *r, uint8_t c, const void *want, uint8_t len)
{
    assert_int_not_equal(r->off[c], -1);
    assert_int_equal(r->olen[c], len);
    assert_memory_equal(r->m + r->off[c], want, len);
}

/* The checks every OFFER/ACK/NAK must pass. lease: 51/58/59 expected. */
static void check_reply(const reply_t *r, uint8_t type, uint32_t xid, const uint8_t mac[6],
                        const uint8_t yiaddr[4], bool lease)
{
    uint8_t x[4] = {(uint8_t)(xid >> 24), (uint8_t)(xid >> 16), (uint8_t)(xid >> 8), (uint8_t)xid};
    assert_memory_equal(r->m + 4, x, 4);
    assert_memory_equal(r->m + 28, mac, 6);
    assert_memory_equal(r->m + 34, "\0\0\0\0\0\0\0\0\0\0", 10);
    assert_memory_equal(r->m + 16, yiaddr, 4);
    assert_memory_equal(r->m + 24, ZERO4, 4);  /* giaddr copied (0) */
    assert_int_equal(r->order[0], 53);
    assert_opt(r, 53, &type, 1);
    assert_opt(r, 54, DEV_IP, 4);
    assert_int_equal(r->off[3], -1);           /* DHCPS_OFFER_ROUTER is off: no router */
    if (type == NAK) {
        assert_int_equal(r->off[51], -1);
        assert_int_equal(r->off[1], -1);
        assert_memory_equal(r->dst_ip, BCAST_IP, 4);
        assert_memory_equal(r->dst_mac, BCAST_MAC, 6);
        return;
    }
    if (lease) {
        assert_int_equal(opt32(r, 51), 3600);
        assert_int_equal(opt32(r, 58), 1800);
        assert_int_equal(opt32(r, 59), 3150);
    } else {
        assert_int_equal(r->off[51], -1);
        assert_int_equal(r->off[58], -1);
        assert_int_equal(r->off[59], -1);
    }
    assert_opt(r, 1, "\xff\xff\xff\x00", 4);
    assert_opt(r, 6, DEV_IP, 4);
    assert_opt(r, 15, "usb", 3);
}

static void check_bcast(const reply_t *r)
{
    assert_memory_equal(r->dst_ip, BCAST_IP, 4);
    assert_memory_equal(r->dst_mac, BCAST_MAC, 6);
}

/* RFC 2131 4.1 for a client without an address: broadcast if it set the
 * broadcast bit (dhclient's profile here), else unicast to its chaddr and
 * yiaddr - without an ARP request first (it could not answer one). */
static void check_to_client(const reply_t *r, int kind, const uint8_t mac[6],
                            const uint8_t yiaddr[4])
{
    if (kind == DHCLIENT) {
        check_bcast(r);
    } else {
        assert_memory_equal(r->dst_ip, yiaddr, 4);
        assert_memory_equal(r->dst_mac, mac, 6);
    }
}

/* Unicast to the client's address and MAC (RFC 2131 4.1: ciaddr set). */
static void check_unicast(const reply_t *r, const uint8_t ip[4], const uint8_t mac[6])
{
    assert_memory_equal(r->dst_ip, ip, 4);
    assert_memory_equal(r->dst_mac, mac, 6);
}

static void expect_no_reply(void)
{
    assert_int_equal(harness_out_count(), 0);
}

/* ------------------------------------------------------------ exchanges */

static uint8_t msg[1200];

/* A DISCOVER (asking for req_ip unless NULL) that must be answered with an
 * OFFER of want, broadcast. */
static void discover_offer(int kind, const uint8_t mac[6], uint32_t xid, const uint8_t *req_ip,
                           const uint8_t want[4])
{
    reply_t r;
    uint16_t n = client_msg(kind, DISCOVER, mac, xid, req_ip, NULL, ZERO4, msg);
    send_bcast(mac, msg, n);
    get_reply(&r);
    check_reply(&r, OFFER, xid, mac, want, true);
    check_to_client(&r, kind, mac, want);
    assert_memory_equal(r.m + 12, ZERO4, 4);   /* ciaddr 0 in OFFER */
}

/* DISCOVER/OFFER/REQUEST/ACK for one client that gets want. */
static void dora(int kind, const uint8_t mac[6], uint32_t xid, const uint8_t want[4])
{
    reply_t r;
    discover_offer(kind, mac, xid, NULL, want);

    uint16_t n = client_msg(kind, REQUEST, mac, xid, want, DEV_IP, ZERO4, msg);
    send_bcast(mac, msg, n);
    get_reply(&r);
    check_reply(&r, ACK, xid, mac, want, true);
    check_to_client(&r, kind, mac, want);
    harness_assert_pools_clean();
}

static void dora_profile(int kind)
{
    reply_t r;
    uint16_t n = client_msg(kind, DISCOVER, MAC_A, 0x11223344, NULL, NULL, ZERO4, msg);
    send_bcast(MAC_A, msg, n);
    get_reply(&r);
    check_reply(&r, OFFER, 0x11223344, MAC_A, IP2, true);
    check_to_client(&r, kind, MAC_A, IP2);
    /* flags copied (RFC 2131 4.1), client id echoed (RFC 6842) */
    assert_int_equal(r.m[10], kind == DHCLIENT ? 0x80 : 0x00);
    if (kind != DHCLIENT) {
        assert_int_not_equal(r.off[61], -1);
        assert_memory_equal(r.m + r.off[61] + r.olen[61] - 6, MAC_A, 6);
    } else {
        assert_int_equal(r.off[61], -1);
    }
    harness_assert_pools_clean();

    n = client_msg(kind, REQUEST, MAC_A, 0x11223344, IP2, DEV_IP, ZERO4, msg);
    send_bcast(MAC_A, msg, n);
    get_reply(&r);
    check_reply(&r, ACK, 0x11223344, MAC_A, IP2, true);
    check_to_client(&r, kind, MAC_A, IP2);

    uint8_t mac[6], ip[4];
    uint32_t left = 0;
    assert_true(dhcps_lease_get(0, mac, ip, &left));
    assert_memory_equal(mac, MAC_A, 6);
    assert_memory_equal(ip, IP2, 4);
    assert_int_equal(left, 3600);
    assert_false(dhcps_lease_get(1, mac, ip, &left));
    assert_int_equal(dhcps_stats.discover, 1);
    assert_int_equal(dhcps_stats.offer, 1);
    assert_int_equal(dhcps_stats.request, 1);
    assert_int_equal(dhcps_stats.ack, 1);
    assert_int_equal(dhcps_stats.malformed, 0);
    harness_assert_pools_clean();
}

static void test_dora_udhcpc(void **s) { (void)s; dora_profile(UDHCPC); }
static void test_dora_dhclient(void **s) { (void)s; dora_profile(DHCLIENT); }
static void test_dora_systemd(void **s) { (void)s; dora_profile(SYSTEMD); }

static void test_same_client_same_address(void **s)
{
    (void)s;
    dora(UDHCPC, MAC_A, 1, IP2);
    dora(SYSTEMD, MAC_B, 2, IP3);
    dora(UDHCPC, MAC_A, 3, IP2);     /* again: the same binding */
    dora(SYSTEMD, MAC_B, 4, IP3);
    /* after the lease ran out it is still remembered for the same client */
    harness_advance_ms(3601u * 1000u);
    dora(SYSTEMD, MAC_B, 5, IP3);
    dora(UDHCPC, MAC_A, 6, IP2);
}

static void test_discover_honours_requested_address(void **s)
{
    (void)s;
    const uint8_t want[4] = {192, 168, 7, 4};
    discover_offer(DHCLIENT, MAC_A, 9, want, want);
    /* outside the pool: ignored, a pool address is offered instead */
    const uint8_t off_pool[4] = {192, 168, 7, 77};
    discover_offer(DHCLIENT, MAC_B, 10, off_pool, IP2);
    harness_assert_pools_clean();
}

static void test_renew_unicast(void **s)
{
    (void)s;
    reply_t r;
    dora(DHCLIENT, MAC_A, 1, IP2);
    harness_arp_seed(IP2, MAC_A);
    /* RENEWING: ciaddr set, no 50/54, unicast to the server (RFC 2131 4.3.2) */
    uint16_t n = client_msg(DHCLIENT, REQUEST, MAC_A, 0x77, NULL, NULL, IP2, msg);
    send_dhcp(MAC_A, IP2, DEV_IP, msg, n);
    get_reply(&r);
    check_reply(&r, ACK, 0x77, MAC_A, IP2, true);
    check_unicast(&r, IP2, MAC_A);      /* unicast to ciaddr */
    assert_memory_equal(r.m + 12, IP2, 4);       /* ciaddr echoed in ACK */
    harness_assert_pools_clean();
}

/* A unicast ACK (RENEW, INFORM) to a client lwIP's ARP table does not know
 * yet: lwIP must ask for it first (RFC 826), keep the ACK, and send it once
 * the host answers - no reply lost, no pbuf leaked. */
static void test_unicast_ack_waits_for_arp(void **s)
{
    (void)s;
    reply_t r;
    dora(DHCLIENT, MAC_A, 1, IP2);          /* broadcast exchange: no ARP entry for IP2 */
    uint16_t n = client_msg(DHCLIENT, REQUEST, MAC_A, 0x7a, NULL, NULL, IP2, msg);
    send_dhcp(MAC_A, IP2, DEV_IP, msg, n);
    assert_int_equal(harness_out_count(), 1);
    harness_assert_arp_request(0, IP2);
    harness_out_clear();
    assert_int_equal(dhcps_stats.ack, 2);   /* handed to lwIP, waiting for the address */
    harness_arp_reply(IP2, MAC_A);
    get_reply(&r);
    check_reply(&r, ACK, 0x7a, MAC_A, IP2, true);
    check_unicast(&r, IP2, MAC_A);
    assert_memory_equal(r.m + 12, IP2, 4);
    harness_assert_pools_clean();

    /* INFORM from a statically configured host nobody has heard of yet */
    const uint8_t static_ip[4] = {192, 168, 7, 60};
    opts_t o = {.n = 0};
    o_u8(&o, 53, INFORM);
    o_raw(&o, (const uint8_t *)"\xff", 1);
    n = mk_bootp(msg, 1, MAC_C, 0x7b, 0, static_ip, &o, 300);
    send_dhcp(MAC_C, static_ip, DEV_IP, msg, n);
    assert_int_equal(harness_out_count(), 1);
    harness_assert_arp_request(0, static_ip);
    harness_out_clear();
    harness_arp_reply(static_ip, MAC_C);
    get_reply(&r);
    check_reply(&r, ACK, 0x7b, MAC_C, ZERO4, false);
    check_unicast(&r, static_ip, MAC_C);
    harness_assert_pools_clean();
}

static void test_rebind(void **s)
{
    (void)s;
    reply_t r;
    dora(SYSTEMD, MAC_A, 1, IP2);
    harness_arp_seed(IP2, MAC_A);
    /* REBINDING: ciaddr set, broadcast */
    uint16_t n = client_msg(SYSTEMD, REQUEST, MAC_A, 0x78, NULL, NULL, IP2, msg);
    send_dhcp(MAC_A, IP2, BCAST_IP, msg, n);
    get_reply(&r);
    check_reply(&r, ACK, 0x78, MAC_A, IP2, true);
    assert_memory_equal(r.dst_ip, IP2, 4);

    /* another client rebinding A's address: NAK, broadcast */
    n = client_msg(SYSTEMD, REQUEST, MAC_B, 0x79, NULL, NULL, IP2, msg);
    send_dhcp(MAC_B, IP2, BCAST_IP, msg, n);
    get_reply(&r);
    check_reply(&r, NAK, 0x79, MAC_B, ZERO4, false);
    assert_memory_equal(r.m + 12, ZERO4, 4);
    assert_int_equal(dhcps_stats.nak, 1);
    harness_assert_pools_clean();
}

static void test_init_reboot(void **s)
{
    (void)s;
    reply_t r;
    const uint8_t wrong_net[4] = {10, 0, 0, 5};
    dora(DHCLIENT, MAC_A, 1, IP2);

    /* wrong subnet -> NAK (RFC 2131 4.3.2 INIT-REBOOT) */
    uint16_t n = client_msg(DHCLIENT, REQUEST, MAC_A, 0x20, wrong_net, NULL, ZERO4, msg);
    send_bcast(MAC_A, msg, n);
    get_reply(&r);
    check_reply(&r, NAK, 0x20, MAC_A, ZERO4, false);
    assert_int_equal(r.norder, 2);               /* 53, 54 only */

    /* another client's address -> NAK */
    n = client_msg(UDHCPC, REQUEST, MAC_B, 0x21, IP2, NULL, ZERO4, msg);
    send_bcast(MAC_B, msg, n);
    get_reply(&r);
    check_reply(&r, NAK, 0x21, MAC_B, ZERO4, false);

    /* the device's own address, in the subnet but not in the pool -> NAK */
    n = client_msg(UDHCPC, REQUEST, MAC_B, 0x22, DEV_IP, NULL, ZERO4, msg);
    send_bcast(MAC_B, msg, n);
    get_reply(&r);
    check_reply(&r, NAK, 0x22, MAC_B, ZERO4, false);

    /* its own address -> ACK */
    n = client_msg(DHCLIENT, REQUEST, MAC_A, 0x23, IP2, NULL, ZERO4, msg);
    send_bcast(MAC_A, msg, n);
    get_reply(&r);
    check_reply(&r, ACK, 0x23, MAC_A, IP2, true);
    check_bcast(&r);
    assert_int_equal(dhcps_stats.nak, 3);
    harness_assert_pools_clean();
}

/* Bound slots held by mac (dhcps_lease_get sees only bound, unexpired ones). */
static unsigned bound_slots(const uint8_t want_mac[6], uint8_t last_ip[4])
{
    unsigned k = 0;
    for (unsigned i = 0; i < DHCPS_POOL_SIZE; i++) {
        uint8_t mac[6], ip[4];
        uint32_t left;
        if (dhcps_lease_get(i, mac, ip, &left) && memcmp(mac, want_mac, 6) == 0) {
            k++;
            memcpy(last_ip, ip, 4);
        }
    }
    return k;
}

/* RFC 2131 4.3.1/4.3.2, a client without option 61 is its chaddr: one MAC
 * holds one binding.
 * INIT-REBOOT, SELECTING and RENEWING for other free addresses move it, they
 * do not collect more addresses; the other clients still get the rest. */
static void test_one_binding_per_client(void **s)
{
    (void)s;
    reply_t r;
    uint8_t ip[4];
    const uint8_t ips[3][4] = {{192, 168, 7, 3}, {192, 168, 7, 4}, {192, 168, 7, 5}};
    dora(DHCLIENT, MAC_A, 1, IP2);
    assert_int_equal(bound_slots(MAC_A, ip), 1);

    for (unsigned k = 0; k < 3; k++) {   /* INIT-REBOOT for .3, .4, .5 */
        uint16_t n = client_msg(DHCLIENT, REQUEST, MAC_A, 0x100 + k, ips[k], NULL, ZERO4, msg);
        send_bcast(MAC_A, msg, n);
        get_reply(&r);
        check_reply(&r, ACK, 0x100 + k, MAC_A, ips[k], true);
        assert_int_equal(bound_slots(MAC_A, ip), 1);
        assert_memory_equal(ip, ips[k], 4);
    }
    /* SELECTING for yet another address (.3, free again) */
    uint16_t n = client_msg(DHCLIENT, REQUEST, MAC_A, 0x110, IP3, DEV_IP, ZERO4, msg);
    send_bcast(MAC_A, msg, n);
    get_reply(&r);
    check_reply(&r, ACK, 0x110, MAC_A, IP3, true);
    assert_int_equal(bound_slots(MAC_A, ip), 1);
    assert_memory_equal(ip, IP3, 4);

    /* RENEWING from yet another (free) address, .5 */
    harness_arp_seed(ips[2], MAC_A);
    n = client_msg(DHCLIENT, REQUEST, MAC_A, 0x115, NULL, NULL, ips[2], msg);
    send_dhcp(MAC_A, ips[2], DEV_IP, msg, n);
    get_reply(&r);
    check_reply(&r, ACK, 0x115, MAC_A, ips[2], true);
    assert_int_equal(bound_slots(MAC_A, ip), 1);
    assert_memory_equal(ip, ips[2], 4);

    /* a DISCOVER of A's gets its one binding back, not an old slot */
    discover_offer(DHCLIENT, MAC_A, 0x111, NULL, ips[2]);

    /* the rest of the pool is free for others */
    discover_offer(SYSTEMD, MAC_B, 0x112, NULL, IP2);
    dora(UDHCPC, MAC_C, 0x113, IP3);
    dora(UDHCPC, MAC_D, 0x114, ips[1]);
    assert_int_equal(dhcps_stats.pool_exhausted, 0);
    assert_int_equal(bound_slots(MAC_A, ip), 1);
    harness_assert_pools_clean();
}

static void test_request_for_other_server(void **s)
{
    (void)s;
    uint8_t mac[6], ip[4];
    uint32_t left;
    discover_offer(UDHCPC, MAC_A, 0x30, NULL, IP2);

    uint16_t n = client_msg(UDHCPC, REQUEST, MAC_A, 0x30, IP2, OTHER_SERVER, ZERO4, msg);
    send_bcast(MAC_A, msg, n);
    expect_no_reply();
    assert_int_equal(dhcps_stats.ignored, 1);
    assert_false(dhcps_lease_get(0, mac, ip, &left));
    /* the forgotten offer is free for someone else who asks for it */
    discover_offer(DHCLIENT, MAC_B, 0x31, IP2, IP2);
    harness_assert_pools_clean();
}

static void test_release_then_rediscover(void **s)
{
    (void)s;
    uint8_t mac[6], ip[4];
    uint32_t left;
    opts_t o = {.n = 0};
    dora(UDHCPC, MAC_A, 1, IP2);
    dora(UDHCPC, MAC_B, 2, IP3);
    assert_true(dhcps_lease_get(0, mac, ip, &left));

    /* RFC 2131 4.4.6: ciaddr = the address, 53 + 54, unicast; the same
     * client identifier as before (4.2), as udhcpc sends it */
    uint8_t cid[7] = {1};
    memcpy(cid + 1, MAC_A, 6);
    o_u8(&o, 53, RELEASE);
    o_add(&o, 54, 4, DEV_IP);
    o_add(&o, 61, 7, cid);
    o_raw(&o, (const uint8_t *)"\xff", 1);
    uint16_t n = mk_bootp(msg, 1, MAC_A, 0x40, 0, IP2, &o, 300);
    send_dhcp(MAC_A, IP2, DEV_IP, msg, n);
    expect_no_reply();
    assert_int_equal(dhcps_stats.release, 1);
    assert_false(dhcps_lease_get(0, mac, ip, &left));
    assert_true(dhcps_lease_get(1, mac, ip, &left));

    /* B releasing A's (already free) address changes nothing */
    o.n = 0;
    memcpy(cid + 1, MAC_B, 6);
    o_u8(&o, 53, RELEASE);
    o_add(&o, 54, 4, DEV_IP);
    o_add(&o, 61, 7, cid);
    o_raw(&o, (const uint8_t *)"\xff", 1);
    n = mk_bootp(msg, 1, MAC_B, 0x41, 0, IP2, &o, 300);
    send_dhcp(MAC_B, IP2, DEV_IP, msg, n);
    expect_no_reply();
    assert_int_equal(dhcps_stats.ignored, 1);
    assert_true(dhcps_lease_get(1, mac, ip, &left));

    dora(UDHCPC, MAC_A, 3, IP2);     /* the released address comes back to A */
}

static void test_decline(void **s)
{
    (void)s;
    reply_t r;
    uint8_t mac[6], ip[4];
    uint32_t left;
    opts_t o = {.n = 0};
    dora(DHCLIENT, MAC_A, 1, IP2);

    /* RFC 2131 4.4.4: ciaddr 0, 50 = the address in use, 54 */
    o_u8(&o, 53, DECLINE);
    o_add(&o, 50, 4, IP2);
    o_add(&o, 54, 4, DEV_IP);
    o_raw(&o, (const uint8_t *)"\xff", 1);
    uint16_t n = mk_bootp(msg, 1, MAC_A, 0x50, 0, ZERO4, &o, 300);
    send_bcast(MAC_A, msg, n);
    expect_no_reply();
    assert_int_equal(dhcps_stats.decline, 1);
    assert_false(dhcps_lease_get(0, mac, ip, &left));

    /* not offered again, not even when asked for */
    discover_offer(DHCLIENT, MAC_A, 0x51, IP2, IP3);
    n = client_msg(UDHCPC, REQUEST, MAC_B, 0x52, IP2, NULL, ZERO4, msg);
    send_bcast(MAC_B, msg, n);
    get_reply(&r);
    check_reply(&r, NAK, 0x52, MAC_B, ZERO4, false);

    /* withheld for DHCPS_DECLINE_HOLD_S (the lease time), then usable again */
    harness_advance_ms(3600u * 1000u + 1000u);
    dora(UDHCPC, MAC_B, 0x53, IP2);
}

static void test_inform(void **s)
{
    (void)s;
    reply_t r;
    const uint8_t static_ip[4] = {192, 168, 7, 50};
    static const uint8_t prl[] = {1, 3, 6, 15};
    opts_t o = {.n = 0};
    harness_arp_seed(static_ip, MAC_C);
    o_u8(&o, 53, INFORM);
    o_add(&o, 55, sizeof prl, prl);
    o_raw(&o, (const uint8_t *)"\xff", 1);
    uint16_t n = mk_bootp(msg, 1, MAC_C, 0x60, 0, static_ip, &o, 0);
    send_dhcp(MAC_C, static_ip, DEV_IP, msg, n);
    get_reply(&r);
    check_reply(&r, ACK, 0x60, MAC_C, ZERO4, false);   /* yiaddr 0, no lease */
    check_unicast(&r, static_ip, MAC_C);
    assert_memory_equal(r.m + 12, static_ip, 4);
    assert_int_equal(dhcps_stats.inform, 1);
    uint8_t mac[6], ip[4];
    uint32_t left;
    for (unsigned i = 0; i < DHCPS_POOL_SIZE; i++) {
        assert_false(dhcps_lease_get(i, mac, ip, &left));
    }
    harness_assert_pools_clean();
}

static void test_pool_exhaustion(void **s)
{
    (void)s;
    const uint8_t *macs[5] = {MAC_A, MAC_B, MAC_C, MAC_D, MAC_E};
    reply_t r;
    for (unsigned i = 0; i < 4; i++) {
        uint8_t want[4] = {192, 168, 7, (uint8_t)(2 + i)};
        uint16_t n = client_msg((int)(i % 3u), DISCOVER, macs[i], 0x70 + i, NULL, NULL, ZERO4, msg);
        send_bcast(macs[i], msg, n);
        get_reply(&r);
        check_reply(&r, OFFER, 0x70 + i, macs[i], want, true);
    }
    uint16_t n = client_msg(UDHCPC, DISCOVER, MAC_E, 0x80, NULL, NULL, ZERO4, msg);
    send_bcast(MAC_E, msg, n);
    expect_no_reply();
    assert_int_equal(dhcps_stats.pool_exhausted, 1);
    assert_int_equal(dhcps_stats.offer, 4);
    /* offers that are never taken run out; then the pool has room again */
    harness_advance_ms(61u * 1000u);
    n = client_msg(UDHCPC, DISCOVER, MAC_E, 0x81, NULL, NULL, ZERO4, msg);
    send_bcast(MAC_E, msg, n);
    get_reply(&r);
    check_reply(&r, OFFER, 0x81, MAC_E, IP2, true);   /* the oldest expired */
    harness_assert_pools_clean();
}

/* A long request chained over several pool pbufs is read correctly. */
static void test_long_request_over_pbuf_chain(void **s)
{
    (void)s;
    reply_t r;
    opts_t o = {.n = 0};
    uint8_t filler[250];
    memset(filler, 'x', sizeof filler);
    o_add(&o, 12, 250, filler);
    o_add(&o, 60, 250, filler);
    o_add(&o, 43, 200, filler);
    o_u8(&o, 53, DISCOVER);                     /* after the pbuf boundary */
    o_raw(&o, (const uint8_t *)"\xff", 1);
    uint16_t n = mk_bootp(msg, 1, MAC_A, 0x90, 0, ZERO4, &o, 0);
    assert_true(n > 700);
    send_bcast(MAC_A, msg, n);
    get_reply(&r);
    check_reply(&r, OFFER, 0x90, MAC_A, IP2, true);
    harness_assert_pools_clean();
}

/* ------------------------------------------------------------ malformed */

static void expect_dropped(const uint8_t *m, uint16_t n, uint32_t want_malformed)
{
    send_bcast(MAC_A, m, n);
    expect_no_reply();
    assert_int_equal(dhcps_stats.malformed, want_malformed);
    assert_int_equal(dhcps_stats.offer + dhcps_stats.ack + dhcps_stats.nak, 0);
    harness_assert_pools_clean();
}

static uint16_t good_discover(uint8_t *m)
{
    return client_msg(UDHCPC, DISCOVER, MAC_A, 0xa0, NULL, NULL, ZERO4, m);
}

static void test_malformed(void **s)
{
    (void)s;
    uint32_t k = 0;
    uint16_t n;
    opts_t o;

    n = good_discover(msg);
    msg[239] = 0x64;                                   /* bad cookie */
    expect_dropped(msg, n, ++k);

    n = good_discover(msg);
    msg[0] = 2;                                        /* BOOTREPLY */
    expect_dropped(msg, n, ++k);

    n = good_discover(msg);
    msg[1] = 6;                                        /* htype IEEE 802 */
    expect_dropped(msg, n, ++k);

    n = good_discover(msg);
    msg[2] = 16;                                       /* hlen */
    expect_dropped(msg, n, ++k);

    n = good_discover(msg);
    expect_dropped(msg, 100, ++k);                     /* tiny packet */
    expect_dropped(msg, 239, ++k);                     /* cookie cut */

    /* option length beyond the end of the datagram */
    o.n = 0;
    o_u8(&o, 53, DISCOVER);
    o_raw(&o, (const uint8_t *)"\x0c\x40" "abc", 5);   /* 12, len 64, 3 bytes */
    n = mk_bootp(msg, 1, MAC_A, 0xa1, 0, ZERO4, &o, 0);
    expect_dropped(msg, n, ++k);

    /* truncated option: code as the very last byte, no length */
    o.n = 0;
    o_u8(&o, 53, DISCOVER);
    o_raw(&o, (const uint8_t *)"\x37", 1);
    n = mk_bootp(msg, 1, MAC_A, 0xa2, 0, ZERO4, &o, 0);
    expect_dropped(msg, n, ++k);

    /* missing 53 */
    o.n = 0;
    o_add(&o, 12, 4, "host");
    o_raw(&o, (const uint8_t *)"\xff", 1);
    n = mk_bootp(msg, 1, MAC_A, 0xa3, 0, ZERO4, &o, 300);
    expect_dropped(msg, n, ++k);

    /* overload: 53 only in the file field (RFC 2132 9.3), which we never read */
    o.n = 0;
    o_u8(&o, 52, 1);
    o_raw(&o, (const uint8_t *)"\xff", 1);
    n = mk_bootp(msg, 1, MAC_A, 0xa4, 0, ZERO4, &o, 300);
    memcpy(msg + 108, "\x35\x01\x01\xff", 4);
    expect_dropped(msg, n, ++k);

    /* overload claiming sname+file with garbage there, plus an option 52 of bad length */
    o.n = 0;
    o_add(&o, 52, 3, "\x03\x03\x03");
    o_raw(&o, (const uint8_t *)"\xff", 1);
    n = mk_bootp(msg, 1, MAC_A, 0xa5, 0, ZERO4, &o, 300);
    memset(msg + 44, 0x35, 192);
    expect_dropped(msg, n, ++k);

    /* 53 with a wrong length, and a server-to-client type */
    o.n = 0;
    o_add(&o, 53, 2, "\x01\x01");
    o_raw(&o, (const uint8_t *)"\xff", 1);
    n = mk_bootp(msg, 1, MAC_A, 0xa6, 0, ZERO4, &o, 300);
    expect_dropped(msg, n, ++k);
    o.n = 0;
    o_u8(&o, 53, OFFER);
    o_raw(&o, (const uint8_t *)"\xff", 1);
    n = mk_bootp(msg, 1, MAC_A, 0xa7, 0, ZERO4, &o, 300);
    expect_dropped(msg, n, ++k);

    /* requested address / server id of the wrong length */
    o.n = 0;
    o_u8(&o, 53, REQUEST);
    o_add(&o, 50, 3, IP2);
    o_raw(&o, (const uint8_t *)"\xff", 1);
    n = mk_bootp(msg, 1, MAC_A, 0xa8, 0, ZERO4, &o, 300);
    expect_dropped(msg, n, ++k);

    /* REQUEST that fits no client state (no 54, no 50, no ciaddr) */
    o.n = 0;
    o_u8(&o, 53, REQUEST);
    o_raw(&o, (const uint8_t *)"\xff", 1);
    n = mk_bootp(msg, 1, MAC_A, 0xa9, 0, ZERO4, &o, 300);
    expect_dropped(msg, n, ++k);

    assert_int_equal(dhcps_stats.rx, k);
    for (unsigned i = 0; i < DHCPS_POOL_SIZE; i++) {
        uint8_t mac[6], ip[4];
        uint32_t left;
        assert_false(dhcps_lease_get(i, mac, ip, &left));
    }
    /* and the server still works */
    dora(UDHCPC, MAC_A, 0xaa, IP2);
}

/* The ip4_input hook for clients without an address (source 0.0.0.0):
 * checksums and destination are checked as lwIP would, failures dropped. */
static void test_hook_from_zero_address(void **s)
{
    (void)s;
    static uint8_t frame[1600];
    reply_t r;
    uint16_t n = client_msg(UDHCPC, DISCOVER, MAC_A, 0xb0, NULL, NULL, ZERO4, msg);
    uint16_t fl = harness_build_udp(frame, sizeof frame, MAC_A, BCAST_MAC, ZERO4, BCAST_IP, 68, 67,
                                    msg, n);
    uint32_t udp_chkerr = lwip_stats.udp.chkerr, ip_chkerr = lwip_stats.ip.chkerr;

    frame[40] ^= 0x01;                              /* UDP checksum */
    harness_input(frame, fl);
    expect_no_reply();
    assert_int_equal(lwip_stats.udp.chkerr, udp_chkerr + 1);
    frame[40] ^= 0x01;

    frame[24] ^= 0x01;                              /* IP header checksum */
    harness_input(frame, fl);
    expect_no_reply();
    assert_int_equal(lwip_stats.ip.chkerr, ip_chkerr + 1);
    frame[24] ^= 0x01;

    frame[17] = (uint8_t)(frame[17] + 1);           /* IP total length beyond the frame */
    harness_input(frame, fl);
    expect_no_reply();
    frame[17] = (uint8_t)(frame[17] - 1);
    assert_int_equal(dhcps_stats.rx, 0);
    harness_assert_pools_clean();

    /* to some other host's address: not for us */
    const uint8_t other[4] = {192, 168, 7, 77};
    fl = harness_build_udp(frame, sizeof frame, MAC_A, dev_mac, ZERO4, other, 68, 67, msg, n);
    harness_input(frame, fl);
    expect_no_reply();
    assert_int_equal(dhcps_stats.rx, 0);

    /* no UDP checksum (0, RFC 768) and Ethernet padding after the datagram: fine */
    fl = harness_build_udp(frame, sizeof frame, MAC_A, BCAST_MAC, ZERO4, BCAST_IP, 68, 67, msg, n);
    frame[40] = 0;
    frame[41] = 0;
    memset(frame + fl, 0xee, 20);
    harness_input(frame, (uint16_t)(fl + 20));
    get_reply(&r);
    check_reply(&r, OFFER, 0xb0, MAC_A, IP2, true);
    assert_int_equal(dhcps_stats.rx, 1);
    assert_int_equal(dhcps_stats.malformed, 0);
    harness_assert_pools_clean();
}

/* ------------------------------------------------------------ lease ageing */

#define MIN_MS 60000u
#define DAY_MS 86400000ull
#define WRAP_MS 4294967296ull   /* sys_now() is a u32: it wraps every 49.7 days */

/* No DHCP traffic at all: the lease still runs out on time, for the status
 * page (dhcps_lease_get) as for the next client. */
static void test_lease_ages_without_traffic(void **s)
{
    (void)s;
    uint8_t mac[6], ip[4];
    uint32_t left = 0;
    dora(UDHCPC, MAC_A, 0xc0, IP2);
    harness_advance_ms(59u * MIN_MS);
    expect_no_reply();
    assert_true(dhcps_lease_get(0, mac, ip, &left));
    assert_memory_equal(mac, MAC_A, 6);
    assert_memory_equal(ip, IP2, 4);
    assert_in_range(left, 59u, 61u);   /* 3600 s lease, 3540 s gone, whole seconds */
    harness_advance_ms(2u * MIN_MS);
    assert_false(dhcps_lease_get(0, mac, ip, &left));
    assert_int_equal(dhcps_stats.rx, 2);   /* the DORA only: nothing came in since */
    harness_assert_pools_clean();
}

/* A bound lease and exactly one sys_now() wrap (2^32 ms) without a single
 * query: only the periodic timer can have seen the time pass (the u32 ms
 * difference alone reads 0). */
static void test_lease_expires_over_one_clock_wrap(void **s)
{
    (void)s;
    uint8_t mac[6], ip[4];
    uint32_t left;
    dora(SYSTEMD, MAC_A, 0xc1, IP2);
    uint32_t t0 = fake_board_ms;
    harness_advance_steps(WRAP_MS, 10000u);
    assert_int_equal(fake_board_ms, t0);
    assert_false(dhcps_lease_get(0, mac, ip, &left));
    harness_assert_pools_clean();
}

/* An expired lease stays expired however long nothing happens: checked in
 * the window where a signed 32-bit ms difference would make it look valid
 * again (24.8 .. 49.7 days after expiry), after 50 days and after several
 * more wraps; then another client gets the address. */
static void test_expired_lease_stays_expired_across_wraps(void **s)
{
    (void)s;
    reply_t r;
    uint8_t mac[6], ip[4];
    uint32_t left;
    dora(DHCLIENT, MAC_A, 0xc2, IP2);
    harness_advance_ms(61u * MIN_MS);
    harness_advance_steps(36u * DAY_MS, 10000u);   /* 36 days: 2^31 < d < 2^32 ms */
    assert_false(dhcps_lease_get(0, mac, ip, &left));
    harness_advance_steps(14u * DAY_MS, 10000u);   /* 50 days after expiry */
    assert_false(dhcps_lease_get(0, mac, ip, &left));
    harness_advance_steps(2u * WRAP_MS + 30u * DAY_MS, 10000u);
    for (unsigned i = 0; i < DHCPS_POOL_SIZE; i++) {
        assert_false(dhcps_lease_get(i, mac, ip, &left));
    }
    expect_no_reply();
    discover_offer(UDHCPC, MAC_B, 0xc3, IP2, IP2);
    uint16_t n = client_msg(UDHCPC, REQUEST, MAC_B, 0xc3, IP2, DEV_IP, ZERO4, msg);
    send_bcast(MAC_B, msg, n);
    get_reply(&r);
    check_reply(&r, ACK, 0xc3, MAC_B, IP2, true);
    assert_true(dhcps_lease_get(0, mac, ip, &left));
    assert_memory_equal(mac, MAC_B, 6);
    assert_in_range(left, 3599u, 3600u);
    harness_assert_pools_clean();
}

/* A second dhcps_init() (stack restart) arms no second timer and keeps one
 * pcb on port 67 that answers: harness_teardown() counts the timeout pool. */
static void test_reinit_keeps_one_timer(void **s)
{
    (void)s;
    dora(UDHCPC, MAC_B, 0xc4, IP2);
    dhcps_init();
    dhcps_init();
    harness_assert_pools_clean();
    dora(UDHCPC, MAC_A, 0xc5, IP2);   /* the table was emptied: A gets .2 */
    assert_int_equal(dhcps_stats.ack, 1);
}

/* ------------------------------------------------------------ fixture */

/* ------------------------------------------------ RFC 2131 4.1, 4.2, pool full */

/* 4.1: a client with no address and no broadcast bit gets its OFFER/ACK
 * unicast to chaddr + yiaddr, and no ARP request goes out first (it could
 * not answer one); the broadcast bit gets broadcast; a NAK is broadcast. */
static void test_reply_addressing(void **s)
{
    (void)s;
    reply_t r;
    uint16_t n = client_msg(UDHCPC, DISCOVER, MAC_A, 0x4101, NULL, NULL, ZERO4, msg);
    send_bcast(MAC_A, msg, n);
    assert_int_equal(harness_out_count(), 1);   /* the OFFER only, no ARP */
    get_reply(&r);
    check_reply(&r, OFFER, 0x4101, MAC_A, IP2, true);
    assert_memory_equal(r.dst_ip, IP2, 4);
    assert_memory_equal(r.dst_mac, MAC_A, 6);
    assert_int_equal(r.dport, 68);
    /* the same with the broadcast bit: broadcast */
    n = client_msg(UDHCPC, DISCOVER, MAC_A, 0x4102, NULL, NULL, ZERO4, msg);
    msg[10] = 0x80;
    send_bcast(MAC_A, msg, n);
    get_reply(&r);
    check_bcast(&r);
    assert_int_equal(r.m[10], 0x80);
    /* a unicast OFFER/ACK must not leave an ARP entry or a pbuf behind */
    harness_assert_pools_clean();
}

/* 4.1: giaddr set means a relay agent; we serve no relays (dhcps.c says
 * why): dropped and counted, nothing sent, nothing remembered. */
static void test_relayed_request_dropped(void **s)
{
    (void)s;
    const uint8_t relay[4] = {10, 9, 8, 7};
    uint16_t n = client_msg(DHCLIENT, DISCOVER, MAC_A, 0x4201, NULL, NULL, ZERO4, msg);
    memcpy(msg + 24, relay, 4);
    send_dhcp(MAC_A, relay, DEV_IP, msg, n);
    expect_no_reply();
    assert_int_equal(dhcps_stats.relayed, 1);
    assert_int_equal(dhcps_stats.offer, 0);
    assert_int_equal(dhcps_stats.discover, 0);
    dora(DHCLIENT, MAC_B, 0x4202, IP2);   /* the relayed client got no slot */
}

/* 4.2: the client identifier, when present, is the client: the same one
 * from another MAC (a dock, a USB adapter moved to another port) gets the
 * same binding; the page shows the newest MAC. Without option 61 the MAC is
 * the client. */
static void test_client_id_is_the_client(void **s)
{
    (void)s;
    uint8_t mac[6], ip[4];
    uint32_t left;
    dora(SYSTEMD, MAC_A, 0x4301, IP2);
    /* systemd's DUID carries MAC_A; the same identifier from MAC_B: */
    uint8_t m2[1200];
    uint16_t n = client_msg(SYSTEMD, DISCOVER, MAC_A, 0x4302, NULL, NULL, ZERO4, m2);
    memcpy(m2 + 28, MAC_B, 6);           /* chaddr B, option 61 unchanged */
    send_bcast(MAC_B, m2, n);
    reply_t r;
    get_reply(&r);
    check_reply(&r, OFFER, 0x4302, MAC_B, IP2, true);
    n = client_msg(SYSTEMD, REQUEST, MAC_A, 0x4303, IP2, DEV_IP, ZERO4, m2);
    memcpy(m2 + 28, MAC_B, 6);
    send_bcast(MAC_B, m2, n);
    get_reply(&r);
    check_reply(&r, ACK, 0x4303, MAC_B, IP2, true);
    assert_true(dhcps_lease_get(0, mac, ip, &left));
    assert_memory_equal(mac, MAC_B, 6);
    assert_false(dhcps_lease_get(1, mac, ip, &left));   /* still one binding */
    /* MAC_A without an identifier is another client */
    dora(DHCLIENT, MAC_A, 0x4304, IP3);
    /* and a different identifier from MAC_B too */
    dora(UDHCPC, MAC_B, 0x4305, (const uint8_t[4]){192, 168, 7, 4});
    harness_assert_pools_clean();
}

static void link_cycle(void)
{
    harness_advance_ms(2000);   /* every binding so far was heard before ... */
    netif_set_link_down(netif_default);
    netif_set_link_up(netif_default);   /* ... this link-up: a new host */
    harness_out_clear();                /* lwIP's gratuitous ARP */
}

/* Pool full: while every client has been heard since the link came up,
 * a new one gets nothing. After a replug (link down/up) the bindings of
 * clients not heard since are taken, least recently heard first; a client
 * that spoke after the replug keeps its address; pending offers of absent
 * clients go before their bindings. */
static void test_pool_full_reuses_absent_clients(void **s)
{
    (void)s;
    const uint8_t ip4[4] = {192, 168, 7, 4}, ip5[4] = {192, 168, 7, 5};
    dora(UDHCPC, MAC_A, 0x4401, IP2);
    harness_advance_ms(1000);
    dora(UDHCPC, MAC_B, 0x4402, IP3);
    harness_advance_ms(1000);
    discover_offer(UDHCPC, MAC_C, 0x4403, NULL, ip4);   /* an offer, not taken yet */
    harness_advance_ms(1000);
    dora(UDHCPC, MAC_D, 0x4404, ip5);
    uint16_t n = client_msg(UDHCPC, DISCOVER, MAC_E, 0x4405, NULL, NULL, ZERO4, msg);
    send_bcast(MAC_E, msg, n);
    expect_no_reply();
    assert_int_equal(dhcps_stats.pool_exhausted, 1);

    link_cycle();
    /* B renews after the replug: it is on the link */
    harness_arp_seed(IP3, MAC_B);
    n = client_msg(UDHCPC, REQUEST, MAC_B, 0x4406, NULL, NULL, IP3, msg);
    send_dhcp(MAC_B, IP3, DEV_IP, msg, n);
    reply_t r;
    get_reply(&r);
    check_reply(&r, ACK, 0x4406, MAC_B, IP3, true);

    discover_offer(UDHCPC, MAC_E, 0x4407, NULL, ip4);   /* C's offer first */
    dora(UDHCPC, MAC_F, 0x4408, IP2);                   /* then A: heard before D */
    dora(UDHCPC, MAC_G, 0x4409, ip5);                   /* then D */
    n = client_msg(UDHCPC, DISCOVER, MAC_H, 0x440a, NULL, NULL, ZERO4, msg);
    send_bcast(MAC_H, msg, n);
    expect_no_reply();                                  /* B, E, F, G are here */
    assert_int_equal(dhcps_stats.pool_exhausted, 2);
    /* A comes back asking for its old address: it is F's now */
    n = client_msg(UDHCPC, REQUEST, MAC_A, 0x440b, IP2, NULL, ZERO4, msg);
    send_bcast(MAC_A, msg, n);
    get_reply(&r);
    check_reply(&r, NAK, 0x440b, MAC_A, ZERO4, false);
    harness_assert_pools_clean();
}

/* An offer nobody took is forgotten when it expires, so its address is
 * the first to go again - before a binding that merely expired (whose
 * client would like the address back). */
static void test_expired_offer_goes_first(void **s)
{
    (void)s;
    dora(UDHCPC, MAC_A, 0x4501, IP2);
    discover_offer(UDHCPC, MAC_B, 0x4502, NULL, IP3);
    harness_advance_ms(3601u * 1000u);   /* A's lease and B's offer both ran out */
    discover_offer(UDHCPC, MAC_C, 0x4503, NULL, IP3);
    dora(UDHCPC, MAC_A, 0x4504, IP2);    /* A gets its address back */
    harness_assert_pools_clean();
}

/* A client identifier longer than the 32-octet pieces it is hashed in:
 * every octet counts (one changed near the end is another client). */
static void test_long_client_id(void **s)
{
    (void)s;
    reply_t r;
    uint8_t cid[40];
    for (unsigned i = 0; i < sizeof cid; i++) {
        cid[i] = (uint8_t)(i * 7u + 1u);
    }
    const uint8_t *macs[3] = {MAC_A, MAC_B, MAC_C};
    const uint8_t *want[3] = {IP2, IP2, IP3};
    for (unsigned k = 0; k < 3; k++) {
        if (k == 2) {
            cid[37] ^= 0x55;
        }
        opts_t o = {.n = 0};
        o_u8(&o, 53, DISCOVER);
        o_add(&o, 61, sizeof cid, cid);
        o_raw(&o, (const uint8_t *)"\xff", 1);
        uint16_t n = mk_bootp(msg, 1, macs[k], 0x4600 + k, 0x8000, ZERO4, &o, 300);
        send_bcast(macs[k], msg, n);
        get_reply(&r);
        check_reply(&r, OFFER, 0x4600 + k, macs[k], want[k], true);
    }
    harness_assert_pools_clean();
}

static int setup(void **s)
{
    (void)s;
    harness_init();
    ident_device_mac(dev_mac);
    dhcps_init();
    harness_on_teardown(dhcps_deinit);
    harness_mark();
    return 0;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, harness_cmocka_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_dora_udhcpc),
        T(test_dora_dhclient),
        T(test_dora_systemd),
        T(test_same_client_same_address),
        T(test_discover_honours_requested_address),
        T(test_renew_unicast),
        T(test_unicast_ack_waits_for_arp),
        T(test_rebind),
        T(test_init_reboot),
        T(test_one_binding_per_client),
        T(test_request_for_other_server),
        T(test_release_then_rediscover),
        T(test_decline),
        T(test_inform),
        T(test_pool_exhaustion),
        T(test_long_request_over_pbuf_chain),
        T(test_malformed),
        T(test_hook_from_zero_address),
        T(test_lease_ages_without_traffic),
        T(test_lease_expires_over_one_clock_wrap),
        T(test_expired_lease_stays_expired_across_wraps),
        T(test_reinit_keeps_one_timer),
        T(test_reply_addressing),
        T(test_relayed_request_dropped),
        T(test_client_id_is_the_client),
        T(test_pool_full_reuses_absent_clients),
        T(test_expired_offer_goes_first),
        T(test_long_client_id),
    };
    return cmocka_run_group_tests_name("dhcps", tests, NULL, NULL);
}
