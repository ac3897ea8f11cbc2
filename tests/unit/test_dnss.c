/* test_dnss.c - DNS server (firmware/net/dnss.c): dnss_answer() byte by byte
 * against replies built here from RFC 1035 4.1 / RFC 6891 6.1, malformed
 * and mutated input under ASan (every query and reply buffer is an exactly
 * sized heap block, so one byte of over-read or over-write aborts), and, when
 * the lwIP harness is linked, one UDP query through a fake netif. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>

#include "config.h"
#include "dnss.h"
#include "ident.h"
#include "dns_wire.h"
#include "lwip_harness.h"
/* <stdlib.h> (malloc, for exactly sized ASan blocks) brings glibc's
 * BYTE_ORDER; arch/cc.h defines it again with the same meaning. */
#undef BYTE_ORDER
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/stats.h"

/* ------------------------------------------------------------ helpers */

/* Calls dnss_answer with q and out in heap blocks of exactly qlen / room
 * bytes; copies the reply to res (>= DNSS_REPLY_MAX + 64 bytes). */
static uint16_t answer(const uint8_t *q, size_t qlen, uint8_t *res, uint16_t room)
{
    uint8_t *qh = malloc(qlen ? qlen : 1);
    uint8_t *oh = malloc(room ? room : 1);
    assert_non_null(qh);
    assert_non_null(oh);
    memcpy(qh, q, qlen);
    memset(oh, 0xEE, room ? room : 1);
    uint16_t n = dnss_answer(qh, (uint16_t)qlen, oh, room);
    assert_true(n <= room);
    memcpy(res, oh, n);
    assert_memory_equal(qh, q, qlen);   /* input is const */
    free(qh);
    free(oh);
    return n;
}


static size_t hdr(uint8_t *p, uint16_t id, uint8_t f2, uint8_t f3, uint16_t qd, uint16_t an,
                  uint16_t ns, uint16_t ar)
{
    put16(p, id);
    p[2] = f2;
    p[3] = f3;
    put16(p + 4, qd);
    put16(p + 6, an);
    put16(p + 8, ns);
    put16(p + 10, ar);
    return 12;
}

/* A standard query with RD=1, one question. */
static size_t mkq(uint8_t *p, uint16_t id, const char *name, uint16_t qtype, uint16_t qclass)
{
    size_t n = hdr(p, id, 0x01, 0x00, 1, 0, 0, 0);
    n += enc_name(p + n, name);
    n += put16(p + n, qtype);
    n += put16(p + n, qclass);
    return n;
}

/* The zone's SOA as RFC 1035 3.3.13 lays it out and dnss.c promises it:
 * owner = pointer to the zone label at offset zone, MNAME hostname.zone,
 * RNAME hostmaster.zone, serial 1, refresh 3600, retry 600, expire 86400,
 * minimum 60, TTL 60. */
static size_t mksoa(uint8_t *p, size_t zone)
{
    size_t n = 0;
    n += put16(p + n, (uint16_t)(0xC000 | zone));
    n += put16(p + n, 6);
    n += put16(p + n, 1);
    n += put16(p + n, 0);
    n += put16(p + n, 60);
    size_t rdlen_at = n;
    n += 2;
    size_t hl = strlen(fw_config.hostname);
    p[n++] = (uint8_t)hl;
    memcpy(p + n, fw_config.hostname, hl);
    n += hl;
    n += put16(p + n, (uint16_t)(0xC000 | zone));
    p[n++] = 10;
    memcpy(p + n, "hostmaster", 10);
    n += 10;
    n += put16(p + n, (uint16_t)(0xC000 | zone));
    const uint32_t nums[5] = { 1, 3600, 600, 86400, 60 };
    for (int i = 0; i < 5; i++) {
        n += put16(p + n, (uint16_t)(nums[i] >> 16));
        n += put16(p + n, (uint16_t)nums[i]);
    }
    put16(p + rdlen_at, (uint16_t)(n - rdlen_at - 2));
    return n;
}

/* Offset of the last label of the question's name if that label is our
 * zone (the name is in the zone), else 0. */
static size_t zone_label(const uint8_t *q, size_t qsec_end)
{
    size_t p = 12, last = 0;
    if (qsec_end <= 12) {
        return 0;
    }
    while (q[p] != 0) {
        last = p;
        p += 1u + q[p];
    }
    if (last == 0 || q[last] != strlen(fw_config.zone) ||
        strncasecmp((const char *)q + last + 1, fw_config.zone, q[last]) != 0) {
        return 0;
    }
    return last;
}

/* The reply we expect: header with QR (and AA), RD as given, the question
 * copied verbatim from the query, then optionally the A record, the zone's
 * SOA in the authority section (RFC 2308 3: every authoritative NXDOMAIN or
 * NODATA for a name in the zone), and an OPT. */
static size_t mkreply(uint8_t *p, const uint8_t *q, size_t qsec_end, bool aa, uint8_t rcode,
                      bool with_a, const uint8_t ip[4], bool opt)
{
    size_t zone = (aa && !with_a && (rcode == 0 || rcode == 3)) ? zone_label(q, qsec_end) : 0;
    size_t n = hdr(p, (uint16_t)(q[0] << 8 | q[1]),
                   (uint8_t)(0x80 | (q[2] & 0x79) | (aa ? 0x04 : 0)), rcode,
                   qsec_end > 12 ? 1 : 0, with_a ? 1 : 0, zone ? 1 : 0, opt ? 1 : 0);
    memcpy(p + n, q + 12, qsec_end - 12);
    n = qsec_end;
    if (with_a) {
        const uint8_t rr[] = { 0xC0, 0x0C, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 60, 0x00, 0x04 };
        memcpy(p + n, rr, sizeof rr);
        n += sizeof rr;
        memcpy(p + n, ip, 4);
        n += 4;
    }
    if (zone) {
        n += mksoa(p + n, zone);
    }
    if (opt) {
        /* payload size 768 = DNSS_QUERY_MAX, what we can receive */
        const uint8_t o[] = { 0x00, 0x00, 0x29, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 };
        memcpy(p + n, o, sizeof o);
        n += sizeof o;
    }
    return n;
}

static const uint8_t dev_ip[4] = { 192, 168, 7, 1 };

/* Query for name/type/class; expect the given reply class. */
static void expect(const char *name, uint16_t qtype, uint16_t qclass, bool aa, uint8_t rcode,
                   bool with_a)
{
    uint8_t q[600], want[700], got[700];
    size_t qlen = mkq(q, 0xBEEF, name, qtype, qclass);
    size_t wlen = mkreply(want, q, qlen, aa, rcode, with_a, dev_ip, false);
    uint16_t n = answer(q, qlen, got, 600);
    assert_int_equal(n, wlen);
    assert_memory_equal(got, want, wlen);
}

static int setup(void **state)
{
    (void)state;
    static const fw_config_t defaults = { { 192, 168, 7, 1 }, { 255, 255, 255, 0 }, "stm32net", "usb" };
    fw_config = defaults;
    return 0;
}

/* ------------------------------------------------------------ answers */

static void test_a_literal_bytes(void **state)
{
    (void)state;
    const uint8_t q[] = {
        0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        8, 's', 't', 'm', '3', '2', 'n', 'e', 't', 3, 'u', 's', 'b', 0,
        0x00, 0x01, 0x00, 0x01,
    };
    const uint8_t want[] = {
        0x12, 0x34, 0x85, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
        8, 's', 't', 'm', '3', '2', 'n', 'e', 't', 3, 'u', 's', 'b', 0,
        0x00, 0x01, 0x00, 0x01,
        0xC0, 0x0C, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3C, 0x00, 0x04, 192, 168, 7, 1,
    };
    uint8_t got[700];
    uint16_t n = answer(q, sizeof q, got, 512);
    assert_int_equal(n, sizeof want);
    assert_memory_equal(got, want, sizeof want);
}

static void test_a_any_case_bare(void **state)
{
    (void)state;
    expect("stm32net.usb", 1, 1, true, 0, true);
    expect("stm32net.usb.", 1, 1, true, 0, true);   /* same wire form */
    expect("stm32net.usb", 255, 1, true, 0, true);  /* ANY */
    expect("STM32NET.USB", 1, 1, true, 0, true);    /* echoed as sent */
    expect("StM32nEt.uSb", 1, 1, true, 0, true);
    expect("stm32net", 1, 1, true, 0, true);
    expect("STM32NET", 255, 1, true, 0, true);
    expect("stm32net.usb", 1, 255, true, 0, true);  /* QCLASS ANY */
}

static void test_nodata(void **state)
{
    (void)state;
    expect("stm32net.usb", 28, 1, true, 0, false);  /* AAAA */
    expect("stm32net.usb", 15, 1, true, 0, false);  /* MX */
    expect("stm32net.usb", 16, 1, true, 0, false);  /* TXT */
    expect("stm32net", 28, 1, true, 0, false);
    expect("usb", 1, 1, true, 0, false);            /* zone apex: NODATA + SOA */
    expect("USB.", 28, 1, true, 0, false);
    expect("usb", 15, 1, true, 0, false);
}

static void test_nxdomain(void **state)
{
    (void)state;
    expect("other.usb", 1, 1, true, 3, false);
    expect("a.b.usb", 1, 1, true, 3, false);
    expect("x.stm32net.usb", 1, 1, true, 3, false);
    expect("stm32net.stm32net.usb", 28, 1, true, 3, false);
    expect("stm32ne.usb", 1, 1, true, 3, false);
    expect("stm32nett.usb", 1, 1, true, 3, false);
}

static void test_refused(void **state)
{
    (void)state;
    expect("example.com", 1, 1, false, 5, false);
    expect("foo", 1, 1, false, 5, false);
    expect("", 2, 1, false, 5, false);               /* the root */
    expect("stm32net.com", 1, 1, false, 5, false);
    expect("usb.com", 1, 1, false, 5, false);
    expect("stm32net.usb", 16, 3, false, 5, false);  /* class CH */
    expect("us", 1, 1, false, 5, false);
    expect("usbx", 1, 1, false, 5, false);
}

static void test_config_names_and_ip_followed(void **state)
{
    (void)state;
    strcpy(fw_config.hostname, "Dev-1");
    strcpy(fw_config.zone, "lan");
    const uint8_t ip[4] = { 10, 1, 2, 3 };
    memcpy(fw_config.ip, ip, 4);
    uint8_t q[600], want[700], got[700];
    size_t qlen = mkq(q, 7, "dev-1.LAN", 1, 1);
    size_t wlen = mkreply(want, q, qlen, true, 0, true, ip, false);
    assert_int_equal(answer(q, qlen, got, 512), wlen);
    assert_memory_equal(got, want, wlen);
    expect("stm32net.usb", 1, 1, false, 5, false);
    expect("x.lan", 1, 1, true, 3, false);
}

static void test_header_bits(void **state)
{
    (void)state;
    uint8_t q[600], got[700];
    size_t qlen = mkq(q, 0xFFFF, "stm32net.usb", 1, 1);
    q[2] = 0x00;          /* RD=0 */
    q[3] = 0x70;          /* Z, AD, CD set */
    uint16_t n = answer(q, qlen, got, 512);
    assert_int_equal(n, qlen + 16);
    assert_int_equal(got[0], 0xFF);
    assert_int_equal(got[1], 0xFF);
    assert_int_equal(got[2], 0x84);   /* QR AA, RD 0, TC 0 */
    assert_int_equal(got[3], 0x10);   /* RA 0, Z 0, AD 0, CD copied, NOERROR */
    q[2] = 0x03;                      /* TC + RD in a query: TC not echoed */
    n = answer(q, qlen, got, 512);
    assert_int_equal(n, qlen + 16);
    assert_int_equal(got[2], 0x85);
}

/* A query carrying records of its own: never echoed, counts are ours. */
static void test_query_records_not_echoed(void **state)
{
    (void)state;
    uint8_t q[600], want[700], got[700];
    size_t qsec = mkq(q, 0x0101, "stm32net.usb", 1, 1);
    put16(q + 6, 1);   /* ANCOUNT 1 */
    put16(q + 8, 1);   /* NSCOUNT 1 */
    size_t n = qsec;
    const uint8_t an[] = { 0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 1, 0, 0, 4, 1, 2, 3, 4 };
    memcpy(q + n, an, sizeof an);
    n += sizeof an;
    n += enc_name(q + n, "ns.example");
    const uint8_t ns[] = { 0, 2, 0, 1, 0, 0, 1, 0, 0, 2, 0xC0, 0x0C };
    memcpy(q + n, ns, sizeof ns);
    n += sizeof ns;
    size_t wlen = mkreply(want, q, qsec, true, 0, true, dev_ip, false);
    assert_int_equal(answer(q, n, got, 512), wlen);
    assert_memory_equal(got, want, wlen);
    /* trailing garbage past the counted records is ignored */
    q[n] = 0x55;
    assert_int_equal(answer(q, n + 1, got, 512), wlen);
    assert_memory_equal(got, want, wlen);
    /* a record cut short is a format error (question kept: it was parsed) */
    wlen = mkreply(want, q, qsec, false, 1, false, dev_ip, false);
    assert_int_equal(answer(q, n - 1, got, 512), wlen);
    assert_memory_equal(got, want, wlen);
}

/* ------------------------------------------------------------ EDNS */

static size_t add_opt(uint8_t *p, uint16_t size, uint8_t version, bool dnssec_ok,
                      const uint8_t *rdata, uint16_t rdlen)
{
    size_t n = 0;
    p[n++] = 0;
    n += put16(p + n, 41);
    n += put16(p + n, size);
    p[n++] = 0;
    p[n++] = version;
    p[n++] = dnssec_ok ? 0x80 : 0;
    p[n++] = 0;
    n += put16(p + n, rdlen);
    if (rdlen) {
        memcpy(p + n, rdata, rdlen);
    }
    return n + rdlen;
}

static void test_edns_gets_our_opt(void **state)
{
    (void)state;
    uint8_t q[600], want[700], got[700];
    size_t qsec = mkq(q, 0x4242, "stm32net.usb", 1, 1);
    put16(q + 10, 1);
    const uint8_t cookie[] = { 0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8 };   /* RFC 7873 client cookie */
    size_t qlen = qsec + add_opt(q + qsec, 1232, 0, false, cookie, sizeof cookie);
    size_t wlen = mkreply(want, q, qsec, true, 0, true, dev_ip, true);
    assert_int_equal(wlen, qsec + 16 + 11);
    assert_int_equal(answer(q, qlen, got, 512), wlen);
    assert_memory_equal(got, want, wlen);
    assert_int_equal(got[11], 1);   /* ARCOUNT: our OPT only */

    /* DO copied (RFC 3225 3) */
    qlen = qsec + add_opt(q + qsec, 4096, 0, true, NULL, 0);
    want[wlen - 4] = 0x80;
    assert_int_equal(answer(q, qlen, got, 512), wlen);
    assert_memory_equal(got, want, wlen);

    /* NODATA / NXDOMAIN / REFUSED keep the OPT too */
    qsec = mkq(q, 0x4243, "nope.usb", 28, 1);
    put16(q + 10, 1);
    qlen = qsec + add_opt(q + qsec, 512, 0, false, NULL, 0);
    wlen = mkreply(want, q, qsec, true, 3, false, dev_ip, true);
    assert_int_equal(answer(q, qlen, got, 512), wlen);
    assert_memory_equal(got, want, wlen);
}

static void test_edns_errors(void **state)
{
    (void)state;
    uint8_t q[600], want[700], got[700];
    size_t qsec = mkq(q, 0x5151, "stm32net.usb", 1, 1);
    put16(q + 10, 1);

    /* version 1 -> BADVERS (16): header RCODE 0, extended RCODE 1 in our OPT */
    size_t qlen = qsec + add_opt(q + qsec, 512, 1, false, NULL, 0);
    size_t wlen = mkreply(want, q, qsec, false, 0, false, dev_ip, true);
    want[wlen - 6] = 1;
    assert_int_equal(answer(q, qlen, got, 512), wlen);
    assert_memory_equal(got, want, wlen);

    /* two OPTs -> FORMERR with OPT (RFC 6891 6.1.1) */
    put16(q + 10, 2);
    qlen = qsec + add_opt(q + qsec, 512, 0, false, NULL, 0);
    qlen += add_opt(q + qlen, 512, 0, false, NULL, 0);
    wlen = mkreply(want, q, qsec, false, 1, false, dev_ip, true);
    assert_int_equal(answer(q, qlen, got, 512), wlen);
    assert_memory_equal(got, want, wlen);

    /* option framing overruns the RDATA -> FORMERR with OPT (RFC 6891 7) */
    put16(q + 10, 1);
    const uint8_t bad[] = { 0, 10, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8 };
    qlen = qsec + add_opt(q + qsec, 512, 0, false, bad, sizeof bad);
    assert_int_equal(answer(q, qlen, got, 512), wlen);
    assert_memory_equal(got, want, wlen);

    /* OPT owner not the root -> FORMERR with OPT */
    size_t n = qsec + enc_name(q + qsec, "x");
    n += add_opt(q + n, 512, 0, false, NULL, 0) - 1;
    memmove(q + qsec + 3, q + qsec + 4, n - qsec - 3);   /* drop the root byte add_opt wrote */
    assert_int_equal(answer(q, n, got, 512), wlen);
    assert_memory_equal(got, want, wlen);

    /* OPT in the answer section -> FORMERR, no OPT of ours (none accepted) */
    put16(q + 6, 1);
    put16(q + 10, 0);
    qlen = qsec + add_opt(q + qsec, 512, 0, false, NULL, 0);
    wlen = mkreply(want, q, qsec, false, 1, false, dev_ip, false);
    assert_int_equal(answer(q, qlen, got, 512), wlen);
    assert_memory_equal(got, want, wlen);

    /* ARCOUNT 1 but no record there -> FORMERR */
    put16(q + 6, 0);
    put16(q + 10, 1);
    assert_int_equal(answer(q, qsec, got, 512), wlen);
    assert_memory_equal(got, want, wlen);
}

/* ------------------------------------------------------------ errors */

/* FORMERR / NOTIMP without question: ID, opcode and RD copied, counts 0. */
static void expect_bare_error(const uint8_t *q, size_t qlen, uint8_t rcode)
{
    uint8_t got[700];
    uint8_t want[12] = { q[0], q[1], (uint8_t)(0x80 | (q[2] & 0x79)), rcode, 0, 0, 0, 0, 0, 0, 0, 0 };
    assert_int_equal(answer(q, qlen, got, 512), 12);
    assert_memory_equal(got, want, 12);
}

static void test_qdcount_not_one(void **state)
{
    (void)state;
    uint8_t q[600];
    size_t qlen = mkq(q, 0x0A0B, "stm32net.usb", 1, 1);
    put16(q + 4, 0);
    expect_bare_error(q, qlen, 1);
    expect_bare_error(q, 12, 1);
    put16(q + 4, 2);
    size_t n = qlen + enc_name(q + qlen, "stm32net");
    n += put16(q + n, 1);
    n += put16(q + n, 1);
    expect_bare_error(q, n, 1);
    put16(q + 4, 0xFFFF);
    expect_bare_error(q, n, 1);
}

static void test_opcode_notimp(void **state)
{
    (void)state;
    uint8_t q[600];
    size_t qlen = mkq(q, 0x0C0D, "stm32net.usb", 1, 1);
    q[2] = (uint8_t)(2 << 3 | 1);       /* STATUS, RD */
    expect_bare_error(q, qlen, 4);
    uint8_t got[700];
    assert_int_equal(answer(q, qlen, got, 512), 12);
    assert_int_equal(got[2], 0x80 | 0x10 | 0x01);
    q[2] = (uint8_t)(5 << 3);           /* UPDATE */
    expect_bare_error(q, qlen, 4);
    q[2] = (uint8_t)(1 << 3);           /* IQUERY (obsolete, RFC 3425) */
    expect_bare_error(q, 12, 4);
    q[2] = (uint8_t)(15 << 3);
    expect_bare_error(q, qlen, 4);
}

/* RFC 6891 7: NOTIMP and the QDCOUNT FORMERR, which carry no question, still
 * get our OPT when the query's additional section has one that parses. */
static void expect_bare_error_opt(const uint8_t *q, size_t qlen, uint8_t rcode, bool dnssec_ok)
{
    uint8_t got[700];
    uint8_t want[23] = { q[0], q[1], (uint8_t)(0x80 | (q[2] & 0x79)), rcode, 0, 0, 0, 0, 0, 0, 0, 1,
                         0x00, 0x00, 0x29, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 };
    want[19] = dnssec_ok ? 0x80 : 0x00;
    assert_int_equal(answer(q, qlen, got, 512), sizeof want);
    assert_memory_equal(got, want, sizeof want);
}

static void test_bare_errors_keep_opt(void **state)
{
    (void)state;
    uint8_t q[600];
    const uint8_t cookie[] = { 0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8 };

    /* QDCOUNT 0, OPT right after the header */
    size_t n = hdr(q, 0x0E01, 0x01, 0, 0, 0, 0, 1);
    n += add_opt(q + n, 1232, 0, false, cookie, sizeof cookie);
    expect_bare_error_opt(q, n, 1, false);

    /* QDCOUNT 2 (the second name a pointer), then the OPT; DO copied */
    n = mkq(q, 0x0E02, "stm32net.usb", 1, 1);
    put16(q + 4, 2);
    put16(q + 10, 1);
    q[n++] = 0xC0;
    q[n++] = 0x0C;
    n += put16(q + n, 28);
    n += put16(q + n, 1);
    n += add_opt(q + n, 4096, 0, true, NULL, 0);
    expect_bare_error_opt(q, n, 1, true);

    /* opcode STATUS with a question and an OPT -> NOTIMP with OPT */
    n = mkq(q, 0x0E03, "stm32net.usb", 1, 1);
    q[2] = (uint8_t)(2 << 3 | 1);
    put16(q + 10, 1);
    n += add_opt(q + n, 512, 0, false, cookie, sizeof cookie);
    expect_bare_error_opt(q, n, 4, false);
    /* UPDATE without question, OPT only */
    n = hdr(q, 0x0E04, (uint8_t)(5 << 3), 0, 0, 0, 0, 1);
    n += add_opt(q + n, 512, 0, true, NULL, 0);
    expect_bare_error_opt(q, n, 4, true);

    /* an OPT that does not parse (option overruns RDATA, or cut short), or a
     * question that cannot be stepped over: no OPT of ours */
    const uint8_t bad[] = { 0, 10, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8 };
    n = hdr(q, 0x0E05, 0x01, 0, 0, 0, 0, 1);
    n += add_opt(q + n, 512, 0, false, bad, sizeof bad);
    expect_bare_error(q, n, 1);
    n = hdr(q, 0x0E06, (uint8_t)(2 << 3), 0, 0, 0, 0, 1);
    n += add_opt(q + n, 512, 0, false, NULL, 0);
    expect_bare_error(q, n - 1, 4);
    n = mkq(q, 0x0E07, "stm32net.usb", 1, 1);
    put16(q + 4, 3);                    /* claims 3 questions, holds 1 */
    put16(q + 10, 1);
    n += add_opt(q + n, 512, 0, false, NULL, 0);
    expect_bare_error(q, n, 1);
}

static void test_pointer_in_question(void **state)
{
    (void)state;
    uint8_t q[600];
    size_t n = hdr(q, 0x1111, 0x01, 0, 1, 0, 0, 0);
    q[n++] = 0xC0;   /* points at itself: a loop if followed */
    q[n++] = 0x0C;
    n += put16(q + n, 1);
    n += put16(q + n, 1);
    expect_bare_error(q, n, 1);
    /* a label then a pointer back to that label */
    n = hdr(q, 0x1112, 0x01, 0, 1, 0, 0, 0);
    n += enc_name(q + n, "a") - 1;
    q[n++] = 0xC0;
    q[n++] = 0x0C;
    n += put16(q + n, 1);
    n += put16(q + n, 1);
    expect_bare_error(q, n, 1);
    /* pointer into the header */
    q[12] = 0xC0;
    q[13] = 0x00;
    expect_bare_error(q, n, 1);
    /* extended label types 0x40 / 0x80 */
    q[12] = 0x41;
    expect_bare_error(q, n, 1);
    q[12] = 0x80;
    expect_bare_error(q, n, 1);
}

static void test_truncated_question(void **state)
{
    (void)state;
    uint8_t q[600];
    size_t qlen = mkq(q, 0x2222, "stm32net.usb", 1, 1);
    /* every cut inside the question: inside the name, no QTYPE, half QCLASS */
    for (size_t cut = 12; cut < qlen; cut++) {
        expect_bare_error(q, cut, 1);
    }
}

static void test_label_and_name_limits(void **state)
{
    (void)state;
    uint8_t q[600];
    char name[300];
    memset(name, 'a', 63);
    strcpy(name + 63, ".usb");
    expect(name, 1, 1, true, 3, false);                  /* 63: fine, inside the zone */

    size_t n = hdr(q, 0x3333, 0x01, 0, 1, 0, 0, 0);
    q[n++] = 64;
    memset(q + n, 'a', 64);
    n += 64;
    n += enc_name(q + n, "usb");
    n += put16(q + n, 1);
    n += put16(q + n, 1);
    expect_bare_error(q, n, 1);                          /* 64: FORMERR */

    /* 255 wire octets: 3 x (1+63) + (1+57) + (1+3) + root = 255 -> valid */
    name[0] = '\0';
    for (int i = 0; i < 3; i++) {
        memset(name + strlen(name), 'b', 63);
        name[63 * (i + 1) + i] = '.';
        name[63 * (i + 1) + i + 1] = '\0';
    }
    size_t l = strlen(name);
    memset(name + l, 'c', 57);
    strcpy(name + l + 57, ".usb");
    assert_int_equal(enc_name(q, name), 255);
    expect(name, 1, 1, true, 3, false);
    /* 256 -> FORMERR */
    memmove(name + l + 1, name + l, strlen(name + l) + 1);
    name[l] = 'c';
    assert_int_equal(enc_name(q, name), 256);
    size_t qlen = mkq(q, 0x3334, name, 1, 1);
    expect_bare_error(q, qlen, 1);
}

/* RFC 1035 2.3.4 applies to every name, also those in records after the
 * question that we only step over: 256 wire octets -> FORMERR (question
 * kept), 255 -> fine (the record is ignored, never echoed). */
static void test_long_name_in_record(void **state)
{
    (void)state;
    uint8_t q[600], want[700], got[700];
    for (int over = 0; over <= 1; over++) {
        size_t qsec = mkq(q, 0x3335, "stm32net.usb", 1, 1);
        put16(q + 10, 1);                /* one additional record */
        size_t n = qsec;
        for (int i = 0; i < 3; i++) {    /* 3 x (1 + 63) */
            q[n++] = 63;
            memset(q + n, 'd', 63);
            n += 63;
        }
        uint8_t last = (uint8_t)(61 + over);   /* 192 + 1 + 61 + root = 255 */
        q[n++] = last;
        memset(q + n, 'e', last);
        n += last;
        q[n++] = 0;
        assert_int_equal(n - qsec, 255 + over);
        n += put16(q + n, 1);            /* A IN, TTL 0, 4 octets */
        n += put16(q + n, 1);
        n += put16(q + n, 0);
        n += put16(q + n, 0);
        n += put16(q + n, 4);
        memcpy(q + n, "\x0a\0\0\1", 4);
        n += 4;
        assert_true(n <= 512);
        size_t wlen = over ? mkreply(want, q, qsec, false, 1, false, dev_ip, false)
                           : mkreply(want, q, qsec, true, 0, true, dev_ip, false);
        assert_int_equal(answer(q, n, got, 512), wlen);
        assert_memory_equal(got, want, wlen);
    }
}

static void test_dropped(void **state)
{
    (void)state;
    uint8_t q[600], got[700];
    size_t qlen = mkq(q, 0x4444, "stm32net.usb", 1, 1);
    q[2] |= 0x80;                                    /* a response */
    assert_int_equal(answer(q, qlen, got, 512), 0);
    q[2] = 0x84 | (2 << 3);                          /* a response, other opcode */
    assert_int_equal(answer(q, qlen, got, 512), 0);
    q[2] = 0x01;
    for (size_t len = 0; len < 12; len++) {
        assert_int_equal(answer(q, len, got, 512), 0);
    }
    assert_int_equal(dnss_answer(NULL, 30, got, 512), 0);
    assert_int_equal(dnss_answer(q, (uint16_t)qlen, NULL, 512), 0);
}

static void test_room_too_small(void **state)
{
    (void)state;
    uint8_t q[600], full[700], got[700];
    size_t qsec = mkq(q, 0x5555, "stm32net.usb", 1, 1);
    put16(q + 10, 1);
    size_t qlen = qsec + add_opt(q + qsec, 512, 0, false, NULL, 0);
    uint16_t need = answer(q, qlen, full, 512);
    assert_int_equal(need, qsec + 16 + 11);
    for (uint16_t room = 0; room < need; room++) {
        assert_int_equal(answer(q, qlen, got, room), 0);   /* answer() checks via ASan */
    }
    assert_int_equal(answer(q, qlen, got, need), need);
    assert_memory_equal(got, full, need);
    /* errors need room too */
    put16(q + 4, 0);
    assert_int_equal(answer(q, qlen, got, 11), 0);
    assert_int_equal(answer(q, qlen, got, 12), 12);
}

/* ------------------------------------------------------------ fuzz-ish */

static uint32_t rng_state;
static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/* Steps over one name in a reply; every compression pointer must point
 * backwards into the reply (RFC 1035 4.1.4 "prior occurrence"). */
static size_t skip_reply_name(const uint8_t *r, uint16_t n, size_t p)
{
    for (;;) {
        assert_true(p < n);
        if ((r[p] & 0xC0) == 0xC0) {
            assert_true(p + 2 <= n);
            assert_true((size_t)((r[p] & 0x3F) << 8 | r[p + 1]) < p);
            return p + 2;
        }
        assert_true(r[p] <= 63);
        if (r[p] == 0) {
            return p + 1;
        }
        p += 1u + r[p];
    }
}

/* Any reply: a header with QR, our ID, no TC/RA/Z, a known RCODE, records
 * that are well formed and end exactly where the reply ends: A answers
 * carry our address, an NS answer names the device, the authority section
 * is at most the SOA (only on NOERROR/NXDOMAIN), OPT last. */
static void check_reply(const uint8_t *q, size_t qlen, const uint8_t *r, uint16_t n)
{
    if (n == 0) {
        return;
    }
    assert_true(qlen >= 12);
    assert_true(n >= 12 && n <= DNSS_REPLY_MAX);
    assert_int_equal(r[0], q[0]);
    assert_int_equal(r[1], q[1]);
    assert_int_equal(r[2] & 0x80, 0x80);
    assert_int_equal(r[2] & 0x78, q[2] & 0x78);
    assert_int_equal(r[2] & 0x02, 0);
    assert_int_equal(r[3] & 0xE0, 0);
    uint8_t rc = r[3] & 0x0F;
    assert_true(rc == 0 || rc == 1 || rc == 3 || rc == 4 || rc == 5);
    uint16_t qd = (uint16_t)(r[4] << 8 | r[5]), an = (uint16_t)(r[6] << 8 | r[7]);
    uint16_t ns = (uint16_t)(r[8] << 8 | r[9]), ar = (uint16_t)(r[10] << 8 | r[11]);
    assert_true(qd <= 1 && an <= 2 && ns <= 1 && ar <= 2);
    size_t len = 12;
    if (qd) {
        size_t p = 12;
        while (r[p] != 0) {
            assert_true(r[p] <= 63);
            p += 1u + r[p];
            assert_true(p < n);
        }
        len = p + 5;
        assert_memory_equal(r + 12, q + 12, len - 12);   /* echoed verbatim */
    }
    if (an || ns) {
        assert_true(qd == 1);
        assert_true(rc == 0 || (an == 0 && rc == 3));
    }
    for (unsigned i = 0; i < (unsigned)an + ns + ar; i++) {
        size_t name = len;
        len = skip_reply_name(r, n, len);
        assert_true(len + 10 <= n);
        uint16_t type = (uint16_t)(r[len] << 8 | r[len + 1]);
        uint16_t rdlen = (uint16_t)(r[len + 8] << 8 | r[len + 9]);
        len += 10;
        assert_true(len + rdlen <= n);
        if (type == 1) {
            assert_int_equal(rdlen, 4);
            assert_memory_equal(r + len, dev_ip, 4);
        } else if (type == 41) {
            assert_int_equal(i, (unsigned)an + ns + ar - 1);   /* OPT last */
            assert_int_equal(r[name], 0);
        } else if (type == 6) {
            assert_true(i < (unsigned)an + ns);
            size_t e = skip_reply_name(r, n, skip_reply_name(r, n, len));
            assert_int_equal(e + 20, len + rdlen);
        } else {
            assert_int_equal(type, 2);
            assert_true(i < an);
            assert_int_equal(skip_reply_name(r, n, len), len + rdlen);
        }
        if (i >= an && i < (unsigned)an + ns) {
            assert_int_equal(type, 6);   /* authority: the SOA only */
        }
        len += rdlen;
    }
    assert_int_equal(len, n);
}

static void test_every_truncation(void **state)
{
    (void)state;
    uint8_t q[600], got[700];
    size_t qsec = mkq(q, 0x6666, "stm32net.usb", 1, 1);
    put16(q + 6, 1);
    put16(q + 10, 1);
    const uint8_t an[] = { 0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 1, 0, 0, 4, 1, 2, 3, 4 };
    memcpy(q + qsec, an, sizeof an);
    size_t qlen = qsec + sizeof an;
    qlen += add_opt(q + qlen, 512, 0, false, (const uint8_t[]){ 0, 8, 0, 0 }, 4);
    for (size_t len = 0; len <= qlen; len++) {
        uint16_t n = answer(q, len, got, DNSS_REPLY_MAX);
        check_reply(q, len, got, n);
        if (len < 12) {
            assert_int_equal(n, 0);
        } else if (len < qlen) {
            assert_int_equal(got[3] & 0x0F, 1);   /* every cut is a FORMERR */
        } else {
            assert_int_equal(n, qsec + 16 + 11);
            assert_int_equal(got[3] & 0x0F, 0);
        }
    }
}

static void test_mutations(void **state)
{
    (void)state;
    rng_state = 0x2545F491u;
    uint8_t base[600], q[600], got[700];
    size_t qsec = mkq(base, 0x7777, "stm32net.usb", 1, 1);
    put16(base + 10, 1);
    size_t blen = qsec + add_opt(base + qsec, 512, 0, false, (const uint8_t[]){ 0, 10, 0, 2, 9, 9 }, 6);
    unsigned replies = 0, rcodes[16] = { 0 };
    for (int iter = 0; iter < 6000; iter++) {
        size_t len = blen;
        memcpy(q, base, blen);
        int edits = 1 + (int)(rng() % 4);
        for (int e = 0; e < edits; e++) {
            uint32_t r = rng();
            switch (r % 5) {
            case 0: q[rng() % len] = (uint8_t)rng(); break;                   /* random byte */
            case 1: q[rng() % len] ^= (uint8_t)(1u << (rng() % 8)); break;    /* bit flip */
            case 2: len = 1 + rng() % len; break;                            /* truncate */
            case 3: if (len < 500) { size_t extra = rng() % 64;              /* append junk */
                        for (size_t i = 0; i < extra; i++) q[len + i] = (uint8_t)rng();
                        len += extra; } break;
            default: q[12 + rng() % (len > 12 ? len - 12 : 1)] =              /* label-ish bytes */
                         (uint8_t[]){ 0x00, 0x3F, 0x40, 0xC0, 0xFF, 0x01 }[rng() % 6]; break;
            }
            if (len > 12) {
                q[2] &= 0x7F;   /* keep most of them queries, so they get parsed */
            }
        }
        if (iter % 7 == 0 && len >= 12) {
            q[2] |= 0x80;
        }
        uint16_t room = (iter % 11 == 0) ? (uint16_t)(rng() % 64) : (uint16_t)DNSS_REPLY_MAX;
        uint16_t n = answer(q, len, got, room);
        check_reply(q, len, got, n);
        if (len >= 12 && (q[2] & 0x80)) {
            assert_int_equal(n, 0);
        }
        if (n) {
            replies++;
            rcodes[got[3] & 0x0F]++;
        }
    }
    /* the mutations reach every outcome, not only FORMERR */
    assert_true(replies > 3000);
    assert_true(rcodes[0] > 0 && rcodes[1] > 0 && rcodes[3] > 0 && rcodes[4] > 0 && rcodes[5] > 0);
}

/* Purely random messages, some with valid-looking headers. */
static void test_random_messages(void **state)
{
    (void)state;
    rng_state = 0x9E3779B9u;
    uint8_t q[600], got[700];
    for (int iter = 0; iter < 4000; iter++) {
        size_t len = rng() % 300;
        for (size_t i = 0; i < len; i++) {
            q[i] = (uint8_t)rng();
        }
        if (len >= 12 && (iter & 1)) {
            q[2] &= 0x07;
            q[4] = 0;
            q[5] = 1;
        }
        uint16_t n = answer(q, len, got, DNSS_REPLY_MAX);
        check_reply(q, len, got, n);
    }
}

/* ------------------------------------------------------------ lwIP */

static const uint8_t host_mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
static const uint8_t host_ip[4] = { 192, 168, 7, 2 };

static int setup_lwip(void **state)
{
    setup(state);
    harness_init();
    dnss_init();
    harness_on_teardown(dnss_deinit);   /* the harness removes pcbs behind its back */
    memset(&dnss_stats, 0, sizeof dnss_stats);
    harness_mark();   /* the server's pcb is the clean state */
    harness_arp_seed(host_ip, host_mac);
    return 0;
}

static int teardown_lwip(void **state)
{
    (void)state;
    harness_teardown();
    return 0;
}

/* Sends payload from host_ip:sport to dst_ip:53; returns the frame count. */
static unsigned send_query(const uint8_t dst_ip[4], const uint8_t *payload, uint16_t plen,
                           uint16_t sport)
{
    uint8_t frame[HARNESS_FRAME_MAX], dev_mac[6];
    ident_device_mac(dev_mac);
    const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    bool bcast = dst_ip[3] == 255;
    uint16_t flen = harness_build_udp(frame, sizeof frame, host_mac, bcast ? bcast_mac : dev_mac,
                                      host_ip, dst_ip, sport, 53, payload, plen);
    assert_true(flen > 0);
    harness_out_clear();
    harness_input(frame, flen);
    return harness_out_count();
}

/* The one reply frame: from 192.168.7.1:53 to host_ip:sport, to host_mac. */
static const uint8_t *reply_payload(uint16_t sport, uint16_t *plen)
{
    uint16_t flen, sp, dp;
    uint8_t mac[6], sip[4], dip[4];
    assert_int_equal(harness_out_count(), 1);
    const uint8_t *f = harness_out(0, &flen);
    assert_non_null(f);
    const uint8_t *pl = harness_parse_udp(f, flen, mac, sip, dip, &sp, &dp, plen);
    assert_non_null(pl);
    assert_memory_equal(mac, host_mac, 6);
    assert_memory_equal(sip, dev_ip, 4);
    assert_memory_equal(dip, host_ip, 4);
    assert_int_equal(sp, 53);
    assert_int_equal(dp, sport);
    return pl;
}

/* One query from host_ip:sport, exactly one reply frame, equal to want. */
static void query_expect(const uint8_t *q, size_t qlen, uint16_t sport, const uint8_t *want,
                         size_t wlen)
{
    uint16_t plen;
    assert_int_equal(send_query(dev_ip, q, (uint16_t)qlen, sport), 1);
    const uint8_t *pl = reply_payload(sport, &plen);
    assert_int_equal(plen, wlen);
    assert_memory_equal(pl, want, wlen);
}

static void test_lwip_query_answered(void **state)
{
    (void)state;
    uint8_t q[600], want[700];
    size_t qlen = mkq(q, 0xA1A2, "stm32net.usb", 1, 1);
    size_t wlen = mkreply(want, q, qlen, true, 0, true, dev_ip, false);
    query_expect(q, qlen, 40000, want, wlen);
    harness_assert_pools_clean();
    assert_int_equal(dnss_stats.queries, 1);
    assert_int_equal(dnss_stats.answered, 1);
    assert_int_equal(dnss_stats.dropped, 0);
}

static void test_lwip_each_rcode_counted(void **state)
{
    (void)state;
    uint8_t q[600], want[700];
    uint16_t plen;
    size_t qlen = mkq(q, 1, "nope.usb", 1, 1);
    size_t wlen = mkreply(want, q, qlen, true, 3, false, dev_ip, false);
    assert_int_equal(send_query(dev_ip, q, (uint16_t)qlen, 1053), 1);
    const uint8_t *pl = reply_payload(1053, &plen);
    assert_int_equal(plen, wlen);
    assert_memory_equal(pl, want, wlen);

    qlen = mkq(q, 2, "example.com", 1, 1);
    assert_int_equal(send_query(dev_ip, q, (uint16_t)qlen, 1054), 1);
    pl = reply_payload(1054, &plen);
    assert_int_equal(pl[3], 5);

    put16(q + 4, 2);
    assert_int_equal(send_query(dev_ip, q, (uint16_t)qlen, 1055), 1);
    pl = reply_payload(1055, &plen);
    assert_int_equal(plen, 12);
    assert_int_equal(pl[3], 1);

    put16(q + 4, 1);
    q[2] = 4 << 3;   /* NOTIFY */
    assert_int_equal(send_query(dev_ip, q, (uint16_t)qlen, 1056), 1);
    pl = reply_payload(1056, &plen);
    assert_int_equal(pl[3], 4);

    harness_assert_pools_clean();
    assert_int_equal(dnss_stats.queries, 4);
    assert_int_equal(dnss_stats.nxdomain, 1);
    assert_int_equal(dnss_stats.refused, 1);
    assert_int_equal(dnss_stats.formerr, 1);
    assert_int_equal(dnss_stats.notimp, 1);
    assert_int_equal(dnss_stats.answered + dnss_stats.dropped, 0);
}

static void test_lwip_dropped(void **state)
{
    (void)state;
    uint8_t q[600];
    size_t qlen = mkq(q, 0xB1B2, "stm32net.usb", 1, 1);
    q[2] |= 0x80;                                                  /* a response */
    assert_int_equal(send_query(dev_ip, q, (uint16_t)qlen, 40001), 0);
    assert_int_equal(send_query(dev_ip, q, 11, 40001), 0);        /* too short */
    q[2] = 0x01;
    assert_int_equal(send_query(dev_ip, q, 0, 40001), 0);         /* empty datagram */
    const uint8_t bcast[4] = { 192, 168, 7, 255 };
    assert_int_equal(send_query(bcast, q, (uint16_t)qlen, 40001), 0);
    assert_int_equal(send_query(dev_ip, q, (uint16_t)qlen, 0), 0);  /* no port to answer */
    harness_assert_pools_clean();
    assert_int_equal(dnss_stats.queries, 5);
    assert_int_equal(dnss_stats.dropped, 5);
    assert_int_equal(dnss_stats.answered, 0);
    /* still serving afterwards */
    assert_int_equal(send_query(dev_ip, q, (uint16_t)qlen, 40001), 1);
    assert_int_equal(dnss_stats.answered, 1);
}

/* A query padded the way `kdig +padding=N` does it (RFC 7830 EDNS padding
 * option, code 12): over 512 octets and bigger than one pool pbuf, so it
 * arrives chained. It is answered in full, with our OPT (before, it was
 * cut at 512 and answered FORMERR without OPT). */
static size_t mk_padded(uint8_t *q, uint16_t id, uint16_t padding)
{
    static uint8_t pad[1500];
    size_t qsec = mkq(q, id, "stm32net.usb", 1, 1);
    put16(q + 10, 1);
    memset(pad, 0, sizeof pad);
    put16(pad, 12);
    put16(pad + 2, padding);
    return qsec + add_opt(q + qsec, 4096, 0, false, pad, (uint16_t)(4 + padding));
}

static void test_lwip_padded_query(void **state)
{
    (void)state;
    uint8_t q[1500], want[700];
    size_t qlen = mk_padded(q, 0xC1C2, 468);
    assert_int_equal(qlen, 513);   /* what kdig +padding=468 sends */
    size_t qsec = 12 + 14 + 4;
    size_t wlen = mkreply(want, q, qsec, true, 0, true, dev_ip, true);
    query_expect(q, qlen, 40003, want, wlen);
    /* the largest we take: DNSS_QUERY_MAX, chained over two pool pbufs */
    qlen = mk_padded(q, 0xC1C3, (uint16_t)(468 + DNSS_QUERY_MAX - 513));
    assert_int_equal(qlen, DNSS_QUERY_MAX);
    want[0] = 0xC1;
    want[1] = 0xC3;
    query_expect(q, qlen, 40003, want, wlen);
    harness_assert_pools_clean();
    assert_int_equal(dnss_stats.answered, 2);
}

/* One octet over DNSS_QUERY_MAX: FORMERR, with the question (it lies in
 * what we read) and with our OPT (RFC 6891 7; the query announces an
 * additional record). A longer one without additional records: no OPT. */
static void test_lwip_query_over_max(void **state)
{
    (void)state;
    uint8_t q[1500], want[700];
    size_t qlen = mk_padded(q, 0xC1C4, (uint16_t)(468 + DNSS_QUERY_MAX + 1 - 513));
    assert_int_equal(qlen, DNSS_QUERY_MAX + 1);
    size_t qsec = 12 + 14 + 4;
    size_t wlen = mkreply(want, q, qsec, false, 1, false, dev_ip, true);
    query_expect(q, qlen, 40004, want, wlen);

    qsec = mkq(q, 0xC1C5, "STM32NET", 255, 1);
    for (size_t i = qsec; i < 1000; i++) {
        q[i] = (uint8_t)i;
    }
    wlen = mkreply(want, q, qsec, false, 1, false, dev_ip, false);
    query_expect(q, 1000, 40004, want, wlen);
    harness_assert_pools_clean();
    assert_int_equal(dnss_stats.formerr, 2);
    assert_int_equal(dnss_stats.answered, 0);
}

/* RFC 6891 6.1.3: BADVERS is RCODE 16 (extended RCODE 1 in the OPT, header
 * 0). It is an error reply, not an answer. */
static void test_lwip_badvers_counted(void **state)
{
    (void)state;
    uint8_t q[600];
    size_t qsec = mkq(q, 0xBAD1, "stm32net.usb", 1, 1);
    put16(q + 10, 1);
    size_t qlen = qsec + add_opt(q + qsec, 1232, 1, false, NULL, 0);
    assert_int_equal(send_query(dev_ip, q, (uint16_t)qlen, 40005), 1);
    uint16_t plen;
    const uint8_t *pl = reply_payload(40005, &plen);
    assert_int_equal(pl[3] & 0x0F, 0);
    assert_int_equal(pl[plen - 6], 1);   /* extended RCODE */
    assert_int_equal(dnss_stats.badvers, 1);
    assert_int_equal(dnss_stats.answered, 0);
    assert_int_equal(dnss_stats.queries, 1);
}

/* A chain whose first pbuf ends inside the DNS header (lwIP only needs the
 * IP and UDP headers contiguous): the server must copy before parsing. */
static void test_lwip_split_query(void **state)
{
    (void)state;
    uint8_t q[600], want[700], frame[HARNESS_FRAME_MAX], dev_mac[6];
    size_t qlen = mkq(q, 0xD1D2, "stm32net.usb", 1, 1);
    size_t wlen = mkreply(want, q, qlen, true, 0, true, dev_ip, false);
    ident_device_mac(dev_mac);
    uint16_t flen = harness_build_udp(frame, sizeof frame, host_mac, dev_mac, host_ip, dev_ip,
                                      40002, 53, q, (uint16_t)qlen);
    assert_true(flen > 50);
    /* 6 octets of the DNS header in the first part. Both parts are multiples
     * of 8 octets: with MEM_ALIGNMENT 4 on a 64-bit host, other sizes would
     * leave the next heap block misaligned for struct pbuf (UBSan stops). */
    const uint16_t cut = 14 + 20 + 8 + 6;
    assert_int_equal(flen % 8, 0);
    struct pbuf *a = pbuf_alloc(PBUF_RAW, cut, PBUF_RAM);
    struct pbuf *b = pbuf_alloc(PBUF_RAW, (uint16_t)(flen - cut), PBUF_RAM);
    assert_non_null(a);
    assert_non_null(b);
    memcpy(a->payload, frame, cut);
    memcpy(b->payload, frame + cut, flen - cut);
    pbuf_cat(a, b);
    harness_out_clear();
    if (netif_default->input(a, netif_default) != ERR_OK) {
        pbuf_free(a);
    }
    uint16_t plen;
    const uint8_t *pl = reply_payload(40002, &plen);
    assert_int_equal(plen, wlen);
    assert_memory_equal(pl, want, wlen);
    harness_assert_pools_clean();
    assert_int_equal(dnss_stats.answered, 1);
}

/* ------------------------------------------------------------ zone apex */

/* SOA at the apex: the record in the answer section, owner = the question's
 * name (pointer 0xC00C), nothing in authority. */
static void test_apex_soa(void **state)
{
    (void)state;
    uint8_t q[600], want[700], got[700];
    size_t qlen = mkq(q, 0x50A1, "USB", 6, 1);
    size_t n = hdr(want, 0x50A1, 0x85, 0x00, 1, 1, 0, 0);
    memcpy(want + n, q + 12, qlen - 12);
    n = qlen;
    n += mksoa(want + n, 12);
    assert_int_equal(answer(q, qlen, got, 512), n);
    assert_memory_equal(got, want, n);
}

/* NS at the apex names the device, with its address as glue; ANY gives SOA
 * and NS. Literal bytes (RFC 1035 3.3.11, 4.1.4). */
static void test_apex_ns_and_any(void **state)
{
    (void)state;
    uint8_t q[600], got[700];
    size_t qlen = mkq(q, 0x50A2, "usb", 2, 1);
    const uint8_t want[] = {
        0x50, 0xA2, 0x85, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,
        3, 'u', 's', 'b', 0, 0x00, 0x02, 0x00, 0x01,
        /* 21: NS, owner the question's name, RDATA "stm32net" + pointer to "usb" */
        0xC0, 0x0C, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x00, 60, 0x00, 11,
        8, 's', 't', 'm', '3', '2', 'n', 'e', 't', 0xC0, 0x0C,
        /* glue: owner = the NS target at offset 33 */
        0xC0, 33, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 60, 0x00, 0x04, 192, 168, 7, 1,
    };
    assert_int_equal(answer(q, qlen, got, 512), sizeof want);
    assert_memory_equal(got, want, sizeof want);

    qlen = mkq(q, 0x50A3, "usb", 255, 1);
    uint16_t n = answer(q, qlen, got, 512);
    check_reply(q, qlen, got, n);
    assert_int_equal(got[7], 2);    /* SOA + NS */
    assert_int_equal(got[9], 0);
    assert_int_equal(got[11], 1);   /* glue */
    uint8_t soa[200];
    size_t sl = mksoa(soa, 12);
    assert_memory_equal(got + qlen, soa, sl);
    assert_int_equal(n, qlen + sl + sizeof want - 21);
}

/* NODATA for the host inside the zone carries the SOA (RFC 2308 2.2): the
 * owner points at the zone label inside the question. */
static void test_nodata_soa_literal(void **state)
{
    (void)state;
    uint8_t q[600], got[700];
    size_t qlen = mkq(q, 0x50A4, "stm32net.usb", 28, 1);
    const uint8_t want[] = {
        0x50, 0xA4, 0x85, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
        8, 's', 't', 'm', '3', '2', 'n', 'e', 't', 3, 'u', 's', 'b', 0, 0x00, 28, 0x00, 0x01,
        0xC0, 21, 0x00, 0x06, 0x00, 0x01, 0x00, 0x00, 0x00, 60, 0x00, 44,
        8, 's', 't', 'm', '3', '2', 'n', 'e', 't', 0xC0, 21,
        10, 'h', 'o', 's', 't', 'm', 'a', 's', 't', 'e', 'r', 0xC0, 21,
        0, 0, 0, 1, 0, 0, 0x0E, 0x10, 0, 0, 0x02, 0x58, 0, 0x01, 0x51, 0x80, 0, 0, 0, 60,
    };
    assert_int_equal(answer(q, qlen, got, 512), sizeof want);
    assert_memory_equal(got, want, sizeof want);
}

/* The longest possible reply (a 255-octet question name, NXDOMAIN + SOA,
 * OPT; or the apex ANY with every record) fits DNSS_REPLY_MAX. */
static void test_reply_max_bound(void **state)
{
    (void)state;
    uint8_t q[600], got[700];
    char name[300];
    strcpy(fw_config.hostname, "h23456789012345678901234567890x");   /* 31 */
    strcpy(fw_config.zone, "z23456789012345678901234567890y");
    name[0] = '\0';
    for (int i = 0; i < 3; i++) {
        memset(name + strlen(name), 'b', 63);
        name[63 * (i + 1) + i] = '.';
        name[63 * (i + 1) + i + 1] = '\0';
    }
    size_t l = strlen(name);
    memset(name + l, 'c', 29);
    strcpy(name + l + 29, ".z23456789012345678901234567890y");
    size_t qsec = mkq(q, 1, name, 1, 1);
    assert_int_equal(qsec - 16, 255);
    put16(q + 10, 1);
    size_t qlen = qsec + add_opt(q + qsec, 512, 0, false, NULL, 0);
    uint16_t n = answer(q, qlen, got, DNSS_REPLY_MAX);
    assert_true(n > 0);
    assert_int_equal(got[3] & 0x0F, 3);
    qsec = mkq(q, 2, "z23456789012345678901234567890y", 255, 1);
    put16(q + 10, 1);
    qlen = qsec + add_opt(q + qsec, 512, 0, false, NULL, 0);
    assert_true(answer(q, qlen, got, DNSS_REPLY_MAX) > 0);
}

/* ------------------------------------------------------------ TCP */

#include "tcp_client.h"
#include "lwip/tcp.h"

/* Sends [len][msg] in one segment, or split after `split` octets. */
static void tcp_query(tcp_client_t *c, const uint8_t *msg, size_t len, size_t split)
{
    uint8_t buf[1600];
    put16(buf, (uint16_t)len);
    memcpy(buf + 2, msg, len);
    if (split == 0 || split >= len + 2) {
        tcp_client_send(c, buf, (uint16_t)(len + 2));
    } else {
        tcp_client_send(c, buf, (uint16_t)split);
        tcp_client_pump(c);
        tcp_client_send(c, buf + split, (uint16_t)(len + 2 - split));
    }
    tcp_client_pump(c);
}

/* c->rx from offset off holds [len][want]. */
static size_t expect_tcp_reply(tcp_client_t *c, size_t off, const uint8_t *want, size_t wlen)
{
    assert_true(c->rx_len >= off + 2 + wlen);
    assert_int_equal((c->rx[off] << 8) | c->rx[off + 1], wlen);
    assert_memory_equal(c->rx + off + 2, want, wlen);
    return off + 2 + wlen;
}

/* RFC 7766 / RFC 1035 4.2.2: the same answers as over UDP, length-prefixed,
 * back-to-back messages answered in order, a prefix split over segments;
 * the connection stays open until the client or the idle timeout ends it. */
static void test_tcp_same_answers(void **state)
{
    (void)state;
    tcp_client_t c;
    uint8_t q[600], q2[600], want[700], want2[700];
    tcp_client_init(&c, 41000);
    tcp_client_connect(&c, 53);
    size_t qlen = mkq(q, 0x7C01, "stm32net.usb", 1, 1);
    size_t wlen = mkreply(want, q, qlen, true, 0, true, dev_ip, false);
    tcp_query(&c, q, qlen, 0);
    size_t off = expect_tcp_reply(&c, 0, want, wlen);

    size_t q2len = mkq(q2, 0x7C02, "nope.usb", 1, 1);
    size_t w2len = mkreply(want2, q2, q2len, true, 3, false, dev_ip, false);
    tcp_query(&c, q2, q2len, 1);   /* the length prefix split */
    off = expect_tcp_reply(&c, off, want2, w2len);
    tcp_query(&c, q, qlen, 9);
    off = expect_tcp_reply(&c, off, want, wlen);

    /* two messages in one segment */
    uint8_t both[1400];
    put16(both, (uint16_t)qlen);
    memcpy(both + 2, q, qlen);
    put16(both + 2 + qlen, (uint16_t)q2len);
    memcpy(both + 4 + qlen, q2, q2len);
    tcp_client_send(&c, both, (uint16_t)(4 + qlen + q2len));
    tcp_client_pump(&c);
    off = expect_tcp_reply(&c, off, want, wlen);
    off = expect_tcp_reply(&c, off, want2, w2len);
    assert_int_equal(c.rx_len, off);
    assert_false(c.fin_received);
    assert_int_equal(dnss_stats.queries, 5);
    assert_int_equal(dnss_stats.answered, 3);
    assert_int_equal(dnss_stats.nxdomain, 2);

    /* idle: closed by the device after DNSS_TCP_IDLE_S (10 s), not before */
    harness_advance_ms(8000);
    tcp_client_pump(&c);
    assert_false(c.fin_received);
    assert_true(tcp_client_wait_fin(&c));
    tcp_client_close(&c);
    harness_assert_pools_clean();
}

/* A length over DNSS_QUERY_MAX: FORMERR as soon as the header is in (not
 * a wait for a body we would not keep), the body is thrown away as it
 * arrives, and the next message on the connection is answered. A message
 * shorter than a header gets nothing and costs nothing. */
static void test_tcp_oversized_formerr(void **state)
{
    (void)state;
    tcp_client_t c;
    uint8_t q[1200], want[700];
    tcp_client_init(&c, 41001);
    tcp_client_connect(&c, 53);
    size_t big = DNSS_QUERY_MAX + 200;
    size_t qsec = mkq(q, 0x7C03, "stm32net.usb", 1, 1);
    memset(q + qsec, 0xAB, big - qsec);
    uint8_t buf[1600];
    put16(buf, (uint16_t)big);
    memcpy(buf + 2, q, big);
    tcp_client_send(&c, buf, 2 + 12);   /* prefix and header only */
    tcp_client_pump(&c);
    size_t wlen = mkreply(want, q, 12, false, 1, false, dev_ip, false);
    size_t off = expect_tcp_reply(&c, 0, want, wlen);
    tcp_client_send(&c, buf + 14, 500);
    tcp_client_pump(&c);
    tcp_client_send(&c, buf + 514, (uint16_t)(big + 2 - 514));
    tcp_client_pump(&c);
    assert_int_equal(c.rx_len, off);    /* nothing for the body */

    uint8_t tiny[5] = { 1, 2, 3, 4, 5 };
    tcp_query(&c, tiny, sizeof tiny, 0);
    assert_int_equal(c.rx_len, off);
    size_t qlen = mkq(q, 0x7C04, "stm32net", 1, 1);
    wlen = mkreply(want, q, qlen, true, 0, true, dev_ip, false);
    tcp_query(&c, q, qlen, 0);
    expect_tcp_reply(&c, off, want, wlen);
    assert_int_equal(dnss_stats.formerr, 1);
    assert_int_equal(dnss_stats.dropped, 1);
    assert_int_equal(dnss_stats.answered, 1);
    tcp_client_abort(&c);
    harness_advance_ms(1000);
    harness_assert_pools_clean();
}

/* One connection at a time: a new one replaces the old (closed by the
 * device), so a client that connects and goes quiet cannot lock others out. */
static void test_tcp_newest_wins(void **state)
{
    (void)state;
    tcp_client_t a, b;
    uint8_t q[600], want[700];
    tcp_client_init(&a, 41002);
    tcp_client_connect(&a, 53);
    tcp_client_send(&a, "\x00", 1);   /* half a length prefix, then silence */
    tcp_client_pump(&a);
    /* the waiting octet holds no receive-pool buffer (issue 10: frames
     * from the host must find one) */
    assert_int_equal(lwip_stats.memp[MEMP_PBUF_POOL]->used, 0);
    tcp_client_init(&b, 41003);
    tcp_client_connect(&b, 53);
    assert_true(tcp_client_wait_fin(&a));
    size_t qlen = mkq(q, 0x7C05, "stm32net.usb", 1, 1);
    size_t wlen = mkreply(want, q, qlen, true, 0, true, dev_ip, false);
    tcp_query(&b, q, qlen, 0);
    expect_tcp_reply(&b, 0, want, wlen);
    tcp_client_abort(&a);
    tcp_client_abort(&b);
    harness_advance_ms(1000);
    harness_assert_pools_clean();
}

/* The DNS connection needs no tcp_pcb of its own: with the pool taken by
 * other connections - here even at TCP_PRIO_NORMAL, above http_srv.c's
 * TCP_PRIO_MIN - a DNS client still connects (lwIP frees one of those for
 * it) and is answered. */
static err_t other_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
    (void)arg;
    (void)err;
    tcp_setprio(pcb, TCP_PRIO_NORMAL);
    return ERR_OK;
}

static void test_tcp_pool_full_of_others(void **state)
{
    (void)state;
    struct tcp_pcb *l = tcp_new();
    assert_non_null(l);
    assert_int_equal(tcp_bind(l, IP_ANY_TYPE, 81), ERR_OK);
    l = tcp_listen(l);
    assert_non_null(l);
    tcp_accept(l, other_accept);
    static tcp_client_t others[MEMP_NUM_TCP_PCB];
    for (unsigned i = 0; i < MEMP_NUM_TCP_PCB; i++) {
        tcp_client_init(&others[i], (uint16_t)(42000 + i));
        tcp_client_connect(&others[i], 81);
    }
    assert_int_equal(lwip_stats.memp[MEMP_TCP_PCB]->used, MEMP_NUM_TCP_PCB);
    tcp_client_t c;
    uint8_t q[600], want[700];
    tcp_client_init(&c, 41010);
    tcp_client_connect(&c, 53);
    size_t qlen = mkq(q, 0x7C10, "stm32net.usb", 1, 1);
    size_t wlen = mkreply(want, q, qlen, true, 0, true, dev_ip, false);
    tcp_query(&c, q, qlen, 0);
    expect_tcp_reply(&c, 0, want, wlen);
    tcp_client_abort(&c);
    for (unsigned i = 0; i < MEMP_NUM_TCP_PCB; i++) {
        tcp_client_abort(&others[i]);
    }
    harness_advance_ms(1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_a_literal_bytes, setup),
        cmocka_unit_test_setup(test_a_any_case_bare, setup),
        cmocka_unit_test_setup(test_nodata, setup),
        cmocka_unit_test_setup(test_nxdomain, setup),
        cmocka_unit_test_setup(test_refused, setup),
        cmocka_unit_test_setup(test_config_names_and_ip_followed, setup),
        cmocka_unit_test_setup(test_header_bits, setup),
        cmocka_unit_test_setup(test_query_records_not_echoed, setup),
        cmocka_unit_test_setup(test_edns_gets_our_opt, setup),
        cmocka_unit_test_setup(test_edns_errors, setup),
        cmocka_unit_test_setup(test_qdcount_not_one, setup),
        cmocka_unit_test_setup(test_opcode_notimp, setup),
        cmocka_unit_test_setup(test_bare_errors_keep_opt, setup),
        cmocka_unit_test_setup(test_long_name_in_record, setup),
        cmocka_unit_test_setup(test_pointer_in_question, setup),
        cmocka_unit_test_setup(test_truncated_question, setup),
        cmocka_unit_test_setup(test_label_and_name_limits, setup),
        cmocka_unit_test_setup(test_dropped, setup),
        cmocka_unit_test_setup(test_room_too_small, setup),
        cmocka_unit_test_setup(test_every_truncation, setup),
        cmocka_unit_test_setup(test_mutations, setup),
        cmocka_unit_test_setup(test_random_messages, setup),
        cmocka_unit_test_setup_teardown(test_lwip_query_answered, setup_lwip, teardown_lwip),
        cmocka_unit_test_setup_teardown(test_lwip_each_rcode_counted, setup_lwip, teardown_lwip),
        cmocka_unit_test_setup_teardown(test_lwip_dropped, setup_lwip, teardown_lwip),
        cmocka_unit_test_setup(test_apex_soa, setup),
        cmocka_unit_test_setup(test_apex_ns_and_any, setup),
        cmocka_unit_test_setup(test_nodata_soa_literal, setup),
        cmocka_unit_test_setup(test_reply_max_bound, setup),
        cmocka_unit_test_setup_teardown(test_tcp_same_answers, setup_lwip, teardown_lwip),
        cmocka_unit_test_setup_teardown(test_tcp_oversized_formerr, setup_lwip, teardown_lwip),
        cmocka_unit_test_setup_teardown(test_tcp_newest_wins, setup_lwip, teardown_lwip),
        cmocka_unit_test_setup_teardown(test_tcp_pool_full_of_others, setup_lwip, teardown_lwip),
        cmocka_unit_test_setup_teardown(test_lwip_padded_query, setup_lwip, teardown_lwip),
        cmocka_unit_test_setup_teardown(test_lwip_query_over_max, setup_lwip, teardown_lwip),
        cmocka_unit_test_setup_teardown(test_lwip_badvers_counted, setup_lwip, teardown_lwip),
        cmocka_unit_test_setup_teardown(test_lwip_split_query, setup_lwip, teardown_lwip),
    };
    return cmocka_run_group_tests_name("dnss", tests, NULL, NULL);
}
