/*
 * lwip_harness.c - see lwip_harness.h. Layer: tests/unit (cmocka, libc,
 * lwIP internals such as the pcb lists, which production code never touches).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lwip_harness.h"

#include "config.h"
#include "fake_board.h"
#include "ident.h"
#include "lwip/etharp.h"
#include "lwip/init.h"
#include "lwip/memp.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/stats.h"
#include "lwip/tcp.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/timeouts.h"
#include "lwip/udp.h"
#include "netif/ethernet.h"

static int lwip_started;
static struct netif h_netif;

static uint8_t out_buf[HARNESS_MAX_OUT][HARNESS_FRAME_MAX];
static uint16_t out_len[HARNESS_MAX_OUT];
static unsigned out_n;

static mem_size_t mark_memp[MEMP_MAX];
static mem_size_t mark_heap;
static int mark_auto;   /* snapshot not taken by the test: refresh at the first input */

static void (*stop_fns[HARNESS_MAX_STOP])(void);
static unsigned stop_n;

/* ------------------------------------------------------------ capture */

static err_t h_linkoutput(struct netif *netif, struct pbuf *p)
{
    (void)netif;
    assert_true(out_n < HARNESS_MAX_OUT);
    assert_true(p->tot_len <= HARNESS_FRAME_MAX);
    out_len[out_n] = pbuf_copy_partial(p, out_buf[out_n], p->tot_len, 0);
    assert_int_equal(out_len[out_n], p->tot_len);
    out_n++;
    return ERR_OK;
}

unsigned harness_out_count(void) { return out_n; }

const uint8_t *harness_out(unsigned i, uint16_t *len)
{
    if (i >= out_n) {
        return NULL;
    }
    if (len != NULL) {
        *len = out_len[i];
    }
    return out_buf[i];
}

void harness_out_clear(void) { out_n = 0; }

/* ------------------------------------------------------------ lifecycle */

static err_t h_netif_init(struct netif *netif)
{
    uint8_t mac[6];
    ident_device_mac(mac);
    memcpy(netif->hwaddr, mac, 6);
    netif->hwaddr_len = 6;
    netif->mtu = 1500;
    netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
    netif->name[0] = 'h';
    netif->name[1] = '0';
    netif->output = etharp_output;
    netif->linkoutput = h_linkoutput;
    return ERR_OK;
}

void harness_mark(void)
{
    for (unsigned i = 0; i < MEMP_MAX; i++) {
        mark_memp[i] = lwip_stats.memp[i]->used;
    }
    mark_heap = lwip_stats.mem.used;
    mark_auto = 0;
}

void harness_init(void)
{
    ip4_addr_t ip, mask, gw;

    if (!lwip_started) {
        lwip_init();
        lwip_started = 1;
    }
    if (netif_default != NULL) {
        harness_teardown();
    }
    /* Rebase lwIP's timers: a test may have moved fake time in any way. */
    sys_restart_timeouts();
    out_n = 0;
    IP4_ADDR(&ip, fw_config.ip[0], fw_config.ip[1], fw_config.ip[2], fw_config.ip[3]);
    IP4_ADDR(&mask, fw_config.netmask[0], fw_config.netmask[1], fw_config.netmask[2],
             fw_config.netmask[3]);
    ip4_addr_set_zero(&gw);
    memset(&h_netif, 0, sizeof h_netif);
    assert_non_null(netif_add(&h_netif, &ip, &mask, &gw, NULL, h_netif_init, ethernet_input));
    netif_set_default(&h_netif);
    netif_set_up(&h_netif);
    netif_set_link_up(&h_netif);
    out_n = 0;  /* the gratuitous ARP of netif_issue_reports() is not a test's business */
    harness_mark();
    mark_auto = 1;
}

void harness_on_teardown(void (*stop)(void))
{
    assert_non_null(stop);
    assert_true(stop_n < HARNESS_MAX_STOP);
    stop_fns[stop_n++] = stop;
}

int harness_cmocka_teardown(void **state)
{
    (void)state;
    harness_teardown();
    return 0;
}

void harness_teardown(void)
{
    unsigned guard;

    /* Services first: their timers and pcbs go the way they made them. */
    while (stop_n > 0) {
        stop_fns[--stop_n]();
    }

    /* Abort/close in lwIP's own way so the applications' callbacks free
     * their state (httpd's err callback, for example). */
    for (guard = 0; tcp_active_pcbs != NULL && guard < 64; guard++) {
        tcp_abort(tcp_active_pcbs);
    }
    for (guard = 0; tcp_tw_pcbs != NULL && guard < 64; guard++) {
        tcp_abort(tcp_tw_pcbs);
    }
    for (guard = 0; tcp_listen_pcbs.pcbs != NULL && guard < 64; guard++) {
        assert_int_equal(tcp_close(tcp_listen_pcbs.pcbs), ERR_OK);
    }
    for (guard = 0; tcp_bound_pcbs != NULL && guard < 64; guard++) {
        assert_int_equal(tcp_close(tcp_bound_pcbs), ERR_OK);
    }
    for (guard = 0; udp_pcbs != NULL && guard < 64; guard++) {
        udp_remove(udp_pcbs);
    }
    if (netif_default != NULL) {
        netif_remove(netif_default);  /* also drops its ARP entries and queued packets */
    }
    /* The TCP timer stops itself once it runs with no pcbs left. */
    harness_advance_ms(2u * TCP_TMR_INTERVAL);
    out_n = 0;

    for (unsigned i = 0; i < MEMP_MAX; i++) {
        mem_size_t want = 0;
        if (i == MEMP_SYS_TIMEOUT) {
            /* lwIP's cyclic timers stay; the TCP one (index 0) only runs on demand */
            want = (mem_size_t)(lwip_num_cyclic_timers - (LWIP_TCP ? 1 : 0));
        }
        if (lwip_stats.memp[i]->used != want) {
            fail_msg("teardown: memp pool %u has %u in use, want %u", i,
                     (unsigned)lwip_stats.memp[i]->used, (unsigned)want);
        }
    }
    if (lwip_stats.mem.used != 0) {
        fail_msg("teardown: heap has %u bytes in use", (unsigned)lwip_stats.mem.used);
    }
}

void harness_assert_pools_clean(void)
{
    for (unsigned i = 0; i < MEMP_MAX; i++) {
        if (lwip_stats.memp[i]->used != mark_memp[i]) {
            fail_msg("memp pool %u has %u in use, want %u", i,
                     (unsigned)lwip_stats.memp[i]->used, (unsigned)mark_memp[i]);
        }
    }
    if (lwip_stats.mem.used != mark_heap) {
        fail_msg("heap has %u bytes in use, want %u", (unsigned)lwip_stats.mem.used,
                 (unsigned)mark_heap);
    }
}

void harness_advance_steps(uint64_t ms, uint32_t step_ms)
{
    assert_true(step_ms >= 1u);
    while (ms > 0) {
        uint32_t step = ms > step_ms ? step_ms : (uint32_t)ms;
        fake_board_ms += step;   /* u32: wraps as board_millis() does */
        ms -= step;
        sys_check_timeouts();
    }
}

void harness_advance_ms(uint32_t ms)
{
    harness_advance_steps(ms, 100u);
}

/* ------------------------------------------------------------ frames in */

void harness_input(const uint8_t *frame, uint16_t len)
{
    struct netif *n = netif_default;
    assert_non_null(n);
    if (mark_auto) {
        harness_mark();   /* the services under test have made their pcbs by now */
    }
    struct pbuf *p = pbuf_alloc(PBUF_RAW, len, PBUF_POOL);
    assert_non_null(p);
    assert_int_equal(pbuf_take(p, frame, len), ERR_OK);
    if (n->input(p, n) != ERR_OK) {
        pbuf_free(p);
    }
}

uint32_t harness_csum_add(uint32_t sum, const uint8_t *buf, uint16_t len)
{
    uint16_t i;
    for (i = 0; i + 1u < len; i += 2u) {
        sum += (uint32_t)((buf[i] << 8) | buf[i + 1u]);
    }
    if (len & 1u) {
        sum += (uint32_t)buf[len - 1u] << 8;
    }
    while (sum >> 16) {
        sum = (sum & 0xffffu) + (sum >> 16);
    }
    return sum;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }

static uint32_t pseudo_sum(const uint8_t *src, const uint8_t *dst, uint16_t ulen)
{
    uint8_t ph[12];
    memcpy(ph, src, 4);
    memcpy(ph + 4, dst, 4);
    ph[8] = 0;
    ph[9] = 17;
    put16(ph + 10, ulen);
    return harness_csum_add(0, ph, 12);
}

uint16_t harness_build_udp(uint8_t *buf, uint16_t room, const uint8_t src_mac[6],
                           const uint8_t dst_mac[6], const uint8_t src_ip[4],
                           const uint8_t dst_ip[4], uint16_t sport, uint16_t dport,
                           const uint8_t *payload, uint16_t plen)
{
    uint32_t total = 14u + 20u + 8u + plen;
    if (total > room || total > HARNESS_FRAME_MAX) {
        return 0;
    }
    uint8_t *ip = buf + 14, *udp = buf + 34;
    memcpy(buf, dst_mac, 6);
    memcpy(buf + 6, src_mac, 6);
    put16(buf + 12, 0x0800);
    ip[0] = 0x45;
    ip[1] = 0;
    put16(ip + 2, (uint16_t)(20u + 8u + plen));
    put16(ip + 4, 0x1234);
    put16(ip + 6, 0);
    ip[8] = 64;
    ip[9] = 17;
    put16(ip + 10, 0);
    memcpy(ip + 12, src_ip, 4);
    memcpy(ip + 16, dst_ip, 4);
    put16(ip + 10, (uint16_t)~harness_csum_add(0, ip, 20));
    put16(udp, sport);
    put16(udp + 2, dport);
    put16(udp + 4, (uint16_t)(8u + plen));
    put16(udp + 6, 0);
    if (plen > 0) {
        memcpy(udp + 8, payload, plen);
    }
    uint32_t s = pseudo_sum(src_ip, dst_ip, (uint16_t)(8u + plen));
    s = harness_csum_add(s, udp, (uint16_t)(8u + plen));
    uint16_t c = (uint16_t)~s;
    put16(udp + 6, c == 0 ? 0xffff : c);  /* RFC 768: 0 means "no checksum" */
    return (uint16_t)total;
}

const uint8_t *harness_parse_udp(const uint8_t *frame, uint16_t len, uint8_t dst_mac[6],
                                 uint8_t src_ip[4], uint8_t dst_ip[4], uint16_t *sport,
                                 uint16_t *dport, uint16_t *plen)
{
    if (frame == NULL || len < 14u + 20u + 8u || get16(frame + 12) != 0x0800) {
        return NULL;
    }
    const uint8_t *ip = frame + 14;
    unsigned ihl = (ip[0] & 0x0fu) * 4u;
    if ((ip[0] >> 4) != 4 || ihl < 20u || ip[9] != 17) {
        return NULL;
    }
    uint16_t iplen = get16(ip + 2);
    if (iplen < ihl + 8u || 14u + iplen > len) {
        return NULL;
    }
    if (harness_csum_add(0, ip, (uint16_t)ihl) != 0xffffu) {
        return NULL;
    }
    const uint8_t *udp = ip + ihl;
    uint16_t ulen = get16(udp + 4);
    if (ulen < 8u || ulen > iplen - ihl || get16(udp + 6) == 0) {
        return NULL;
    }
    uint32_t s = pseudo_sum(ip + 12, ip + 16, ulen);
    if (harness_csum_add(s, udp, ulen) != 0xffffu) {
        return NULL;
    }
    if (dst_mac != NULL) {
        memcpy(dst_mac, frame, 6);
    }
    if (src_ip != NULL) {
        memcpy(src_ip, ip + 12, 4);
    }
    if (dst_ip != NULL) {
        memcpy(dst_ip, ip + 16, 4);
    }
    if (sport != NULL) {
        *sport = get16(udp);
    }
    if (dport != NULL) {
        *dport = get16(udp + 2);
    }
    if (plen != NULL) {
        *plen = (uint16_t)(ulen - 8u);
    }
    return udp + 8;
}

/* RFC 826 frame for Ethernet/IPv4: op 1 request, 2 reply. */
static void arp_frame(uint8_t f[42], const uint8_t eth_dst[6], uint16_t op,
                      const uint8_t sha[6], const uint8_t spa[4], const uint8_t tha[6],
                      const uint8_t tpa[4])
{
    memcpy(f, eth_dst, 6);
    memcpy(f + 6, sha, 6);
    put16(f + 12, 0x0806);
    put16(f + 14, 1);                   /* hardware: Ethernet */
    put16(f + 16, 0x0800);
    f[18] = 6;
    f[19] = 4;
    put16(f + 20, op);
    memcpy(f + 22, sha, 6);
    memcpy(f + 28, spa, 4);
    memcpy(f + 32, tha, 6);
    memcpy(f + 38, tpa, 4);
}

void harness_arp_seed(const uint8_t ip[4], const uint8_t mac[6])
{
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, unknown[6];
    uint8_t f[42];
    /* broadcast, as a host's who-has is */
    arp_frame(f, bcast, 1, mac, ip, unknown, fw_config.ip);
    unsigned before = out_n;
    harness_input(f, sizeof f);
    assert_int_equal(out_n, before + 1u);   /* lwIP's ARP reply */
    assert_int_equal(get16(out_buf[before] + 12), 0x0806);
    out_n = before;
}

void harness_assert_arp_request(unsigned i, const uint8_t ip[4])
{
    uint8_t mac[6];
    uint16_t len = 0;
    const uint8_t *f = harness_out(i, &len);
    assert_non_null(f);
    ident_device_mac(mac);
    assert_true(len >= 42u);
    assert_memory_equal(f, "\xff\xff\xff\xff\xff\xff", 6);
    assert_memory_equal(f + 6, mac, 6);
    assert_int_equal(get16(f + 12), 0x0806);
    assert_int_equal(get16(f + 14), 1);      /* RFC 826: Ethernet */
    assert_int_equal(get16(f + 16), 0x0800);
    assert_int_equal(f[18], 6);
    assert_int_equal(f[19], 4);
    assert_int_equal(get16(f + 20), 1);      /* request */
    assert_memory_equal(f + 22, mac, 6);
    assert_memory_equal(f + 28, fw_config.ip, 4);
    assert_memory_equal(f + 38, ip, 4);
}

void harness_arp_reply(const uint8_t ip[4], const uint8_t mac[6])
{
    uint8_t f[42];
    uint8_t dev[6];
    ident_device_mac(dev);
    arp_frame(f, dev, 2, mac, ip, dev, fw_config.ip);   /* the reply goes to the asker */
    harness_input(f, sizeof f);
}
