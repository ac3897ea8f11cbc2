/* test_chksum.c - our LWIP_CHKSUM routine (net/chksum.c) against a plain
 * byte-wise RFC 1071 reference: RFC 1071's own example, every start
 * alignment 0..7 with every length 0..300, random buffers up to 1514 bytes
 * and past 64 KB, and all-0xFF buffers that make every carry happen.
 * Linked without lwIP: only the routine and its convention are under test
 * (the e2e tests show lwIP's packets checksummed with it are accepted by
 * the Linux kernel). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "chksum.h"

/* RFC 1071 section 1: sum big-endian 16-bit words (a last odd byte is the
 * high half of a word padded with zero), fold the carries end-around. */
static uint16_t ref_sum_be(const uint8_t *p, size_t len)
{
    uint64_t s = 0;
    for (size_t i = 0; i + 1u < len; i += 2u) {
        s += (uint32_t)p[i] << 8 | p[i + 1u];
    }
    if (len & 1u) {
        s += (uint32_t)p[len - 1u] << 8;
    }
    while (s >> 16) {
        s = (s & 0xFFFFu) + (s >> 16);
    }
    return (uint16_t)s;
}

/* lwIP's convention: the native load of the big-endian sum's two bytes */
static uint16_t ref_lwip(const uint8_t *p, size_t len)
{
    uint16_t be = ref_sum_be(p, len), h;
    uint8_t b[2] = {(uint8_t)(be >> 8), (uint8_t)be};
    memcpy(&h, b, sizeof h);
    return h;
}

static uint32_t rng = 0x13572468u;
static uint8_t rnd8(void)
{
    rng = rng * 1103515245u + 12345u;   /* deterministic: a failure reproduces */
    return (uint8_t)(rng >> 16);
}

static void test_rfc1071_example(void **state)
{
    (void)state;
    /* RFC 1071 section 3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to 0xddf2 */
    static const uint8_t ex[8] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    _Alignas(4) uint8_t buf[16];
    assert_int_equal(ref_sum_be(ex, 8), 0xddf2);
    for (unsigned off = 0; off < 8u; off++) {
        memcpy(buf + off, ex, 8);
        assert_int_equal(chksum_inet(buf + off, 8), ref_lwip(ex, 8));
    }
}

static void test_ipv4_header_verifies(void **state)
{
    (void)state;
    /* an IPv4 header with its checksum filled in sums to 0xFFFF (RFC 791 3.1) */
    _Alignas(4) uint8_t h[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                                 0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
    uint16_t c = (uint16_t)~chksum_inet(h, 20);
    memcpy(&h[10], &c, 2);     /* native store: lwIP's convention */
    assert_int_equal(h[10], 0xb8);   /* the well-known value for this header */
    assert_int_equal(h[11], 0x61);
    assert_int_equal(chksum_inet(h, 20), 0xFFFF);
}

static void test_all_alignments_and_lengths(void **state)
{
    (void)state;
    _Alignas(8) uint8_t buf[8 + 300 + 8];
    for (unsigned round = 0; round < 4u; round++) {
        for (size_t i = 0; i < sizeof buf; i++) {
            buf[i] = rnd8();
        }
        for (unsigned off = 0; off < 8u; off++) {
            for (size_t len = 0; len <= 300u; len++) {
                uint16_t got = chksum_inet(buf + off, (int)len);
                uint16_t want = ref_lwip(buf + off, len);
                if (got != want) {
                    fail_msg("offset %u length %zu: 0x%04x, reference 0x%04x", off, len, got, want);
                }
            }
        }
    }
}

static void test_random_frames(void **state)
{
    (void)state;
    _Alignas(4) uint8_t buf[1514 + 4];
    for (unsigned n = 0; n < 2000u; n++) {
        size_t len = (size_t)(rnd8() | rnd8() << 8) % 1515u;
        unsigned off = rnd8() & 3u;
        for (size_t i = 0; i < len; i++) {
            buf[off + i] = rnd8();
        }
        assert_int_equal(chksum_inet(buf + off, (int)len), ref_lwip(buf + off, len));
    }
}

/* every word 0xFFFF: the most carries a sum can have; and past the 64 KB
 * block boundary the routine sums in (lwIP itself passes <= 65535) */
static void test_carries_and_big_buffers(void **state)
{
    (void)state;
    static const size_t lens[] = {1514, 65535, 65536, 65537, 65538, 65540, 131073, 300001};
    size_t max = 300001u + 3u;
    uint8_t *buf = malloc(max);
    assert_non_null(buf);
    for (int fill = 0; fill < 2; fill++) {
        for (size_t i = 0; i < max; i++) {
            buf[i] = fill == 0 ? 0xFFu : rnd8();
        }
        for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
            for (unsigned off = 0; off < 4u; off++) {
                assert_int_equal(chksum_inet(buf + off, (int)lens[k]), ref_lwip(buf + off, lens[k]));
            }
        }
    }
    free(buf);
}

static void test_nonpositive_length(void **state)
{
    (void)state;
    uint8_t b[4] = {1, 2, 3, 4};
    assert_int_equal(chksum_inet(b, 0), 0);
    assert_int_equal(chksum_inet(b, -1), 0);
    assert_int_equal(chksum_inet(b, -65536), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc1071_example),
        cmocka_unit_test(test_ipv4_header_verifies),
        cmocka_unit_test(test_all_alignments_and_lengths),
        cmocka_unit_test(test_random_frames),
        cmocka_unit_test(test_carries_and_big_buffers),
        cmocka_unit_test(test_nonpositive_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
