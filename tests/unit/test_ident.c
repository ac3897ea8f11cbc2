/* test_ident.c - serial and MAC derivation (ident.c) and label checks (config.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"
#include "fake_board.h"
#include "ident.h"

static void test_macs_local_unicast_and_different(void **state)
{
    (void)state;
    uint8_t h[6], d[6];
    ident_host_mac(h);
    ident_device_mac(d);
    assert_int_equal(h[0] & 0x03, 0x02);  /* locally administered, unicast */
    assert_int_equal(d[0] & 0x03, 0x02);
    assert_memory_not_equal(h, d, 6);
}

static void test_macs_stable_and_follow_uid(void **state)
{
    (void)state;
    uint8_t a[6], b[6], c[6];
    ident_host_mac(a);
    ident_host_mac(b);
    assert_memory_equal(a, b, 6);
    fake_board_uid[11] ^= 1;
    ident_host_mac(c);
    fake_board_uid[11] ^= 1;
    assert_memory_not_equal(a, c, 6);
}

static void test_mac_string_matches_mac(void **state)
{
    (void)state;
    uint8_t h[6];
    char s[13], want[13];
    ident_host_mac(h);
    ident_host_mac_string(s);
    snprintf(want, sizeof want, "%02X%02X%02X%02X%02X%02X", h[0], h[1], h[2], h[3], h[4], h[5]);
    assert_string_equal(s, want);
}

static void test_serial_is_uid_hex(void **state)
{
    (void)state;
    char s[IDENT_SERIAL_LEN + 1];
    ident_serial(s);
    assert_string_equal(s, "20003A001247563138353930");
}

static void test_labels(void **state)
{
    (void)state;
    assert_true(config_label_ok("stm32net"));
    assert_true(config_label_ok("a-b9"));
    assert_false(config_label_ok(""));
    assert_false(config_label_ok("-x"));
    assert_false(config_label_ok("x-"));
    assert_false(config_label_ok("a.b"));
    assert_false(config_label_ok("0123456789012345678901234567890123"));
    assert_true(config_label_ok("0123456789012345678901234567890")); /* 31 chars */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_macs_local_unicast_and_different),
        cmocka_unit_test(test_macs_stable_and_follow_uid),
        cmocka_unit_test(test_mac_string_matches_mac),
        cmocka_unit_test(test_serial_is_uid_hex),
        cmocka_unit_test(test_labels),
    };
    return cmocka_run_group_tests_name("ident", tests, NULL, NULL);
}
