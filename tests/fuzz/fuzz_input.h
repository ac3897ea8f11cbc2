/*
 * fuzz_input.h - reads a fuzzer's input as a stream of fields. Layer:
 * tests/fuzz only (libc). Every read past the end yields zeros / an empty
 * span, so a target never has to check lengths itself and every byte
 * string is a valid input: the fuzzer explores the firmware, not our
 * framing. Header-only (static inline) so each target is one .c file.
 */
#ifndef FUZZ_INPUT_H
#define FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const uint8_t *p;
    size_t left;
} fuzz_in_t;

static inline void fuzz_in_init(fuzz_in_t *in, const uint8_t *data, size_t size)
{
    in->p = data;
    in->left = size;
}

static inline int fuzz_in_more(const fuzz_in_t *in) { return in->left > 0; }

static inline uint8_t fuzz_u8(fuzz_in_t *in)
{
    if (in->left == 0) {
        return 0;
    }
    in->left--;
    return *in->p++;
}

static inline uint16_t fuzz_u16(fuzz_in_t *in)   /* big-endian, as on the wire */
{
    uint16_t hi = fuzz_u8(in);
    return (uint16_t)((hi << 8) | fuzz_u8(in));
}

/* Up to max bytes: *len gets how many there really were. */
static inline const uint8_t *fuzz_bytes(fuzz_in_t *in, size_t want, uint16_t *len)
{
    const uint8_t *p = in->p;
    size_t n = want < in->left ? want : in->left;
    in->p += n;
    in->left -= n;
    *len = (uint16_t)n;
    return p;
}

/* A record: 2-byte length (big-endian), clamped to max, then that many bytes. */
static inline const uint8_t *fuzz_record(fuzz_in_t *in, size_t max, uint16_t *len)
{
    size_t want = fuzz_u16(in);
    return fuzz_bytes(in, want < max ? want : max, len);
}

#endif
