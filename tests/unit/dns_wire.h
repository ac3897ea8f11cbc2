/* dns_wire.h - DNS wire-format builders shared by the unit tests of the
 * DNS server and the mDNS responder (RFC 1035 4.1.4 names, big-endian
 * 16-bit fields). Layer: tests/unit only (libc). */
#ifndef DNS_WIRE_H
#define DNS_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline size_t put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
    return 2;
}

/* Dotted name -> wire labels (a trailing dot gives the same wire form). */
static inline size_t enc_name(uint8_t *p, const char *name)
{
    size_t n = 0;
    while (*name != '\0') {
        const char *dot = strchr(name, '.');
        size_t len = dot ? (size_t)(dot - name) : strlen(name);
        p[n++] = (uint8_t)len;
        memcpy(p + n, name, len);
        n += len;
        name += len;
        if (*name == '.') {
            name++;
        }
    }
    p[n++] = 0;
    return n;
}

#endif
