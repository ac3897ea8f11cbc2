/*
 * test_net.c - the netif glue (firmware/net/net.c) between lwIP and a link
 * (net_link_t), here a fake link with one frame buffer per direction like
 * the ECM class: RX delivery and backpressure, the TX FIFO (order,
 * overflow, link down), link state, the frame hook, timers. Real lwIP and
 * the real DHCP server; the DNS/HTTP services are stubbed (other modules).
 * Pools are checked after every test (harness_teardown).
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
#include "link_stats.h"
#include "lwip_harness.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/memp.h"
#include "lwip/stats.h"
#include "lwip/ip4_frag.h"
#include "net.h"
#include "stm32net_opt.h"

/* ------------------------------------------------------------ stubbed services */

static unsigned dnss_inits, http_inits;
void dnss_init(void) { dnss_inits++; }
void mdns_init(void) { }
void http_api_init(void) { http_inits++; }
bool iperf_init(void) { return true; }

/* ------------------------------------------------------------ fake link */

#define SENT_MAX 16u
static uint8_t rx_frame[ECM_MAX_SEGMENT + 16];
static uint16_t rx_len;
static bool rx_has;
static unsigned rx_releases;
static uint8_t tx_buf[ECM_MAX_SEGMENT];
static bool tx_block;
static bool up;
static uint8_t sent[SENT_MAX][ECM_MAX_SEGMENT];
static uint16_t sent_len[SENT_MAX];
static unsigned nsent;

static const uint8_t *fl_rx_peek(uint16_t *len)
{
    if (!rx_has) {
        return NULL;
    }
    *len = rx_len;
    return rx_frame;
}

static void fl_rx_release(void)
{
    assert_true(rx_has);
    rx_has = false;
    memset(rx_frame, 0xdd, sizeof rx_frame);  /* net.c must not read it any more */
    rx_releases++;
}

static uint8_t *fl_tx_acquire(void) { return tx_block ? NULL : tx_buf; }

static void fl_tx_commit(uint16_t len)
{
    assert_true(nsent < SENT_MAX);
    assert_true(len >= 14 && len <= ECM_MAX_SEGMENT);
    memcpy(sent[nsent], tx_buf, len);
    sent_len[nsent++] = len;
}

static bool fl_link_up(void) { return up; }

static const net_link_t fake_link = {
    .rx_peek = fl_rx_peek,
    .rx_release = fl_rx_release,
    .tx_acquire = fl_tx_acquire,
    .tx_commit = fl_tx_commit,
    .link_up = fl_link_up,
};

/* ------------------------------------------------------------ frame hook */

#define HOOK_MAX 32u
static struct {
    bool tx;
    uint16_t len;
    uint8_t head[64];
} hooked[HOOK_MAX];
static unsigned nhooked;

static void hook(bool tx, const uint8_t *frame, uint16_t len)
{
    assert_true(nhooked < HOOK_MAX);
    hooked[nhooked].tx = tx;
    hooked[nhooked].len = len;
    memcpy(hooked[nhooked].head, frame, len < 64 ? len : 64);
    nhooked++;
}

/* ------------------------------------------------------------ helpers */

static uint8_t dev_mac[6];
static const uint8_t DEV_IP[4] = {192, 168, 7, 1};

static void host_mac(uint8_t mac[6], uint8_t n)
{
    static const uint8_t base[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x00};
    memcpy(mac, base, 6);
    mac[5] = n;
}

/* RFC 826 request "who has 192.168.7.1, tell 192.168.7.n" from host n */
static void put_arp_request(uint8_t n)
{
    uint8_t mac[6];
    host_mac(mac, n);
    uint8_t *f = rx_frame;
    memset(f, 0xff, 6);
    memcpy(f + 6, mac, 6);
    f[12] = 0x08;
    f[13] = 0x06;
    memcpy(f + 14, "\x00\x01\x08\x00\x06\x04\x00\x01", 8);
    memcpy(f + 22, mac, 6);
    memcpy(f + 28, "\xc0\xa8\x07", 3);
    f[31] = n;
    memset(f + 32, 0, 6);
    memcpy(f + 38, DEV_IP, 4);
    memset(f + 42, 0, 18);      /* Ethernet minimum frame padding */
    rx_len = 60;
    assert_false(rx_has);
    rx_has = true;
}

/* sent[i] is lwIP's ARP reply to host n */
static void assert_arp_reply(unsigned i, uint8_t n)
{
    uint8_t mac[6];
    host_mac(mac, n);
    assert_true(i < nsent);
    const uint8_t *f = sent[i];
    assert_true(sent_len[i] >= 42);
    assert_memory_equal(f, mac, 6);
    assert_memory_equal(f + 6, dev_mac, 6);
    assert_memory_equal(f + 12, "\x08\x06\x00\x01\x08\x00\x06\x04\x00\x02", 10);
    assert_memory_equal(f + 22, dev_mac, 6);
    assert_memory_equal(f + 28, DEV_IP, 4);
    assert_memory_equal(f + 32, mac, 6);
    assert_int_equal(f[41], n);
}

/* ------------------------------------------------------------ tests */

static void test_init_brings_netif_up(void **s)
{
    (void)s;
    struct netif *n = netif_default;
    assert_non_null(n);
    assert_true(netif_is_up(n));
    assert_true(netif_is_link_up(n));
    assert_memory_equal(n->hwaddr, dev_mac, 6);
    assert_int_equal(n->mtu, 1500);
    assert_memory_equal(netif_ip4_addr(n), DEV_IP, 4);   /* network order in memory */
    assert_memory_equal(netif_ip4_netmask(n), fw_config.netmask, 4);
    assert_int_equal(dnss_inits, 1);
    assert_int_equal(http_inits, 1);
}

static void test_arp_request_gets_reply_and_hook_sees_both(void **s)
{
    (void)s;
    put_arp_request(2);
    uint8_t in_copy[60];
    memcpy(in_copy, rx_frame, 60);
    net_poll();
    assert_int_equal(rx_releases, 1);
    assert_false(rx_has);
    assert_int_equal(nsent, 1);
    assert_arp_reply(0, 2);
    assert_int_equal(nhooked, 2);
    assert_false(hooked[0].tx);
    assert_int_equal(hooked[0].len, 60);
    assert_memory_equal(hooked[0].head, in_copy, 60);
    assert_true(hooked[1].tx);
    assert_int_equal(hooked[1].len, sent_len[0]);
    assert_memory_equal(hooked[1].head, sent[0], sent_len[0] < 64 ? sent_len[0] : 64);
    harness_assert_pools_clean();
}

static void test_tx_backpressure_keeps_order(void **s)
{
    (void)s;
    tx_block = true;
    for (uint8_t h = 2; h <= 4; h++) {
        put_arp_request(h);
        net_poll();
        assert_false(rx_has);   /* RX goes on while TX waits */
    }
    assert_int_equal(nsent, 0);
    assert_int_equal(link_stats.tx_dropped, 0);
    tx_block = false;
    net_poll();
    assert_int_equal(nsent, 3);
    assert_arp_reply(0, 2);
    assert_arp_reply(1, 3);
    assert_arp_reply(2, 4);
    assert_int_equal(nhooked, 6);   /* 3 in, then 3 out when they really left */
    assert_true(hooked[3].tx && hooked[4].tx && hooked[5].tx);
    harness_assert_pools_clean();
}

static void test_tx_fifo_overflow_counted(void **s)
{
    (void)s;
    tx_block = true;
    for (uint8_t h = 2; h <= 7; h++) {
        put_arp_request(h);
        net_poll();
    }
    assert_int_equal(link_stats.tx_dropped, 2);   /* FIFO of 4 */
    assert_int_equal(nsent, 0);
    tx_block = false;
    net_poll();
    assert_int_equal(nsent, 4);
    for (unsigned i = 0; i < 4; i++) {
        assert_arp_reply(i, (uint8_t)(2 + i));
    }
    harness_assert_pools_clean();
}

/* Issue 10: whoever holds the pool (a TCP peer, a fragment set) must not
 * hold back the frames behind it. A frame that finds no pbuf is dropped and
 * counted at once, the link is free for the next one, and the first frame
 * after the pool has room again is answered. (The old behaviour - leave the
 * frame in the link until a pbuf is free - fails the first block.) */
static void test_rx_drops_and_counts_while_pool_empty(void **s)
{
    (void)s;
    struct pbuf *held[PBUF_POOL_SIZE + 1];
    unsigned n = 0;
    while (n < PBUF_POOL_SIZE + 1 && (held[n] = pbuf_alloc(PBUF_RAW, 100, PBUF_POOL)) != NULL) {
        n++;
    }
    assert_int_equal(n, PBUF_POOL_SIZE);
    put_arp_request(2);
    net_poll();
    assert_false(rx_has);                         /* released: the link never waits */
    assert_int_equal(rx_releases, 1);
    assert_int_equal(nsent, 0);
    assert_int_equal(link_stats.rx_dropped, 1);   /* and counted */
    assert_int_equal(nhooked, 1);                 /* the capture still shows it */
    assert_false(hooked[0].tx);
    put_arp_request(3);                           /* the next frame is not stuck behind it */
    net_poll();
    assert_false(rx_has);
    assert_int_equal(link_stats.rx_dropped, 2);
    for (unsigned i = 0; i < n; i++) {
        pbuf_free(held[i]);
    }
    put_arp_request(4);
    net_poll();
    assert_false(rx_has);
    assert_int_equal(nsent, 1);
    assert_arp_reply(0, 4);
    assert_int_equal(link_stats.rx_dropped, 2);
    harness_assert_pools_clean();
}

static void test_rx_bad_length_dropped(void **s)
{
    (void)s;
    put_arp_request(2);
    rx_len = ECM_MAX_SEGMENT + 2;  /* one past what ECM tolerates */
    net_poll();
    assert_false(rx_has);
    assert_int_equal(link_stats.rx_dropped, 1);
    put_arp_request(2);
    rx_len = 0;
    net_poll();
    assert_int_equal(link_stats.rx_dropped, 2);
    assert_int_equal(nsent, 0);
    assert_int_equal(nhooked, 0);
    harness_assert_pools_clean();
}

/* ECM hands up frames of ECM_MAX_SEGMENT + 1 bytes (tolerated padding):
 * lwIP gets them and trims to what the headers say. */
static void test_rx_one_byte_over_is_delivered(void **s)
{
    (void)s;
    put_arp_request(2);
    rx_len = ECM_MAX_SEGMENT + 1;
    net_poll();
    assert_false(rx_has);
    assert_int_equal(link_stats.rx_dropped, 0);
    assert_int_equal(nsent, 1);
    assert_arp_reply(0, 2);
    harness_assert_pools_clean();
}

static void test_link_down_and_up(void **s)
{
    (void)s;
    /* frames waiting when the link goes away are dropped and counted */
    tx_block = true;
    put_arp_request(2);
    net_poll();
    put_arp_request(3);
    net_poll();
    up = false;
    net_poll();
    assert_false(netif_is_link_up(netif_default));
    assert_int_equal(link_stats.tx_dropped, 2);
    harness_assert_pools_clean();

    /* while down, lwIP's output is dropped and counted, not queued */
    tx_block = false;
    put_arp_request(4);
    net_poll();
    assert_int_equal(nsent, 0);
    assert_int_equal(link_stats.tx_dropped, 3);
    harness_assert_pools_clean();

    /* back up: netif follows, announces itself (gratuitous ARP, RFC 5227 3) */
    up = true;
    net_poll();
    assert_true(netif_is_link_up(netif_default));
    assert_int_equal(nsent, 1);
    assert_memory_equal(sent[0], "\xff\xff\xff\xff\xff\xff", 6);
    assert_memory_equal(sent[0] + 12, "\x08\x06", 2);
    assert_memory_equal(sent[0] + 28, DEV_IP, 4);   /* sender */
    assert_memory_equal(sent[0] + 38, DEV_IP, 4);   /* target = sender */
    put_arp_request(5);
    net_poll();
    assert_int_equal(nsent, 2);
    assert_arp_reply(1, 5);
    harness_assert_pools_clean();
}

static void test_frame_too_long_counted(void **s)
{
    (void)s;
    struct netif *n = netif_default;
    struct pbuf *p = pbuf_alloc(PBUF_RAW, ECM_MAX_SEGMENT + 1, PBUF_RAM);
    assert_non_null(p);
    memset(p->payload, 0, p->len);
    assert_int_not_equal(n->linkoutput(n, p), ERR_OK);
    pbuf_free(p);
    assert_int_equal(link_stats.tx_errors, 1);
    assert_int_equal(nsent, 0);
    p = pbuf_alloc(PBUF_RAW, ECM_MAX_SEGMENT, PBUF_RAM);
    assert_non_null(p);
    memset(p->payload, 0x5a, p->len);
    assert_int_equal(n->linkoutput(n, p), ERR_OK);   /* the biggest allowed one goes */
    pbuf_free(p);
    assert_int_equal(nsent, 1);
    assert_int_equal(sent_len[0], ECM_MAX_SEGMENT);
    assert_int_equal(sent[0][ECM_MAX_SEGMENT - 1], 0x5a);
    harness_assert_pools_clean();
}

static void test_sleeptime_follows_timers(void **s)
{
    (void)s;
    uint32_t t = net_sleeptime_ms();
    assert_true(t > 1 && t <= 1000);   /* etharp_tmr, 1 s, is the only cyclic timer */
    fake_board_ms += 1;
    assert_int_equal(net_sleeptime_ms(), t - 1);
    fake_board_ms += t - 1;
    net_poll();
    assert_int_equal(net_sleeptime_ms(), 1000);
}

/* The DHCP server is reachable through the glue: DISCOVER in, OFFER out. */
/* ------------------------------------------------------------ IPv4 fragments */

static uint16_t csum16(const uint8_t *b, size_t n)
{
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < n; i += 2) {
        sum += (uint32_t)((b[i] << 8) | b[i + 1]);
    }
    if (n & 1u) {
        sum += (uint32_t)(b[n - 1] << 8);
    }
    while (sum >> 16) {
        sum = (sum & 0xffffu) + (sum >> 16);
    }
    return (uint16_t)~sum;
}

/* The IP payload of an ICMP echo request (RFC 792) of `total` IP bytes. */
static uint8_t echo_payload[1500];
static void make_echo(uint16_t total, uint16_t seq)
{
    uint16_t n = (uint16_t)(total - 20u);
    assert_true(n <= sizeof echo_payload);
    memset(echo_payload, 0, 8);
    echo_payload[0] = 8;                       /* echo request */
    echo_payload[4] = 0x12;
    echo_payload[5] = 0x34;
    echo_payload[6] = (uint8_t)(seq >> 8);
    echo_payload[7] = (uint8_t)seq;
    for (uint16_t i = 8; i < n; i++) {
        echo_payload[i] = (uint8_t)(i * 7u + seq);
    }
    uint16_t c = csum16(echo_payload, n);
    echo_payload[2] = (uint8_t)(c >> 8);
    echo_payload[3] = (uint8_t)c;
}

/* One fragment (RFC 791 3.2) of datagram `id` from host 2: payload bytes
 * [off, off+len) of echo_payload; more = MF. Waits in the fake link. */
static void put_fragment(uint16_t id, uint16_t off, uint16_t len, bool more)
{
    uint8_t mac[6];
    host_mac(mac, 2);
    uint8_t *f = rx_frame;
    memcpy(f, dev_mac, 6);
    memcpy(f + 6, mac, 6);
    f[12] = 0x08;
    f[13] = 0x00;
    uint8_t *ip = f + 14;
    memset(ip, 0, 20);
    ip[0] = 0x45;
    ip[2] = (uint8_t)((20 + len) >> 8);
    ip[3] = (uint8_t)(20 + len);
    ip[4] = (uint8_t)(id >> 8);
    ip[5] = (uint8_t)id;
    uint16_t fo = (uint16_t)((off / 8u) | (more ? 0x2000u : 0u));
    ip[6] = (uint8_t)(fo >> 8);
    ip[7] = (uint8_t)fo;
    ip[8] = 64;
    ip[9] = 1;                                 /* ICMP */
    memcpy(ip + 12, "\xc0\xa8\x07\x02", 4);
    memcpy(ip + 16, DEV_IP, 4);
    uint16_t c = csum16(ip, 20);
    ip[10] = (uint8_t)(c >> 8);
    ip[11] = (uint8_t)c;
    memcpy(ip + 20, echo_payload + off, len);
    rx_len = (uint16_t)(14u + 20u + len);
    if (rx_len < 60u) {
        memset(f + rx_len, 0, 60u - rx_len);
        rx_len = 60u;
    }
    assert_false(rx_has);
    rx_has = true;
}

static unsigned pool_used(void)
{
    return lwip_stats.memp[MEMP_PBUF_POOL]->used;
}

/* the device knows host 2's MAC (as after any exchange), so a reply goes out
 * at once instead of waiting for ARP */
static void learn_host2(void)
{
    net_set_frame_hook(NULL);
    put_arp_request(2);
    net_poll();
    nsent = 0;
}

/* sent[i] is the echo reply to a `total`-byte request made by make_echo() */
static void assert_echo_reply(unsigned i, uint16_t total)
{
    assert_true(i < nsent);
    const uint8_t *f = sent[i];
    assert_int_equal(sent_len[i], 14u + total);
    const uint8_t *ip = f + 14;
    assert_int_equal((ip[2] << 8) | ip[3], total);
    assert_int_equal(ip[9], 1);
    assert_int_equal(csum16(ip, 20), 0);
    assert_int_equal(ip[20], 0);               /* echo reply */
    assert_int_equal(csum16(ip + 20, (size_t)(total - 20u)), 0);
    assert_memory_equal(ip + 24, echo_payload + 4, (size_t)(total - 24u));  /* id, seq, data */
}

/* RFC 1122 3.3.2: a whole 1500-byte datagram arrives in fragments, in any
 * order and split, and is answered; the pool is never used for them. */
static void test_fragments_reassembled(void **s)
{
    (void)s;
    learn_host2();
    static const struct { uint16_t total; uint16_t piece; bool reverse; } cases[] = {
        { 548, 176, false },      /* the 548 bytes in three fragments */
        { 1500, 736, false },     /* 1500 bytes in 2+1 */
        { 1500, 496, true },      /* 1500 bytes in 3+1, last first */
        { 1500, 1472, false },    /* 1480 + 8 */
    };
    for (unsigned k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        uint16_t total = cases[k].total, n = (uint16_t)(total - 20u), piece = cases[k].piece;
        make_echo(total, (uint16_t)k);
        unsigned nfrag = (n + piece - 1u) / piece;
        nsent = 0;
        for (unsigned j = 0; j < nfrag; j++) {
            unsigned idx = cases[k].reverse ? nfrag - 1u - j : j;
            uint16_t off = (uint16_t)(idx * piece);
            uint16_t len = (uint16_t)((n - off) < piece ? (n - off) : piece);
            put_fragment((uint16_t)(100 + k), off, len, idx + 1u < nfrag);
            net_poll();
            assert_false(rx_has);
            if (j + 1u < nfrag) {
                assert_int_equal(pool_used(), 0);   /* held in the heap, not the pool */
                assert_int_equal(nsent, 0);
            }
        }
        assert_int_equal(nsent, 1);
        assert_echo_reply(0, total);
    }
    assert_int_equal(link_stats.rx_dropped, 0);
    harness_assert_pools_clean();
}

/* An incomplete set times out (IP_REASS_MAXAGE) and its memory is freed. */
static void test_incomplete_fragments_time_out(void **s)
{
    (void)s;
    learn_host2();
    make_echo(1500, 7);
    put_fragment(200, 0, 496, true);
    net_poll();
    put_fragment(200, 496, 496, true);        /* the last one never comes */
    net_poll();
    assert_int_equal(lwip_stats.memp[MEMP_REASSDATA]->used, 1);
    assert_true(lwip_stats.mem.used > 1000);
    harness_advance_ms((IP_REASS_MAXAGE + 2u) * 1000u);
    assert_int_equal(lwip_stats.memp[MEMP_REASSDATA]->used, 0);
    /* RFC 792: time exceeded (code 1, reassembly) with the first fragment's head */
    assert_int_equal(nsent, 1);
    assert_int_equal(sent[0][14 + 20], 11);
    assert_int_equal(sent[0][14 + 21], 1);
    harness_assert_pools_clean();              /* heap back to idle */
}

/* A flood of fragments of ever new datagrams: the pool is never touched,
 * the heap they take stays under NET_FRAG_BUDGET (the rest is dropped and
 * counted), ARP is answered in between, and afterwards all is freed. */
static void test_fragment_flood_cannot_take_the_pool(void **s)
{
    (void)s;
    learn_host2();
    make_echo(1500, 9);
    size_t idle = lwip_stats.mem.used;
    for (unsigned i = 0; i < 200; i++) {
        put_fragment((uint16_t)(1000 + i / 2u), (uint16_t)((i % 2u) * 736u), 736, true);
        net_poll();
        assert_false(rx_has);
        assert_int_equal(pool_used(), 0);
        assert_true(lwip_stats.mem.used - idle <= 1900u);
        if (i % 50u == 49u) {
            nsent = 0;
            put_arp_request(3);
            net_poll();
            /* still answered (beside it: ICMP time exceeded for evicted
             * sets that had their first fragment, RFC 792) */
            unsigned arp = nsent;
            for (unsigned j = 0; j < nsent; j++) {
                if (sent[j][12] == 0x08 && sent[j][13] == 0x06) {
                    arp = j;
                }
            }
            assert_arp_reply(arp, 3);
        }
    }
    assert_true(link_stats.rx_dropped > 0);    /* the budget was hit and counted */
    harness_advance_ms((IP_REASS_MAXAGE + 2u) * 1000u);
    harness_assert_pools_clean();
    nsent = 0;
    /* and a real datagram still gets through afterwards */
    make_echo(1500, 10);
    put_fragment(3000, 0, 736, true);
    net_poll();
    put_fragment(3000, 736, 736, true);
    net_poll();
    put_fragment(3000, 1472, 8, false);
    net_poll();
    assert_int_equal(nsent, 1);
    assert_echo_reply(0, 1500);
    harness_assert_pools_clean();
}

static void test_dhcp_through_link(void **s)
{
    (void)s;
    uint8_t m[300], mac[6];
    host_mac(mac, 9);
    memset(m, 0, sizeof m);
    m[0] = 1;
    m[1] = 1;
    m[2] = 6;
    m[7] = 0x42;
    m[10] = 0x80;   /* broadcast bit: the OFFER is broadcast (RFC 2131 4.1) */
    memcpy(m + 28, mac, 6);
    memcpy(m + 236, "\x63\x82\x53\x63\x35\x01\x01\xff", 8);
    static const uint8_t zero[4], bcast[4] = {255, 255, 255, 255}, bmac[6] = {255, 255, 255, 255, 255, 255};
    rx_len = harness_build_udp(rx_frame, sizeof rx_frame, mac, bmac, zero, bcast, 68, 67, m, sizeof m);
    rx_has = true;
    net_poll();
    assert_int_equal(nsent, 1);
    uint8_t dmac[6], sip[4], dip[4];
    uint16_t sp, dp, plen;
    const uint8_t *r = harness_parse_udp(sent[0], sent_len[0], dmac, sip, dip, &sp, &dp, &plen);
    assert_non_null(r);
    assert_memory_equal(dmac, bmac, 6);
    assert_memory_equal(sip, DEV_IP, 4);
    assert_int_equal(dp, 68);
    assert_int_equal(r[0], 2);
    assert_int_equal(r[7], 0x42);
    assert_memory_equal(r + 16, "\xc0\xa8\x07\x02", 4);
    assert_memory_equal(r + 240, "\x35\x01\x02", 3);   /* OFFER */
    assert_int_equal(dhcps_stats.offer, 1);
    harness_assert_pools_clean();
}

/* ------------------------------------------------------------ fixture */

static int setup(void **s)
{
    (void)s;
    rx_has = false;
    rx_releases = 0;
    tx_block = false;
    up = true;
    nsent = 0;
    nhooked = 0;
    dnss_inits = 0;
    http_inits = 0;
    memset(&link_stats, 0, sizeof link_stats);
    ident_device_mac(dev_mac);
    net_set_frame_hook(hook);
    net_init(&fake_link);
    harness_on_teardown(dhcps_deinit);   /* net_init() armed the DHCP server's timer */
    /* net_init() announced the address (gratuitous ARP): not part of the tests */
    nsent = 0;
    nhooked = 0;
    harness_mark();
    return 0;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, harness_cmocka_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_init_brings_netif_up),
        T(test_arp_request_gets_reply_and_hook_sees_both),
        T(test_tx_backpressure_keeps_order),
        T(test_tx_fifo_overflow_counted),
        T(test_rx_drops_and_counts_while_pool_empty),
        T(test_rx_bad_length_dropped),
        T(test_rx_one_byte_over_is_delivered),
        T(test_link_down_and_up),
        T(test_frame_too_long_counted),
        T(test_sleeptime_follows_timers),
        T(test_dhcp_through_link),
        T(test_fragments_reassembled),
        T(test_incomplete_fragments_time_out),
        T(test_fragment_flood_cannot_take_the_pool),
    };
    return cmocka_run_group_tests_name("net", tests, NULL, NULL);
}
