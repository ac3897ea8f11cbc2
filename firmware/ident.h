/*
 * ident.h - the device's identity, derived from the board's unique ID so it is
 * stable per device: USB serial string and the two MAC addresses of the link.
 *
 * CDC ECM 1.2, 5.4: iMACAddress names the MAC the *host* side uses. The device
 * (lwIP) needs a different one. Both are locally administered unicast
 * (IEEE 802: bit 1 of the first octet set, bit 0 clear).
 *
 * Layer: portable; uses board.h only.
 */
#ifndef IDENT_H
#define IDENT_H

#include <stdint.h>

#define IDENT_SERIAL_LEN 24u  /* hex digits of the 96-bit unique ID */

void ident_host_mac(uint8_t mac[6]);
void ident_device_mac(uint8_t mac[6]);
/* 24 uppercase hex digits + NUL */
void ident_serial(char out[IDENT_SERIAL_LEN + 1u]);
/* 12 uppercase hex digits + NUL: the iMACAddress string */
void ident_host_mac_string(char out[13]);
/* 32-bit FNV-1a over n bytes, continuing from h (2166136261 to start): the
 * hash behind the MACs, also used by the simulator to turn --serial into an ID. */
uint32_t ident_fnv1a(const uint8_t *p, unsigned n, uint32_t h);

#endif
