/*
 * dhcps.h - DHCP server (RFC 2131, options RFC 2132) for the one host on the
 * other end of the USB link. Layer: portable (firmware/net), lwIP raw UDP API.
 * dhcps_init() is declared in net.h and called by net_init().
 *
 * Pool: DHCPS_POOL_SIZE addresses starting at last octet DHCPS_POOL_FIRST of
 * fw_config.ip (a /24 or smaller subnet is assumed for the pool itself).
 * All tunables are in stm32net_opt.h.
 */
#ifndef DHCPS_H
#define DHCPS_H

#include <stdbool.h>
#include <stdint.h>

#include "lwip/opt.h"
#include "lwip/inet_chksum.h"
#include "lwip/ip_addr.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/prot/ip.h"
#include "lwip/prot/ip4.h"
#include "lwip/prot/udp.h"
#include "lwip/stats.h"
#include "lwip/udp.h"

/* Counters, single writer (the lwIP UDP callback, main loop). */
typedef struct {
    uint32_t rx;              /* datagrams received on port 67 */
    uint32_t malformed;       /* dropped: bad BOOTP header, cookie, options or message type */
    uint32_t ignored;         /* well formed, no answer due (other server chosen, stray release) */
    uint32_t discover;
    uint32_t request;
    uint32_t decline;
    uint32_t release;
    uint32_t inform;
    uint32_t offer;
    uint32_t ack;
    uint32_t nak;
    uint32_t pool_exhausted;  /* DISCOVER with no address left: no offer */
    uint32_t relayed;         /* dropped: giaddr set (a relay agent), see dhcps.c */
    uint32_t tx_failed;       /* no memory for a reply, or lwIP refused to send it */
} dhcps_stats_t;

extern dhcps_stats_t dhcps_stats;

/* (Re)starts with an empty lease table and zeroed counters, and arms the
 * lwIP timer that ages leases without traffic (one MEMP_SYS_TIMEOUT). A
 * second call drops the first one's pcb and timer (so whoever removes all
 * UDP pcbs behind its back must call dhcps_deinit() first). */
void dhcps_init(void);
/* Stops the timer and removes the UDP pcb (tests, or a restart of the
 * stack); dhcps_init() brings the server back. */
void dhcps_deinit(void);

/* Lease table for the app's status page: slot i (0..DHCPS_POOL_SIZE-1).
 * Returns true if the slot is bound (ACKed and not expired), then fills the
 * client's MAC, the address and the seconds left. */
bool dhcps_lease_get(unsigned i, uint8_t mac[6], uint8_t ip[4], uint32_t *remaining_s);

/*
 * lwIP hook LWIP_HOOK_IP4_INPUT (see lwipopts.h), run by ip4_input() for
 * every IPv4 packet before its own checks. It takes only UDP from 0.0.0.0 to
 * port 67 - a client that has no address yet (RFC 2131 4.1, RFC 1122
 * 3.2.1.3 a), which ip4_input() would drop as a broadcast source - checks it
 * the way ip4_input()/udp_input() would (header checksum, lengths, UDP
 * checksum, destination broadcast or ours; failures counted in lwIP's own
 * ip/udp stats) and hands it to the pcb bound to port 67. Returns 1 when it
 * consumed p (delivered or freed), 0 to leave the packet to lwIP.
 * Static inline because it is expanded inside lwIP's ip4.c: programs that link
 * lwIP without dhcps.c (other unit tests) still link.
 */
static inline int dhcps_ip4_input_hook(struct pbuf *p, struct netif *inp)
{
    const u8_t *h = (const u8_t *)p->payload;
    if (p->len < IP_HLEN + UDP_HLEN) {
        return 0;
    }
    u16_t hl = (u16_t)((h[0] & 0x0fu) * 4u);
    if (hl < IP_HLEN || p->len < hl + UDP_HLEN || h[9] != IP_PROTO_UDP ||
        (h[12] | h[13] | h[14] | h[15]) != 0 || h[hl + 2] != 0 || h[hl + 3] != 67) {
        return 0;
    }
    /* From here the datagram is the DHCP server's: consumed either way. */
    u16_t total = (u16_t)((h[2] << 8) | h[3]);
    u16_t sport = (u16_t)((h[hl] << 8) | h[hl + 1]);
    u16_t ulen = (u16_t)((h[hl + 4] << 8) | h[hl + 5]);
    bool has_sum = (h[hl + 6] | h[hl + 7]) != 0;
    bool frag = ((h[6] & 0x3fu) | h[7]) != 0;   /* MF or offset: no reassembly here */
    ip_addr_t src, dst;
    ip_addr_set_zero_ip4(&src);
    IP_ADDR4(&dst, h[16], h[17], h[18], h[19]);
    struct udp_pcb *pcb;

    if (inet_chksum(p->payload, hl) != 0) {
        IP_STATS_INC(ip.chkerr);
        goto drop;
    }
    if (frag || total < hl + UDP_HLEN || total > p->tot_len || ulen < UDP_HLEN ||
        ulen > total - hl ||
        !(ip4_addr_isbroadcast(ip_2_ip4(&dst), inp) || ip4_addr_cmp(ip_2_ip4(&dst), netif_ip4_addr(inp)))) {
        IP_STATS_INC(ip.drop);
        goto drop;
    }
    pbuf_realloc(p, (u16_t)(hl + ulen));   /* Ethernet padding off */
    if (pbuf_remove_header(p, hl) != 0) {
        goto drop;
    }
    if (has_sum && ip_chksum_pseudo(p, IP_PROTO_UDP, ulen, &src, &dst) != 0) {
        UDP_STATS_INC(udp.chkerr);   /* RFC 768: checksum 0 means none was sent */
        goto drop;
    }
    if (pbuf_remove_header(p, UDP_HLEN) != 0) {
        goto drop;
    }
    for (pcb = udp_pcbs; pcb != NULL; pcb = pcb->next) {
        if (pcb->local_port == 67 && pcb->recv != NULL) {
            pcb->recv(pcb->recv_arg, pcb, p, &src, sport);
            return 1;
        }
    }
drop:
    pbuf_free(p);
    return 1;
}

#endif
