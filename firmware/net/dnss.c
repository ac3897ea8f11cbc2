/*
 * dnss.c - authoritative DNS server for the device's own names (RFC 1035),
 * over UDP and TCP (RFC 7766).
 *
 * Layer: portable (firmware/net). Includes only <stdint.h>, <stdbool.h>,
 * <stddef.h>, <string.h>, config.h and lwIP headers. No static buffers: the
 * reply is built in a PBUF_RAM pbuf, a query that arrived in pieces is copied
 * into one transient heap block.
 *
 * What it answers (names compared per label, ASCII case-insensitively,
 * RFC 4343 3; the question is echoed with the case it came with):
 *   hostname.zone  A/ANY      -> NOERROR AA, one A record, TTL DNSS_TTL_S
 *   hostname.zone  other      -> NOERROR AA, NODATA, the zone's SOA in the
 *                                authority section (RFC 2308 2.2, 3)
 *   hostname (bare) A/ANY     -> NOERROR AA, the A record (for hosts that send
 *                                single labels as they are); other types:
 *                                NODATA without SOA (the name is outside the
 *                                zone, so no SOA of ours owns it)
 *   zone (the apex) SOA       -> the SOA;  NS -> NS hostname.zone, with its
 *                                A record as glue in the additional section;
 *                   ANY       -> SOA and NS (+ glue);  other -> NODATA + SOA
 *   anything else under zone  -> NXDOMAIN AA + SOA (RFC 2308 3)
 *   any other name, incl. single
 *   labels ("foo") and the root -> REFUSED, AA=0: not our zone, so the
 *                                host's resolver asks its next server at once
 *   QCLASS other than IN / ANY  -> REFUSED (we serve class IN only)
 * The SOA: MNAME hostname.zone (the device is the primary and only server),
 * RNAME hostmaster.zone (RFC 2142), serial 1 (the zone never changes while
 * we run), MINIMUM and the record's TTL both DNSS_TTL_S, so negative answers
 * are cached for DNSS_TTL_S (RFC 2308 5: min(SOA TTL, MINIMUM)).
 * Errors: OPCODE != QUERY -> NOTIMP without question; QDCOUNT != 1 or a
 * malformed question -> FORMERR without question; a malformed later record
 * -> FORMERR with the question. QR=1 or < 12 octets -> no reply at all.
 * EDNS (RFC 6891): an OPT in the query gets an OPT of our own (version 0,
 * payload DNSS_QUERY_MAX, no options, DO copied per RFC 3225 3); version != 0
 * -> BADVERS (counted as such, not as answered). NOTIMP and the QDCOUNT
 * FORMERR carry our OPT too when the query's additional section holds one
 * that parses (RFC 6891 7); a malformed question hides everything after it,
 * so that FORMERR has none. A query longer than DNSS_QUERY_MAX: FORMERR with
 * OPT (dnss_answer_cut). Records in the query's answer/authority/additional
 * sections are parsed only to find the OPT; they are never echoed.
 * TCP (RFC 7766): see the TCP glue below.
 * Input bounds: every read is checked against qlen; names longer than 255
 * octets, labels > 63 and compression pointers in the question are FORMERR,
 * so no loop can run longer than the message is long.
 */
#include "dnss.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "config.h"
#include "lwip/ip.h"
#include "lwip/ip_addr.h"
#include "lwip/mem.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"
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
#define HDR_LEN       DNSS_HDR_LEN
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
#define RCODE_BADVERS 16u     /* RFC 6891 6.1.3: extended RCODE 1, header 0 */

#define NAME_MAX_WIRE 255u  /* RFC 1035 2.3.4, length octets and root included */
#define LABEL_MAX     63u   /* RFC 1035 2.3.4; 0x40/0x80 prefixes are the
                               deprecated extended label types (RFC 6891 5) */
#define RR_FIXED      DNSS_RR_FIXED
#define A_RR_LEN      16u   /* pointer 2 + fixed 10 + address 4 */
#define OPT_RR_LEN    11u   /* root name 1 + fixed 10, no options */
#define SOA_SERIAL    1u
#define SOA_REFRESH   3600u /* RFC 1912 2.2 style values; nobody transfers our zone */
#define SOA_RETRY     600u
#define SOA_EXPIRE    86400u

static const char dnss_rname[] = "hostmaster";   /* RFC 2142 4 */

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

/* What the reply holds besides the header (and the question). */
enum {
    DNSS_ANS_A = 1u,      /* answer: A of the question's name */
    DNSS_ANS_SOA = 2u,    /* answer: the zone's SOA */
    DNSS_ANS_NS = 4u,     /* answer: the zone's NS, + glue A */
    DNSS_AUTH_SOA = 8u,   /* authority: the zone's SOA (negative answers) */
};

typedef struct {
    uint8_t rcode;
    uint8_t ext_rcode;   /* upper 8 bits of the 12-bit RCODE, in the OPT (RFC 6891 6.1.3) */
    bool aa;
    bool question;
    uint8_t records;     /* DNSS_ANS_* | DNSS_AUTH_SOA */
    uint16_t zone;       /* offset of the zone label in the question (for pointers) */
} dnss_reply_t;

/* ------------------------------------------------- shared message helpers */

uint16_t dnss_get16(const uint8_t *p)
{
    return (uint16_t)(((uint16_t)p[0] << 8) | p[1]);
}

void dnss_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

void dnss_put32(uint8_t *p, uint32_t v)
{
    dnss_put16(p, (uint16_t)(v >> 16));
    dnss_put16(p + 2, (uint16_t)v);
}

static uint8_t dnss_lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + ('a' - 'A')) : c;
}

bool dnss_label_is(const uint8_t *label, uint8_t len, const char *name)
{
    for (uint8_t i = 0; i < len; i++) {
        if (name[i] == '\0' || dnss_lower(label[i]) != dnss_lower((uint8_t)name[i])) {
            return false;
        }
    }
    return name[len] == '\0';
}

bool dnss_skip_name(const uint8_t *q, uint16_t qlen, uint16_t *pos)
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

bool dnss_name_is(const uint8_t *m, uint16_t mlen, uint16_t pos, const char *first,
                  const char *second)
{
    const char *want[3] = { first, second, NULL };
    unsigned n = 0;
    uint16_t limit = pos;   /* a pointer must go below every earlier target */
    for (;;) {
        if (pos >= mlen) {
            return false;
        }
        uint8_t len = m[pos];
        if ((len & 0xC0u) == 0xC0u) {
            if ((uint16_t)(mlen - pos) < 2u) {
                return false;
            }
            uint16_t to = (uint16_t)(dnss_get16(m + pos) & 0x3FFFu);
            if (to >= limit) {
                return false;   /* forward or looping pointer (RFC 1035 4.1.4: "prior") */
            }
            limit = to;
            pos = to;
            continue;
        }
        if (len > LABEL_MAX || (uint16_t)(mlen - pos) < (uint16_t)(1u + len)) {
            return false;
        }
        if (len == 0u) {
            return n == 2u || want[n] == NULL;
        }
        if (n >= 2u || want[n] == NULL || !dnss_label_is(m + pos + 1u, len, want[n])) {
            return false;
        }
        n++;
        pos = (uint16_t)(pos + 1u + len);
    }
}

static uint16_t dnss_put_label(uint8_t *p, const char *label)
{
    size_t len = strlen(label);
    p[0] = (uint8_t)len;
    memcpy(p + 1, label, len);
    return (uint16_t)(1u + len);
}

uint16_t dnss_put_name(uint8_t *p, const char *first, const char *second)
{
    uint16_t n = dnss_put_label(p, first);
    if (second != NULL) {
        n = (uint16_t)(n + dnss_put_label(p + n, second));
    }
    p[n] = 0u;
    return (uint16_t)(n + 1u);
}

uint16_t dnss_put_a(uint8_t *p, uint16_t rrclass, uint32_t ttl, const uint8_t ip[4])
{
    dnss_put16(p, DNSS_TYPE_A);
    dnss_put16(p + 2, rrclass);
    dnss_put32(p + 4, ttl);
    dnss_put16(p + 8, 4u);
    memcpy(p + 10, ip, 4);
    return 14u;
}

/* ------------------------------------------------------------ the server */

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
            return false;   /* also every pointer (0xC0..) */
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

enum { DNSS_NAME_OTHER, DNSS_NAME_HOST, DNSS_NAME_HOST_IN_ZONE, DNSS_NAME_APEX, DNSS_NAME_IN_ZONE };

/* Classifies the (already validated) question name against fw_config;
 * *zone = offset of its last label (the zone's, when it is in the zone). */
static int dnss_classify(const uint8_t *q, uint16_t *zone)
{
    uint16_t pos = HDR_LEN;
    uint16_t last = 0;
    unsigned n = 0;
    while (q[pos] != 0u) {
        last = pos;
        n++;
        pos = (uint16_t)(pos + 1u + q[pos]);
    }
    *zone = last;
    if (n == 0u) {
        return DNSS_NAME_OTHER;   /* the root: not ours */
    }
    bool first_host = dnss_label_is(q + HDR_LEN + 1u, q[HDR_LEN], fw_config.hostname);
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
    return (n == 2u && first_host) ? DNSS_NAME_HOST_IN_ZONE : DNSS_NAME_IN_ZONE;
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
        if (type == DNSS_TYPE_OPT) {
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

/* hostname.<pointer to the zone>: MNAME, the NS target, the glue's owner */
static uint16_t dnss_put_host_ptr(uint8_t *p, uint16_t zone)
{
    uint16_t n = dnss_put_label(p, fw_config.hostname);
    dnss_put16(p + n, (uint16_t)(0xC000u | zone));
    return (uint16_t)(n + 2u);
}

static uint16_t dnss_host_ptr_len(void)
{
    return (uint16_t)(1u + strlen(fw_config.hostname) + 2u);
}

/* owner = pointer to the zone (RFC 1035 4.1.4), then TYPE CLASS TTL */
static uint8_t *dnss_put_rr_head(uint8_t *p, uint16_t owner, uint16_t type)
{
    dnss_put16(p, (uint16_t)(0xC000u | owner));
    dnss_put16(p + 2, type);
    dnss_put16(p + 4, DNSS_CLASS_IN);
    dnss_put32(p + 6, DNSS_TTL_S);
    return p + 12;   /* RDLENGTH at p + 10, filled by the caller */
}

static uint8_t *dnss_put_soa(uint8_t *p, uint16_t zone)
{
    uint8_t *rd = dnss_put_rr_head(p, zone, DNSS_TYPE_SOA);
    uint8_t *w = rd;
    w += dnss_put_host_ptr(w, zone);                 /* MNAME */
    w += dnss_put_label(w, dnss_rname);              /* RNAME */
    dnss_put16(w, (uint16_t)(0xC000u | zone));
    w += 2;
    dnss_put32(w, SOA_SERIAL);
    dnss_put32(w + 4, SOA_REFRESH);
    dnss_put32(w + 8, SOA_RETRY);
    dnss_put32(w + 12, SOA_EXPIRE);
    dnss_put32(w + 16, DNSS_TTL_S);                  /* MINIMUM, RFC 2308 4 */
    w += 20;
    dnss_put16(rd - 2, (uint16_t)(w - rd));
    return w;
}

static uint16_t dnss_soa_len(void)
{
    return (uint16_t)(12u + dnss_host_ptr_len() + (1u + sizeof dnss_rname - 1u + 2u) + 20u);
}

static uint16_t dnss_build(const uint8_t *q, const dnss_question_t *qs, const dnss_reply_t *r,
                           const dnss_edns_t *e, uint8_t *out, uint16_t room)
{
    uint16_t qsec = r->question ? (uint16_t)(qs->end - HDR_LEN) : 0u;
    uint16_t ns_len = (uint16_t)(12u + dnss_host_ptr_len());
    uint32_t need = HDR_LEN + qsec + (e->present ? OPT_RR_LEN : 0u);
    unsigned an = 0, ns = 0, ar = e->present ? 1u : 0u;
    if (r->records & DNSS_ANS_A) {
        need += A_RR_LEN;
        an++;
    }
    if (r->records & (DNSS_ANS_SOA | DNSS_AUTH_SOA)) {
        need += dnss_soa_len();
        if (r->records & DNSS_ANS_SOA) {
            an++;
        } else {
            ns++;
        }
    }
    if (r->records & DNSS_ANS_NS) {
        need += ns_len + A_RR_LEN;
        an++;
        ar++;
    }
    if (need > room) {
        return 0;
    }
    out[0] = q[0];   /* ID */
    out[1] = q[1];
    out[2] = (uint8_t)(F2_QR | (q[2] & (F2_OPCODE | F2_RD)) | (r->aa ? F2_AA : 0u));
    out[3] = (uint8_t)((q[3] & F3_CD) | r->rcode);   /* RA=0: no recursion offered */
    dnss_put16(out + 4, r->question ? 1u : 0u);
    dnss_put16(out + 6, (uint16_t)an);
    dnss_put16(out + 8, (uint16_t)ns);
    dnss_put16(out + 10, (uint16_t)ar);
    uint8_t *p = out + HDR_LEN;
    memcpy(p, q + HDR_LEN, qsec);
    p += qsec;
    if (r->records & DNSS_ANS_A) {
        dnss_put16(p, 0xC000u | HDR_LEN);   /* RFC 1035 4.1.4: the question's name */
        p += 2 + dnss_put_a(p + 2, DNSS_CLASS_IN, DNSS_TTL_S, fw_config.ip);
    }
    if (r->records & (DNSS_ANS_SOA | DNSS_AUTH_SOA)) {
        p = dnss_put_soa(p, r->zone);
    }
    uint16_t glue = 0;
    if (r->records & DNSS_ANS_NS) {
        uint8_t *rd = dnss_put_rr_head(p, r->zone, DNSS_TYPE_NS);
        glue = (uint16_t)(rd - out);
        dnss_put16(rd - 2, dnss_put_host_ptr(rd, r->zone));
        p = rd + dnss_host_ptr_len();
        /* RFC 1034 4.2.1 glue: the server's address next to the NS */
        dnss_put16(p, (uint16_t)(0xC000u | glue));
        p += 2 + dnss_put_a(p + 2, DNSS_CLASS_IN, DNSS_TTL_S, fw_config.ip);
    }
    if (e->present) {
        p[0] = 0u;                            /* root owner */
        dnss_put16(p + 1, DNSS_TYPE_OPT);
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
    dnss_reply_t r = { RCODE_NOERROR, 0u, false, false, 0u, 0u };

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
        r.ext_rcode = RCODE_BADVERS >> 4;   /* RFC 6891 6.1.3 */
        return dnss_build(q, &qs, &r, &e, out, room);
    }
    if (qs.qclass != DNSS_CLASS_IN && qs.qclass != DNSS_CLASS_ANY) {
        r.rcode = RCODE_REFUSED;
        return dnss_build(q, &qs, &r, &e, out, room);
    }
    bool any = qs.qtype == DNSS_TYPE_ANY;
    switch (dnss_classify(q, &r.zone)) {
    case DNSS_NAME_HOST:
        r.aa = true;
        r.records = (qs.qtype == DNSS_TYPE_A || any) ? DNSS_ANS_A : 0u;
        break;
    case DNSS_NAME_HOST_IN_ZONE:
        r.aa = true;
        r.records = (qs.qtype == DNSS_TYPE_A || any) ? DNSS_ANS_A : DNSS_AUTH_SOA;
        break;
    case DNSS_NAME_APEX:
        r.aa = true;
        if (qs.qtype == DNSS_TYPE_SOA || any) {
            r.records |= DNSS_ANS_SOA;
        }
        if (qs.qtype == DNSS_TYPE_NS || any) {
            r.records |= DNSS_ANS_NS;
        }
        if (r.records == 0u) {
            r.records = DNSS_AUTH_SOA;   /* NODATA at the apex */
        }
        break;
    case DNSS_NAME_IN_ZONE:
        r.aa = true;
        r.rcode = RCODE_NXDOMAIN;
        r.records = DNSS_AUTH_SOA;
        break;
    default:
        r.rcode = RCODE_REFUSED;
        break;
    }
    return dnss_build(q, &qs, &r, &e, out, room);
}

uint16_t dnss_answer_cut(const uint8_t *q, uint16_t qlen, uint8_t *out, uint16_t room)
{
    dnss_question_t qs = { 0, 0, 0 };
    dnss_edns_t e = { false, false, 0 };
    dnss_reply_t r = { RCODE_FORMERR, 0u, false, false, 0u, 0u };

    if (q == NULL || out == NULL || qlen < HDR_LEN || (q[2] & F2_QR) != 0u) {
        return 0;
    }
    r.question = (q[2] & F2_OPCODE) == 0u && dnss_get16(q + 4) == 1u &&
                 dnss_parse_question(q, qlen, &qs);
    e.present = dnss_get16(q + 10) != 0u;
    return dnss_build(q, &qs, &r, &e, out, room);
}

uint16_t dnss_reply_rcode(const uint8_t *r, uint16_t rlen)
{
    uint16_t rcode = r[3] & 0x0Fu;
    /* our OPT, when present, is the last record: 11 octets, root owner
     * (the glue A that may end a reply instead has class IN there) */
    const uint8_t *opt = r + rlen - OPT_RR_LEN;
    if (rlen >= HDR_LEN + OPT_RR_LEN && dnss_get16(r + 10) != 0u && opt[0] == 0u &&
        dnss_get16(opt + 1) == DNSS_TYPE_OPT) {
        rcode = (uint16_t)(rcode | ((uint16_t)opt[5] << 4));
    }
    return rcode;
}

/* ------------------------------------------------------------ lwIP glue */

static void dnss_count(uint16_t rcode)
{
    switch (rcode) {
    case RCODE_NOERROR:  dnss_stats.answered++; break;
    case RCODE_NXDOMAIN: dnss_stats.nxdomain++; break;
    case RCODE_REFUSED:  dnss_stats.refused++;  break;
    case RCODE_NOTIMP:   dnss_stats.notimp++;   break;
    case RCODE_BADVERS:  dnss_stats.badvers++;  break;
    default:             dnss_stats.formerr++;  break;
    }
}

/* Answers the message held in p[off .. off+len) (len <= p's data) into a new
 * PBUF_RAM pbuf with `head` free octets in front (the TCP length prefix), or
 * NULL (nothing to send, or no memory). Copies the query into one heap block
 * only when it is spread over several pbufs. Sets *rcode for the counters. */
static struct pbuf *dnss_reply_pbuf(struct pbuf *p, uint16_t off, uint16_t len, bool cut,
                                    pbuf_layer layer, uint16_t head, uint16_t *rcode)
{
    struct pbuf *copy = NULL;
    const uint8_t *msg = NULL;
    uint16_t n = 0;
    struct pbuf *reply = NULL;

    if (p->len >= (uint32_t)off + len) {
        msg = (const uint8_t *)p->payload + off;
    } else {
        /* chained pbuf: one transient heap copy instead of a static buffer */
        copy = pbuf_alloc(PBUF_RAW, len, PBUF_RAM);
        if (copy == NULL || pbuf_copy_partial(p, copy->payload, len, off) != len) {
            goto out;
        }
        msg = (const uint8_t *)copy->payload;
    }
    reply = pbuf_alloc(layer, (uint16_t)(head + DNSS_REPLY_MAX), PBUF_RAM);
    if (reply == NULL) {
        goto out;
    }
    uint8_t *o = (uint8_t *)reply->payload + head;
    n = cut ? dnss_answer_cut(msg, len, o, DNSS_REPLY_MAX) : dnss_answer(msg, len, o, DNSS_REPLY_MAX);
    if (n == 0u) {
        pbuf_free(reply);
        reply = NULL;
        goto out;
    }
    *rcode = dnss_reply_rcode(o, n);
    pbuf_realloc(reply, (uint16_t)(head + n));
out:
    if (copy != NULL) {
        pbuf_free(copy);
    }
    return reply;
}

static void dnss_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p,
                      const ip_addr_t *addr, u16_t port)
{
    (void)arg;
    struct pbuf *reply = NULL;
    uint16_t rcode = 0;

    dnss_stats.queries++;
    /* A reply to port 0 or to a broadcast/multicast query is not a thing a
     * unicast DNS client expects (RFC 1035 4.2.1 answers the sender). */
    if (port == 0u || ip_addr_isbroadcast(ip_current_dest_addr(), ip_current_netif()) ||
        ip_addr_ismulticast(ip_current_dest_addr())) {
        goto drop;
    }
    bool cut = p->tot_len > DNSS_QUERY_MAX;
    reply = dnss_reply_pbuf(p, 0, cut ? (uint16_t)DNSS_QUERY_MAX : p->tot_len, cut,
                            PBUF_TRANSPORT, 0, &rcode);
    if (reply == NULL || udp_sendto(pcb, reply, addr, port) != ERR_OK) {
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
    pbuf_free(p);
}

/* ---- DNS over TCP (RFC 7766) ----
 * One connection at a time (RFC 7766 6.2.2 lets a server limit them; 5
 * "MUST support TCP" is met by one): a new connection replaces the current
 * one, so a client that connects and goes quiet cannot keep others out.
 * Each message is a 2-octet length and the message (RFC 1035 4.2.2); several
 * may arrive back to back (pipelining, RFC 7766 6.2.1.1) and are answered in
 * order. A message is kept as received until it is whole, then answered
 * like a UDP query; the unanswered rest is moved from pool pbufs into one
 * heap block (dnss_tcp_unpool), so a slow client holds no receive buffer; a length
 * over DNSS_QUERY_MAX gets FORMERR from its header (dnss_answer_cut) and its
 * body is read and thrown away. Idle for DNSS_TCP_IDLE_S (no partial message
 * arriving, no reply pending) -> closed (RFC 7766 6.2.3: servers close idle
 * connections, timeouts of seconds). A client that does not read its replies
 * (no send room) is aborted. Pcbs: one listen pcb of its own (lwipopts.h);
 * the connection comes from the pool HTTP uses, but with TCP_PRIO_MAX: when
 * the pool is empty, lwIP's tcp_alloc() frees the least active pcb of lower
 * priority (tcp_kill_prio), and http_srv.c gives its connections
 * TCP_PRIO_MIN - so there is always room for the one DNS connection without
 * a tcp_pcb (152 octets on the chip) kept for it. */
#ifndef DNSS_TCP_IDLE_S
#define DNSS_TCP_IDLE_S 10u
#endif
#define DNSS_TCP_POLL 2u   /* tcp_poll interval: 2 x 500 ms (TCP slow timer) */

static struct {
    struct tcp_pcb *listen;
    struct tcp_pcb *pcb;      /* the connection, or NULL */
    struct pbuf *in;          /* received, not yet answered */
    uint16_t skip;            /* octets of an oversized message still to drop */
    uint8_t idle;             /* poll rounds without progress */
} dnss_tcp;

/* Forgets the connection and closes it; returns true if it had to be
 * aborted (then a callback of that pcb must return ERR_ABRT). */
static bool dnss_tcp_drop(bool graceful)
{
    struct tcp_pcb *pcb = dnss_tcp.pcb;
    if (pcb == NULL) {
        return false;
    }
    dnss_tcp.pcb = NULL;
    if (dnss_tcp.in != NULL) {
        /* take the unanswered rest as read: lwIP's tcp_close() sends a RST
         * instead of a FIN while received data is not acknowledged to it */
        tcp_recved(pcb, dnss_tcp.in->tot_len);
        pbuf_free(dnss_tcp.in);
        dnss_tcp.in = NULL;
    }
    dnss_tcp.skip = 0;
    tcp_arg(pcb, NULL);
    tcp_recv(pcb, NULL);
    tcp_err(pcb, NULL);
    tcp_poll(pcb, NULL, 0);
    tcp_sent(pcb, NULL);
    if (graceful && tcp_close(pcb) == ERR_OK) {
        return false;
    }
    tcp_abort(pcb);
    return true;
}

/* The rest of a message still on its way is moved out of the receive pool
 * into one heap block (<= DNSS_QUERY_MAX + 2 octets): a client that sends
 * half a query and waits must not hold PBUF_POOL buffers, which every other
 * frame from the host needs. No memory: the pool buffers stay (bounded by
 * this one connection and the idle timeout). */
static void dnss_tcp_unpool(void)
{
    bool pooled = false;
    for (const struct pbuf *q = dnss_tcp.in; q != NULL; q = q->next) {
        pooled |= pbuf_match_allocsrc(q, PBUF_POOL);
    }
    if (pooled) {
        struct pbuf *c = pbuf_clone(PBUF_RAW, PBUF_RAM, dnss_tcp.in);
        if (c != NULL) {
            pbuf_free(dnss_tcp.in);
            dnss_tcp.in = c;
        }
    }
}

/* Consumes n octets from the front of dnss_tcp.in and opens the window. */
static void dnss_tcp_consume(uint16_t n)
{
    dnss_tcp.in = pbuf_free_header(dnss_tcp.in, n);
    tcp_recved(dnss_tcp.pcb, n);
}

/* Answers every complete message in dnss_tcp.in. Returns false if the
 * connection was aborted (the caller must not touch it again). */
static bool dnss_tcp_process(void)
{
    while (dnss_tcp.in != NULL) {
        if (dnss_tcp.skip > 0u) {
            uint16_t n = dnss_tcp.in->tot_len < dnss_tcp.skip ? dnss_tcp.in->tot_len : dnss_tcp.skip;
            dnss_tcp.skip = (uint16_t)(dnss_tcp.skip - n);
            dnss_tcp_consume(n);
            continue;
        }
        uint16_t have = dnss_tcp.in->tot_len;
        if (have < 2u) {
            return true;
        }
        uint8_t pre[2];
        (void)pbuf_copy_partial(dnss_tcp.in, pre, 2, 0);
        uint16_t mlen = dnss_get16(pre);
        bool cut = mlen > DNSS_QUERY_MAX;
        /* an oversized message is answered from its header alone */
        uint16_t need = cut ? (uint16_t)DNSS_HDR_LEN : mlen;
        if ((uint32_t)have < 2u + need) {
            return true;
        }
        dnss_stats.queries++;
        uint16_t rcode = 0;
        struct pbuf *reply = NULL;
        if (mlen >= DNSS_HDR_LEN) {
            reply = dnss_reply_pbuf(dnss_tcp.in, 2, need, cut, PBUF_RAW, 2, &rcode);
        }
        if (reply == NULL) {
            dnss_stats.dropped++;   /* a response, < 12 octets, or no memory */
        } else {
            dnss_put16((uint8_t *)reply->payload, (uint16_t)(reply->tot_len - 2u));
            if (tcp_sndbuf(dnss_tcp.pcb) < reply->tot_len ||
                tcp_write(dnss_tcp.pcb, reply->payload, reply->tot_len, TCP_WRITE_FLAG_COPY) != ERR_OK) {
                pbuf_free(reply);
                dnss_stats.dropped++;
                (void)dnss_tcp_drop(false);   /* it does not read what we send */
                return false;
            }
            pbuf_free(reply);
            dnss_count(rcode);
            (void)tcp_output(dnss_tcp.pcb);
        }
        if (cut) {
            dnss_tcp.skip = (uint16_t)(mlen - need);
        }
        dnss_tcp_consume((uint16_t)(2u + need));
    }
    return true;
}

static err_t dnss_tcp_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    (void)arg;
    (void)err;
    if (pcb != dnss_tcp.pcb) {
        if (p != NULL) {
            pbuf_free(p);
        }
        return ERR_OK;
    }
    if (p == NULL) {
        /* the client closed: so do we (RFC 7766 6.2.4) */
        return dnss_tcp_drop(true) ? ERR_ABRT : ERR_OK;
    }
    dnss_tcp.idle = 0;
    if (dnss_tcp.in == NULL) {
        dnss_tcp.in = p;
    } else {
        pbuf_cat(dnss_tcp.in, p);
    }
    if (!dnss_tcp_process()) {
        return ERR_ABRT;
    }
    dnss_tcp_unpool();
    return ERR_OK;
}

static err_t dnss_tcp_poll(void *arg, struct tcp_pcb *pcb)
{
    (void)arg;
    if (pcb != dnss_tcp.pcb) {
        return ERR_OK;
    }
    if (++dnss_tcp.idle >= (DNSS_TCP_IDLE_S * 2u + DNSS_TCP_POLL - 1u) / DNSS_TCP_POLL) {
        return dnss_tcp_drop(true) ? ERR_ABRT : ERR_OK;
    }
    return ERR_OK;
}

static void dnss_tcp_err(void *arg, err_t err)
{
    (void)arg;
    (void)err;
    /* the pcb is already freed by lwIP */
    dnss_tcp.pcb = NULL;
    if (dnss_tcp.in != NULL) {
        pbuf_free(dnss_tcp.in);
        dnss_tcp.in = NULL;
    }
    dnss_tcp.skip = 0;
}

static err_t dnss_tcp_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
    (void)arg;
    if (err != ERR_OK || pcb == NULL) {
        return ERR_VAL;
    }
    (void)dnss_tcp_drop(true);   /* newest wins, see above */
    dnss_tcp.pcb = pcb;
    dnss_tcp.idle = 0;
    tcp_arg(pcb, NULL);
    tcp_recv(pcb, dnss_tcp_recv);
    tcp_err(pcb, dnss_tcp_err);
    tcp_poll(pcb, dnss_tcp_poll, DNSS_TCP_POLL);
    return ERR_OK;
}

static struct udp_pcb *dnss_udp;

void dnss_init(void)
{
    dnss_deinit();
    dnss_udp = udp_new();
    if (dnss_udp != NULL && udp_bind(dnss_udp, IP_ANY_TYPE, DNSS_PORT) == ERR_OK) {
        udp_recv(dnss_udp, dnss_recv, NULL);
    } else if (dnss_udp != NULL) {
        udp_remove(dnss_udp);   /* MEMP_NUM_UDP_PCB too small: no DNS, the rest works */
        dnss_udp = NULL;
    }
    struct tcp_pcb *pcb = tcp_new();
    if (pcb == NULL) {
        return;
    }
    if (tcp_bind(pcb, IP_ANY_TYPE, DNSS_PORT) != ERR_OK) {
        tcp_abort(pcb);
        return;
    }
    tcp_setprio(pcb, TCP_PRIO_MAX);      /* inherited by accepted pcbs, see above */
    dnss_tcp.listen = tcp_listen(pcb);   /* frees pcb on failure */
    if (dnss_tcp.listen != NULL) {
        tcp_accept(dnss_tcp.listen, dnss_tcp_accept);
    }
}

void dnss_deinit(void)
{
    (void)dnss_tcp_drop(false);
    if (dnss_tcp.listen != NULL) {
        tcp_close(dnss_tcp.listen);
        dnss_tcp.listen = NULL;
    }
    if (dnss_udp != NULL) {
        udp_remove(dnss_udp);
        dnss_udp = NULL;
    }
}
