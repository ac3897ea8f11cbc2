/* test_debounce.c - the button debounce (debounce.c): a bouncing contact is
 * one press, short glitches are none, release bounce adds none, the
 * millisecond clock may wrap. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "debounce.h"

/* Feeds the level `raw` once per ms for `ms` milliseconds from *t. */
static unsigned feed(debounce_t *d, uint32_t *t, bool raw, unsigned ms)
{
    unsigned accepted = 0;
    for (unsigned i = 0; i < ms; i++) {
        accepted += debounce_sample(d, raw, (*t)++) ? 1u : 0u;
    }
    return accepted;
}

/* A contact that closes with bounces: 1 ms up, 1 ms down, 2 ms up, 1 down,
 * 3 up, 1 down, then stays closed. */
static unsigned bounce_closed(debounce_t *d, uint32_t *t, bool to)
{
    static const unsigned pattern[] = {1, 1, 2, 1, 3, 1};
    unsigned n = 0;
    for (unsigned i = 0; i < sizeof pattern / sizeof pattern[0]; i++) {
        n += feed(d, t, (i % 2u == 0u) ? to : !to, pattern[i]);
    }
    return n;
}

static void test_bouncing_press_counts_once(void **state)
{
    (void)state;
    debounce_t d;
    uint32_t t = 1000;
    debounce_init(&d, false, t);
    assert_int_equal(bounce_closed(&d, &t, true), 0);
    assert_false(d.level);                          /* not yet: still settling */
    assert_int_equal(feed(&d, &t, true, DEBOUNCE_MS + 1u), 1);
    assert_true(d.level);
    assert_int_equal(feed(&d, &t, true, 200), 0);   /* holding is not pressing again */
    assert_int_equal(bounce_closed(&d, &t, false), 0);  /* release bounces */
    assert_int_equal(feed(&d, &t, false, DEBOUNCE_MS + 1u), 0);
    assert_false(d.level);
    assert_int_equal(d.presses, 1);
}

static void test_accepted_after_exactly_debounce_ms(void **state)
{
    (void)state;
    debounce_t d;
    debounce_init(&d, false, 0);
    assert_false(debounce_sample(&d, true, 5));                 /* change seen at 5 */
    assert_false(debounce_sample(&d, true, 5 + DEBOUNCE_MS - 1u));
    assert_true(debounce_sample(&d, true, 5 + DEBOUNCE_MS));
    assert_int_equal(d.presses, 1);
}

static void test_glitch_shorter_than_debounce_is_no_press(void **state)
{
    (void)state;
    debounce_t d;
    uint32_t t = 0;
    debounce_init(&d, false, t);
    assert_int_equal(feed(&d, &t, true, DEBOUNCE_MS - 1u), 0);
    assert_int_equal(feed(&d, &t, false, 100), 0);
    assert_int_equal(d.presses, 0);
    assert_false(d.level);
}

static void test_two_real_presses_count_twice(void **state)
{
    (void)state;
    debounce_t d;
    uint32_t t = 0;
    debounce_init(&d, false, t);
    for (int k = 0; k < 2; k++) {
        bounce_closed(&d, &t, true);
        feed(&d, &t, true, 100);
        bounce_closed(&d, &t, false);
        feed(&d, &t, false, 100);
    }
    assert_int_equal(d.presses, 2);
}

static void test_held_at_reset_is_not_a_press(void **state)
{
    (void)state;
    debounce_t d;
    uint32_t t = 0;
    debounce_init(&d, true, t);
    assert_true(d.level);
    assert_int_equal(feed(&d, &t, true, 100), 0);
    assert_int_equal(feed(&d, &t, false, 100), 0);
    assert_int_equal(feed(&d, &t, true, 100), 1);
    assert_int_equal(d.presses, 1);
}

static void test_clock_wrap(void **state)
{
    (void)state;
    debounce_t d;
    uint32_t t = 0xFFFFFFF0u;   /* 16 ms before the 2^32 wrap */
    debounce_init(&d, false, t);
    assert_int_equal(feed(&d, &t, true, DEBOUNCE_MS + 1u), 1);
    assert_true(t < 0x100u);    /* we did cross the wrap */
    assert_int_equal(d.presses, 1);
}

static void test_sparse_samples_still_count(void **state)
{
    (void)state;
    /* a busy main loop samples rarely: two samples 30 ms apart, both pressed */
    debounce_t d;
    debounce_init(&d, false, 0);
    assert_false(debounce_sample(&d, true, 10));
    assert_true(debounce_sample(&d, true, 40));
    assert_false(debounce_sample(&d, false, 70));
    assert_false(debounce_sample(&d, false, 100));
    assert_false(d.level);
    assert_int_equal(d.presses, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bouncing_press_counts_once),
        cmocka_unit_test(test_accepted_after_exactly_debounce_ms),
        cmocka_unit_test(test_glitch_shorter_than_debounce_is_no_press),
        cmocka_unit_test(test_two_real_presses_count_twice),
        cmocka_unit_test(test_held_at_reset_is_not_a_press),
        cmocka_unit_test(test_clock_wrap),
        cmocka_unit_test(test_sparse_samples_still_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
