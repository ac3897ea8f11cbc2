/* test_udc_stm32_usbd.c - the device core (firmware/usb/usbd.c) on the chip
 * driver (port/stm32f072/udc_stm32.c) on the USB FS register model
 * (sim/chip/usbfs.c via usbfs_hooks.c): the interleavings that only the real interrupt structure
 * produces. Here a new SETUP arrives, and its interrupt runs, while the core
 * in the main loop is still answering the previous one (USB 2.0 8.5.3: the
 * host may abort a control transfer with a new SETUP at any time); the old
 * answer, data or STALL, must never reach the bus in the new request's data
 * or status stage. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fake_board.h"
#include "usbfs_hooks.h"
#include "usb/usb_ids.h"
#include "usb/usb_std.h"
#include "usb/usbd.h"

void USB_IRQHandler(void);

static void irq(void)
{
    for (unsigned i = 0; i < 4u && usbfs_hooks_irq_pending(); i++) {
        USB_IRQHandler();
    }
}

/* GET_DESCRIPTOR(DEVICE), the request the host sends instead */
static const uint8_t get_dev[8] = {0x80, USB_REQ_GET_DESCRIPTOR, 0, USB_DT_DEVICE, 0, 0, 18, 0};

static int inject_mode;  /* 0 none, 1 reply with data, 2 STALL */

static int tc_control(const usb_setup_t *s, uint8_t *buf, uint16_t room)
{
    (void)s;
    if (inject_mode != 0) {
        /* the host gave up on this request and sent the next SETUP; the USB
         * interrupt preempts the main loop and records it */
        assert_int_equal(usbfs_hooks_setup(get_dev), USBFS_ACK);
        irq();
    }
    if (inject_mode == 2) {
        return -1;
    }
    uint16_t n = room < 4u ? room : 4u;
    memset(buf, 0xAA, n);
    return n;
}

static const usbd_class_t test_class = {.control = tc_control};

/* One IN packet on ep0, running the main loop while the device NAKs. */
static int host_in0(uint8_t *got, uint16_t *len)
{
    unsigned pid;
    int r = USBFS_NAK;
    for (unsigned i = 0; i < 8u && r == USBFS_NAK; i++) {
        r = (int)usbfs_hooks_in(0, got, 64, len, &pid);
        irq();
        usbd_task();
    }
    return r;
}

static int host_status_out0(void)
{
    unsigned pid;
    int r = USBFS_NAK;
    for (unsigned i = 0; i < 8u && r == USBFS_NAK; i++) {
        r = (int)usbfs_hooks_out(0, NULL, 0, &pid);
        irq();
        usbd_task();
    }
    return r;
}

static int setup_dev(void **state)
{
    (void)state;
    usbfs_hooks_reset();
    fake_board_reset();
    inject_mode = 0;
    usbd_init(&test_class);
    usbfs_hooks_bus_reset();
    irq();
    usbd_task();
    /* SET_CONFIGURATION(1): class requests need a configured device */
    const uint8_t set_cfg[8] = {0x00, USB_REQ_SET_CONFIGURATION, 1, 0, 0, 0, 0, 0};
    uint8_t got[64];
    uint16_t len;
    assert_int_equal(usbfs_hooks_setup(set_cfg), USBFS_ACK);
    irq();
    usbd_task();
    assert_int_equal(host_in0(got, &len), USBFS_ACK);
    assert_int_equal(len, 0);
    assert_true(usbd_configured());
    return 0;
}

static void check_new_request_answered(void)
{
    uint8_t got[64];
    uint16_t len = 0;
    assert_int_equal(host_in0(got, &len), USBFS_ACK);
    assert_int_equal(len, 18);              /* the device descriptor, not 4 x 0xAA */
    assert_int_equal(got[1], USB_DT_DEVICE);
    assert_int_equal(host_status_out0(), USBFS_ACK);
}

/* A class IN request; while the core answers it (mode 1: with data, 2: with
 * a STALL) the host sends GET_DESCRIPTOR(DEVICE), which must be answered. */
static void interleave(int mode)
{
    const uint8_t cls_in[8] = {0xA1, 0x01, 0, 0, USB_ITF_COMM, 0, 4, 0};
    inject_mode = mode;
    assert_int_equal(usbfs_hooks_setup(cls_in), USBFS_ACK);
    irq();
    usbd_task();
    inject_mode = 0;
    check_new_request_answered();
}

static void test_stale_reply_not_sent_for_newer_setup(void **state)
{
    (void)state;
    interleave(1);
}

static void test_stale_stall_not_set_for_newer_setup(void **state)
{
    (void)state;
    interleave(2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_stale_reply_not_sent_for_newer_setup, setup_dev),
        cmocka_unit_test_setup(test_stale_stall_not_set_for_newer_setup, setup_dev),
    };
    return cmocka_run_group_tests_name("udc_stm32_usbd", tests, NULL, NULL);
}
