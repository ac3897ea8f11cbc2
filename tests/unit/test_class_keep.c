/* test_class_keep.c - class_keep_start(): the button held at a start-up picks
 * the other USB class until the next power-up; resets that keep RAM keep the
 * choice; a power-up forgets it and random RAM never picks it (issue 11). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "class_keep.h"

/* plug in with the button, then resets without it (pin, watchdog, fault,
 * SYSRESETREQ): the other class each time; unplug/plug without it: default */
static void test_sequence(void **state)
{
    (void)state;
    volatile uint32_t word = 0x12345678u;   /* RAM after power-up */
    assert_false(class_keep_start(&word, true, false));
    assert_false(class_keep_start(&word, false, false));   /* a reset: still default */
    word = 0xDEADBEEFu;
    assert_true(class_keep_start(&word, true, true));      /* plugged in, button held */
    for (int i = 0; i < 3; i++) {
        assert_true(class_keep_start(&word, false, false));
    }
    assert_true(class_keep_start(&word, false, true));     /* held again: still the other */
    assert_false(class_keep_start(&word, true, false));    /* next power-up: default */
    assert_false(class_keep_start(&word, false, false));
}

/* a power-up never trusts the word, even if it happens to hold the value */
static void test_power_up_forgets(void **state)
{
    (void)state;
    volatile uint32_t word = CLASS_KEEP_OTHER;
    assert_false(class_keep_start(&word, true, false));
    assert_int_equal(word, CLASS_KEEP_DEFAULT);
}

/* after a reset, only the exact word picks the other class */
static void test_garbage_is_default(void **state)
{
    (void)state;
    static const uint32_t junk[] = {0u, 0xFFFFFFFFu, CLASS_KEEP_OTHER ^ 1u, CLASS_KEEP_OTHER << 1,
                                    CLASS_KEEP_DEFAULT};
    for (unsigned i = 0; i < sizeof junk / sizeof junk[0]; i++) {
        volatile uint32_t word = junk[i];
        assert_false(class_keep_start(&word, false, false));
        assert_int_equal(word, CLASS_KEEP_DEFAULT);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sequence),
        cmocka_unit_test(test_power_up_forgets),
        cmocka_unit_test(test_garbage_is_default),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
