/*
 * fuzz_ncm_ntb.c - libFuzzer target: the CDC-NCM OUT NTB16 parser
 * (firmware/usb/ncm.c: ncm_ntb_begin, ncm_ntb_next, ncm_ntb_count; CDC NCM
 * 1.0 3.2.1 NTH16, 3.3.1 NDP16) on arbitrary transfers, called exactly as the
 * class does it in rx_ntb()/ncm_rx_release(): ncm_ntb_count() over the whole
 * transfer first, then begin + next one datagram at a time. Layer: tests/fuzz.
 *
 * Input: the received transfer itself, byte for byte (len = the input's
 * size, clamped to 65535: the parser takes a uint16_t). libFuzzer's buffer is
 * exactly that long, so ASan sees any read past the transfer.
 * Oracle, beyond ASan/UBSan:
 * - count and walk agree: ncm_ntb_count() is -1 exactly when the walk ends
 *   in -1, else the number of datagrams the walk yields;
 * - every datagram (index, length) lies inside the block: index >= 12 (after
 *   the NTH16), index + length <= wBlockLength <= the transfer, and
 *   14 <= length <= ECM_MAX_SEGMENT (3.3.1; an Ethernet frame);
 * - the walk ends: at most NCM_MAX_NDPS NDPs of at most block / 4 entries.
 */
#include <stdio.h>
#include <string.h>

#include "fuzz_common.h"
#include "stm32net_opt.h"
#include "usb/ncm.h"

static void bug(const char *what, unsigned a, unsigned b)
{
    fprintf(stderr, "fuzz_ncm_ntb: %s (%u, %u)\n", what, a, b);
    abort();
}

FUZZ_DEFAULT_INITIALIZE

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint16_t len = size > 0xFFFFu ? 0xFFFFu : (uint16_t)size;
    int count = ncm_ntb_count(data, len);
    ncm_parse_t p;

    if (!ncm_ntb_begin(&p, data, len)) {
        if (count != -1) {
            bug("count accepts what begin refuses", (unsigned)count, len);
        }
        return 0;
    }
    uint16_t block = (uint16_t)(data[8] | (data[9] << 8));   /* NTH16 wBlockLength */
    if (p.block != block || block > len || block < 12u) {
        bug("begin accepted a block outside the transfer", block, len);
    }
    /* each NDP holds at most (wLength - 8) / 4 <= block / 4 entries */
    unsigned limit = NCM_MAX_NDPS * (block / 4u + 1u), got = 0;
    int r;
    uint16_t off = 0, n = 0;
    while ((r = ncm_ntb_next(&p, data, &off, &n)) == 1) {
        if (off < 12u || (uint32_t)off + n > block || n < 14u || n > ECM_MAX_SEGMENT) {
            bug("datagram outside the block", off, n);
        }
        volatile uint8_t touch = data[off] ^ data[off + n - 1u];   /* ASan: both ends readable */
        (void)touch;
        if (++got > limit) {
            bug("walk does not end", got, block);
        }
    }
    if (r != 0 && r != -1) {
        bug("ncm_ntb_next returned neither 1, 0 nor -1", (unsigned)r, 0);
    }
    if ((r == -1) != (count == -1) || (r == 0 && (unsigned)count != got)) {
        bug("ncm_ntb_count and the walk disagree", (unsigned)count, got);
    }
    return 0;
}
