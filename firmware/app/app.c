/*
 * app.c - the device application (see app.h): LED and button state, uptime,
 * wall clock, the status JSON document.
 *
 * Layer: portable application. Includes board.h, config.h, link_stats.h and
 * <stdint.h>/<stdbool.h>/<stddef.h>/<string.h> only; no printf family, no
 * libc time functions, no heap.
 * Assumptions: single-threaded (main loop only); app_init() runs before any
 * other app_ function. The LEDs' truth is the board (board_led_get), so the
 * state shown is what the hardware has.
 */
#include "app.h"
#include "config.h"
#include "ident.h"
#include "link_stats.h"
#include "mdns_name.h"
#include "net/iperf.h"

/* build/gen/build_id.h (web.mk) names the source revision; a build without
 * it (unit tests before any firmware build) says so */
#if defined(__has_include)
#if __has_include("build_id.h")
#include "build_id.h"
#endif
#endif
#ifndef APP_BUILD_ID
#define APP_BUILD_ID "unknown"
#endif

#include <string.h>

static uint64_t app_up_ms;        /* 64-bit uptime, extended from board_millis() */
static uint32_t app_last_ms;      /* board_millis() at the last extension */
static int64_t app_wall_offset_ms; /* wall clock = offset + uptime (ms) */
static bool app_wall_set;
static uint32_t app_presses_base; /* board_button_presses() at app_init */

/* ------------------------------------------------------------ text writer */

void app_buf_init(app_buf_t *b, char *buf, size_t room)
{
    b->buf = buf;
    b->room = room;
    b->len = 0;
    b->overflow = (buf == NULL || room == 0);
    if (!b->overflow) {
        buf[0] = '\0';
    }
}

void app_buf_char(app_buf_t *b, char c)
{
    /* keep one byte for the NUL */
    if (b->overflow || b->len + 1u >= b->room) {
        b->overflow = true;
        return;
    }
    b->buf[b->len++] = c;
    b->buf[b->len] = '\0';
}

void app_buf_str(app_buf_t *b, const char *s)
{
    while (*s != '\0' && !b->overflow) {
        app_buf_char(b, *s++);
    }
}

void app_buf_u64(app_buf_t *b, uint64_t v)
{
    char tmp[20];   /* 2^64 - 1 has 20 digits */
    unsigned n = 0;
    do {
        tmp[n++] = (char)('0' + (unsigned)(v % 10u));
        v /= 10u;
    } while (v != 0u);
    while (n > 0u) {
        app_buf_char(b, tmp[--n]);
    }
}

void app_buf_json_str(app_buf_t *b, const char *s, size_t max)
{
    static const char hex[] = "0123456789abcdef";
    app_buf_char(b, '"');
    for (size_t i = 0; i < max && s[i] != '\0'; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            app_buf_char(b, '\\');
            app_buf_char(b, (char)c);
        } else if (c < 0x20u || c >= 0x7fu) {
            /* RFC 8259 section 7: control characters must be escaped. Bytes
             * >= 0x80 would make the document invalid UTF-8 (section 8.1),
             * so they are shown as the Latin-1 code point instead. */
            app_buf_str(b, "\\u00");
            app_buf_char(b, hex[c >> 4]);
            app_buf_char(b, hex[c & 0x0fu]);
        } else {
            app_buf_char(b, (char)c);
        }
    }
    app_buf_char(b, '"');
}

size_t app_buf_end(const app_buf_t *b)
{
    return b->overflow ? 0u : b->len;
}

/* ------------------------------------------------------------ state */

static bool app_boot_pending;   /* POST /api/bootloader accepted */
static uint64_t app_boot_at;     /* app_uptime_ms() when it is due */

void app_init(void)
{
    app_boot_pending = false;
    app_last_ms = board_millis();
    /* board_millis() counts from reset, so it is the uptime so far */
    app_up_ms = app_last_ms;
    app_wall_offset_ms = 0;
    app_wall_set = false;
    app_presses_base = board_button_presses();
}

/* Unsigned subtraction gives the elapsed time across one 2^32 wrap; called
 * at least every 49 days by app_poll() so no wrap is missed. */
static void app_uptime_update(void)
{
    uint32_t now = board_millis();
    app_up_ms += (uint32_t)(now - app_last_ms);
    app_last_ms = now;
}

void app_poll(void)
{
    app_uptime_update();
    /* sampling the button each pass is what runs the chip's debounce */
    (void)board_button_presses();
}

int app_led_set(unsigned n, app_led_action_t action)
{
    bool on;
    if (n >= APP_LED_COUNT) {
        return -1;
    }
    switch (action) {
    case APP_LED_OFF:
        on = false;
        break;
    case APP_LED_ON:
        on = true;
        break;
    case APP_LED_TOGGLE:
        on = !board_led_get(n);
        break;
    default:
        return -1;
    }
    board_led_set(n, on);
    return 0;
}

bool app_led_get(unsigned n)
{
    return n < APP_LED_COUNT && board_led_get(n);
}

bool app_button(void)
{
    return board_button_read();
}

uint32_t app_button_presses(void)
{
    /* the board latches every press in its counter (board.h), so a reader
     * never races app_poll() for one; unsigned difference survives a wrap */
    return board_button_presses() - app_presses_base;
}

void app_bootloader_request(void)
{
    app_boot_pending = true;
    app_boot_at = app_uptime_ms() + APP_BOOTLOADER_DELAY_MS;
}

bool app_bootloader_due(void)
{
    if (!app_boot_pending || app_uptime_ms() < app_boot_at) {
        return false;
    }
    app_boot_pending = false;
    return true;
}

uint64_t app_uptime_ms(void)
{
    app_uptime_update();
    return app_up_ms;
}

/* ------------------------------------------------------------ wall clock */

int app_time_set_epoch(uint64_t seconds)
{
    if (seconds > APP_EPOCH_MAX) {
        return -1;
    }
    /* both terms < 2^63: the epoch is bounded above, uptime is < 2^63 ms
     * for the next 292 million years */
    app_wall_offset_ms = (int64_t)(seconds * 1000u) - (int64_t)app_uptime_ms();
    app_wall_set = true;
    return 0;
}

bool app_time_is_set(void)
{
    return app_wall_set;
}

uint64_t app_time_epoch(void)
{
    int64_t ms = app_wall_offset_ms + (int64_t)app_uptime_ms();
    /* offset >= -uptime at the time of setting and uptime only grows */
    return ms < 0 ? 0u : (uint64_t)ms / 1000u;
}

/*
 * Days since 1970-01-01 -> proleptic Gregorian date. Counting starts at
 * 0000-03-01 so that a leap day is always the last day of a counted year;
 * then the 400-year cycle (146097 days) splits into 4 centuries of 36524 days
 * (the last one has 36525), a century into 4-year groups of 1461 days (the
 * last group of a non-final century is one day short) and a group into years
 * of 365 days (the last has 366).
 */
static void app_civil_from_days(uint32_t days, unsigned *year, unsigned *month, unsigned *day)
{
    /* day-of-year (March-based) at which each month starts: Mar .. Feb */
    static const uint16_t month_start[12] = {0, 31, 61, 92, 122, 153, 184, 214, 245, 275, 306, 337};
    const uint32_t days_0000_03_01_to_1970 = 719468u;
    uint32_t z = days + days_0000_03_01_to_1970;
    uint32_t cycle = z / 146097u;
    uint32_t r = z % 146097u;
    uint32_t cent = r / 36524u;
    if (cent > 3u) {
        cent = 3u;  /* the 400-year cycle's last day (Feb 29 of year 400k) */
    }
    r -= cent * 36524u;
    uint32_t quad = r / 1461u;
    r -= quad * 1461u;
    uint32_t yr = r / 365u;
    if (yr > 3u) {
        yr = 3u;    /* Feb 29 closing a 4-year group */
    }
    r -= yr * 365u;
    uint32_t y = cycle * 400u + cent * 100u + quad * 4u + yr;
    unsigned m = 11u;
    while (month_start[m] > r) {
        m--;
    }
    *day = (unsigned)(r - month_start[m]) + 1u;
    if (m >= 10u) {
        /* January and February belong to the next calendar year */
        *month = m - 9u;
        y++;
    } else {
        *month = m + 3u;
    }
    *year = (unsigned)y;
}

static void app_put2(char *p, unsigned v)
{
    p[0] = (char)('0' + (v / 10u) % 10u);
    p[1] = (char)('0' + v % 10u);
}

void app_epoch_to_iso8601(uint64_t seconds, char out[APP_ISO8601_LEN + 1])
{
    unsigned y, mo, d;
    if (seconds > APP_EPOCH_MAX) {
        seconds = APP_EPOCH_MAX;
    }
    uint32_t days = (uint32_t)(seconds / 86400u);
    uint32_t sod = (uint32_t)(seconds % 86400u);
    app_civil_from_days(days, &y, &mo, &d);
    /* RFC 3339 section 5.6 "date-time" in UTC */
    app_put2(&out[0], y / 100u);
    app_put2(&out[2], y % 100u);
    out[4] = '-';
    app_put2(&out[5], mo);
    out[7] = '-';
    app_put2(&out[8], d);
    out[10] = 'T';
    app_put2(&out[11], sod / 3600u);
    out[13] = ':';
    app_put2(&out[14], (sod / 60u) % 60u);
    out[16] = ':';
    app_put2(&out[17], sod % 60u);
    out[19] = 'Z';
    out[20] = '\0';
}

void app_time_iso8601(char out[APP_ISO8601_LEN + 1])
{
    app_epoch_to_iso8601(app_time_epoch(), out);
}

/* ------------------------------------------------------------ JSON */

static void app_leds_put(app_buf_t *b)
{
    app_buf_char(b, '[');
    for (unsigned i = 0; i < APP_LED_COUNT; i++) {
        if (i != 0u) {
            app_buf_char(b, ',');
        }
        app_buf_char(b, app_led_get(i) ? '1' : '0');
    }
    app_buf_char(b, ']');
}

size_t app_leds_json(char *buf, size_t room)
{
    app_buf_t b;
    app_buf_init(&b, buf, room);
    app_leds_put(&b);
    return app_buf_end(&b);
}

static void app_counter_put(app_buf_t *b, const char *name, uint32_t v, bool last)
{
    app_buf_char(b, '"');
    app_buf_str(b, name);
    app_buf_str(b, "\":");
    app_buf_u64(b, v);
    if (!last) {
        app_buf_char(b, ',');
    }
}

static void app_hex32_put(app_buf_t *b, uint32_t v)
{
    static const char hex[] = "0123456789abcdef";
    app_buf_str(b, "\"0x");
    for (int sh = 28; sh >= 0; sh -= 4) {
        app_buf_char(b, hex[(v >> sh) & 0xFu]);
    }
    app_buf_char(b, '"');
}

/* ,"fault_pc":"0x080012ab","stack_used":812 in /api/info, after "reset"
 * (/api/status has no room left for them, and the cause is here already).
 * fault_pc only after a reset by a fault handler ("reset" then says
 * "fault"; the record's lr and exception number stay with
 * board_fault_record() for a debugger); stack_used is the stack's high-water
 * mark in bytes, null where the board does not know it (the simulator). */
static void app_recovery_put(app_buf_t *b)
{
    uint32_t pc, lr, exc, used = 0, size = 0;

    if (board_fault_record(&pc, &lr, &exc)) {
        app_buf_str(b, ",\"fault_pc\":");
        app_hex32_put(b, pc);
    }
    app_buf_str(b, ",\"stack_used\":");
    board_stack_usage(&used, &size);
    if (size == 0u) {
        app_buf_str(b, "null");
    } else {
        app_buf_u64(b, used);
    }
}

size_t app_status_json(char *buf, size_t room)
{
    app_buf_t b;
    char iso[APP_ISO8601_LEN + 1];

    app_buf_init(&b, buf, room);
    app_time_iso8601(iso);
    app_buf_str(&b, "{\"hostname\":");
    /* the hostname is checked by config_label_ok(), but it is escaped and
     * bounded anyway: the simulator's command line fills it */
    app_buf_json_str(&b, fw_config.hostname, CONFIG_NAME_MAX);
    app_buf_str(&b, ",\"ip\":\"");
    for (unsigned i = 0; i < 4u; i++) {
        if (i != 0u) {
            app_buf_char(&b, '.');
        }
        app_buf_u64(&b, fw_config.ip[i]);
    }
    app_buf_str(&b, "\",\"uptime_ms\":");
    app_buf_u64(&b, app_uptime_ms());
    app_buf_str(&b, ",\"time\":\"");
    app_buf_str(&b, iso);
    app_buf_str(&b, "\",\"time_set\":");
    app_buf_str(&b, app_wall_set ? "true" : "false");
    app_buf_str(&b, ",\"leds\":");
    app_leds_put(&b);
    app_buf_str(&b, ",\"button\":");
    app_buf_char(&b, app_button() ? '1' : '0');
    app_buf_str(&b, ",\"button_presses\":");
    app_buf_u64(&b, app_button_presses());
    {
        /* the name mDNS claims now: the hostname, or "-2".. after a
         * conflict on the link (RFC 6762 9) */
        char mdns[MDNS_NAME_LABEL_MAX + 6];
        size_t ml = mdns_name_label(mdns, MDNS_NAME_LABEL_MAX);
        memcpy(mdns + ml, ".local", 7);
        app_buf_str(&b, ",\"mdns_name\":");
        app_buf_json_str(&b, mdns, sizeof mdns);
    }
    app_buf_str(&b, ",\"link\":{");
    app_counter_put(&b, "rx_frames", link_stats.rx_frames, false);
    app_counter_put(&b, "tx_frames", link_stats.tx_frames, false);
    app_counter_put(&b, "rx_dropped", link_stats.rx_dropped, false);
    app_counter_put(&b, "tx_dropped", link_stats.tx_dropped, false);
    /* added after the four above (clients match by name, the order is not
     * a promise): bytes feed the page's throughput chart */
    app_counter_put(&b, "rx_bytes", link_stats.rx_bytes, false);
    app_counter_put(&b, "tx_bytes", link_stats.tx_bytes, false);
    app_counter_put(&b, "rx_errors", link_stats.rx_errors, false);
    app_counter_put(&b, "tx_errors", link_stats.tx_errors, false);
    /* link.class, what the link is: "ecm" or "ncm" (the USB class in use),
     * "tap" (the simulator's TAP mode) */
    app_buf_str(&b, "\"class\":\"");
    app_buf_str(&b, config_class_name(config_usb_class));
    /* lwiperf on port 5001 (net/iperf.c): completed sessions and their bytes */
    app_buf_str(&b, "\"},\"iperf\":{");
    app_counter_put(&b, "sessions", iperf_stats.sessions, false);
    app_counter_put(&b, "bytes", iperf_stats.bytes, true);
    app_buf_str(&b, "}}");
    size_t n = app_buf_end(&b);
    if (n == 0u && room > 0u) {
        buf[0] = '\0';  /* no half document */
    }
    return n;
}

void app_info_put(app_buf_t *b)
{
    char serial[IDENT_SERIAL_LEN + 1u];
    ident_serial(serial);
    app_buf_str(b, "\"version\":\"" APP_VERSION "\",\"build\":");
    app_buf_json_str(b, APP_BUILD_ID, 32u);
    app_buf_str(b, ",\"serial\":\"");
    app_buf_str(b, serial);
    app_buf_str(b, "\",\"reset\":");
    app_buf_json_str(b, board_reset_cause(), 24u);
    app_recovery_put(b);
}
