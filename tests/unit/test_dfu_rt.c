/* test_dfu_rt.c - the DFU 1.1 runtime interface (dfu_rt.c) behind both
 * network classes, driven as dfu-util drives it: SET_INTERFACE alt 0,
 * DFU_GETSTATUS / DFU_GETSTATE in appIDLE, DFU_DETACH acknowledged and due
 * only after its status stage; everything else STALLs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "fake_board.h"
#include "fake_udc.h"
#include "link_stats.h"
#include "usb/dfu_rt.h"
#include "usb/ecm.h"
#include "usb/ncm.h"
#include "usb/usb_desc.h"
#include "usb/usb_ids.h"
#include "usb/usb_std.h"
#include "usb/usbd.h"

static void start(int ncm)
{
    fake_board_reset();
    fake_udc_reset();
    memset(&link_stats, 0, sizeof link_stats);
    usb_desc_select(ncm ? USB_DESC_NCM : USB_DESC_ECM);
    dfu_rt_init();
    if (ncm) {
        ncm_init();
        usbd_init(&ncm_class);
    } else {
        ecm_init();
        usbd_init(&ecm_class);
    }
    fake_udc_bus_reset();
    assert_int_equal(fake_udc_control_out(0x00, USB_REQ_SET_CONFIGURATION, 1, 0, 0, NULL), 0);
}

static void dfu_util_session(int ncm)
{
    uint8_t in[64];
    start(ncm);
    /* dfu-util claims the interface and selects alt 0 (the interface number is > 0) */
    assert_int_equal(fake_udc_control_out(0x01, USB_REQ_SET_INTERFACE, 0, USB_ITF_DFU, 0, NULL), 0);
    assert_int_equal(fake_udc_control_in(0x81, USB_REQ_GET_INTERFACE, 0, USB_ITF_DFU, 1, in), 1);
    assert_int_equal(in[0], 0);
    assert_int_equal(fake_udc_control_out(0x01, USB_REQ_SET_INTERFACE, 1, USB_ITF_DFU, 0, NULL),
                     FAKE_UDC_STALL);
    /* DFU 1.1 6.1.2 GETSTATUS: OK, no poll timeout, appIDLE, no string */
    const uint8_t want[6] = {0, 0, 0, 0, 0, 0};
    memset(in, 0xEE, sizeof in);
    assert_int_equal(fake_udc_control_in(0xA1, USB_DFU_GETSTATUS, 0, USB_ITF_DFU, 6, in), 6);
    assert_memory_equal(in, want, 6);
    /* 6.1.5 GETSTATE: appIDLE */
    in[0] = 0xEE;
    assert_int_equal(fake_udc_control_in(0xA1, USB_DFU_GETSTATE, 0, USB_ITF_DFU, 1, in), 1);
    assert_int_equal(in[0], USB_DFU_STATE_APP_IDLE);
    /* everything else STALLs (download/upload are the ROM's business) */
    uint8_t blk[16] = {0};
    assert_int_equal(fake_udc_control_out(0x21, USB_DFU_DNLOAD, 0, USB_ITF_DFU, 16, blk), FAKE_UDC_STALL);
    assert_int_equal(fake_udc_control_in(0xA1, USB_DFU_UPLOAD, 0, USB_ITF_DFU, 16, in), FAKE_UDC_STALL);
    assert_int_equal(fake_udc_control_out(0x21, USB_DFU_CLRSTATUS, 0, USB_ITF_DFU, 0, NULL), FAKE_UDC_STALL);
    assert_int_equal(fake_udc_control_out(0x21, USB_DFU_ABORT, 0, USB_ITF_DFU, 0, NULL), FAKE_UDC_STALL);
    assert_int_equal(fake_udc_control_in(0xA1, USB_DFU_GETSTATUS, 0, USB_ITF_DFU, 5, in), FAKE_UDC_STALL);
    assert_int_equal(fake_udc_control_in(0xA1, USB_DFU_GETSTATUS, 1, USB_ITF_DFU, 6, in), FAKE_UDC_STALL);
    assert_int_equal(fake_udc_control_out(0x21, USB_DFU_DETACH, 1000, USB_ITF_DFU, 2, blk), FAKE_UDC_STALL);
    /* DFU requests to the network interfaces are not DFU's */
    assert_int_equal(fake_udc_control_in(0xA1, USB_DFU_GETSTATE, 0, USB_ITF_DATA, 1, in), FAKE_UDC_STALL);
    assert_false(dfu_rt_detach_due());

    /* DFU_DETACH (wValue = wTimeout): ACKed; due only once the status stage is over */
    fake_udc_setup(0x21, USB_DFU_DETACH, 1000, USB_ITF_DFU, 0);
    assert_false(usbd_ep0_idle());
    assert_false(dfu_rt_detach_due());
    assert_int_equal(fake_udc_in(0x80, in, sizeof in), 0);  /* the status stage ZLP */
    assert_true(usbd_ep0_idle());
    assert_true(dfu_rt_detach_due());
    assert_false(dfu_rt_detach_due());  /* once */
    /* a bus reset after DETACH does not cancel it (DFU 1.1 5.1) */
    assert_int_equal(fake_udc_control_out(0x21, USB_DFU_DETACH, 1000, USB_ITF_DFU, 0, NULL), 0);
    fake_udc_bus_reset();
    assert_true(dfu_rt_detach_due());
}

static void test_dfu_runtime_ecm(void **state)
{
    (void)state;
    dfu_util_session(0);
}

static void test_dfu_runtime_ncm(void **state)
{
    (void)state;
    dfu_util_session(1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dfu_runtime_ecm),
        cmocka_unit_test(test_dfu_runtime_ncm),
    };
    return cmocka_run_group_tests_name("dfu_rt", tests, NULL, NULL);
}
