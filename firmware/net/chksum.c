/*
 * chksum.c - RFC 1071 Internet checksum for lwIP (LWIP_CHKSUM), tuned for
 * the Cortex-M0 compiled at -Os.
 *
 * Layer: portable (firmware/net). Includes chksum.h and libc's string.h only.
 * Why: lwIP 2.1.3's default (LWIP_CHKSUM_ALGORITHM 2) adds one halfword per
 * iteration, about 6 cycles a byte on the M0 (ldrh, add, subs, cmp, branch
 * per 2 bytes). ARMv6-M has 32-bit loads and add-with-carry (adcs) but
 * no unaligned access (ARMv6-M ARM A3.2.1), so we:
 *  - reach 4-byte alignment with at most one byte and one halfword,
 *  - load 32-bit words and add their two halfwords to two 32-bit sums
 *    (lsrs, uxth, 2 x adds: no carry is lost, the carries are folded once at
 *    the end, RFC 1071 2.(B) deferred carries), four words per iteration so
 *    the loop overhead is paid per 16 bytes. A 64-bit sum (adds + adcs)
 *    would be fewer instructions in assembly, but GCC 12 at -Os keeps a
 *    uint64_t on the stack on Thumb-1: measured slower. The one's complement sum does not depend on
 *    the byte order of the words (RFC 1071 2.(B)), so native loads give the
 *    native-order result lwIP expects; a start at an odd address shifts
 *    every byte to the other half of its word, which one byte swap of the
 *    folded result undoes (RFC 1071 2.(C) byte swapping).
 * Limits: any len up to INT_MAX (summed in 64 KB blocks).
 */
#include <string.h>

#include "chksum.h"

/* 32-bit load from a 4-aligned address without breaking strict aliasing:
 * the compiler turns this memcpy into one ldr. */
static inline uint32_t chksum_ld32(const uint8_t *p)
{
    uint32_t w;
    memcpy(&w, __builtin_assume_aligned(p, 4), sizeof w);
    return w;
}

static inline uint32_t chksum_ld16(const uint8_t *p)
{
    uint16_t h;
    memcpy(&h, __builtin_assume_aligned(p, 2), sizeof h);
    return h;
}

/* the native 16-bit value of the byte pair {a, b} (any byte order) */
static inline uint32_t chksum_pair(uint8_t a, uint8_t b)
{
    uint8_t pair[2] = {a, b};
    uint16_t h;
    memcpy(&h, pair, sizeof h);
    return h;
}

/* Sum of the native halfwords of n bytes at p (p 4-aligned, n <= 65536):
 * each 32-bit word adds its two halves to their own 32-bit sums, which
 * cannot overflow (at most 16384 words x 0xFFFF each). */
/* noinline: on its own GCC keeps every value of the loop in r0-r7; inlined
 * into chksum_inet it spilled one to the stack in every iteration */
__attribute__((noinline)) static uint32_t chksum_block(const uint8_t *p, uint32_t n, uint32_t *lo)
{
    uint32_t hi = 0, l = 0, w;
    const uint8_t *end16 = p + (n & ~15u);

    n &= 15u;
    while (p != end16) {
        w = chksum_ld32(p);
        hi += w >> 16;
        l += w & 0xFFFFu;
        w = chksum_ld32(p + 4);
        hi += w >> 16;
        l += w & 0xFFFFu;
        w = chksum_ld32(p + 8);
        hi += w >> 16;
        l += w & 0xFFFFu;
        w = chksum_ld32(p + 12);
        hi += w >> 16;
        l += w & 0xFFFFu;
        p += 16;
    }
    while (n >= 4u) {
        w = chksum_ld32(p);
        hi += w >> 16;
        l += w & 0xFFFFu;
        p += 4;
        n -= 4u;
    }
    *lo = l;
    return hi;
}

static uint32_t chksum_fold(uint32_t s)
{
    s = (s & 0xFFFFu) + (s >> 16);
    return (s & 0xFFFFu) + (s >> 16);
}

uint16_t chksum_inet(const void *data, int len)
{
    const uint8_t *p = data;
    uint32_t sum = 0, n, lo;
    int odd;

    if (len <= 0) {
        return 0;
    }
    n = (uint32_t)len;
    /* odd start: take one byte; the rest is summed as if it started at an
     * even offset, so this byte sits in the second half of its pair */
    odd = (int)((uintptr_t)p & 1u);
    if (odd) {
        sum = chksum_pair(0u, *p);
        p++;
        n--;
    }
    if (n >= 2u && ((uintptr_t)p & 2u) != 0u) {
        sum += chksum_ld16(p);
        p += 2;
        n -= 2u;
    }
    /* 64 KB blocks keep the block sums from overflowing (lwIP's lengths are
     * u16_t, so this loop runs once there) */
    while (n >= 4u) {
        uint32_t b = n > 65536u ? 65536u : (n & ~3u);
        sum = chksum_fold(sum) + chksum_fold(chksum_block(p, b, &lo)) + chksum_fold(lo);
        p += b;
        n -= b;
    }
    if (n >= 2u) {
        sum += chksum_ld16(p);
        p += 2;
        n -= 2u;
    }
    if (n != 0u) {
        sum += chksum_pair(*p, 0u);  /* last byte: first of its pair */
    }
    sum = chksum_fold(sum);   /* end-around carries, RFC 1071 2.(A) */
    if (odd) {
        sum = ((sum & 0xFFu) << 8) | (sum >> 8);
    }
    return (uint16_t)sum;
}
