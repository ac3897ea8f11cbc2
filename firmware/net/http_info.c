/*
 * http_info.c - see http_info.h. Layer: firmware/net; includes app.h and
 * dhcps.h only; no heap, no printf family.
 */
#include "http_info.h"
#include "dhcps.h"
#include "stm32net_opt.h"

static void http_info_hex2(app_buf_t *b, uint8_t v)
{
    static const char hex[] = "0123456789abcdef";
    app_buf_char(b, hex[v >> 4]);
    app_buf_char(b, hex[v & 0x0fu]);
}

size_t http_info_json(char *buf, size_t room)
{
    app_buf_t b;
    bool first = true;

    app_buf_init(&b, buf, room);
    app_buf_char(&b, '{');
    app_info_put(&b);
    app_buf_str(&b, ",\"leases\":[");
    for (unsigned i = 0; i < DHCPS_POOL_SIZE; i++) {
        uint8_t mac[6], ip[4];
        uint32_t left;
        if (!dhcps_lease_get(i, mac, ip, &left)) {
            continue;
        }
        app_buf_str(&b, first ? "{\"mac\":\"" : ",{\"mac\":\"");
        first = false;
        for (unsigned k = 0; k < 6u; k++) {
            if (k != 0u) {
                app_buf_char(&b, ':');
            }
            http_info_hex2(&b, mac[k]);
        }
        app_buf_str(&b, "\",\"ip\":\"");
        for (unsigned k = 0; k < 4u; k++) {
            if (k != 0u) {
                app_buf_char(&b, '.');
            }
            app_buf_u64(&b, ip[k]);
        }
        app_buf_str(&b, "\",\"left_s\":");
        app_buf_u64(&b, left);
        app_buf_char(&b, '}');
    }
    app_buf_str(&b, "]}");
    size_t n = app_buf_end(&b);
    if (n == 0u && room > 0u) {
        buf[0] = '\0';  /* no half document */
    }
    return n;
}
