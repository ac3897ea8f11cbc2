/*
 * lwipopts.h - the one lwIP 2.1.3 configuration for the chip, the simulator
 * and the unit tests, so the simulator runs inside the chip's memory budget
 * and runs out of memory where the chip would.
 *
 * Layer: firmware/net. Budget (16 KB RAM in total with the ECM frame buffers
 * of 2 x 1.5 KB and a >= 2 KB stack): lwIP heap + pools stay under ~7 KB.
 * Pool buffers hold a 536-byte segment; a full 1514-byte frame (TCP_MSS
 * 1460) chains over the pool's 3 buffers (see the TCP section).
 */
#ifndef STM32NET_LWIPOPTS_H
#define STM32NET_LWIPOPTS_H

/* ---- system: bare metal, one thread, no libc heap ---- */
#define NO_SYS                      1
#define SYS_LIGHTWEIGHT_PROT        0   /* lwIP runs only from the main loop */
#define LWIP_SOCKET                 0
#define LWIP_NETCONN                0
#define LWIP_NETIF_API              0
#define MEM_LIBC_MALLOC             0
#define MEMP_MEM_MALLOC             0
/* struct pbuf holds pointers: 8-byte alignment on 64-bit hosts (simulator, tests) */
#if defined(__SIZEOF_POINTER__) && __SIZEOF_POINTER__ == 8
#define MEM_ALIGNMENT               8
#else
#define MEM_ALIGNMENT               4
#endif
#define LWIP_RAND()                 0   /* unused: no DHCP/DNS client, no mDNS */

/* ---- memory ---- */
#define MEM_SIZE                    3072  /* PBUF_RAM: copied TCP data, UDP replies, IP fragments (net.c, NET_FRAG_BUDGET) */
#define MEMP_NUM_PBUF               8     /* PBUF_ROM/REF: httpd sends flash data by reference */
#define MEMP_NUM_UDP_PCB            3     /* DHCP server, DNS server, spare */
                                          /* (the mDNS responder, mdns.c, takes the spare) */
#define MEMP_NUM_TCP_PCB            4     /* a browser opens a few at once */
                                          /* (DNS over TCP shares them: its pcbs outrank HTTP's, dnss.c) */
#ifndef STM32NET_IPERF
#define STM32NET_IPERF              1     /* lwiperf on port 5001 (net/iperf.c); make IPERF=0 drops it */
#endif
#define MEMP_NUM_TCP_PCB_LISTEN     (1    /* httpd */ \
                                     + 1  /* DNS over TCP on port 53 (dnss.c) */ \
                                     + STM32NET_IPERF) /* lwiperf, port 5001 */
#define MEMP_NUM_TCP_SEG            12
#define MEMP_NUM_REASSDATA          1     /* issue 10: one datagram in reassembly at a time */
#define MEMP_NUM_FRAG_PBUF          0
#define MEMP_NUM_ARP_QUEUE          2
#define MEMP_NUM_SYS_TIMEOUT        (LWIP_NUM_SYS_TIMEOUT_INTERNAL + 1 \
                                     + 1) /* mDNS probe/announce timer (mdns.c) */
/* PBUF_POOL: received frames only (net.c). Nothing keeps one past its
 * net_rx() call (HTTP and DNS-over-TCP copy out and free, TCP_QUEUE_OOSEQ
 * 0, fragments go to the heap) except an ICMP echo reply sent in place and
 * waiting in net.c's TX FIFO. 3 buys one full 1514-byte frame (3 x 592) or
 * an MSS segment while two small replies wait; an empty pool drops and
 * counts the frame (link_stats.rx_dropped), never stalls. 608 B each. */
#define PBUF_POOL_SIZE              3
/* sized for a 536-byte segment (+ 40 B IP/TCP, Ethernet header), not for
 * TCP_MSS: a 1514-byte frame chains over all 3 buffers, so the pool costs
 * what it did before MSS went to 1460 (see the TCP section) */
#define PBUF_POOL_BUFSIZE           LWIP_MEM_ALIGN_SIZE(536 + 40 + PBUF_LINK_ENCAPSULATION_HLEN + PBUF_LINK_HLEN)

/* ---- protocols ---- */
#define LWIP_IPV4                   1
#define LWIP_IPV6                   0
#define LWIP_ARP                    1
#define ARP_TABLE_SIZE              4
#define ARP_QUEUEING                0
#define ETHARP_SUPPORT_VLAN         0
#define LWIP_ETHERNET               1
#define IP_FORWARD                  0
#define IP_REASSEMBLY               1     /* issue 10: RFC 1122 3.3.2, whole 1500-byte datagrams */
#define IP_REASS_MAXAGE             3     /* s: an incomplete set is freed after this (ip_reass_tmr) */
#define IP_REASS_MAX_PBUFS          8     /* fragments held at once; bytes are bounded by net.c */
#define LWIP_SUPPORT_CUSTOM_PBUF    1     /* net.c keeps fragments in heap pbufs it can count */
#define IP_FRAG                     0
#define LWIP_ICMP                   1
#define LWIP_BROADCAST_PING         0
#define LWIP_RAW                    0
#define LWIP_UDP                    1
#define LWIP_TCP                    1
#define LWIP_DHCP                   0     /* we are the server, not a client */
#define LWIP_AUTOIP                 0
#define LWIP_IGMP                   0
#define LWIP_DNS                    0     /* no resolver client; dnss.c is our server */
#define IP_SOF_BROADCAST            0     /* DHCP replies go to 255.255.255.255 */
/* DHCP server: a client without an address sends from 0.0.0.0 (RFC 2131 4.1,
 * RFC 1122 3.2.1.3 a), which lwIP 2.1.3's ip4_input() drops as a broadcast
 * source unless its own DHCP client is compiled in. This hook (static inline
 * in dhcps.h, so every program linking lwIP has it) passes exactly UDP from
 * 0.0.0.0 to port 67 on to the DHCP server's pcb. */
#define LWIP_HOOK_FILENAME          "dhcps.h"
#define LWIP_HOOK_IP4_INPUT(p, inp) dhcps_ip4_input_hook((p), (inp))

/* ---- TCP ---- */
/* Tuned for throughput (issue 13; make bench, paced USB/IP through the
 * guest's kernel, iperf -r): MSS 536 / window 2 x MSS gave 5.6/4.8 Mbit/s
 * rx/tx, 536 / 4 x MSS 6.7/6.6, the values below 8.9/8.8 (chip 6.3/8.3).
 * None of them costs static RAM: received frames chain over the pool's
 * buffers, whose size stays fixed below. */
/* 1460 = a full Ethernet frame (RFC 879, RFC 9293 3.7.1): a quarter of the
 * per-segment work (headers, ACKs, callbacks) of 536, and one bulk transfer of
 * 23 x 64-byte packets + ZLP instead of 9 per 536 data bytes. */
#define TCP_MSS                     1460
/* 4 x MSS (5840 B) receive window: the host keeps about 6 ms of the 9.7
 * Mbit/s bus in flight, enough to cover the ACK's way back through the
 * bus, the guest's vhci and its TCP, so the bus does not idle waiting for
 * a window update (2 x MSS did). It is an advertisement, not memory: see
 * LWIP_DISABLE_TCP_SANITY_CHECKS below. */
#define TCP_WND                     (4 * TCP_MSS)
/* 2 x MSS send buffer: two full segments in flight, so one is on the bus
 * while the ACK of the other comes back. lwiperf and the page (flash) send
 * by reference, so this is no heap; copied data (JSON API responses of at
 * most HTTP_API_RESP_MAX 744 B, DNS-over-TCP replies) stays well below it,
 * so the heap (MEM_SIZE) carries what it carried with 2 x 536. */
#define TCP_SND_BUF                 (2 * TCP_MSS)
/* pbufs queued per pcb: data sent by reference takes 2 per segment (header
 * + PBUF_ROM), and a peer without an MSS option gets 536-byte segments
 * (RFC 9293 3.7.1), so a full send buffer is 6 segments = 12 pbufs, + 1
 * for the SYN-ACK still queued when the accept callback writes. A limit,
 * not memory (MEMP_NUM_TCP_SEG and MEMP_NUM_PBUF are the memory). */
#define TCP_SND_QUEUELEN            (2 * ((TCP_SND_BUF + 535) / 536) + 1)
/* lwIP's init.c refuses a TCP_WND larger than the PBUF_POOL can hold
 * (3 x 592 B), because a stack that keeps received segments (out-of-order
 * queue, applications that hold pbufs) could then run out of pool with the
 * window still open and stall. That does not happen here: TCP_QUEUE_OOSEQ
 * is 0, net.c hands each frame to lwIP completely before it takes the next
 * and drops-and-counts when the pool is empty, and every receiver frees or
 * copies at once (http_srv, lwiperf, dnss over TCP: tcp_recved + pbuf_free
 * in the recv callback). So at most one received segment is in the pool at
 * a time, and the window only sets how much the host keeps in flight; a
 * frame that still finds the pool empty is dropped, counted and resent by
 * the host's TCP. The other sanity checks (SND_BUF vs. QUEUELEN, MSS vs.
 * SND_BUF) hold for these values anyway. */
#define LWIP_DISABLE_TCP_SANITY_CHECKS 1
#define TCP_QUEUE_OOSEQ             0
#define LWIP_TCP_KEEPALIVE          0
#define LWIP_TCP_TIMESTAMPS         0
#define TCP_LISTEN_BACKLOG          0

/* ---- netif ---- */
#define LWIP_NETIF_HOSTNAME         0
#define LWIP_NETIF_STATUS_CALLBACK  0
#define LWIP_NETIF_LINK_CALLBACK    0
#define LWIP_SINGLE_NETIF           1
#define LWIP_NETIF_EXT_STATUS_CALLBACK 1  /* link up/down to mdns.c (re-probe, RFC 6762 8) and dhcps.c (who is on the link) */
#define LWIP_NETIF_TX_SINGLE_PBUF   0
#define LWIP_HAVE_LOOPIF            0
#define LWIP_NETIF_LOOPBACK         0

/* ---- checksums: all in software (USB has its own CRC, but frames leave the host unchecked) ---- */
#define LWIP_CHECKSUM_ON_COPY       0
/* our RFC 1071 sum, 32-bit loads: ~2 cycles/byte on the M0 vs ~6 for lwIP's default (net/chksum.c) */
#include "chksum.h"
#define LWIP_CHKSUM                 chksum_inet

/* ---- statistics: the unit tests count pool use ---- */
#ifdef STM32NET_UNIT_TEST
#define LWIP_STATS                  1
#define LWIP_STATS_DISPLAY          0
#define MEM_STATS                   1
#define MEMP_STATS                  1
#define SYS_STATS                   0
#else
/* issue 10: only the heap's use, for GET /api/mem (net_mem.c walks the
 * pools' free lists itself); about 12 bytes of RAM */
#define LWIP_STATS                  1
#define LWIP_STATS_DISPLAY          0
#define MEM_STATS                   1
#define MEMP_STATS                  0
#define LINK_STATS                  0
#define ETHARP_STATS                0
#define IP_STATS                    0
#define IPFRAG_STATS                0
#define ICMP_STATS                  0
#define UDP_STATS                   0
#define TCP_STATS                   0
#define SYS_STATS                   0
#endif

/* ---- HTTP server options live with the web app ---- */
#include "lwipopts_httpd.h"

#endif
