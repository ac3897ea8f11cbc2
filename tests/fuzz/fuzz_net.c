/*
 * fuzz_net.c - libFuzzer target: whole Ethernet frames into the device's
 * netif (firmware/net/net.c over a fake link, as test_net drives it), with
 * the real services behind it: ARP, ICMP, IPv4, UDP (DHCP server, DNS
 * server, closed ports), TCP to port 80 through lwIP's httpd and our JSON
 * API (firmware/net/http_api.c, firmware/app/app.c). Layer: tests/fuzz.
 *
 * Input: up to FUZZ_NET_MAX_FRAMES records, each
 *   u8 flags  bit0: fix the frame up: IPv4 total length = what the frame
 *                   holds, IPv4 header checksum, and (unfragmented) the
 *                   TCP/UDP/ICMP checksum - else it goes in as it is
 *             bit1: TCP: seq/ack := what the device expects on this
 *                   connection (its last ack / its next sequence number),
 *                   so inputs get past the handshake into httpd
 *             bit2: the link refuses to send (tx_acquire NULL) meanwhile
 *             bit3: the link is down for this step
 *   u8 dt     then dt * 100 ms of lwIP timers (in 100 ms steps, net_poll()
 *             after each: retransmissions, ARP ageing, TIME_WAIT)
 *   u16 len   then len bytes of Ethernet frame (no FCS); a destination
 *             MAC of 00:00:00:00:00:00 is replaced by the device's (the
 *             seeds cannot know it: it derives from the chip's unique ID)
 * Oracle: ASan/UBSan, net.c's and the harness's checks, and
 * harness_teardown() after the input: every lwIP pool and the heap idle
 * again once all connections are gone and an unfinished fragment set had
 * its time to expire (nothing leaked).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "app/app.h"
#include "config.h"
#include "dhcps.h"
#include "dnss.h"
#include "mdns.h"
#include "fake_board.h"
#include "ident.h"
#include "lwip_harness.h"
#include "net.h"
#include "stm32net_opt.h"
#include "lwip/timeouts.h"
#include "lwip/ip4_frag.h"

#define FUZZ_NET_MAX_FRAMES 10u
#define FUZZ_NET_MAX_DT     255u

/* ------------------------------------------------------------ fake link */

static uint8_t rx_frame[ECM_MAX_SEGMENT];
static uint16_t rx_len;
static int rx_has;
static uint8_t tx_buf[ECM_MAX_SEGMENT];
static int tx_block;
static int link_down;

static const uint8_t *fl_rx_peek(uint16_t *len)
{
    if (!rx_has) {
        return NULL;
    }
    *len = rx_len;
    return rx_frame;
}
static void fl_rx_release(void) { rx_has = 0; }
static uint8_t *fl_tx_acquire(void) { return tx_block ? NULL : tx_buf; }
static bool fl_link_up(void) { return !link_down; }

/* lwIP's iperf server (net/iperf.c) is not fuzzed here: lwiperf 2.1.3 has
 * no clean stop (lwiperf_abort frees its state but not its pcbs), so its
 * listener would outlive each input; its port then just answers RST. */
bool iperf_init(void);
bool iperf_init(void) { return false; }

/* ------------------------------------------------------------ TCP state */

static uint16_t get16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static uint32_t get32(const uint8_t *p) { return ((uint32_t)get16(p) << 16) | get16(p + 2); }
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)); put16(p + 2, (uint16_t)v); }

#define CONN_MAX 4u
static struct {
    uint16_t host_port, dev_port;
    uint32_t dev_next;   /* the device's next sequence number: our ack */
    uint32_t dev_ack;    /* what the device acked: our next seq */
    int used;
} conns[CONN_MAX];
static unsigned conn_rr;

/* Finds the TCP segment in an Ethernet/IPv4 frame: returns its header or NULL. */
static const uint8_t *tcp_of(const uint8_t *f, uint16_t len, uint16_t *seglen)
{
    if (len < 54u || get16(f + 12) != 0x0800 || (f[14] >> 4) != 4 || f[23] != 6) {
        return NULL;
    }
    unsigned ihl = (f[14] & 15u) * 4u;
    unsigned tot = get16(f + 16);
    if (ihl < 20u || tot > len - 14u || tot < ihl + 20u) {
        return NULL;
    }
    const uint8_t *t = f + 14 + ihl;
    unsigned doff = (t[12] >> 4) * 4u;
    if (doff < 20u || doff > tot - ihl) {
        return NULL;
    }
    *seglen = (uint16_t)(tot - ihl - doff);
    return t;
}

static void fl_tx_commit(uint16_t len)
{
    uint16_t seglen;
    const uint8_t *t = tcp_of(tx_buf, len, &seglen);
    if (t == NULL) {
        return;
    }
    uint16_t dev_port = get16(t), host_port = get16(t + 2);
    unsigned i;
    for (i = 0; i < CONN_MAX; i++) {
        if (conns[i].used && conns[i].host_port == host_port && conns[i].dev_port == dev_port) {
            break;
        }
    }
    if (i == CONN_MAX) {
        i = conn_rr++ % CONN_MAX;
    }
    uint8_t fl = t[13];
    conns[i].used = 1;
    conns[i].host_port = host_port;
    conns[i].dev_port = dev_port;
    conns[i].dev_next = get32(t + 4) + seglen + ((fl & 0x02u) ? 1u : 0u) + ((fl & 0x01u) ? 1u : 0u);
    if (fl & 0x10u) {
        conns[i].dev_ack = get32(t + 8);
    }
}

static const net_link_t fuzz_link = {
    .rx_peek = fl_rx_peek,
    .rx_release = fl_rx_release,
    .tx_acquire = fl_tx_acquire,
    .tx_commit = fl_tx_commit,
    .link_up = fl_link_up,
};

/* ------------------------------------------------------------ fix-ups */

static uint16_t csum_fold(uint32_t s) { return (uint16_t)~harness_csum_add(s, NULL, 0); }

static void fix_frame(uint8_t *f, uint16_t len, uint8_t flags)
{
    if (len < 34u || get16(f + 12) != 0x0800 || (f[14] >> 4) != 4) {
        return;
    }
    uint8_t *ip = f + 14;
    unsigned ihl = (ip[0] & 15u) * 4u;
    if (ihl < 20u || 14u + ihl > len) {
        return;
    }
    unsigned tot = len - 14u;
    put16(ip + 2, (uint16_t)tot);
    uint8_t *l4 = ip + ihl;
    unsigned l4len = tot - ihl;
    int frag = ((ip[6] & 0x3fu) | ip[7]) != 0;

    if ((flags & 2u) && ip[9] == 6 && l4len >= 20u) {
        for (unsigned i = 0; i < CONN_MAX; i++) {
            if (conns[i].used && conns[i].host_port == get16(l4) && conns[i].dev_port == get16(l4 + 2)) {
                put32(l4 + 4, conns[i].dev_ack);
                put32(l4 + 8, conns[i].dev_next);
                break;
            }
        }
    }
    if (!frag) {
        unsigned off = 0;
        if (ip[9] == 6 && l4len >= 20u) {
            off = 16;
        } else if (ip[9] == 17 && l4len >= 8u) {
            off = 6;
            put16(l4 + 4, (uint16_t)l4len);
        } else if (ip[9] == 1 && l4len >= 4u) {
            off = 2;
        }
        if (off != 0) {
            put16(l4 + off, 0);
            uint32_t s = 0;
            if (ip[9] != 1) {   /* RFC 793 3.1 / RFC 768: pseudo header */
                uint8_t ph[12];
                memcpy(ph, ip + 12, 8);
                ph[8] = 0;
                ph[9] = ip[9];
                put16(ph + 10, (uint16_t)l4len);
                s = harness_csum_add(0, ph, 12);
            }
            uint16_t c = csum_fold(harness_csum_add(s, l4, (uint16_t)l4len));
            if (c == 0 && ip[9] == 17) {
                c = 0xffff;
            }
            put16(l4 + off, c);
        }
    }
    put16(ip + 10, 0);
    put16(ip + 10, csum_fold(harness_csum_add(0, ip, (uint16_t)ihl)));
}

/* ------------------------------------------------------------ target */

static void step_ms(unsigned ms)
{
    for (unsigned k = 0; k < ms; k += 100u) {
        fake_board_ms += 100u;
        net_poll();
    }
}

FUZZ_DEFAULT_INITIALIZE

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in_t in;

    fuzz_in_init(&in, data, size);
    /* Every input starts at the same phase of lwIP's cyclic timers (ARP's
     * 1 s timer is the only one left between inputs; TCP's starts on demand):
     * time jumps to a whole second and the timers due run, so an input does
     * the same on its own as in the middle of a run, and reproduces. */
    fake_board_ms = (fake_board_ms / 1000u + 2u) * 1000u;
    sys_check_timeouts();
#ifdef FUZZ_NET_PHASE
    fake_board_ms += (uint32_t)atoi(getenv("FUZZ_NET_PHASE"));
    sys_check_timeouts();
#endif
    memset(conns, 0, sizeof conns);
    rx_has = 0;
    tx_block = 0;
    link_down = 0;
    app_init();
    net_init(&fuzz_link);
    /* the services net_init() started, stopped the way they want before the
     * harness removes every pcb (as their unit tests do) */
    harness_on_teardown(dhcps_deinit);
    harness_on_teardown(dnss_deinit);
    harness_on_teardown(mdns_deinit);
    net_poll();

    for (unsigned m = 0; m < FUZZ_NET_MAX_FRAMES && fuzz_in_more(&in); m++) {
        uint8_t flags = fuzz_u8(&in);
        uint8_t dt = fuzz_u8(&in);
        uint16_t len;
        const uint8_t *f = fuzz_record(&in, sizeof rx_frame, &len);

        memcpy(rx_frame, f, len);
        rx_len = len;
        if (len >= 6u && memcmp(rx_frame, "\0\0\0\0\0\0", 6) == 0) {
            ident_device_mac(rx_frame);
        }
        if (flags & 1u) {
            fix_frame(rx_frame, len, flags);
        }
        rx_has = len > 0;
        tx_block = (flags & 4u) != 0;
        link_down = (flags & 8u) != 0;
        net_poll();
        rx_has = 0;   /* a frame the link was down for is gone */
        step_ms(dt * 100u);
        tx_block = 0;
        link_down = 0;
        net_poll();
    }
    /* Let queued frames out, and let an incomplete set of IPv4 fragments
     * expire (it is global in lwIP, not the netif's: netif_remove() keeps
     * it), so only what lwIP itself holds is left; then the harness removes
     * every pcb and the netif and checks the pools. */
    net_poll();
#if IP_REASSEMBLY
    step_ms(IP_REASS_MAXAGE * IP_TMR_INTERVAL + 1000u);
#endif
    harness_teardown();
    return 0;
}
