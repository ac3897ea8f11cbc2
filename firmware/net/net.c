/*
 * net.c - lwIP 2.1.3 (NO_SYS) netif on the abstract Ethernet link of net.h.
 *
 * Layer: portable (firmware/net). Includes lwIP, net.h, config/ident/link
 * counters only. Runs only from the main loop (no locking, SYS_LIGHTWEIGHT_PROT 0).
 *
 * Flow control, both directions, without losing frames where we can avoid it:
 * - RX: a frame from the host is never held back by TCP state. The link
 *   holds one received frame until rx_release(); when no pool pbuf is free
 *   the frame is dropped and counted (link_stats.rx_dropped) right away,
 *   like a NIC whose receive ring is full. Waiting instead (NAKing the host)
 *   would stall every frame behind it - ARP, ICMP, DHCP, DNS - for as long
 *   as whoever holds the pool keeps it, and a TCP peer can make it hold it
 *   (issue 10: partial HTTP requests pinned all four pool pbufs). So nobody
 *   may keep pool pbufs for long: our HTTP server copies what it needs out
 *   of each segment and frees it at once (http_srv.c), TCP_QUEUE_OOSEQ is 0,
 *   IP reassembly is bounded (below). A dropped TCP segment is
 *   retransmitted by the peer; UDP and ICMP are best effort by design.
 * - IP fragments (RFC 791 3.2, RFC 1122 3.3.2) are not put in pool pbufs at
 *   all: lwIP's reassembly keeps every fragment until its datagram is whole
 *   or IP_REASS_MAXAGE ends it, so pool pbufs would let a fragment flood
 *   take the pool. Each fragment is copied into one heap block of its exact
 *   size (a custom pbuf whose free function we own), and all fragments held
 *   together may use at most NET_FRAG_BUDGET bytes of the heap; beyond that
 *   a fragment is dropped and counted. The budget holds a whole 1500-byte
 *   datagram (the MTU) in any split; `ping -s 3000` (3028 bytes, and a reply
 *   that would need IP_FRAG) is beyond the 16 KB chip's RAM and is dropped.
 * - TX: the link has one frame buffer. lwIP's frames that find it busy wait
 *   in a FIFO of NET_TXQ_LEN pbuf references (pbuf_ref(), so TCP sees the
 *   segment as busy and does not rewrite it) and leave in order from
 *   net_poll(). FIFO full or link down -> link_stats.tx_dropped (lwIP's
 *   retransmission or the peer's retry recovers; UDP is best effort anyway).
 * Limits: one netif; net_init() runs lwip_init() only the first time because
 * lwIP's state is global (a second net_init(), used by the unit tests, needs
 * the previous netif and pcbs removed by the caller).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lwip/etharp.h"
#include "lwip/init.h"
#include "lwip/mem.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"

#include "config.h"
#include "ident.h"
#include "iperf.h"
#include "link_stats.h"
#include "net.h"
#include "stm32net_opt.h"

#ifndef NET_TXQ_LEN
#define NET_TXQ_LEN 4u   /* a TCP window (2 x MSS) plus ACK/ARP fits */
#endif
#ifndef NET_FRAG_BUDGET
/* heap bytes all held fragments may use: a 1500-byte datagram in 3
 * fragments is 3 frames of up to 554 bytes + block overhead (~1.75 KB);
 * in 2 fragments (1514 + 74 bytes) ~1.65 KB */
#define NET_FRAG_BUDGET 1900u
#endif
#ifndef NET_RX_BURST
#define NET_RX_BURST 8u  /* frames per net_poll(), so TX and timers get their turn */
#endif

static const net_link_t *net_link;
static net_frame_hook_t net_hook;
static struct netif net_netif;
static bool net_lwip_started;

static struct pbuf *net_txq[NET_TXQ_LEN];
static uint8_t net_txq_head;
static uint8_t net_txq_count;

void net_set_frame_hook(net_frame_hook_t hook)
{
    net_hook = hook;
}

/* Copies p into the link's free frame buffer; false if the buffer is busy. */
/* The frame of pbuf chain p into the link's buffer: pbuf_copy_partial's
 * job, plus a half-word path. A TCP segment lwIP sends is a 54-byte header
 * pbuf, then the data in a 4-aligned pbuf of its own, which lands 2 bytes off
 * word alignment in the frame; newlib's memcpy copies such a pair byte by
 * byte (~5 instructions a byte on the Cortex-M0, a third of a sent segment's
 * cycles by make bench MODE=chip's profile); two half-words at a time take
 * ~2. Never more than p->tot_len bytes (the link's buffer holds that). */
static uint16_t net_copy_frame(const struct pbuf *p, uint8_t *dst)
{
    uint16_t off = 0;
    for (const struct pbuf *q = p; q != NULL && off < p->tot_len; q = q->next) {
        uint16_t n = q->len < p->tot_len - off ? q->len : (uint16_t)(p->tot_len - off);
        const uint8_t *s = q->payload;
        uint8_t *d = dst + off;
        off = (uint16_t)(off + n);
        if ((((uintptr_t)s ^ (uintptr_t)d) & 3u) != 2u || n < 8u) {
            memcpy(d, s, n);   /* word-compatible (or short): memcpy's own word path */
            continue;
        }
        if (((uintptr_t)d & 1u) != 0u) {
            *d++ = *s++;       /* both odd: one byte makes both even */
            n--;
        }
        const uint8_t *s2 = __builtin_assume_aligned(s, 2);
        uint8_t *d2 = __builtin_assume_aligned(d, 2);
        const uint8_t *end = s2 + (n & ~3u);
        while (s2 != end) {
            uint16_t a, b;
            memcpy(&a, s2, 2u);
            memcpy(&b, s2 + 2, 2u);
            memcpy(d2, &a, 2u);
            memcpy(d2 + 2, &b, 2u);
            s2 += 4;
            d2 += 4;
        }
        memcpy(d2, s2, n & 3u);
    }
    return off;
}

static bool net_tx_now(struct pbuf *p)
{
    uint8_t *buf = net_link->tx_acquire_len != NULL ? net_link->tx_acquire_len(p->tot_len)
                                                    : net_link->tx_acquire();
    if (buf == NULL) {
        return false;
    }
    uint16_t len = net_copy_frame(p, buf);
    if (net_hook != NULL) {
        net_hook(true, buf, len);
    }
    net_link->tx_commit(len);
    return true;
}

static void net_txq_drop_all(void)
{
    while (net_txq_count > 0) {
        pbuf_free(net_txq[net_txq_head]);
        net_txq[net_txq_head] = NULL;
        net_txq_head = (uint8_t)((net_txq_head + 1u) % NET_TXQ_LEN);
        net_txq_count--;
        link_stats.tx_dropped++;
    }
    net_txq_head = 0;
}

static void net_txq_flush(void)
{
    while (net_txq_count > 0 && net_tx_now(net_txq[net_txq_head])) {
        pbuf_free(net_txq[net_txq_head]);
        net_txq[net_txq_head] = NULL;
        net_txq_head = (uint8_t)((net_txq_head + 1u) % NET_TXQ_LEN);
        net_txq_count--;
    }
}

static err_t net_linkoutput(struct netif *netif, struct pbuf *p)
{
    (void)netif;
    if (p->tot_len > ECM_MAX_SEGMENT) {
        /* CDC ECM 1.2 5.4 wMaxSegmentSize: the host would drop it anyway */
        link_stats.tx_errors++;
        return ERR_IF;
    }
    if (!net_link->link_up()) {
        link_stats.tx_dropped++;
        return ERR_IF;
    }
    net_txq_flush();  /* keep frame order: older queued frames go first */
    if (net_txq_count == 0 && net_tx_now(p)) {
        return ERR_OK;
    }
    if (net_txq_count >= NET_TXQ_LEN) {
        link_stats.tx_dropped++;
        return ERR_MEM;
    }
    pbuf_ref(p);
    net_txq[(net_txq_head + net_txq_count) % NET_TXQ_LEN] = p;
    net_txq_count++;
    return ERR_OK;
}

static err_t net_netif_init(struct netif *netif)
{
    ident_device_mac(netif->hwaddr);
    netif->hwaddr_len = ETH_HWADDR_LEN;
    netif->mtu = (u16_t)(ECM_MAX_SEGMENT - SIZEOF_ETH_HDR);
    netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
    netif->name[0] = 'u';
    netif->name[1] = 'e';
    netif->output = etharp_output;
    netif->linkoutput = net_linkoutput;
    return ERR_OK;
}

/* Follows the link (ECM: data interface alt setting 1, CDC ECM 1.2 6.3.1). */
static void net_link_check(void)
{
    bool up = net_link->link_up();
    if (up && !netif_is_link_up(&net_netif)) {
        netif_set_link_up(&net_netif);  /* sends a gratuitous ARP (RFC 5227 3) */
    } else if (!up && netif_is_link_up(&net_netif)) {
        netif_set_link_down(&net_netif);
        net_txq_drop_all();             /* the host forgot the link; stale frames */
    }
}

#if IP_REASSEMBLY
typedef struct {
    struct pbuf_custom pc;   /* first: lwIP frees through pc.custom_free_function */
    uint16_t size;           /* the whole heap block */
} net_frag_t;

static uint16_t net_frag_bytes;   /* heap bytes held by fragments now */

static void net_frag_free(struct pbuf *p)
{
    net_frag_t *f = (net_frag_t *)(void *)p;
    LWIP_ASSERT("net_frag_bytes", net_frag_bytes >= f->size);
    net_frag_bytes = (uint16_t)(net_frag_bytes - f->size);
    mem_free(f);
}

/* An IPv4 fragment: MF set or a fragment offset (RFC 791 3.1). */
static bool net_is_fragment(const uint8_t *frame, uint16_t len)
{
    return len >= 14u + 20u && frame[12] == 0x08 && frame[13] == 0x00 &&
           (((frame[20] << 8) | frame[21]) & 0x3fff) != 0;
}

static struct pbuf *net_frag_alloc(const uint8_t *frame, uint16_t len)
{
    uint16_t head = (uint16_t)LWIP_MEM_ALIGN_SIZE(sizeof(net_frag_t));
    uint16_t size = (uint16_t)(head + len);
    if (net_frag_bytes + size > NET_FRAG_BUDGET) {
        return NULL;
    }
    net_frag_t *f = mem_malloc(size);
    if (f == NULL) {
        return NULL;
    }
    uint8_t *data = (uint8_t *)f + head;
    memcpy(data, frame, len);
    f->pc.custom_free_function = net_frag_free;
    f->size = size;
    net_frag_bytes = (uint16_t)(net_frag_bytes + size);
    /* PBUF_RAM: struct and data in one block, so lwIP may move the
     * payload pointer back over headers (ICMP echo reply in place) */
    return pbuf_alloced_custom(PBUF_RAW, len, PBUF_RAM, &f->pc, data, len);
}
#endif

static void net_rx(void)
{
    const uint8_t *frame;
    uint16_t len;
    unsigned n;

    for (n = 0; n < NET_RX_BURST && (frame = net_link->rx_peek(&len)) != NULL; n++) {
        /* ECM tolerates one byte over the maximum segment (a host's padding
         * byte or a frame the host did not trim); lwIP trims to the IP total
         * length. Beyond that the link broke its promise: never trust it. */
        if (len == 0 || len > ECM_MAX_SEGMENT + 1u) {
            net_link->rx_release();
            link_stats.rx_dropped++;
            continue;
        }
        struct pbuf *p;
        bool copied = false;
#if IP_REASSEMBLY
        if (net_is_fragment(frame, len)) {
            p = net_frag_alloc(frame, len);   /* never the pool: see the header */
            copied = true;
        } else
#endif
        {
            p = pbuf_alloc(PBUF_RAW, len, PBUF_POOL);
        }
        if (net_hook != NULL) {
            net_hook(false, frame, len);   /* the capture shows dropped frames too */
        }
        if (p == NULL) {
            /* no waiting: see the header (RX) */
            net_link->rx_release();
            link_stats.rx_dropped++;
            continue;
        }
        if (!copied) {
            (void)pbuf_take(p, frame, len);
        }
        net_link->rx_release();
        if (net_netif.input(p, &net_netif) != ERR_OK) {
            pbuf_free(p);
        }
    }
}

void net_init(const net_link_t *link)
{
    ip4_addr_t ip, mask, gw;

    net_txq_drop_all();   /* nothing on a first start; frames of an earlier link */
    net_link = link;
    if (!net_lwip_started) {
        lwip_init();
        net_lwip_started = true;
    }
    IP4_ADDR(&ip, fw_config.ip[0], fw_config.ip[1], fw_config.ip[2], fw_config.ip[3]);
    IP4_ADDR(&mask, fw_config.netmask[0], fw_config.netmask[1], fw_config.netmask[2],
             fw_config.netmask[3]);
    ip4_addr_set_zero(&gw);  /* point-to-point link: nothing to route to */
    memset(&net_netif, 0, sizeof net_netif);
    netif_add(&net_netif, &ip, &mask, &gw, NULL, net_netif_init, ethernet_input);
    netif_set_default(&net_netif);
    netif_set_up(&net_netif);
    net_link_check();

    dhcps_init();
    dnss_init();
    mdns_init();
    http_api_init();
    (void)iperf_init();   /* no memory: no iperf server, the rest still serves */
}

void net_poll(void)
{
    if (net_link == NULL) {
        return;   /* net_init() not run yet */
    }
    net_link_check();
    net_txq_flush();
    net_rx();
    net_txq_flush();
    sys_check_timeouts();
}

uint32_t net_sleeptime_ms(void)
{
    return sys_timeouts_sleeptime();
}
