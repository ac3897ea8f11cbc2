/*
 * net.c - lwIP 2.1.3 (NO_SYS) netif on the abstract Ethernet link of net.h.
 *
 * Layer: portable (firmware/net). Includes lwIP, net.h, config/ident/link
 * counters only. Runs only from the main loop (no locking, SYS_LIGHTWEIGHT_PROT 0).
 *
 * Flow control, both directions, without losing frames where we can avoid it:
 * - RX: the link holds one received frame until rx_release(). When the pbuf
 *   pool is empty the frame stays in the link (the host gets NAKs, CDC ECM
 *   1.2 3.3.1: flow control is the bus's own) and is retried at the next
 *   net_poll(): nothing is dropped or counted.
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
static bool net_tx_now(struct pbuf *p)
{
    uint8_t *buf = net_link->tx_acquire();
    if (buf == NULL) {
        return false;
    }
    uint16_t len = pbuf_copy_partial(p, buf, p->tot_len, 0);
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
        struct pbuf *p = pbuf_alloc(PBUF_RAW, len, PBUF_POOL);
        if (p == NULL) {
            return;  /* backpressure: the frame waits in the link */
        }
        (void)pbuf_take(p, frame, len);
        if (net_hook != NULL) {
            net_hook(false, frame, len);
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
