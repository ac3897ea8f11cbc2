/* test_reset_cause.c - stm32_reset_cause() against RM0091 6.4.10 (RCC_CSR
 * reset flags) and 6.1.2 (every system reset also pulls NRST: PINRSTF is
 * set along with the real cause), plus the fault record. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "port/stm32f072/reset_cause.h"

static void test_flags_to_cause(void **state)
{
    (void)state;
    static const struct {
        uint32_t csr;
        bool record;
        board_reset_cause_t want;
    } cases[] = {
        {RCC_CSR_PORRSTF | RCC_CSR_PINRSTF, false, BOARD_RESET_POWER_ON},
        {RCC_CSR_PORRSTF | RCC_CSR_PINRSTF, true, BOARD_RESET_POWER_ON},  /* RAM content is noise */
        {RCC_CSR_PINRSTF, false, BOARD_RESET_PIN},
        {RCC_CSR_PINRSTF, true, BOARD_RESET_PIN},   /* a record without SFTRSTF: stale */
        {RCC_CSR_IWDGRSTF | RCC_CSR_PINRSTF, false, BOARD_RESET_WATCHDOG},
        {RCC_CSR_WWDGRSTF | RCC_CSR_PINRSTF, false, BOARD_RESET_WATCHDOG},
        /* a fault handler's reset that the watchdog beat (both flags set) */
        {RCC_CSR_IWDGRSTF | RCC_CSR_SFTRSTF | RCC_CSR_PINRSTF, true, BOARD_RESET_WATCHDOG},
        {RCC_CSR_SFTRSTF | RCC_CSR_PINRSTF, true, BOARD_RESET_FAULT},
        {RCC_CSR_SFTRSTF | RCC_CSR_PINRSTF, false, BOARD_RESET_SOFTWARE},
        /* flags accumulate until RMVF: a power-on followed by a software reset */
        {RCC_CSR_SFTRSTF | RCC_CSR_PORRSTF | RCC_CSR_PINRSTF, false, BOARD_RESET_SOFTWARE},
        {RCC_CSR_LPWRRSTF | RCC_CSR_PINRSTF, false, BOARD_RESET_PIN},
        {RCC_CSR_LPWRRSTF, false, BOARD_RESET_UNKNOWN},
        {0u, false, BOARD_RESET_UNKNOWN},
        {0u, true, BOARD_RESET_UNKNOWN},
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (stm32_reset_cause(cases[i].csr, cases[i].record) != cases[i].want) {
            fail_msg("case %u: csr 0x%08x record %d -> %d, want %d", i, (unsigned)cases[i].csr,
                     cases[i].record, stm32_reset_cause(cases[i].csr, cases[i].record),
                     cases[i].want);
        }
    }
}

static void test_flag_bits_are_rm0091s(void **state)
{
    (void)state;
    /* RM0091 6.4.10 RCC_CSR: RMVF 24, PINRSTF 26 .. LPWRRSTF 31; offset 0x24 */
    assert_int_equal(RCC_CSR_RMVF, 1u << 24);
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
