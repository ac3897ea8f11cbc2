/* test_reset_cause.c - stm32_reset_cause_name() against RM0091's RCC_CSR
 * reset flags (every system reset also pulls NRST, so PINRSTF is set along
 * with the real cause; a power-on sets PORRSTF and PINRSTF) and the fault
 * record (a software reset with it is "fault"). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "port/stm32f072/reset_cause.h"

static void test_flags_to_cause(void **state)
{
    (void)state;
    static const struct {
        uint32_t csr;
        bool record;
        const char *want;
    } cases[] = {
        {RCC_CSR_PORRSTF | RCC_CSR_PINRSTF, false, "power-on"},
        {RCC_CSR_PORRSTF | RCC_CSR_PINRSTF, true, "power-on"},   /* a record without SFTRSTF: stale */
        {RCC_CSR_PINRSTF, false, "pin"},
        {RCC_CSR_PINRSTF, true, "pin"},
        {RCC_CSR_IWDGRSTF | RCC_CSR_PINRSTF, false, "watchdog"},
        {RCC_CSR_WWDGRSTF | RCC_CSR_PINRSTF, false, "window-watchdog"},
        /* a fault handler's reset that the watchdog beat (both flags set) */
        {RCC_CSR_IWDGRSTF | RCC_CSR_SFTRSTF | RCC_CSR_PINRSTF, true, "watchdog"},
        {RCC_CSR_SFTRSTF | RCC_CSR_PINRSTF, true, "fault"},
        {RCC_CSR_SFTRSTF | RCC_CSR_PINRSTF, false, "software"},
        /* flags accumulate until RMVF: a power-on followed by a software reset */
        {RCC_CSR_SFTRSTF | RCC_CSR_PORRSTF | RCC_CSR_PINRSTF, false, "software"},
        {RCC_CSR_LPWRRSTF | RCC_CSR_PINRSTF, false, "low-power"},
        {RCC_CSR_OBLRSTF | RCC_CSR_PINRSTF, false, "option-load"},
        {0u, false, "unknown"},
        {0u, true, "unknown"},
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = stm32_reset_cause_name(cases[i].csr, cases[i].record);
        if (strcmp(got, cases[i].want) != 0) {
            fail_msg("case %u: csr 0x%08x record %d -> %s, want %s", i, (unsigned)cases[i].csr,
                     cases[i].record, got, cases[i].want);
        }
    }
}

static void test_flag_bits_are_rm0091s(void **state)
{
    (void)state;
    /* RM0091 RCC_CSR (offset 0x24): RMVF 24, OBLRSTF 25, PINRSTF 26 .. LPWRRSTF 31 */
    assert_int_equal(RCC_CSR_RMVF, 1u << 24);
    assert_int_equal(RCC_CSR_OBLRSTF, 1u << 25);
    assert_int_equal(RCC_CSR_PINRSTF, 1u << 26);
    assert_int_equal(RCC_CSR_PORRSTF, 1u << 27);
    assert_int_equal(RCC_CSR_SFTRSTF, 1u << 28);
    assert_int_equal(RCC_CSR_IWDGRSTF, 1u << 29);
    assert_int_equal(RCC_CSR_WWDGRSTF, 1u << 30);
    assert_int_equal(RCC_CSR_LPWRRSTF, 1u << 31);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flags_to_cause),
        cmocka_unit_test(test_flag_bits_are_rm0091s),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
