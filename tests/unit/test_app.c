/* test_app.c - the device application (app.c): LEDs, uptime across the
 * 32-bit wrap, the wall clock and its ISO 8601 text, the status JSON. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "app/app.h"
#include "config.h"
#include "fake_board.h"
#include "net/iperf.h"
#include "link_stats.h"

static int setup(void **state)
{
    (void)state;
    fake_board_reset();
    memset(&link_stats, 0, sizeof link_stats);
    strcpy(fw_config.hostname, "stm32net");
    app_init();
    return 0;
}

static void test_led_on_off_toggle(void **state)
{
    (void)state;
    assert_int_equal(app_led_set(1, APP_LED_ON), 0);
    assert_true(fake_board_leds[1]);
    assert_true(app_led_get(1));
    assert_false(fake_board_leds[0]);
    assert_int_equal(app_led_set(1, APP_LED_OFF), 0);
    assert_false(fake_board_leds[1]);
    assert_int_equal(app_led_set(3, APP_LED_TOGGLE), 0);
    assert_true(fake_board_leds[3]);
    assert_int_equal(app_led_set(3, APP_LED_TOGGLE), 0);
    assert_false(fake_board_leds[3]);
    assert_int_equal(app_led_set(0, APP_LED_TOGGLE), 0);
    assert_true(app_led_get(0));
}

static void test_led_bad_n_and_action(void **state)
{
    (void)state;
    assert_int_equal(app_led_set(APP_LED_COUNT, APP_LED_ON), -1);
    assert_int_equal(app_led_set(100000u, APP_LED_TOGGLE), -1);
    assert_int_equal(app_led_set(0, (app_led_action_t)7), -1);
    for (unsigned i = 0; i < BOARD_LED_COUNT; i++) {
        assert_false(fake_board_leds[i]);
    }
    assert_false(app_led_get(APP_LED_COUNT));
}

static void test_button_and_presses(void **state)
{
    (void)state;
    assert_false(app_button());
    fake_board_button = true;
    assert_true(app_button());
    fake_board_presses = 2;
    app_poll();
    assert_int_equal(app_button_presses(), 2);
}

/* Issue 10 "Button": a press is latched until the app counted it. The old
 * app counted level edges in app_poll(), so a press the board reported
 * once (the simulator's) was lost when a status read came first. Now the
 * count is the board's latch: reading the status first loses nothing. */
static void test_press_read_by_status_first_is_not_lost(void **state)
{
    (void)state;
    char buf[512];
    fake_board_presses = 1;     /* pressed and released between two passes */
    assert_true(app_status_json(buf, sizeof buf) > 0u);
    assert_non_null(strstr(buf, "\"button_presses\":1,"));
    app_poll();
    assert_int_equal(app_button_presses(), 1);
}

/* Presses before app_init() (the board counts from its own start) are not
 * the app's, and the counter's wrap does not matter. */
static void test_presses_count_from_app_init_across_wrap(void **state)
{
    (void)state;
    fake_board_presses = 0xFFFFFFFFu;
    app_init();
    assert_int_equal(app_button_presses(), 0);
    fake_board_presses = 1u;    /* two presses later, wrapped */
    assert_int_equal(app_button_presses(), 2);
}

static void test_uptime_counts_and_survives_wrap(void **state)
{
    (void)state;
    fake_board_ms = 1234;
    assert_int_equal(app_uptime_ms(), 1234);
    fake_board_ms = 0xFFFFFF00u;
    app_poll();
    assert_true(app_uptime_ms() == 0xFFFFFF00ull);
    fake_board_ms = 0x100u;          /* wrapped */
    app_poll();
    assert_true(app_uptime_ms() == 0x100000100ull);
    fake_board_ms = 0xFFFFFFF0u;     /* and again */
    app_poll();
    fake_board_ms = 5u;
    app_poll();
    assert_true(app_uptime_ms() == 0x200000005ull);
}

static void test_uptime_starts_at_board_millis(void **state)
{
    (void)state;
    fake_board_ms = 0xFFFFFFFFu;
    app_init();
    fake_board_ms = 1u;
    assert_true(app_uptime_ms() == 0x100000001ull);
}

static void test_time_before_set_is_since_1970(void **state)
{
    (void)state;
    char iso[APP_ISO8601_LEN + 1];
    assert_false(app_time_is_set());
    app_time_iso8601(iso);
    assert_string_equal(iso, "1970-01-01T00:00:00Z");
    fake_board_ms = 59999u;
    app_time_iso8601(iso);
    assert_string_equal(iso, "1970-01-01T00:00:59Z");
    fake_board_ms = 3723000u;   /* 1 h 2 min 3 s */
    app_time_iso8601(iso);
    assert_string_equal(iso, "1970-01-01T01:02:03Z");
}

static void test_time_set_and_advance(void **state)
{
    (void)state;
    char iso[APP_ISO8601_LEN + 1];
    fake_board_ms = 500000u;
    assert_int_equal(app_time_set_epoch(1700000000u), 0);
    assert_true(app_time_is_set());
    app_time_iso8601(iso);
    assert_string_equal(iso, "2023-11-14T22:13:20Z");
    fake_board_ms += 999u;
    app_time_iso8601(iso);
    assert_string_equal(iso, "2023-11-14T22:13:20Z");
    fake_board_ms += 1u;
    app_time_iso8601(iso);
    assert_string_equal(iso, "2023-11-14T22:13:21Z");
    fake_board_ms += 100000u * 1000u;   /* 100000 s later */
    app_time_iso8601(iso);
    assert_string_equal(iso, "2023-11-16T02:00:01Z");
    assert_true(app_time_epoch() == 1700100001u);
}

static void test_time_set_across_wrap(void **state)
{
    (void)state;
    char iso[APP_ISO8601_LEN + 1];
    fake_board_ms = 0xFFFFF000u;
    app_poll();
    assert_int_equal(app_time_set_epoch(1700000000u), 0);
    fake_board_ms = 0x0E00u;     /* wrapped: 0x1000 + 0xE00 ms later */
    app_poll();
    app_time_iso8601(iso);
    /* 0x1E00 ms = 7680 ms later */
    assert_string_equal(iso, "2023-11-14T22:13:27Z");
}

static void test_time_out_of_range_rejected(void **state)
{
    (void)state;
    char iso[APP_ISO8601_LEN + 1];
    assert_int_equal(app_time_set_epoch(APP_EPOCH_MAX + 1u), -1);
    assert_false(app_time_is_set());
    assert_int_equal(app_time_set_epoch(APP_EPOCH_MAX), 0);
    app_time_iso8601(iso);
    assert_string_equal(iso, "9999-12-31T23:59:59Z");
    fake_board_ms += 5000u;   /* clamps, never shows a 5-digit year */
    app_time_iso8601(iso);
    assert_string_equal(iso, "9999-12-31T23:59:59Z");
}

static void check_date(uint64_t epoch, const char *want)
{
    char iso[APP_ISO8601_LEN + 1];
    memset(iso, 'x', sizeof iso);
    app_epoch_to_iso8601(epoch, iso);
    assert_string_equal(iso, want);
}

static void test_known_dates(void **state)
{
    (void)state;
    check_date(0, "1970-01-01T00:00:00Z");
    check_date(86399, "1970-01-01T23:59:59Z");
    check_date(68169600, "1972-02-29T00:00:00Z");
    check_date(951782400, "2000-02-29T00:00:00Z");
    check_date(951868800, "2000-03-01T00:00:00Z");
    check_date(946684799, "1999-12-31T23:59:59Z");
    check_date(978307199, "2000-12-31T23:59:59Z");   /* leap year's day 366 */
    check_date(1709164800, "2024-02-29T00:00:00Z");
    check_date(1709251199, "2024-02-29T23:59:59Z");
    check_date(1709251200, "2024-03-01T00:00:00Z");
    check_date(4107456000u, "2100-02-28T00:00:00Z");
    check_date(4107542400u, "2100-03-01T00:00:00Z");  /* 2100 is no leap year */
    check_date(2147483647u, "2038-01-19T03:14:07Z");
    check_date(4294967295u, "2106-02-07T06:28:15Z");
    check_date(11015913600ull, "2319-01-31T00:00:00Z");
    check_date(13574563200ull, "2400-02-29T00:00:00Z");  /* 400-year leap day */
    check_date(APP_EPOCH_MAX, "9999-12-31T23:59:59Z");
}

/* Every day from 1970 to 2500 against a day-by-day calendar walk. */
static void test_all_days_match_a_calendar_walk(void **state)
{
    (void)state;
    static const unsigned mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    unsigned y = 1970, m = 1, d = 1;
    char want[APP_ISO8601_LEN + 1], got[APP_ISO8601_LEN + 1];
    for (uint64_t day = 0; y < 2500; day++) {
        want[0] = (char)('0' + y / 1000);
        want[1] = (char)('0' + y / 100 % 10);
        want[2] = (char)('0' + y / 10 % 10);
        want[3] = (char)('0' + y % 10);
        want[4] = '-';
        want[5] = (char)('0' + m / 10);
        want[6] = (char)('0' + m % 10);
        want[7] = '-';
        want[8] = (char)('0' + d / 10);
        want[9] = (char)('0' + d % 10);
        memcpy(&want[10], "T12:00:00Z", 11);
        app_epoch_to_iso8601(day * 86400u + 43200u, got);
        if (strcmp(want, got) != 0) {
            fail_msg("day %llu: want %s got %s", (unsigned long long)day, want, got);
        }
        unsigned len = mdays[m - 1];
        if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) {
            len = 29;
        }
        if (++d > len) {
            d = 1;
            if (++m > 12) {
                m = 1;
                y++;
            }
        }
    }
}

static const char status_want[] =
    "{\"hostname\":\"stm32net\",\"ip\":\"192.168.7.1\",\"uptime_ms\":4294967396,"
    "\"time\":\"2023-11-14T22:13:20Z\",\"time_set\":true,\"leds\":[0,1,0,1],\"button\":1,"
    "\"button_presses\":1,\"mdns_name\":\"stm32net.local\","
    "\"link\":{\"rx_frames\":12,\"tx_frames\":34,\"rx_dropped\":5,\"tx_dropped\":4294967295,"
    "\"rx_bytes\":1200,\"tx_bytes\":3400,\"rx_errors\":7,\"tx_errors\":8,\"class\":\"ecm\"},"
    "\"iperf\":{\"sessions\":3,\"bytes\":4000000000}}";

static void make_known_state(void)
{
    fake_board_ms = 0xFFFFFFFFu;
    app_poll();
    fake_board_ms = 100u;     /* uptime 2^32 + 100 */
    fake_board_button = true;
    fake_board_presses = 1;
    app_poll();
    assert_int_equal(app_time_set_epoch(1700000000u), 0);
    app_led_set(1, APP_LED_ON);
    app_led_set(3, APP_LED_TOGGLE);
    link_stats.rx_frames = 12;
    link_stats.tx_frames = 34;
    link_stats.rx_dropped = 5;
    link_stats.tx_dropped = 0xFFFFFFFFu;
    link_stats.rx_bytes = 1200;
    link_stats.tx_bytes = 3400;
    link_stats.rx_errors = 7;
    link_stats.tx_errors = 8;
    iperf_stats.sessions = 3;
    iperf_stats.bytes = 4000000000u;
    fake_board_reset_cause = "fault";
    fake_board_fault = true;
    fake_board_fault_pc = 0x080012abu;
    fake_board_fault_lr = 0x08000f01u;
    fake_board_fault_exc = 3u;
    fake_board_stack_used = 812u;
    fake_board_stack_size = 2048u;
}

static void test_status_json_exact(void **state)
{
    (void)state;
    char buf[512];
    make_known_state();
    memset(buf, 'x', sizeof buf);
    size_t n = app_status_json(buf, sizeof buf);
    assert_string_equal(buf, status_want);
    assert_int_equal(n, strlen(status_want));
}

static void test_status_json_fits_exactly_or_returns_0(void **state)
{
    (void)state;
    char buf[512];
    size_t need = sizeof status_want;   /* text + NUL */
    make_known_state();
    for (size_t room = 0; room <= need; room++) {
        memset(buf, '#', sizeof buf);
        size_t n = app_status_json(buf, room);
        if (room < need) {
            assert_int_equal(n, 0);
            if (room > 0) {
                assert_int_equal(buf[0], '\0');
            }
        } else {
            assert_int_equal(n, need - 1);
            assert_string_equal(buf, status_want);
        }
        /* never a byte past room */
        for (size_t i = room; i < sizeof buf; i++) {
            if (buf[i] != '#') {
                fail_msg("room %zu: byte %zu written", room, i);
            }
        }
    }
    assert_int_equal(app_status_json(NULL, 0), 0);
}

/* The recovery members of /api/info: the pc only with a fault record, no
 * stack figure where the board has none (the simulator). */
static void test_info_recovery_members(void **state)
{
    (void)state;
    char buf[512];
    app_buf_t b;
    fake_board_reset_cause = "watchdog";
    fake_board_fault = false;
    fake_board_stack_size = 0u;
    app_buf_init(&b, buf, sizeof buf);
    app_info_put(&b);
    size_t n = app_buf_end(&b);
    const char *want = ",\"reset\":\"watchdog\",\"stack_used\":null";
    assert_true(n > strlen(want));
    assert_string_equal(buf + n - strlen(want), want);
    fake_board_reset_cause = "fault";
    fake_board_fault = true;
    fake_board_fault_pc = 0x00000001u;
    fake_board_stack_used = 0u;
    fake_board_stack_size = 2048u;
    app_buf_init(&b, buf, sizeof buf);
    app_info_put(&b);
    n = app_buf_end(&b);
    want = ",\"reset\":\"fault\",\"fault_pc\":\"0x00000001\",\"stack_used\":0";
    assert_string_equal(buf + n - strlen(want), want);
}

static void test_status_json_escapes_hostname(void **state)
{
    (void)state;
    char buf[512];
    memset(fw_config.hostname, 0, sizeof fw_config.hostname);
    memcpy(fw_config.hostname, "a\"b\\c\n\xc3", 7);
    assert_true(app_status_json(buf, sizeof buf) > 0);
    assert_non_null(strstr(buf, "{\"hostname\":\"a\\\"b\\\\c\\u000a\\u00c3\",\"ip\""));
    /* not NUL-terminated: read at most CONFIG_NAME_MAX bytes */
    memset(fw_config.hostname, 'h', sizeof fw_config.hostname);
    assert_true(app_status_json(buf, sizeof buf) > 0);
    char want[CONFIG_NAME_MAX + 20];
    strcpy(want, "{\"hostname\":\"");
    memset(want + 13, 'h', CONFIG_NAME_MAX);
    strcpy(want + 13 + CONFIG_NAME_MAX, "\",");
    assert_memory_equal(buf, want, strlen(want));
}

static void test_leds_json(void **state)
{
    (void)state;
    char buf[16];
    app_led_set(2, APP_LED_ON);
    assert_int_equal(app_leds_json(buf, sizeof buf), 9);
    assert_string_equal(buf, "[0,0,1,0]");
    assert_int_equal(app_leds_json(buf, 9), 0);
    assert_int_equal(app_leds_json(buf, 10), 9);
}

static void test_buf_u64_extremes(void **state)
{
    (void)state;
    char buf[32];
    app_buf_t b;
    app_buf_init(&b, buf, sizeof buf);
    app_buf_u64(&b, 0);
    app_buf_char(&b, ' ');
    app_buf_u64(&b, UINT64_MAX);
    assert_int_equal(app_buf_end(&b), 22);
    assert_string_equal(buf, "0 18446744073709551615");
}

/* POST /api/bootloader's delay: due APP_BOOTLOADER_DELAY_MS after the
 * request, not before, and only once */
static void test_bootloader_delay(void **state)
{
    (void)state;
    assert_false(app_bootloader_due());
    fake_board_ms = 0xFFFFFF00u;   /* across the millisecond counter's wrap */
    app_poll();
    app_bootloader_request();
    fake_board_ms += APP_BOOTLOADER_DELAY_MS - 1u;
    app_poll();
    assert_false(app_bootloader_due());
    fake_board_ms += 1u;
    assert_true(app_bootloader_due());
    assert_false(app_bootloader_due());
    app_init();                    /* a new start forgets a request */
    app_bootloader_request();
    app_init();
    fake_board_ms += 10u * APP_BOOTLOADER_DELAY_MS;
    assert_false(app_bootloader_due());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_led_on_off_toggle, setup),
        cmocka_unit_test_setup(test_led_bad_n_and_action, setup),
        cmocka_unit_test_setup(test_button_and_presses, setup),
        cmocka_unit_test_setup(test_press_read_by_status_first_is_not_lost, setup),
        cmocka_unit_test_setup(test_presses_count_from_app_init_across_wrap, setup),
        cmocka_unit_test_setup(test_uptime_counts_and_survives_wrap, setup),
        cmocka_unit_test_setup(test_uptime_starts_at_board_millis, setup),
        cmocka_unit_test_setup(test_time_before_set_is_since_1970, setup),
        cmocka_unit_test_setup(test_time_set_and_advance, setup),
        cmocka_unit_test_setup(test_time_set_across_wrap, setup),
        cmocka_unit_test_setup(test_time_out_of_range_rejected, setup),
        cmocka_unit_test_setup(test_known_dates, setup),
        cmocka_unit_test_setup(test_all_days_match_a_calendar_walk, setup),
        cmocka_unit_test_setup(test_status_json_exact, setup),
        cmocka_unit_test_setup(test_status_json_fits_exactly_or_returns_0, setup),
        cmocka_unit_test_setup(test_info_recovery_members, setup),
        cmocka_unit_test_setup(test_status_json_escapes_hostname, setup),
        cmocka_unit_test_setup(test_leds_json, setup),
        cmocka_unit_test_setup(test_buf_u64_extremes, setup),
        cmocka_unit_test_setup(test_bootloader_delay, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
