/* tcp_client.c - see tcp_client.h. Layer: tests/unit. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "tcp_client.h"
#include "lwip_harness.h"

#include "config.h"
#include "ident.h"
#include "lwip/opt.h"
#include "lwip/priv/tcp_priv.h"

#define F_FIN 0x01u
#define F_SYN 0x02u
#define F_RST 0x04u
#define F_PSH 0x08u
#define F_ACK 0x10u

#define TC_ETH 14u
#define TC_IP  20u
#define TC_TCP 20u
#define HDRS (TC_ETH + TC_IP + TC_TCP)

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)); put16(p + 2, (uint16_t)v); }
static uint16_t get16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static uint32_t get32(const uint8_t *p) { return ((uint32_t)get16(p) << 16) | get16(p + 2); }

static uint32_t pseudo_sum(const uint8_t src[4], const uint8_t dst[4], uint16_t tcp_len)
{
    uint8_t ph[12];
    memcpy(ph, src, 4);
    memcpy(ph + 4, dst, 4);
    ph[8] = 0;
    ph[9] = 6;      /* TCP */
    put16(ph + 10, tcp_len);
    return harness_csum_add(0, ph, sizeof ph);
}

static void send_segment(tcp_client_t *c, uint8_t flags, const void *data, uint16_t len)
{
    static uint8_t f[HDRS + 1460u];
    uint8_t dev_mac[6];
    assert_true(len <= 1460u);
    ident_device_mac(dev_mac);

    memcpy(f, dev_mac, 6);
    memcpy(f + 6, c->mac, 6);
    put16(f + 12, 0x0800);

    uint8_t *ip = f + TC_ETH;
    memset(ip, 0, TC_IP);
    ip[0] = 0x45;
    put16(ip + 2, (uint16_t)(TC_IP + TC_TCP + len));
    ip[8] = 64;
    ip[9] = 6;
    memcpy(ip + 12, c->ip, 4);
    memcpy(ip + 16, fw_config.ip, 4);
    put16(ip + 10, (uint16_t)~harness_csum_add(0, ip, TC_IP));

    uint8_t *t = ip + TC_IP;
    memset(t, 0, TC_TCP);
    put16(t, c->sport);
    put16(t + 2, c->dport);
    put32(t + 4, c->snd_nxt);
    put32(t + 8, (flags & F_ACK) ? c->rcv_nxt : 0);
    t[12] = (uint8_t)((TC_TCP / 4u) << 4);
    t[13] = flags;
    put16(t + 14, c->wnd);
    if (len > 0) {
        memcpy(t + TC_TCP, data, len);
    }
    uint32_t sum = pseudo_sum(c->ip, fw_config.ip, (uint16_t)(TC_TCP + len));
    sum = harness_csum_add(sum, t, (uint16_t)(TC_TCP + len));
    put16(t + 16, (uint16_t)~sum);

    c->snd_nxt += len + ((flags & (F_SYN | F_FIN)) ? 1u : 0u);
    harness_input(f, (uint16_t)(HDRS + len));
}

/* Handles one captured frame; returns true if it needs an ACK from us. */
static bool handle_frame(tcp_client_t *c, const uint8_t *f, uint16_t flen)
{
    if (flen < HDRS || get16(f + 12) != 0x0800) {
        return false;
    }
    const uint8_t *ip = f + TC_ETH;
    if (ip[0] != 0x45 || ip[9] != 6 || memcmp(ip + 16, c->ip, 4) != 0) {
        return false;
    }
    assert_int_equal(harness_csum_add(0, ip, TC_IP), 0xffffu);
    uint16_t ip_len = get16(ip + 2);
    assert_true(ip_len <= flen - TC_ETH && ip_len >= TC_IP + TC_TCP);
    const uint8_t *t = ip + TC_IP;
    uint16_t tcp_len = (uint16_t)(ip_len - TC_IP);
    if (get16(t + 2) != c->sport || get16(t) != c->dport) {
        return false;
    }
    /* every segment lwIP sends must carry a correct checksum (RFC 793 3.1) */
    uint32_t sum = pseudo_sum(ip + 12, ip + 16, tcp_len);
    assert_int_equal(harness_csum_add(sum, t, tcp_len), 0xffffu);
    assert_memory_equal(f, c->mac, 6);

    unsigned doff = (unsigned)(t[12] >> 4) * 4u;
    assert_true(doff >= TC_TCP && doff <= tcp_len);
    uint8_t flags = t[13];
    uint32_t seq = get32(t + 4);
    const uint8_t *data = t + doff;
    uint16_t dlen = (uint16_t)(tcp_len - doff);

    if (flags & F_RST) {
        c->rst_received = true;
        return false;
    }
    if (!c->established) {
        if ((flags & (F_SYN | F_ACK)) == (F_SYN | F_ACK) && get32(t + 8) == c->snd_nxt) {
            c->rcv_nxt = seq + 1u;
            c->established = true;
            return true;
        }
        return false;
    }
    if (seq != c->rcv_nxt && dlen > 0 && (int32_t)(c->rcv_nxt - seq) > 0 &&
        (int32_t)(seq + dlen - c->rcv_nxt) > 0) {
        /* overlaps what we have (a probe byte resent in a bigger segment):
         * keep only the new part (RFC 793 3.3, segment trimming) */
        uint32_t skip = c->rcv_nxt - seq;
        data += skip;
        dlen = (uint16_t)(dlen - skip);
        seq = c->rcv_nxt;
    }
    if (seq != c->rcv_nxt) {
        return dlen > 0 || (flags & F_FIN);    /* duplicate: ACK again */
    }
    if (dlen > 0) {
        assert_true(c->rx_len + dlen <= TCP_CLIENT_RX_MAX);
        memcpy(c->rx + c->rx_len, data, dlen);
        c->rx_len += dlen;
        c->rx[c->rx_len] = 0;
        c->rcv_nxt += dlen;
    }
    if (flags & F_FIN) {
        c->rcv_nxt += 1u;
        c->fin_received = true;
    }
    return dlen > 0 || (flags & F_FIN);
}

/* Handles every frame lwIP sent so far (copied first: handling one may make
 * lwIP send more); *frames = how many there were. Returns how many of them
 * carried data or FIN for this connection (need an ACK). */
static unsigned take(tcp_client_t *c, unsigned *frames)
{
    unsigned n = harness_out_count(), got = 0;
    static uint8_t copy[HARNESS_MAX_OUT][HARNESS_FRAME_MAX];
    static uint16_t lens[HARNESS_MAX_OUT];
    for (unsigned i = 0; i < n; i++) {
        const uint8_t *f = harness_out(i, &lens[i]);
        memcpy(copy[i], f, lens[i]);
    }
    harness_out_clear();
    for (unsigned i = 0; i < n; i++) {
        got += handle_frame(c, copy[i], lens[i]);
    }
    *frames = n;
    return got;
}

/* Processes what lwIP sent so far and ACKs it; true if anything came. */
static bool pump(tcp_client_t *c)
{
    unsigned n;
    if (take(c, &n) > 0 && c->established && !c->rst_received) {
        send_segment(c, F_ACK, NULL, 0);
    }
    return n > 0;
}

void tcp_client_init(tcp_client_t *c, uint16_t sport)
{
    static const uint8_t mac[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
    memset(c, 0, sizeof *c);
    memcpy(c->mac, mac, 6);
    memcpy(c->ip, fw_config.ip, 3);
    c->ip[3] = 2;
    c->sport = sport;
    c->wnd = 8192;
    c->snd_nxt = 0x10000000u + (uint32_t)sport * 7919u;
    harness_arp_seed(c->ip, c->mac);
}

void tcp_client_connect(tcp_client_t *c, uint16_t dport)
{
    c->dport = dport;
    harness_out_clear();
    send_segment(c, F_SYN, NULL, 0);
    pump(c);
    assert_true(c->established);
    assert_false(c->rst_received);
}

void tcp_client_segment(tcp_client_t *c, uint8_t flags, const void *data, uint16_t len)
{
    send_segment(c, flags, data, len);
}

bool tcp_client_pump(tcp_client_t *c)
{
    return pump(c);
}

unsigned tcp_client_take(tcp_client_t *c)
{
    unsigned n;
    return take(c, &n);
}

void tcp_client_send(tcp_client_t *c, const void *data, uint16_t len)
{
    send_segment(c, F_PSH | F_ACK, data, len);
}

bool tcp_client_wait_fin(tcp_client_t *c)
{
    /* bounded: 400 rounds of at most 250 ms of lwIP time */
    for (unsigned round = 0; round < 400u && !c->fin_received && !c->rst_received; round++) {
        if (!pump(c)) {
            harness_advance_ms(TCP_TMR_INTERVAL);
        }
    }
    pump(c);
    return c->fin_received;
}

void tcp_client_abort(tcp_client_t *c)
{
    send_segment(c, F_RST | F_ACK, NULL, 0);
    c->rst_received = true;
    harness_out_clear();
}

void tcp_client_close(tcp_client_t *c)
{
    if (!c->rst_received) {
        send_segment(c, F_FIN | F_ACK, NULL, 0);
        pump(c);
    }
    /* the server closed first, so it holds TIME_WAIT (RFC 793 3.5) for
     * 2 * TCP_MSL of lwIP's slow-timer ticks; with the harness' 100 ms steps
     * those ticks come a little late, so wait until it is gone (bounded) */
    for (unsigned s = 0; s < 4u * TCP_MSL / 1000u && tcp_tw_pcbs != NULL; s++) {
        harness_advance_ms(1000u);
    }
    assert_null(tcp_tw_pcbs);
    harness_advance_ms(1000u);      /* lwIP's TCP timer stops once idle */
    pump(c);
    harness_out_clear();
}

const char *tcp_client_exchange(tcp_client_t *c, const char *request, size_t len)
{
    tcp_client_connect(c, 80);
    assert_true(len <= 1460u);
    tcp_client_send(c, request, (uint16_t)len);
    assert_true(tcp_client_wait_fin(c));
    tcp_client_close(c);
    return (const char *)c->rx;
}
