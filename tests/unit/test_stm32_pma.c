/* test_stm32_pma.c - STM32F072 packet memory allocator and COUNTn_RX
 * encoding (port/stm32f072/stm32_pma.c), checked against RM0091 30.6.3. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "port/stm32f072/stm32_pma.h"

/* Every size 0..1023: the buffer is large enough, the field rules hold and the
 * choice is the smallest legal one (no waste beyond one block). */
static void test_count_rx_all_sizes(void **state)
{
    (void)state;
    for (unsigned len = 0; len <= 1023u; len++) {
        uint16_t reg = 0xFFFFu;
        assert_true(stm32_pma_count_rx_encode((uint16_t)len, &reg));
        assert_int_equal(reg & STM32_PMA_COUNT_Msk, 0);  /* count bits untouched */
        unsigned bl = (reg & STM32_PMA_COUNT_RX_BL_SIZE) ? 1u : 0u;
        unsigned nb = (reg >> 10) & 0x1Fu;
        uint16_t cap = stm32_pma_count_rx_capacity(reg);
        assert_true(cap >= len);
        assert_true(cap >= 2u);
        if (len <= 62u) {
            assert_int_equal(bl, 0);
            assert_true(nb >= 1u);              /* NUM_BLOCK=0 illegal with BL_SIZE=0 */
            assert_int_equal(cap, 2u * nb);
            assert_true(cap - (len ? len : 1u) < 2u);
        } else {
            assert_int_equal(bl, 1);
            assert_int_equal(cap, 32u * (nb + 1u));
            assert_true(cap - len < 32u);
        }
        assert_int_equal(stm32_pma_rx_size((uint16_t)len), cap);
    }
}

static void test_count_rx_known_values(void **state)
{
    (void)state;
    uint16_t reg;
    assert_true(stm32_pma_count_rx_encode(8, &reg));
    assert_int_equal(reg, 4u << 10);
    assert_true(stm32_pma_count_rx_encode(62, &reg));
    assert_int_equal(reg, 31u << 10);
    assert_true(stm32_pma_count_rx_encode(63, &reg));
    assert_int_equal(reg, 0x8000u | (1u << 10));       /* 64 bytes */
    assert_true(stm32_pma_count_rx_encode(64, &reg));
    assert_int_equal(reg, 0x8400u);
    assert_true(stm32_pma_count_rx_encode(1023, &reg));
    assert_int_equal(reg, 0x8000u | (31u << 10));      /* 1024 bytes */
    assert_int_equal(stm32_pma_count_rx_capacity(0), 0);  /* illegal encoding */
}

static void test_count_rx_too_large_refused(void **state)
{
    (void)state;
    uint16_t reg = 0x1234u;
    assert_false(stm32_pma_count_rx_encode(1024, &reg));
    assert_false(stm32_pma_count_rx_encode(0xFFFFu, &reg));
    assert_int_equal(reg, 0x1234u);
    assert_int_equal(stm32_pma_rx_size(1024), 0);
}

static void test_alloc_after_btable_aligned_disjoint(void **state)
{
    (void)state;
    stm32_pma_t p;
    stm32_pma_reset(&p);
    uint16_t a0 = stm32_pma_alloc(&p, STM32_PMA_SLOT(0, 0), 64);
    uint16_t a1 = stm32_pma_alloc(&p, STM32_PMA_SLOT(0, 1), 64);
    uint16_t a2 = stm32_pma_alloc(&p, STM32_PMA_SLOT(1, 1), 7);   /* rounded to 8 */
    uint16_t a3 = stm32_pma_alloc(&p, STM32_PMA_SLOT(2, 0), 64);
    assert_int_equal(a0, 64);          /* BTABLE is bytes 0..63 */
    assert_int_equal(a1, 128);
    assert_int_equal(a2, 192);
    assert_int_equal(a3, 200);
    assert_int_equal(a3 % 2, 0);
    assert_int_equal(p.top, 264);
}

static void test_alloc_reuses_slot(void **state)
{
    (void)state;
    stm32_pma_t p;
    stm32_pma_reset(&p);
    uint16_t a = stm32_pma_alloc(&p, 5, 64);
    /* close/reopen cycles (SET_INTERFACE 0/1) must not eat memory */
    for (int i = 0; i < 100; i++) {
        assert_int_equal(stm32_pma_alloc(&p, 5, 64), a);
        assert_int_equal(stm32_pma_alloc(&p, 5, 10), a);
    }
    assert_int_equal(p.top, 64 + 64);
    /* growing gets a new buffer */
    uint16_t b = stm32_pma_alloc(&p, 5, 66);
    assert_int_equal(b, 128);
    assert_int_equal(p.top, 128 + 66);
}

static void test_alloc_overflow_refused(void **state)
{
    (void)state;
    stm32_pma_t p;
    stm32_pma_reset(&p);
    /* 960 bytes after the BTABLE: exactly 15 buffers of 64 */
    for (unsigned s = 0; s < 15u; s++) {
        assert_int_not_equal(stm32_pma_alloc(&p, s, 64), 0);
    }
    assert_int_equal(p.top, 1024);
    assert_int_equal(stm32_pma_alloc(&p, 15, 2), 0);
    assert_int_equal(p.top, 1024);
    /* still reusable, and a reset frees everything */
    assert_int_equal(stm32_pma_alloc(&p, 0, 64), 64);
    stm32_pma_reset(&p);
    assert_int_equal(stm32_pma_alloc(&p, 15, 960), 64);
    assert_int_equal(stm32_pma_alloc(&p, 14, 2), 0);
}

static void test_alloc_bad_arguments(void **state)
{
    (void)state;
    stm32_pma_t p;
    stm32_pma_reset(&p);
    assert_int_equal(stm32_pma_alloc(&p, STM32_PMA_SLOTS, 8), 0);
    assert_int_equal(stm32_pma_alloc(&p, 0, 0), 0);
    assert_int_equal(stm32_pma_alloc(&p, 0, 1025), 0);
    assert_int_equal(stm32_pma_alloc(&p, 0, 961), 0);   /* does not fit */
    assert_int_equal(p.top, 64);
}

/* Every size and slot: allocation never leaves the 1 KB and never overlaps. */
static void test_alloc_never_overlaps(void **state)
{
    (void)state;
    for (unsigned len = 1; len <= 1024u; len += 7u) {
        stm32_pma_t p;
        stm32_pma_reset(&p);
        uint8_t used[STM32_PMA_SIZE] = {0};
        for (unsigned i = 0; i < STM32_PMA_BTABLE_SIZE; i++) used[i] = 1;
        for (unsigned s = 0; s < STM32_PMA_SLOTS; s++) {
            uint16_t a = stm32_pma_alloc(&p, s, (uint16_t)len);
            if (a == 0) {
                continue;
            }
            assert_true(a + len <= STM32_PMA_SIZE);
            for (unsigned i = a; i < a + len; i++) {
                assert_int_equal(used[i], 0);
                used[i] = 1;
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_count_rx_all_sizes),
        cmocka_unit_test(test_count_rx_known_values),
        cmocka_unit_test(test_count_rx_too_large_refused),
        cmocka_unit_test(test_alloc_after_btable_aligned_disjoint),
        cmocka_unit_test(test_alloc_reuses_slot),
        cmocka_unit_test(test_alloc_overflow_refused),
        cmocka_unit_test(test_alloc_bad_arguments),
        cmocka_unit_test(test_alloc_never_overlaps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
