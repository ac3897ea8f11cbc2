/*
 * dnss.h - the device's authoritative DNS server for its own names
 * (fw_config.hostname and hostname.zone -> fw_config.ip), RFC 1035.
 *
 * Layer: portable (firmware/net). Includes only <stdint.h>.
 * dnss_answer() is a pure function of its input (plus fw_config): it holds
 * all the protocol logic and is tested byte by byte. dnss_init() is the thin
 * lwIP UDP glue that feeds it datagrams received on port 53.
 * Limits: one question per message, class IN only, no TCP (our answers are
 * far below 512 bytes, so TC is never needed), EDNS(0) without options.
 */
#ifndef DNSS_H
#define DNSS_H

#include <stdint.h>

/* RFC 1035 4.2.1: UDP messages are limited to 512 octets. We read at most
 * this much of a query (longer ones are answered from their first 512 octets,
 * which gives FORMERR if a record crosses that point) and advertise it as our
 * EDNS UDP payload size (RFC 6891 6.2.3). */
#define DNSS_QUERY_MAX 512u

/* Largest reply dnss_answer() can build: header 12 + question (name <= 255,
 * RFC 1035 2.3.4, + type + class) + one A record with a compressed name 16
 * + our OPT record 11. */
#define DNSS_REPLY_MAX (12u + 255u + 4u + 16u + 11u)

/* Counters, written only from the main loop (the lwIP glue). Every received
 * datagram adds 1 to queries and 1 to exactly one of the other fields. */
typedef struct {
    uint32_t queries;   /* datagrams received on port 53 */
    uint32_t answered;  /* NOERROR replies sent (with an address or NODATA) */
    uint32_t nxdomain;  /* NXDOMAIN: a name inside our zone that does not exist */
    uint32_t refused;   /* REFUSED: not our zone or not class IN */
    uint32_t formerr;   /* FORMERR sent */
    uint32_t notimp;    /* NOTIMP sent (opcode other than QUERY) */
    uint32_t dropped;   /* nothing sent: a response, too short, no memory, bad source */
} dnss_stats_t;

extern dnss_stats_t dnss_stats;

/* Builds the answer to the DNS message q[0..qlen). Returns the reply length
 * written to out, or 0 when nothing must be sent (the message is a response,
 * QR=1, or shorter than a header, or the reply would not fit in room).
 * Never reads past qlen nor writes past room. */
uint16_t dnss_answer(const uint8_t *q, uint16_t qlen, uint8_t *out, uint16_t room);

/* Opens the UDP server on port 53 (called by net_init() after lwip_init()). */
void dnss_init(void);

#endif
