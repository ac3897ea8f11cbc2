/*
 * tcp_client.h - a minimal host-side TCP client for unit tests, speaking raw
 * Ethernet/IPv4/TCP frames through lwip_harness (RFC 793 3.4 handshake, data
 * with PSH, in-order receive, FIN both ways). No retransmission, no options,
 * no window management beyond a fixed advertised window: lwIP on the other
 * side is the only peer and the harness loses nothing.
 * Layer: tests/unit only (cmocka, libc).
 */
#ifndef TCP_CLIENT_H
#define TCP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TCP_CLIENT_RX_MAX 8192u

typedef struct {
    uint8_t mac[6];           /* the host's MAC and IP */
    uint8_t ip[4];
    uint16_t sport;
    uint16_t dport;
    uint32_t snd_nxt;         /* next sequence number we send */
    uint32_t rcv_nxt;         /* next sequence number we expect */
    bool established;
    bool fin_received;
    bool rst_received;
    uint16_t wnd;             /* window we advertise (8192 after init) */
    size_t rx_len;
    uint8_t rx[TCP_CLIENT_RX_MAX + 1];   /* always NUL-terminated */
} tcp_client_t;

/* Host 192.168.7.2 with a fixed MAC; seeds the device's ARP cache. */
void tcp_client_init(tcp_client_t *c, uint16_t sport);
/* SYN, wait for SYN+ACK, ACK. Fails the test if there is no SYN+ACK. */
void tcp_client_connect(tcp_client_t *c, uint16_t dport);
/* One segment with PSH|ACK (len <= 1460). */
void tcp_client_send(tcp_client_t *c, const void *data, uint16_t len);
/* Processes captured frames (ACKing data and FIN) and lets lwIP's timers run
 * until the peer's FIN arrived or the bounded wait ends; true on FIN. */
bool tcp_client_wait_fin(tcp_client_t *c);
/* One raw segment with the given TCP flags (0x01 FIN, 0x02 SYN, 0x04 RST,
 * 0x08 PSH, 0x10 ACK) at snd_nxt, acking rcv_nxt when ACK is set. */
void tcp_client_segment(tcp_client_t *c, uint8_t flags, const void *data, uint16_t len);
/* Reads what lwIP sent (data, FIN, RST for this connection; frames for
 * others are dropped), ACKs it; true if any frame was there. */
bool tcp_client_pump(tcp_client_t *c);
/* Like tcp_client_pump() but sends no ACK (the test sends its own segment);
 * returns how many frames carried data or FIN for this connection. */
unsigned tcp_client_take(tcp_client_t *c);
/* A RST from our side: the connection vanishes mid-request. */
void tcp_client_abort(tcp_client_t *c);
/* Our FIN (after the peer's), then lets the peer's TIME_WAIT (2 * TCP_MSL)
 * run out so the pcb pool is back to its mark. */
void tcp_client_close(tcp_client_t *c);

/* connect + send request + wait for FIN + close; returns the response
 * (NUL-terminated, in c->rx). */
const char *tcp_client_exchange(tcp_client_t *c, const char *request, size_t len);

#endif
