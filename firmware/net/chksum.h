/*
 * chksum.h - the Internet checksum (RFC 1071) for lwIP's LWIP_CHKSUM hook,
 * written for the Cortex-M0 (32-bit loads, carries kept in a 64-bit sum).
 *
 * Layer: portable (firmware/net). Included by lwipopts.h, so it names only
 * standard types (lwIP's u16_t is uint16_t).
 */
#ifndef CHKSUM_H
#define CHKSUM_H

#include <stdint.h>

/* The one's complement sum of len bytes at data (any alignment, len < 2^31),
 * folded to 16 bits and not inverted, in lwIP's convention: the value a
 * native 16-bit load of the big-endian sum's two bytes gives (what lwIP's
 * lwip_standard_chksum returns). len <= 0 gives 0. */
uint16_t chksum_inet(const void *data, int len);

#endif
