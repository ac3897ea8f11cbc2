/* test_http_info.c - the /api/info document (http_info.c + app_info_put):
 * the lease list as the DHCP server reports it, and the worst case fits
 * HTTP_INFO_JSON_MAX. dhcps_lease_get() is faked here. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "fake_board.h"
#include "http_info.h"
#include "dhcps.h"
#include "stm32net_opt.h"

static bool lease_bound[DHCPS_POOL_SIZE];
static uint8_t lease_mac[DHCPS_POOL_SIZE][6];
static uint8_t lease_ip[DHCPS_POOL_SIZE][4];
static uint32_t lease_left[DHCPS_POOL_SIZE];

bool dhcps_lease_get(unsigned i, uint8_t mac[6], uint8_t ip[4], uint32_t *remaining_s)
{
    if (i >= DHCPS_POOL_SIZE || !lease_bound[i]) {
        return false;
    }
    memcpy(mac, lease_mac[i], 6);
    memcpy(ip, lease_ip[i], 4);
    *remaining_s = lease_left[i];
    return true;
}

static int setup(void **state)
{
    (void)state;
    fake_board_reset();
    memset(lease_bound, 0, sizeof lease_bound);
    app_init();
    return 0;
}

static void test_no_leases(void **state)
{
    (void)state;
    char buf[HTTP_INFO_JSON_MAX];
    size_t n = http_info_json(buf, sizeof buf);
    assert_true(n > 0u);
    assert_int_equal(n, strlen(buf));
    /* serial = the fake UID in hex (ident.c) */
    assert_string_equal(strstr(buf, ",\"serial\""),
                        ",\"serial\":\"20003A001247563138353930\",\"reset\":\"pin\",\"stack_used\":null,\"leases\":[]}");
    assert_memory_equal(buf, "{\"version\":\"" APP_VERSION "\",\"build\":\"", 12u + strlen(APP_VERSION) + 11u);
}

static void test_leases_listed_in_slot_order_skipping_free(void **state)
{
    (void)state;
    char buf[HTTP_INFO_JSON_MAX];
    lease_bound[1] = true;
    memcpy(lease_mac[1], (uint8_t[]){0x02, 0xab, 0x00, 0x10, 0xfe, 0x01}, 6);
    memcpy(lease_ip[1], (uint8_t[]){192, 168, 7, 11}, 4);
    lease_left[1] = 3599;
    lease_bound[DHCPS_POOL_SIZE - 1u] = true;
    memcpy(lease_mac[DHCPS_POOL_SIZE - 1u], (uint8_t[]){0, 0, 0, 0, 0, 0}, 6);
    memcpy(lease_ip[DHCPS_POOL_SIZE - 1u], (uint8_t[]){10, 0, 0, 9}, 4);
    lease_left[DHCPS_POOL_SIZE - 1u] = 0;
    assert_true(http_info_json(buf, sizeof buf) > 0u);
    assert_non_null(strstr(buf, ",\"leases\":[{\"mac\":\"02:ab:00:10:fe:01\",\"ip\":\"192.168.7.11\","
                                "\"left_s\":3599},{\"mac\":\"00:00:00:00:00:00\",\"ip\":\"10.0.0.9\","
                                "\"left_s\":0}]}"));
}

static void test_worst_case_fits_and_overflow_is_empty(void **state)
{
    (void)state;
    char buf[HTTP_INFO_JSON_MAX];
    fake_board_reset_cause = "window-watchdog";   /* the longest board.c names */
    fake_board_fault = true;                      /* and the recovery members: a pc, */
    fake_board_fault_pc = 0xFFFFFFFFu;
    fake_board_stack_used = fake_board_stack_size = 2048u;   /* the whole reserve */
    for (unsigned i = 0; i < DHCPS_POOL_SIZE; i++) {
        lease_bound[i] = true;
        memset(lease_mac[i], 0xff, 6);
        memset(lease_ip[i], 255, 4);
        lease_left[i] = 0xFFFFFFFFu;
    }
    size_t n = http_info_json(buf, sizeof buf);
    assert_true(n > 0u);
    /* the build id is at most 32 characters (web.mk cuts it): count it so */
    size_t id = (size_t)(strstr(buf, "\",\"serial\"") - (strstr(buf, "\"build\":\"") + 9));
    printf("worst /api/info: %zu bytes with a 32-character build id, of %u\n", n - id + 32u,
           HTTP_INFO_JSON_MAX);
    assert_true(n - id + 32u + 1u <= HTTP_INFO_JSON_MAX);
    /* too small: nothing, not half a document */
    assert_int_equal(http_info_json(buf, n), 0);
    assert_string_equal(buf, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_no_leases, setup),
        cmocka_unit_test_setup(test_leases_listed_in_slot_order_skipping_free, setup),
        cmocka_unit_test_setup(test_worst_case_fits_and_overflow_is_empty, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
