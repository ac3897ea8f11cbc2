/*
 * dnss.h - the device's authoritative DNS server for its own names
 * (fw_config.hostname and hostname.zone -> fw_config.ip), RFC 1035, over UDP
 * and TCP (RFC 7766), plus the DNS message helpers that mdns.c shares.
 *
 * Layer: portable (firmware/net). Includes only <stdbool.h>, <stdint.h>.
 * dnss_answer() is a pure function of its input (plus fw_config): it holds
 * all the protocol logic and is tested byte by byte. dnss_init() is the thin
 * lwIP glue that feeds it UDP datagrams and TCP messages received on port 53.
 * Limits: one question per message, class IN only, EDNS(0) without options,
 * queries up to DNSS_QUERY_MAX octets, one TCP connection at a time.
 */
#ifndef DNSS_H
#define DNSS_H

#include <stdbool.h>
#include <stdint.h>

/* Largest query we read, over UDP or TCP, and the UDP payload size our OPT
 * advertises (RFC 6891 6.2.5: what we can receive). RFC 1035 4.2.1's 512
 * is too small for EDNS padding (RFC 7830): `kdig +padding=468` sends 513
 * octets. 768 holds a question of any length (<= 271 octets) plus about 490
 * octets of padding and costs RAM only while a query is processed (one
 * transient heap block, and only for a query that arrived in pieces). A
 * longer query is answered FORMERR (see dnss_answer_cut). */
#ifndef DNSS_QUERY_MAX
#define DNSS_QUERY_MAX 768u
#endif

/* Largest reply dnss_answer() can build: header 12 + question (name <= 255,
 * RFC 1035 2.3.4, + type + class) + SOA 79 (owner pointer 2, fixed 10,
 * MNAME label <= 31 + 1 + pointer 2, RNAME "hostmaster" + pointer 13, five
 * 32-bit numbers 20) + NS 46 + glue A 16 + our OPT 11. Far below 512, so TC
 * is never needed over UDP. */
#define DNSS_REPLY_MAX (12u + 259u + 79u + 46u + 16u + 11u)

/* Counters, written only from the main loop (the lwIP glue). Every query
 * (UDP datagram, TCP message) adds 1 to queries and 1 to exactly one other. */
typedef struct {
    uint32_t queries;   /* UDP datagrams + TCP messages received on port 53 */
    uint32_t answered;  /* NOERROR replies sent (with an answer or NODATA) */
    uint32_t nxdomain;  /* NXDOMAIN: a name inside our zone that does not exist */
    uint32_t refused;   /* REFUSED: not our zone or not class IN */
    uint32_t formerr;   /* FORMERR sent */
    uint32_t notimp;    /* NOTIMP sent (opcode other than QUERY) */
    uint32_t badvers;   /* BADVERS sent (EDNS version != 0, RFC 6891 6.1.3) */
    uint32_t dropped;   /* nothing sent: a response, too short, no memory, bad source */
} dnss_stats_t;

extern dnss_stats_t dnss_stats;

/* Builds the answer to the DNS message q[0..qlen). Returns the reply length
 * written to out, or 0 when nothing must be sent (the message is a response,
 * QR=1, or shorter than a header, or the reply would not fit in room).
 * Never reads past qlen nor writes past room. */
uint16_t dnss_answer(const uint8_t *q, uint16_t qlen, uint8_t *out, uint16_t room);

/* The same for a query of which only the first qlen octets were kept
 * because it is longer than our buffer: FORMERR (RFC 1035 4.1.1 "unable to
 * interpret"), with the question if it lies inside q, and with our OPT if
 * the header announces additional records (RFC 6891 7: the OPT, when there
 * is one, is in the part we could not read; a query that long is EDNS). */
uint16_t dnss_answer_cut(const uint8_t *q, uint16_t qlen, uint8_t *out, uint16_t room);

/* The 12-bit RCODE of a reply built above (header RCODE + OPT's extended
 * RCODE, RFC 6891 6.1.3), for the counters. */
uint16_t dnss_reply_rcode(const uint8_t *r, uint16_t rlen);

/* Opens the servers on port 53: UDP, and TCP (called by net_init()). */
void dnss_init(void);
/* Closes them (tests, or a restart of the stack). */
void dnss_deinit(void);

/* --------------------------------------------------------------------------
 * DNS message helpers (RFC 1035 4.1), shared with the mDNS responder. All of
 * them check every read against the message length m[0..mlen).
 */
#define DNSS_HDR_LEN   12u
#define DNSS_RR_FIXED  10u    /* TYPE CLASS TTL RDLENGTH, RFC 1035 4.1.3 */
#define DNSS_TYPE_A    1u
#define DNSS_TYPE_NS   2u
#define DNSS_TYPE_SOA  6u
#define DNSS_TYPE_OPT  41u
#define DNSS_TYPE_ANY  255u
#define DNSS_CLASS_IN  1u
#define DNSS_CLASS_ANY 255u

uint16_t dnss_get16(const uint8_t *p);
void dnss_put16(uint8_t *p, uint16_t v);
void dnss_put32(uint8_t *p, uint32_t v);

/* The label[0..len) equals the NUL-terminated name, ASCII case-insensitively
 * (RFC 4343 3). */
bool dnss_label_is(const uint8_t *label, uint8_t len, const char *name);

/* Steps over a name at *pos without following pointers (a pointer ends a
 * name, RFC 1035 4.1.4). False if it runs past mlen or breaks RFC 1035
 * 2.3.4 (label > 63, name > 255 octets). */
bool dnss_skip_name(const uint8_t *m, uint16_t mlen, uint16_t *pos);

/* The name at pos, compression pointers followed, is exactly the labels
 * first.second (second may be NULL for a one-label name). Pointers must go
 * strictly backwards each time, so a crafted loop ends at once. */
bool dnss_name_is(const uint8_t *m, uint16_t mlen, uint16_t pos, const char *first,
                  const char *second);

/* Writes the labels first[.second] and the root at p; returns the length.
 * The caller has checked the room (1 + strlen + 1 per label, + 1). */
uint16_t dnss_put_name(uint8_t *p, const char *first, const char *second);

/* Writes TYPE A, rrclass, ttl, RDLENGTH 4 and the address: the 14 octets
 * of an A record after its owner name. */
uint16_t dnss_put_a(uint8_t *p, uint16_t rrclass, uint32_t ttl, const uint8_t ip[4]);

#endif
