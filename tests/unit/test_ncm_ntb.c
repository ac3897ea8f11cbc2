/* test_ncm_ntb.c - the NTB16 OUT parser of ncm.c on its own (ncm_ntb_begin,
 * ncm_ntb_next, ncm_ntb_count): every bound of CDC NCM 1.0 3.2.1 (NTH16) and
 * 3.3.1 (NDP16) on both sides, hostile values in each field, NDP chains and
 * both hosts' layouts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "ntb_build.h"
#include "usb/ncm.h"

static uint8_t b[4096];

static void test_linux_and_windows_layouts(void **state)
{
    (void)state;
    const uint16_t lens[3] = {60, 1514, 14};
    for (int last = 0; last < 2; last++) {
        uint16_t n = ntb_build(b, lens, 3, last);
        assert_int_equal(ncm_ntb_count(b, n), 3);
        ncm_parse_t p;
        uint16_t off, len;
        assert_true(ncm_ntb_begin(&p, b, n));
        for (unsigned i = 0; i < 3; i++) {
            assert_int_equal(ncm_ntb_next(&p, b, &off, &len), 1);
            assert_int_equal(len, lens[i]);
            assert_int_equal(off % 4, 0);
            assert_int_equal(b[off + 1], (uint8_t)(i * 31u + 1u));
        }
        assert_int_equal(ncm_ntb_next(&p, b, &off, &len), 0);
        assert_int_equal(ncm_ntb_next(&p, b, &off, &len), 0);  /* stays at the end */
        /* padding after the block (Linux pads to tx_max, Windows 11 adds a byte) */
        assert_int_equal(ncm_ntb_count(b, (uint16_t)(n + 1)), 3);
        assert_int_equal(ncm_ntb_count(b, 2048), 3);
    }
    /* zero datagrams is a valid, empty NTB */
    uint16_t n = ntb_build(b, lens, 0, 0);
    assert_int_equal(ncm_ntb_count(b, n), 0);
}

static void test_nth16_bounds(void **state)
{
    (void)state;
    const uint16_t lens[1] = {100};
    uint16_t n = ntb_build(b, lens, 1, 0);
    assert_int_equal(ncm_ntb_count(b, n), 1);
    /* transfer shorter than the header / than wBlockLength */
    assert_int_equal(ncm_ntb_count(b, 11), -1);
    assert_int_equal(ncm_ntb_count(b, (uint16_t)(n - 1)), -1);
    assert_int_equal(ncm_ntb_count(NULL, n), -1);
    /* signature */
    b[3] = 'X';
    assert_int_equal(ncm_ntb_count(b, n), -1);
    b[3] = 'H';
    /* wHeaderLength must be 12 */
    ntb_le16(b + 4, 13);
    assert_int_equal(ncm_ntb_count(b, n), -1);
    ntb_le16(b + 4, 0);
    assert_int_equal(ncm_ntb_count(b, n), -1);
    ntb_le16(b + 4, 12);
    /* wBlockLength: smaller than NTH + NDP, 0, beyond the transfer */
    ntb_le16(b + 8, 27);
    assert_int_equal(ncm_ntb_count(b, n), -1);
    ntb_le16(b + 8, 0);
    assert_int_equal(ncm_ntb_count(b, n), -1);
    ntb_le16(b + 8, 0xFFFF);
    assert_int_equal(ncm_ntb_count(b, n), -1);
    ntb_le16(b + 8, n);
    /* wNdpIndex: unaligned, inside the NTH, 0, beyond the block, NDP not fitting */
    uint16_t ndp = ntb_get16(b + 10);
    const uint16_t bad_idx[] = {13, 14, 8, 0, 0xFFFC, (uint16_t)(n - 12), (uint16_t)(n & ~3u)};
    for (unsigned i = 0; i < sizeof bad_idx / sizeof bad_idx[0]; i++) {
        ntb_le16(b + 10, bad_idx[i]);
        if (bad_idx[i] == 0) {
            assert_int_equal(ncm_ntb_count(b, n), 0);  /* no NDP: nothing in it */
        } else {
            assert_int_equal(ncm_ntb_count(b, n), -1);
        }
    }
    ntb_le16(b + 10, ndp);
    assert_int_equal(ncm_ntb_count(b, n), 1);
}

static void test_ndp16_bounds(void **state)
{
    (void)state;
    const uint16_t lens[2] = {100, 200};
    uint16_t n = ntb_build(b, lens, 2, 1);  /* NDP at the end: its wLength meets wBlockLength */
    uint16_t ndp = ntb_get16(b + 10);
    assert_int_equal(ncm_ntb_count(b, n), 2);
    /* signature: NCM1 (CRC) is not offered, so it is not accepted */
    b[ndp + 3] = '1';
    assert_int_equal(ncm_ntb_count(b, n), -1);
    b[ndp + 3] = '0';
    /* wLength: < 16, not a multiple of 4, past the block */
    uint16_t wl = ntb_get16(b + ndp + 4);
    const uint16_t bad_len[] = {0, 8, 12, 15, (uint16_t)(wl + 1), (uint16_t)(wl + 4), 0xFFFC};
    for (unsigned i = 0; i < sizeof bad_len / sizeof bad_len[0]; i++) {
        ntb_le16(b + ndp + 4, bad_len[i]);
        assert_int_equal(ncm_ntb_count(b, n), -1);
    }
    /* a shorter wLength that cuts off the terminator */
    ntb_le16(b + ndp + 4, 16);
    assert_int_equal(ncm_ntb_count(b, n), -1);
    ntb_le16(b + ndp + 4, wl);
    assert_int_equal(ncm_ntb_count(b, n), 2);
}

static void test_datagram_bounds(void **state)
{
    (void)state;
    const uint16_t lens[1] = {100};
    uint16_t n = ntb_build(b, lens, 1, 1);
    uint16_t ndp = ntb_get16(b + 10);
    uint8_t *e = b + ndp + 8;
    uint16_t off = ntb_get16(e);
    /* the datagram may end exactly at wBlockLength */
    ntb_le16(e + 2, (uint16_t)(ndp - off));
    assert_int_equal(ncm_ntb_count(b, n), 1);
    /* one byte beyond */
    ntb_le16(e, (uint16_t)(n - 99));
    ntb_le16(e + 2, 100);
    assert_int_equal(ncm_ntb_count(b, n), -1);
    ntb_le16(e, (uint16_t)(n - 100));
    assert_int_equal(ncm_ntb_count(b, n), 1);
    /* index + length overflowing 16 bits */
    ntb_le16(e, 0xFFF0);
    ntb_le16(e + 2, 0x20);
    assert_int_equal(ncm_ntb_count(b, n), -1);
    /* inside the NTH */
    ntb_le16(e, 8);
    ntb_le16(e + 2, 14);
    assert_int_equal(ncm_ntb_count(b, n), -1);
    ntb_le16(e, 12);
    assert_int_equal(ncm_ntb_count(b, n), 1);
    /* lengths: 13 too short for Ethernet, 14 ok; 1514 ok, 1515 too long */
    ntb_le16(e + 2, 13);
    assert_int_equal(ncm_ntb_count(b, n), -1);
    ntb_le16(e + 2, 14);
    assert_int_equal(ncm_ntb_count(b, n), 1);
    memset(b, 0, sizeof b);
    const uint16_t big[1] = {1514};
    n = ntb_build(b, big, 1, 0);
    assert_int_equal(ncm_ntb_count(b, n), 1);
    ndp = ntb_get16(b + 10);
    ntb_le16(b + ndp + 10, 1515);
    ntb_le16(b + 8, (uint16_t)(n + 1));
    assert_int_equal(ncm_ntb_count(b, (uint16_t)(n + 1)), -1);
    /* a zero index or a zero length ends the NDP */
    n = ntb_build(b, lens, 1, 0);
    ndp = ntb_get16(b + 10);
    ntb_le16(b + ndp + 8, 0);
    assert_int_equal(ncm_ntb_count(b, n), 0);
    n = ntb_build(b, lens, 1, 0);
    ntb_le16(b + ndp + 10, 0);
    assert_int_equal(ncm_ntb_count(b, n), 0);
}

static void test_many_datagrams(void **state)
{
    (void)state;
    uint16_t lens[40];
    for (unsigned i = 0; i < 40; i++) {
        lens[i] = 14;
    }
    uint16_t n = ntb_build(b, lens, 40, 0);
    assert_true(n <= 2048);
    assert_int_equal(ncm_ntb_count(b, n), 40);
}

/* wNextNdpIndex: a chain is followed; a loop or an over-long chain is bounded */
static void test_ndp_chain(void **state)
{
    (void)state;
    const uint16_t lens[1] = {100};
    uint16_t n = ntb_build(b, lens, 1, 0);   /* NDP at 12, datagram at 28 */
    uint16_t ndp1 = 12;
    /* a second NDP after the datagram, pointing at the same datagram */
    uint16_t ndp2 = (uint16_t)((n + 3u) & ~3u);
    memcpy(b + ndp2, "NCM0", 4);
    ntb_le16(b + ndp2 + 4, 16);
    ntb_le16(b + ndp2 + 6, 0);
    ntb_le16(b + ndp2 + 8, ntb_get16(b + ndp1 + 8));
    ntb_le16(b + ndp2 + 10, 100);
    ntb_le16(b + ndp2 + 12, 0);
    ntb_le16(b + ndp2 + 14, 0);
    uint16_t blk = (uint16_t)(ndp2 + 16);
    ntb_le16(b + 8, blk);
    ntb_le16(b + ndp1 + 6, ndp2);
    assert_int_equal(ncm_ntb_count(b, blk), 2);
    /* the second NDP broken -> the whole NTB is refused */
    b[ndp2] = 'X';
    assert_int_equal(ncm_ntb_count(b, blk), -1);
    b[ndp2] = 'N';
    /* a loop: NDP 2 points back to NDP 1 -> bounded by NCM_MAX_NDPS, refused */
    ntb_le16(b + ndp2 + 6, ndp1);
    assert_int_equal(ncm_ntb_count(b, blk), -1);
    /* a self loop */
    ntb_le16(b + ndp1 + 6, ndp1);
    assert_int_equal(ncm_ntb_count(b, blk), -1);
    /* next pointing outside the block */
    ntb_le16(b + ndp1 + 6, (uint16_t)(blk + 4));
    assert_int_equal(ncm_ntb_count(b, blk), -1);
}

/* A well-formed NDP16 at an offset that is not a multiple of 4 is refused
 * (3.3.1: wNdpIndex must be 4-aligned), the same NDP 4-aligned is taken */
static void test_ndp_alignment(void **state)
{
    (void)state;
    const uint16_t lens[1] = {100};
    uint16_t n = ntb_build(b, lens, 1, 1);   /* NDP (16 bytes) after the datagram */
    uint16_t ndp = ntb_get16(b + 10);
    assert_int_equal(ncm_ntb_count(b, n), 1);
    for (uint16_t shift = 1; shift <= 4; shift++) {
        uint8_t c[4096];
        memcpy(c, b, sizeof c);
        memmove(c + ndp + shift, b + ndp, 16);
        ntb_le16(c + 10, (uint16_t)(ndp + shift));
        ntb_le16(c + 8, (uint16_t)(n + shift));
        assert_int_equal(ncm_ntb_count(c, (uint16_t)(n + shift)), shift == 4 ? 1 : -1);
    }
}

/* A chain of NCM_MAX_NDPS valid NDPs is followed, one more is refused */
static void test_ndp_chain_limit(void **state)
{
    (void)state;
    for (unsigned count = NCM_MAX_NDPS; count <= NCM_MAX_NDPS + 1u; count++) {
        memset(b, 0, sizeof b);
        memcpy(b, "NCMH", 4);
        ntb_le16(b + 4, 12);
        uint16_t dg = 12;   /* one datagram of 20 bytes, shared by every NDP */
        uint16_t at = 32;
        ntb_le16(b + 10, at);
        for (unsigned i = 0; i < count; i++) {
            memcpy(b + at, "NCM0", 4);
            ntb_le16(b + at + 4, 16);
            ntb_le16(b + at + 6, i + 1 < count ? (uint16_t)(at + 16) : 0);
            ntb_le16(b + at + 8, dg);
            ntb_le16(b + at + 10, 20);
            at = (uint16_t)(at + 16);
        }
        ntb_le16(b + 8, at);
        assert_int_equal(ncm_ntb_count(b, at), count <= NCM_MAX_NDPS ? (int)count : -1);
    }
}

static void test_arguments(void **state)
{
    (void)state;
    ncm_parse_t p;
    uint16_t off, len;
    assert_false(ncm_ntb_begin(NULL, b, 100));
    assert_false(ncm_ntb_begin(&p, NULL, 100));
    const uint16_t lens[1] = {100};
    uint16_t n = ntb_build(b, lens, 1, 0);
    assert_true(ncm_ntb_begin(&p, b, n));
    assert_int_equal(ncm_ntb_next(&p, b, NULL, &len), -1);
    assert_int_equal(ncm_ntb_next(&p, b, &off, NULL), -1);
    assert_int_equal(ncm_ntb_next(NULL, b, &off, &len), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linux_and_windows_layouts),
        cmocka_unit_test(test_nth16_bounds),
        cmocka_unit_test(test_ndp16_bounds),
        cmocka_unit_test(test_datagram_bounds),
        cmocka_unit_test(test_many_datagrams),
        cmocka_unit_test(test_ndp_chain),
        cmocka_unit_test(test_ndp_alignment),
        cmocka_unit_test(test_ndp_chain_limit),
        cmocka_unit_test(test_arguments),
    };
    return cmocka_run_group_tests_name("ncm_ntb", tests, NULL, NULL);
}
