/* ntb_build.h - test helper: writes NTB16s the way hosts do (CDC NCM 1.0 3.2,
 * 3.3): the NDP right after the NTH (Linux cdc_ncm) or after the datagrams
 * (Windows UsbNcm), datagrams at offsets 4-aligned. Header-only, for
 * test_ncm.c and test_ncm_ntb.c. */
#ifndef NTB_BUILD_H
#define NTB_BUILD_H

#include <stdint.h>
#include <string.h>

static inline void ntb_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline uint16_t ntb_get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

/* n datagrams of lens[i] bytes, byte k of datagram i = (i * 31 + k) & 0xFF.
 * ndp_last: NDP after the datagrams. Returns wBlockLength. */
static inline uint16_t ntb_build(uint8_t *b, const uint16_t *lens, unsigned n, int ndp_last)
{
    uint16_t ndp_len = (uint16_t)(8u + 4u * (n + 1u));
    if (ndp_len < 16u) {
        ndp_len = 16u;  /* 3.3.1: wLength >= 16 (room for one entry + terminator) */
    }
    uint16_t ndp = 12, at;
    memset(b, 0, 4096);
    memcpy(b, "NCMH", 4);
    ntb_le16(b + 4, 12);
    ntb_le16(b + 6, 0);
    at = ndp_last ? 12 : (uint16_t)(12 + ndp_len);
    at = (uint16_t)((at + 3u) & ~3u);
    uint16_t offs[64];
    for (unsigned i = 0; i < n; i++) {
        offs[i] = at;
        for (unsigned k = 0; k < lens[i]; k++) {
            b[at + k] = (uint8_t)(i * 31u + k);
        }
        at = (uint16_t)(at + lens[i]);
        at = (uint16_t)((at + 3u) & ~3u);
    }
    uint16_t end = at;
    if (ndp_last) {
        ndp = at;
        end = (uint16_t)(at + ndp_len);
    } else {
        /* Linux: the block ends after the last datagram */
        end = n > 0 ? (uint16_t)(offs[n - 1] + lens[n - 1]) : (uint16_t)(12 + ndp_len);
    }
    memcpy(b + ndp, "NCM0", 4);
    ntb_le16(b + ndp + 4, ndp_len);
    ntb_le16(b + ndp + 6, 0);
    for (unsigned i = 0; i < n; i++) {
        ntb_le16(b + ndp + 8 + 4 * i, offs[i]);
        ntb_le16(b + ndp + 10 + 4 * i, lens[i]);
    }
    ntb_le16(b + 8, end);
    ntb_le16(b + 10, ndp);
    return end;
}

#endif
