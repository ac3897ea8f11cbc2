/*
 * app.h - the device application: LEDs, user button, uptime, wall clock and
 * the status document the web page and the HTTP API show.
 *
 * Layer: portable application (firmware/app). Includes only board.h,
 * config.h, link_stats.h and the C headers the project allows.
 * Assumptions: single-threaded, everything runs from the main loop; app_poll()
 * (or any app_uptime_ms() call) happens at least once per 49 days so the
 * 32-bit board_millis() wrap is seen.
 * Limits: the wall clock covers 1970-01-01 .. 9999-12-31 (4-digit years of
 * ISO 8601 / RFC 3339 section 5.6); later values are clamped.
 */
#ifndef APP_H
#define APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "board.h"

#define APP_VERSION       "0.1.0"   /* the firmware's; the simulator's --version too */
#define APP_LED_COUNT     BOARD_LED_COUNT
#define APP_ISO8601_LEN   20u   /* "YYYY-MM-DDTHH:MM:SSZ" without the NUL */
/* Largest settable epoch: 9999-12-31T23:59:59Z. */
#define APP_EPOCH_MAX     253402300799ull

typedef enum {
    APP_LED_OFF = 0,
    APP_LED_ON = 1,
    APP_LED_TOGGLE = 2,
} app_led_action_t;

void app_init(void);
void app_poll(void);
/* POST /api/bootloader: the ROM bootloader is to be entered
 * APP_BOOTLOADER_DELAY_MS from now, so the HTTP answer leaves first;
 * app_bootloader_due() says so once, to the main loop (main.c) */
#define APP_BOOTLOADER_DELAY_MS 500u
void app_bootloader_request(void);
bool app_bootloader_due(void);

/* 0 on success, -1 if n >= APP_LED_COUNT or the action is unknown (nothing changes). */
int app_led_set(unsigned n, app_led_action_t action);
bool app_led_get(unsigned n);           /* false for n >= APP_LED_COUNT */
bool app_button(void);                  /* true while the user button is pressed */
uint32_t app_button_presses(void);      /* presses since app_init(), none lost */

uint64_t app_uptime_ms(void);           /* milliseconds since boot, never wraps */

/* Sets the wall clock: from now on time = seconds + time passed since this
 * call. 0 on success, -1 if seconds > APP_EPOCH_MAX (clock unchanged). */
int app_time_set_epoch(uint64_t seconds);
bool app_time_is_set(void);
/* Seconds since 1970-01-01T00:00:00Z; before app_time_set_epoch() this is the
 * uptime, so the clock reads 1970-01-01 plus the time since boot. */
uint64_t app_time_epoch(void);
void app_time_iso8601(char out[APP_ISO8601_LEN + 1]);
/* Same conversion for any epoch (clamped to APP_EPOCH_MAX); exposed for tests. */
void app_epoch_to_iso8601(uint64_t seconds, char out[APP_ISO8601_LEN + 1]);

/* Bounded text writer (no printf in firmware). Once something did not fit,
 * the writer is "overflowed": later writes do nothing and app_buf_end()
 * returns 0. The text is always NUL-terminated while room > 0. */
typedef struct {
    char *buf;
    size_t room;
    size_t len;
    bool overflow;
} app_buf_t;

void app_buf_init(app_buf_t *b, char *buf, size_t room);
void app_buf_char(app_buf_t *b, char c);
void app_buf_str(app_buf_t *b, const char *s);
void app_buf_u64(app_buf_t *b, uint64_t v);          /* decimal */
/* A JSON string (RFC 8259 section 7) with quotes, reading at most max bytes
 * of s: '"', '\\', control and non-ASCII bytes are escaped as \uXXXX. */
void app_buf_json_str(app_buf_t *b, const char *s, size_t max);
size_t app_buf_end(const app_buf_t *b);              /* length or 0 on overflow */

/* JSON writers: return the length written (a NUL follows it) or 0 if the
 * text plus its NUL does not fit in room; never write past buf[room - 1]. */
size_t app_leds_json(char *buf, size_t room);    /* e.g. [0,1,0,0] */
size_t app_status_json(char *buf, size_t room);
/* The device's fixed facts as JSON members without braces, for /api/info:
 * "version":..,"build":..,"serial":..,"reset":.. (see http_info.h). */
void app_info_put(app_buf_t *b);

#endif
