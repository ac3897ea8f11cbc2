/*
 * mdns_name.c - the host name the mDNS responder claims (see mdns_name.h).
 *
 * Layer: portable (firmware/net). Includes only mdns_name.h, <string.h>.
 */
#include "mdns_name.h"

#include <string.h>

static uint8_t mdns_suffix;   /* 0: fw_config.hostname as it is */

void mdns_name_reset(void)
{
    mdns_suffix = 0;
}

void mdns_name_next(void)
{
    /* RFC 6762 9 leaves the choice of the new name to the host; "-2", "-3"
     * is what users know from other devices. */
    mdns_suffix = (mdns_suffix < 2u || mdns_suffix == 255u) ? 2u : (uint8_t)(mdns_suffix + 1u);
}

uint8_t mdns_name_suffix(void)
{
    return mdns_suffix;
}

size_t mdns_name_label(char *buf, size_t room)
{
    size_t n = 0;
    while (n < CONFIG_NAME_MAX - 1u && fw_config.hostname[n] != '\0') {
        n++;   /* bounded: the simulator's command line filled it */
    }
    char tail[5];
    size_t t = 0;
    if (mdns_suffix != 0u) {
        uint8_t v = mdns_suffix;
        char digits[3];
        size_t d = 0;
        do {
            digits[d++] = (char)('0' + v % 10u);
            v = (uint8_t)(v / 10u);
        } while (v != 0u);
        tail[t++] = '-';
        while (d > 0u) {
            tail[t++] = digits[--d];
        }
    }
    if (room == 0u) {
        return 0;
    }
    if (n + t + 1u > room) {
        buf[0] = '\0';
        return 0;
    }
    memcpy(buf, fw_config.hostname, n);
    memcpy(buf + n, tail, t);
    buf[n + t] = '\0';
    return n + t;
}
