/*
 * test_chip_fw.c - the flashed firmware image on the emulated STM32F072
 * (sim/chip), in virtual time, with the host played through the chip's USB
 * device backend: which USB class the image enumerates as across power-ups
 * and resets that keep RAM (issue 11: "holding the user button while the
 * board is plugged in selects the other class until the next power-up").
 *
 * Layer: unit test (host), on the real ELF (make firmware, default class
 * ECM). The test only does what a board and a host do: holds PA0 (B1) at
 * power-up, presses the reset button (NRST, B2) and asks for the device
 * descriptor (USB 2.0 9.4.3); bDeviceClass 0x02 is our ECM function, 0xEF
 * (IAD) our NCM function (usb_desc.c). It knows nothing of the firmware's
 * internals. It also checks that the image runs the watchdog and feeds it
 * (the expiry itself is test_chip_periph's and test_chip_cpu's: nothing a
 * board or host can do makes this image stop feeding it).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "chip.h"
#include "chip_backend.h"
#include "chip_periph.h"

static void run_ms(uint64_t ms)
{
    uint64_t end = chip_now_ns() + ms * 1000000u;
    while (chip_now_ns() < end) {
        chip_state_t s = chip_run(200000);
        if (s == CHIP_FAULT) {
            chip_fault_report(stderr);
        }
        assert_int_equal(s == CHIP_FAULT || s == CHIP_ROM, 0);
        if (s == CHIP_IDLE) {
            if (chip_next_event_ns() == UINT64_MAX) {
                return;
            }
            chip_advance_idle();
        }
    }
}

/* after a (re)start: bus reset, GET_DESCRIPTOR(DEVICE, 18) on ep0 */
static uint8_t device_class(void)
{
    run_ms(50);                                     /* boot, pull-up on */
    chip_backend.bus_reset();
    run_ms(20);
    static const uint8_t setup[8] = {0x80, 6, 0, 1, 0, 0, 18, 0};
    int r = USBIP_BE_NAK;
    for (unsigned i = 0; i < 200u && r == USBIP_BE_NAK; i++) {
        r = chip_backend.setup(setup);
        if (r == USBIP_BE_NAK) {
            run_ms(1);
        }
    }
    assert_int_equal(r, USBIP_BE_ACK);
    uint8_t d[64];
    uint16_t got = 0;
    for (unsigned i = 0; i < 200u && got < 18u; i++) {
        uint16_t len = 0;
        run_ms(1);
        r = chip_backend.in(0, d + got, (uint16_t)(sizeof d - got), &len);
        if (r == USBIP_BE_ACK) {
            got = (uint16_t)(got + len);
            if (len < 64u) {
                break;
            }
        } else {
            assert_int_equal(r, USBIP_BE_NAK);
        }
    }
    assert_int_equal(got, 18);
    assert_int_equal(d[1], 1);                      /* DEVICE descriptor */
    r = USBIP_BE_NAK;
    for (unsigned i = 0; i < 200u && r == USBIP_BE_NAK; i++) {
        run_ms(1);
        r = chip_backend.out(0, NULL, 0);           /* status stage */
    }
    assert_int_equal(r, USBIP_BE_ACK);
    return d[4];
}

static void open_chip(void)
{
    char err[256];
    int r = chip_open(CHIP_FW_ELF, CHIP_TIME_VIRTUAL, NULL, err, sizeof err);
    if (r != 0) {
        fprintf(stderr, "test_chip_fw: FAIL: %s (make firmware)\n", err);
    }
    assert_int_equal(r, 0);
}

/* power-up without the button: ECM; with it held: NCM, and NCM again after
 * the reset button (a reset that keeps RAM) without it; the next power-up
 * without it: ECM again */
static void test_button_class_until_power_up(void **state)
{
    (void)state;
    open_chip();
    chip_gpio_set_input(0, 0, false);
    assert_int_equal(device_class(), 0x02);

    chip_gpio_set_input(0, 0, true);                /* held while plugged in */
    chip_reset();
    run_ms(30);
    chip_gpio_set_input(0, 0, false);
    assert_int_equal(device_class(), 0xEF);

    for (unsigned i = 0; i < 2u; i++) {
        chip_pin_reset();                           /* B2, button released */
        assert_int_equal(device_class(), 0xEF);
    }

    chip_reset();                                   /* unplugged and plugged in */
    assert_int_equal(device_class(), 0x02);
    chip_pin_reset();
    assert_int_equal(device_class(), 0x02);
    chip_close();
}

/* the image starts the IWDG with PR 4 / RLR 1250 (2 s at 40 kHz) and its
 * main loop feeds it: 6 s of virtual time (idle, then enumerated) without
 * a watchdog reset, the counter always under 2 s from expiry */
static void test_watchdog_runs_and_is_fed(void **state)
{
    (void)state;
    open_chip();
    run_ms(50);
    assert_true(chip_iwdg_running());
    uint32_t pr = 0, rlr = 0;
    assert_true(chip_bus_read(0x40003004u, 4, &pr));   /* as a debugger reads it */
    assert_true(chip_bus_read(0x40003008u, 4, &rlr));
    assert_int_equal(pr, 4);
    assert_int_equal(rlr, 1250);
    for (unsigned i = 0; i < 60u; i++) {
        if (i == 30u) {
            assert_int_equal(device_class(), 0x02);
        }
        run_ms(100);
        assert_true(chip_iwdg_next_ns() - chip_now_ns() <= 2000000000u);
    }
    assert_int_equal(chip_stats()->iwdg_resets, 0);
    assert_true(chip_now_ns() > 6000000000u);
    chip_close();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_button_class_until_power_up),
        cmocka_unit_test(test_watchdog_runs_and_is_fed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
