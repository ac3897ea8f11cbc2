/*
 * dnss.c - authoritative DNS server for the device's own names (RFC 1035).
 *
 * Layer: portable (firmware/net). Includes only <stdint.h>, <stdbool.h>,
 * <stddef.h>, <string.h>, config.h and lwIP headers. No static buffers: the
 * reply is built in a PBUF_RAM pbuf, a chained query is copied into one.
 *
 * What it answers (names compared per label, ASCII case-insensitively,
 * RFC 4343 3; the question is echoed with the case it came with):
 *   hostname, hostname.zone  A/ANY  -> NOERROR AA, one A record, TTL DNSS_TTL_S
 *   hostname, hostname.zone  other  -> NOERROR AA, no answer (NODATA, no SOA)
 *   zone (the apex)          any    -> NOERROR AA, no answer: the zone exists,
 *                                      it just holds no records we serve
 *   anything else under zone        -> NXDOMAIN AA (RFC 1035 4.1.1 RCODE 3)
 *   any other name, incl. single
 *   labels ("foo") and the root     -> REFUSED, AA=0: not our zone, so the
 *                                      host's resolver asks its next server at once
 *   QCLASS other than IN / ANY      -> REFUSED (we serve class IN only)
 * Errors: OPCODE != QUERY -> NOTIMP without question; QDCOUNT != 1 or a
 * malformed question -> FORMERR without question; a malformed later record
 * -> FORMERR with the question. QR=1 or < 12 octets -> no reply at all.
 * EDNS (RFC 6891): an OPT in the query gets an OPT of our own (version 0,
 * payload 512, no options, DO copied per RFC 3225 3); version != 0 -> BADVERS.
 * NOTIMP and the QDCOUNT FORMERR carry our OPT too when the query's
 * additional section holds one that parses (RFC 6891 7); a malformed
 * question hides everything after it, so that FORMERR has none.
 * Records in the query's answer/authority/additional sections are parsed
 * only to find the OPT; they are never echoed.
 * Limits: one question, UDP only; replies are < DNSS_REPLY_MAX so TC is never
 * set. Input bounds: every read is checked against qlen; names longer than
 * 255 octets, labels > 63 and compression pointers in the question are
 * FORMERR, so no loop can run longer than the message is long.
 */
#include "dnss.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "config.h"
#include "lwip/ip.h"
#include "lwip/ip_addr.h"
#include "lwip/pbuf.h"
#include "lwip/udp.h"

#ifndef DNSS_TTL_S
#define DNSS_TTL_S 60u   /* short: the address may change with the simulator's config */
#endif

/* RFC 2181 8: a TTL is an unsigned 31-bit number; a larger value would be
 * read as 0 by resolvers. */
#if DNSS_TTL_S > 2147483647u
#error "DNSS_TTL_S must be 0 .. 2^31-1 (RFC 2181 8)"
#endif

#define DNSS_PORT 53u

/* RFC 1035 4.1.1 header layout and flags */
#define HDR_LEN       12u
#define F2_QR         0x80u
#define F2_OPCODE     0x78u
#define F2_AA         0x04u
#define F2_RD         0x01u
#define F3_CD         0x10u   /* RFC 4035 3.1.6: copied from query to response */
#define RCODE_NOERROR 0u
#define RCODE_FORMERR 1u
#define RCODE_NXDOMAIN 3u
#define RCODE_NOTIMP  4u
#define RCODE_REFUSED 5u

/* RFC 1035 3.2.2-3.2.5, RFC 6891 6.1.1 */
#define TYPE_A    1u
#define TYPE_OPT  41u
#define TYPE_ANY  255u
#define CLASS_IN  1u
#define CLASS_ANY 255u

#define NAME_MAX_WIRE 255u  /* RFC 1035 2.3.4, length octets and root included */
#define LABEL_MAX     63u   /* RFC 1035 2.3.4; 0x40/0x80 prefixes are the
                               deprecated extended label types (RFC 6891 5) */
#define RR_FIXED      10u   /* TYPE CLASS TTL RDLENGTH, RFC 1035 4.1.3 */
#define A_RR_LEN      16u   /* pointer 2 + fixed 10 + address 4 */
#define OPT_RR_LEN    11u   /* root name 1 + fixed 10, no options */

dnss_stats_t dnss_stats;

typedef struct {
    uint16_t end;      /* offset just past QCLASS */
    uint16_t qtype;
    uint16_t qclass;
} dnss_question_t;

typedef struct {
    bool present;
    bool dnssec_ok;
    uint8_t version;
} dnss_edns_t;

typedef struct {
    uint8_t rcode;
    uint8_t ext_rcode;   /* upper 8 bits of the 12-bit RCODE, in the OPT (RFC 6891 6.1.3) */
    bool aa;
    bool question;
    bool answer;
} dnss_reply_t;

static uint16_t dnss_get16(const uint8_t *p)
{
    return (uint16_t)(((uint16_t)p[0] << 8) | p[1]);
}

static void dnss_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static uint8_t dnss_lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + ('a' - 'A')) : c;
}

/* Label equal to a configured name, ASCII case-insensitively (RFC 4343 3).
 * The configured names are NUL-terminated within CONFIG_NAME_MAX. */
static bool dnss_label_is(const uint8_t *label, uint8_t len, const char *name)
{
    if (len >= CONFIG_NAME_MAX) {
        return false;
    }
    for (uint8_t i = 0; i < len; i++) {
        if (name[i] == '\0' || dnss_lower(label[i]) != dnss_lower((uint8_t)name[i])) {
            return false;
        }
    }
    return name[len] == '\0';
}

/* The question's QNAME must be plain labels: it is the first name in the
 * message, so a compression pointer (RFC 1035 4.1.4: "a prior occurrence of
 * the same name") has nothing valid to point at - reject it, which also makes
 * pointer loops impossible. */
static bool dnss_parse_question(const uint8_t *q, uint16_t qlen, dnss_question_t *qs)
{
    uint16_t pos = HDR_LEN;
    for (;;) {
        if (pos >= qlen) {
            return false;
        }
        uint8_t len = q[pos];
        if (len == 0u) {
            pos++;
            break;
        }
        if (len > LABEL_MAX) {
            return false;
        }
        /* wire length so far + this label + the root label */
        if ((uint16_t)(pos - HDR_LEN) + 1u + len + 1u > NAME_MAX_WIRE) {
            return false;
        }
        if ((uint16_t)(qlen - pos) < (uint16_t)(1u + len)) {
            return false;
        }
        pos = (uint16_t)(pos + 1u + len);
    }
    if ((uint16_t)(qlen - pos) < 4u) {
        return false;
    }
    qs->qtype = dnss_get16(q + pos);
    qs->qclass = dnss_get16(q + pos + 2u);
    qs->end = (uint16_t)(pos + 4u);
    return true;
}

enum { DNSS_NAME_OTHER, DNSS_NAME_HOST, DNSS_NAME_APEX, DNSS_NAME_IN_ZONE };

/* Classifies the (already validated) question name against fw_config. */
static int dnss_classify(const uint8_t *q)
{
    uint16_t pos = HDR_LEN;
    uint16_t first = 0, last = 0;
    unsigned n = 0;
    while (q[pos] != 0u) {
        if (n == 0u) {
            first = pos;
        }
        last = pos;
        n++;
        pos = (uint16_t)(pos + 1u + q[pos]);
    }
    if (n == 0u) {
        return DNSS_NAME_OTHER;   /* the root: not ours */
    }
    bool first_host = dnss_label_is(q + first + 1u, q[first], fw_config.hostname);
    bool last_zone = dnss_label_is(q + last + 1u, q[last], fw_config.zone);
    if (n == 1u) {
        if (first_host) {
            return DNSS_NAME_HOST;
        }
        return last_zone ? DNSS_NAME_APEX : DNSS_NAME_OTHER;
    }
    if (!last_zone) {
        return DNSS_NAME_OTHER;
    }
    return (n == 2u && first_host) ? DNSS_NAME_HOST : DNSS_NAME_IN_ZONE;
}

/* Steps over a name in a record without following pointers: a pointer ends
 * the name (RFC 1035 4.1.4), so where it points does not matter here. */
static bool dnss_skip_name(const uint8_t *q, uint16_t qlen, uint16_t *pos)
{
    uint16_t p = *pos;
    uint16_t wire = 0;
    for (;;) {
        if (p >= qlen) {
            return false;
        }
        uint8_t len = q[p];
        if ((len & 0xC0u) == 0xC0u) {
            if ((uint16_t)(qlen - p) < 2u) {
                return false;
            }
            p = (uint16_t)(p + 2u);
            break;
        }
        if (len > LABEL_MAX) {
            return false;
        }
        if (len == 0u) {
            p++;
            break;
        }
        wire = (uint16_t)(wire + 1u + len);
        if (wire + 1u > NAME_MAX_WIRE || (uint16_t)(qlen - p) < (uint16_t)(1u + len)) {
            return false;
        }
        p = (uint16_t)(p + 1u + len);
    }
    *pos = p;
    return true;
}

/* RFC 6891 6.1.2: options are {code, length, data}; unknown ones are ignored
 * but their framing must fit the RDATA exactly. */
static bool dnss_options_ok(const uint8_t *rdata, uint16_t rdlen)
{
    uint16_t o = 0;
    while (o < rdlen) {
        if ((uint16_t)(rdlen - o) < 4u) {
            return false;
        }
        uint16_t olen = dnss_get16(rdata + o + 2u);
        o = (uint16_t)(o + 4u);
        if ((uint16_t)(rdlen - o) < olen) {
            return false;
        }
        o = (uint16_t)(o + olen);
    }
    return true;
}

/* Walks the answer, authority and additional sections of a query to find its
 * OPT record. Returns false if the message is malformed (FORMERR). Every
 * record takes >= 11 octets, so the loop ends within qlen / 11 rounds
 * whatever the counts say. */
static bool dnss_scan_records(const uint8_t *q, uint16_t qlen, uint16_t pos, dnss_edns_t *e)
{
    uint32_t before_ar = (uint32_t)dnss_get16(q + 6) + dnss_get16(q + 8);
    uint32_t total = before_ar + dnss_get16(q + 10);
    for (uint32_t i = 0; i < total; i++) {
        uint16_t name = pos;
        if (!dnss_skip_name(q, qlen, &pos) || (uint16_t)(qlen - pos) < RR_FIXED) {
            return false;
        }
        uint16_t type = dnss_get16(q + pos);
        uint16_t rdlen = dnss_get16(q + pos + 8u);
        const uint8_t *fixed = q + pos;
        pos = (uint16_t)(pos + RR_FIXED);
        if ((uint16_t)(qlen - pos) < rdlen) {
            return false;
        }
        if (type == TYPE_OPT) {
            /* RFC 6891 6.1.1: at most one OPT, in the additional section,
             * owner name root */
            if (i < before_ar || e->present) {
                return false;
            }
            e->present = true;
            e->version = fixed[5];                     /* TTL octet 1 */
            e->dnssec_ok = (fixed[6] & 0x80u) != 0u;   /* RFC 3225 3 */
            if (pos - name != RR_FIXED + 1u || q[name] != 0u ||
                !dnss_options_ok(q + pos, rdlen)) {
                return false;
            }
        }
        pos = (uint16_t)(pos + rdlen);
    }
    return true;
}

/* For the replies that carry no question (NOTIMP, FORMERR for QDCOUNT != 1):
 * RFC 6891 7 wants our OPT in every reply to a query that had one, so step
 * over the QDCOUNT question-shaped entries (name, 4 octets) and look for it.
 * Anything that does not parse means "no usable OPT": e stays absent and the
 * reply goes out without one. Each entry takes >= 5 octets and every step is
 * bounds-checked, so a large QDCOUNT ends at the end of the message. */
static void dnss_find_opt(const uint8_t *q, uint16_t qlen, dnss_edns_t *e)
{
    uint16_t pos = HDR_LEN;
    uint16_t qd = dnss_get16(q + 4);
    for (uint16_t i = 0; i < qd; i++) {
        if (!dnss_skip_name(q, qlen, &pos) || (uint16_t)(qlen - pos) < 4u) {
            return;
        }
        pos = (uint16_t)(pos + 4u);
    }
    dnss_edns_t found = { false, false, 0 };
    if (dnss_scan_records(q, qlen, pos, &found)) {
        *e = found;
    }
}

static uint16_t dnss_build(const uint8_t *q, const dnss_question_t *qs, const dnss_reply_t *r,
                           const dnss_edns_t *e, uint8_t *out, uint16_t room)
{
    uint16_t qsec = r->question ? (uint16_t)(qs->end - HDR_LEN) : 0u;
    uint32_t need = HDR_LEN + qsec + (r->answer ? A_RR_LEN : 0u) + (e->present ? OPT_RR_LEN : 0u);
    if (need > room) {
        return 0;
    }
    out[0] = q[0];   /* ID */
    out[1] = q[1];
    out[2] = (uint8_t)(F2_QR | (q[2] & (F2_OPCODE | F2_RD)) | (r->aa ? F2_AA : 0u));
    out[3] = (uint8_t)((q[3] & F3_CD) | r->rcode);   /* RA=0: no recursion offered */
    dnss_put16(out + 4, r->question ? 1u : 0u);
    dnss_put16(out + 6, r->answer ? 1u : 0u);
    dnss_put16(out + 8, 0u);
    dnss_put16(out + 10, e->present ? 1u : 0u);
    uint8_t *p = out + HDR_LEN;
    memcpy(p, q + HDR_LEN, qsec);
    p += qsec;
    if (r->answer) {
        dnss_put16(p, 0xC000u | HDR_LEN);   /* RFC 1035 4.1.4: the question's name */
        dnss_put16(p + 2, TYPE_A);
        dnss_put16(p + 4, CLASS_IN);
        dnss_put16(p + 6, (uint16_t)(DNSS_TTL_S >> 16));
        dnss_put16(p + 8, (uint16_t)DNSS_TTL_S);
        dnss_put16(p + 10, 4u);
        memcpy(p + 12, fw_config.ip, 4);
        p += A_RR_LEN;
    }
    if (e->present) {
        p[0] = 0u;                            /* root owner */
        dnss_put16(p + 1, TYPE_OPT);
        dnss_put16(p + 3, DNSS_QUERY_MAX);    /* CLASS = our UDP payload size */
        p[5] = r->ext_rcode;
        p[6] = 0u;                            /* version 0 */
        p[7] = e->dnssec_ok ? 0x80u : 0u;
        p[8] = 0u;
        dnss_put16(p + 9, 0u);                /* no options */
    }
    return (uint16_t)need;
}

uint16_t dnss_answer(const uint8_t *q, uint16_t qlen, uint8_t *out, uint16_t room)
{
    dnss_question_t qs = { 0, 0, 0 };
    dnss_edns_t e = { false, false, 0 };
    dnss_reply_t r = { RCODE_NOERROR, 0u, false, false, false };

    /* RFC 1035 4.1.1: never answer a response (QR=1), that is how loops start */
    if (q == NULL || out == NULL || qlen < HDR_LEN || (q[2] & F2_QR) != 0u) {
        return 0;
    }
    if ((q[2] & F2_OPCODE) != 0u) {
        /* only QUERY (0); other opcodes' sections may not even be questions */
        r.rcode = RCODE_NOTIMP;
        dnss_find_opt(q, qlen, &e);
        return dnss_build(q, &qs, &r, &e, out, room);
    }
    if (dnss_get16(q + 4) != 1u) {
        r.rcode = RCODE_FORMERR;
        dnss_find_opt(q, qlen, &e);
        return dnss_build(q, &qs, &r, &e, out, room);
    }
    if (!dnss_parse_question(q, qlen, &qs)) {
        r.rcode = RCODE_FORMERR;   /* nothing after a broken question can be located */
        return dnss_build(q, &qs, &r, &e, out, room);
    }
    r.question = true;
    if (!dnss_scan_records(q, qlen, qs.end, &e)) {
        r.rcode = RCODE_FORMERR;   /* RFC 6891 7: with our OPT if the query had one */
        return dnss_build(q, &qs, &r, &e, out, room);
    }
    if (e.present && e.version != 0u) {
        r.ext_rcode = 1u;          /* BADVERS = 16, RFC 6891 6.1.3 */
        return dnss_build(q, &qs, &r, &e, out, room);
    }
    if (qs.qclass != CLASS_IN && qs.qclass != CLASS_ANY) {
        r.rcode = RCODE_REFUSED;
        return dnss_build(q, &qs, &r, &e, out, room);
    }
    switch (dnss_classify(q)) {
    case DNSS_NAME_HOST:
        r.aa = true;
        r.answer = (qs.qtype == TYPE_A || qs.qtype == TYPE_ANY);
        break;
    case DNSS_NAME_APEX:
        r.aa = true;
        break;
    case DNSS_NAME_IN_ZONE:
        r.aa = true;
        r.rcode = RCODE_NXDOMAIN;
        break;
    default:
        r.rcode = RCODE_REFUSED;
        break;
    }
    return dnss_build(q, &qs, &r, &e, out, room);
}

/* ------------------------------------------------------------ lwIP glue */

static void dnss_count(uint8_t rcode)
{
    switch (rcode) {
    case RCODE_NOERROR:  dnss_stats.answered++; break;
    case RCODE_NXDOMAIN: dnss_stats.nxdomain++; break;
    case RCODE_REFUSED:  dnss_stats.refused++;  break;
    case RCODE_NOTIMP:   dnss_stats.notimp++;   break;
    default:             dnss_stats.formerr++;  break;
    }
}

static void dnss_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p,
                      const ip_addr_t *addr, u16_t port)
{
    (void)arg;
    struct pbuf *copy = NULL;
    struct pbuf *reply = NULL;
    uint16_t n = 0;
    uint16_t len = 0;
    uint8_t rcode = 0;
    const uint8_t *msg = NULL;

    dnss_stats.queries++;
    /* A reply to port 0 or to a broadcast/multicast query is not a thing a
     * unicast DNS client expects (RFC 1035 4.2.1 answers the sender). */
    if (port == 0u || ip_addr_isbroadcast(ip_current_dest_addr(), ip_current_netif()) ||
        ip_addr_ismulticast(ip_current_dest_addr())) {
        goto drop;
    }
    len = p->tot_len > DNSS_QUERY_MAX ? (uint16_t)DNSS_QUERY_MAX : p->tot_len;
    msg = (const uint8_t *)p->payload;
    if (p->len < len) {
        /* chained pbuf: one transient heap copy instead of a static buffer */
        copy = pbuf_alloc(PBUF_RAW, len, PBUF_RAM);
        if (copy == NULL || pbuf_copy_partial(p, copy->payload, len, 0) != len) {
            goto drop;
        }
        msg = (const uint8_t *)copy->payload;
    }
    reply = pbuf_alloc(PBUF_TRANSPORT, DNSS_REPLY_MAX, PBUF_RAM);
    if (reply == NULL) {
        goto drop;
    }
    n = dnss_answer(msg, len, (uint8_t *)reply->payload, DNSS_REPLY_MAX);
    if (n == 0u) {
        goto drop;
    }
    /* read before sending: lwIP moves the payload pointer while adding headers */
    rcode = ((const uint8_t *)reply->payload)[3] & 0x0Fu;
    pbuf_realloc(reply, n);
    if (udp_sendto(pcb, reply, addr, port) != ERR_OK) {
        goto drop;
    }
    dnss_count(rcode);
    goto done;
drop:
    dnss_stats.dropped++;
done:
    if (reply != NULL) {
        pbuf_free(reply);
    }
    if (copy != NULL) {
        pbuf_free(copy);
    }
    pbuf_free(p);
}

void dnss_init(void)
{
    struct udp_pcb *pcb = udp_new();
    if (pcb == NULL) {
        return;   /* MEMP_NUM_UDP_PCB too small: no DNS, the rest still works */
    }
    if (udp_bind(pcb, IP_ANY_TYPE, DNSS_PORT) != ERR_OK) {
        udp_remove(pcb);
        return;
    }
    udp_recv(pcb, dnss_recv, NULL);
}
