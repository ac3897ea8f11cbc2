/* test_usbd.c - the USB device core (usbd.c + usb_desc.c) against the packet
 * level fake controller: Linux' enumeration sequence byte by byte, every
 * STALL case, wLength clamping, ep0 ZLP rules, HALT and remote wakeup. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "fake_board.h"
#include "fake_udc.h"
#include "ident.h"
#include "stm32net_opt.h"
#include "usb/usb_ids.h"
#include "usb/usb_std.h"
#include "usb/usbd.h"

/* ------------------------------------------------------------ test class */

static struct {
    unsigned reset, configured, set_itf, control, xfer_done, halt_cleared;
    uint8_t itf, alt, halt_ep, xfer_ep;
    uint16_t xfer_len;
    usb_setup_t setup;
    uint8_t data[USBD_EP0_BUF_SIZE];
    uint16_t data_len;
    int reply;          /* bytes an IN class request returns, or < 0 */
    bool set_itf_ok;
} tc;

static void tc_reset(void) { tc.reset++; }
static void tc_configured(void)
{
    tc.configured++;
    usbd_ep_open(USB_EP_NOTIFY, UDC_EP_INTERRUPT, USB_EP_NOTIFY_MPS);
}
static bool tc_set_interface(uint8_t itf, uint8_t alt)
{
    tc.set_itf++;
    tc.itf = itf;
    tc.alt = alt;
    if (tc.set_itf_ok && itf == USB_ITF_DATA && alt == 1u) {
        usbd_ep_open(USB_EP_DATA_OUT, UDC_EP_BULK, 64);
        usbd_ep_open(USB_EP_DATA_IN, UDC_EP_BULK, 64);
    }
    return tc.set_itf_ok;
}
static int tc_control(const usb_setup_t *s, uint8_t *buf, uint16_t room)
{
    tc.control++;
    tc.setup = *s;
    if (s->bmRequestType & USB_REQ_DIR_IN) {
        for (int i = 0; i < tc.reply && i < (int)room; i++) {
            buf[i] = (uint8_t)(0xA0 + i);
        }
        return tc.reply;
    }
    assert_true(s->wLength <= room || room == 0u);
    memcpy(tc.data, buf, s->wLength);
    tc.data_len = s->wLength;
    return tc.reply < 0 ? -1 : 0;
}
static void tc_xfer_done(uint8_t ep, uint16_t len)
{
    tc.xfer_done++;
    tc.xfer_ep = ep;
    tc.xfer_len = len;
}
static void tc_halt_cleared(uint8_t ep)
{
    tc.halt_cleared++;
    tc.halt_ep = ep;
}

static const usbd_class_t test_class = {
    .reset = tc_reset,
    .configured = tc_configured,
    .set_interface = tc_set_interface,
    .control = tc_control,
    .xfer_done = tc_xfer_done,
    .halt_cleared = tc_halt_cleared,
};

static int setup_dev(void **state)
{
    (void)state;
    fake_board_reset();
    fake_udc_reset();
    memset(&tc, 0, sizeof tc);
    tc.set_itf_ok = true;
    usbd_init(&test_class);
    fake_udc_bus_reset();
    return 0;
}

/* ------------------------------------------------------------ helpers */

static uint8_t rx[512];

#define GET_DESC(type, idx, wlen) \
    fake_udc_control_in(0x80, USB_REQ_GET_DESCRIPTOR, (uint16_t)(((type) << 8) | (idx)), 0, (wlen), rx)

static void assert_stalled_and_recovers(int r)
{
    assert_int_equal(r, FAKE_UDC_STALL);
    assert_true(fake_udc_ep(0x80)->stalled);
    assert_true(fake_udc_ep(0x00)->stalled);
    /* the next SETUP works again (USB 2.0 8.5.3.4) */
    assert_int_equal(GET_DESC(USB_DT_DEVICE, 0, 18), 18);
}

static void configure(void)
{
    assert_int_equal(fake_udc_control_out(0x00, USB_REQ_SET_CONFIGURATION, 1, 0, 0, NULL), 0);
}

static void set_alt(uint8_t itf, uint8_t alt)
{
    assert_int_equal(fake_udc_control_out(0x01, USB_REQ_SET_INTERFACE, alt, itf, 0, NULL), 0);
}

static const uint8_t want_dev[18] = {
    0x12, 0x01, 0x00, 0x02, 0x02, 0x00, 0x00, 0x40,
    (uint8_t)USBD_VID, (uint8_t)(USBD_VID >> 8), (uint8_t)USBD_PID, (uint8_t)(USBD_PID >> 8),
    (uint8_t)USBD_BCD_DEVICE, (uint8_t)(USBD_BCD_DEVICE >> 8), 1, 2, 3, 1,
};

static const uint8_t want_cfg[98] = {
    0x09, 0x02, 0x62, 0x00, 0x03, 0x01, 0x00, 0x80, 0x32,
    0x09, 0x04, 0x00, 0x00, 0x01, 0x02, 0x06, 0x00, 0x00,
    0x05, 0x24, 0x00, 0x20, 0x01,
    0x05, 0x24, 0x06, 0x00, 0x01,
    0x0D, 0x24, 0x0F, 0x04, 0x00, 0x00, 0x00, 0x00, 0xEA, 0x05, 0x00, 0x00, 0x00,
    0x07, 0x05, 0x81, 0x03, 0x10, 0x00, 0x10,
    0x09, 0x04, 0x01, 0x00, 0x00, 0x0A, 0x00, 0x00, 0x00,
    0x09, 0x04, 0x01, 0x01, 0x02, 0x0A, 0x00, 0x00, 0x00,
    0x07, 0x05, 0x02, 0x02, 0x40, 0x00, 0x00,
    0x07, 0x05, 0x82, 0x02, 0x40, 0x00, 0x00,
    /* DFU 1.1 runtime interface 2 (FE/01/01) and its functional descriptor */
    0x09, 0x04, 0x02, 0x00, 0x00, 0xFE, 0x01, 0x01, 0x05,
    0x09, 0x21, 0x0B, 0xE8, 0x03, 0x00, 0x08, 0x10, 0x01,
};

static void assert_string_desc(const uint8_t *d, int len, const char *ascii)
{
    size_t n = strlen(ascii);
    assert_int_equal(len, (int)(2 + 2 * n));
    assert_int_equal(d[0], 2 + 2 * n);
    assert_int_equal(d[1], USB_DT_STRING);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(d[2 + 2 * i], (uint8_t)ascii[i]);
        assert_int_equal(d[3 + 2 * i], 0);
    }
}

/* ------------------------------------------------------------ tests */

static void test_task_before_init_is_noop(void **state)
{
    (void)state;
    /* runs first: nothing initialised yet */
    fake_udc_reset();
    usbd_task();
    udc_event_t ev = {.type = UDC_EVT_BUS_RESET};
    udc_event_cb(&ev);
    usbd_task();
    assert_int_equal(fake_udc_log_len, 0);
    assert_false(usbd_configured());
    usbd_init(NULL);  /* no class: still a no-op */
    usbd_task();
    assert_false(fake_udc_inited);
    usbd_init(&test_class);
    assert_true(fake_udc_inited);
    assert_true(fake_udc_connected);
}

static void test_linux_enumeration(void **state)
{
    (void)state;
    /* Linux: 64-byte device descriptor read first, then reset, address, 18 */
    assert_int_equal(GET_DESC(USB_DT_DEVICE, 0, 64), 18);
    assert_memory_equal(rx, want_dev, 18);
    assert_false(fake_udc_last_zlp);
    fake_udc_bus_reset();
    assert_int_equal(tc.reset, 2);

    /* SET_ADDRESS applies only after its status stage (USB 2.0 9.4.6) */
    fake_udc_setup(0x00, USB_REQ_SET_ADDRESS, 7, 0, 0);
    assert_int_equal(fake_udc_count(FAKE_UDC_SET_ADDRESS, 0xFF), 0);
    uint8_t pkt[64];
    assert_int_equal(fake_udc_in(0x80, pkt, sizeof pkt), 0);
    assert_int_equal(fake_udc_address, 7);

    assert_int_equal(GET_DESC(USB_DT_DEVICE, 0, 18), 18);
    assert_memory_equal(rx, want_dev, 18);
    assert_int_equal(GET_DESC(USB_DT_CONFIGURATION, 0, 9), 9);
    assert_memory_equal(rx, want_cfg, 9);
    assert_int_equal(GET_DESC(USB_DT_CONFIGURATION, 0, rx[2] | (rx[3] << 8)), 98);
    assert_memory_equal(rx, want_cfg, 98);

    /* strings as Linux reads them: wLength 255 */
    assert_int_equal(GET_DESC(USB_DT_STRING, 0, 255), 4);
    const uint8_t want_str0[4] = {4, 3, 0x09, 0x04};
    assert_memory_equal(rx, want_str0, 4);
    int n = GET_DESC(USB_DT_STRING, 1, 255);
    assert_string_desc(rx, n, USBD_MANUFACTURER);
    n = GET_DESC(USB_DT_STRING, 2, 255);
    assert_string_desc(rx, n, USBD_PRODUCT);
    n = GET_DESC(USB_DT_STRING, 3, 255);
    assert_string_desc(rx, n, "20003A001247563138353930");
    char mac[13];
    ident_host_mac_string(mac);
    n = GET_DESC(USB_DT_STRING, USB_STR_MAC, 255);
    assert_string_desc(rx, n, mac);

    assert_false(usbd_configured());
    configure();
    assert_true(usbd_configured());
    assert_int_equal(tc.configured, 1);
    assert_int_equal(fake_udc_control_in(0x80, USB_REQ_GET_CONFIGURATION, 0, 0, 1, rx), 1);
    assert_int_equal(rx[0], 1);

    /* cdc_ether: data interface alt 0, then alt 1 */
    set_alt(USB_ITF_DATA, 0);
    set_alt(USB_ITF_DATA, 1);
    assert_int_equal(tc.set_itf, 2);
    assert_int_equal(tc.itf, USB_ITF_DATA);
    assert_int_equal(tc.alt, 1);
    assert_int_equal(usbd_alt_setting(USB_ITF_DATA), 1);
    assert_int_equal(fake_udc_control_in(0x81, USB_REQ_GET_INTERFACE, 0, USB_ITF_DATA, 1, rx), 1);
    assert_int_equal(rx[0], 1);
    /* ECM packet filter goes to the class */
    assert_int_equal(fake_udc_control_out(0x21, USB_ECM_SET_PACKET_FILTER, 0x000E, USB_ITF_COMM, 0, NULL), 0);
    assert_int_equal(tc.control, 1);
    assert_int_equal(tc.setup.bRequest, USB_ECM_SET_PACKET_FILTER);
    assert_int_equal(tc.setup.wValue, 0x000E);
}

static void test_works_without_set_address(void **state)
{
    (void)state;
    /* USB/IP hosts never send SET_ADDRESS */
    assert_int_equal(GET_DESC(USB_DT_DEVICE, 0, 18), 18);
    configure();
    set_alt(USB_ITF_DATA, 1);
    assert_true(usbd_configured());
    assert_int_equal(fake_udc_address, -1);
    udc_event_t ev = {.type = UDC_EVT_XFER_DONE, .ep = USB_EP_DATA_OUT, .len = 60};
    udc_event_cb(&ev);
    usbd_task();
    assert_int_equal(tc.xfer_done, 1);
    assert_int_equal(tc.xfer_ep, USB_EP_DATA_OUT);
    assert_int_equal(tc.xfer_len, 60);
}

static void test_descriptor_stalls(void **state)
{
    (void)state;
    /* full speed only: no device qualifier, no other-speed config (USB 2.0 9.6.2) */
    assert_stalled_and_recovers(GET_DESC(USB_DT_DEVICE_QUALIFIER, 0, 10));
    assert_stalled_and_recovers(GET_DESC(USB_DT_OTHER_SPEED_CONFIG, 0, 9));
    assert_stalled_and_recovers(GET_DESC(USB_DT_STRING, USB_STR_COUNT, 255));
    assert_stalled_and_recovers(GET_DESC(USB_DT_STRING, 0xEE, 255));
    assert_stalled_and_recovers(GET_DESC(USB_DT_CONFIGURATION, 1, 9));
    assert_stalled_and_recovers(GET_DESC(USB_DT_DEVICE, 1, 18));
    assert_stalled_and_recovers(GET_DESC(0x21, 0, 9));      /* HID */
    assert_stalled_and_recovers(GET_DESC(USB_DT_INTERFACE, 0, 9));
    /* wrong direction */
    assert_stalled_and_recovers(fake_udc_control_out(0x00, USB_REQ_GET_DESCRIPTOR, 0x0100, 0, 0, NULL));
}

static void test_request_stalls_change_nothing(void **state)
{
    (void)state;
    uint8_t d[8] = {0};
    /* unconfigured: interface/endpoint requests (except ep0) fail */
    assert_stalled_and_recovers(fake_udc_control_out(0x01, USB_REQ_SET_INTERFACE, 1, USB_ITF_DATA, 0, NULL));
    assert_stalled_and_recovers(fake_udc_control_in(0x81, USB_REQ_GET_INTERFACE, 0, USB_ITF_DATA, 1, rx));
    assert_stalled_and_recovers(fake_udc_control_in(0x81, USB_REQ_GET_STATUS, 0, USB_ITF_COMM, 2, rx));
    assert_stalled_and_recovers(fake_udc_control_in(0x82, USB_REQ_GET_STATUS, 0, USB_EP_NOTIFY, 2, rx));
    assert_stalled_and_recovers(fake_udc_control_out(0x02, USB_REQ_SET_FEATURE, 0, USB_EP_NOTIFY, 0, NULL));
    assert_stalled_and_recovers(fake_udc_control_out(0x21, USB_ECM_SET_PACKET_FILTER, 0x0E, USB_ITF_COMM, 0, NULL));
    assert_int_equal(fake_udc_control_in(0x82, USB_REQ_GET_STATUS, 0, 0x80, 2, rx), 2); /* ep0 always */
    assert_int_equal(tc.set_itf + tc.control, 0);
    assert_int_equal(fake_udc_count(FAKE_UDC_STALL_CALL, USB_EP_NOTIFY), 0);

    /* bad device requests */
    assert_stalled_and_recovers(fake_udc_control_out(0x00, USB_REQ_SET_CONFIGURATION, 2, 0, 0, NULL));
    assert_stalled_and_recovers(fake_udc_control_out(0x00, USB_REQ_SET_CONFIGURATION, 0x0101, 0, 0, NULL));
    assert_stalled_and_recovers(fake_udc_control_out(0x00, USB_REQ_SET_ADDRESS, 128, 0, 0, NULL));
    assert_stalled_and_recovers(fake_udc_control_out(0x00, USB_REQ_SET_DESCRIPTOR, 0x0100, 0, 8, d));
    assert_stalled_and_recovers(fake_udc_control_out(0x00, 0x0D, 0, 0, 0, NULL));          /* undefined */
    assert_stalled_and_recovers(fake_udc_control_out(0x00, USB_REQ_SET_FEATURE, USB_FEATURE_TEST_MODE, 0x0100, 0, NULL));
    assert_stalled_and_recovers(fake_udc_control_out(0x00, USB_REQ_SET_FEATURE, 7, 0, 0, NULL));
    assert_stalled_and_recovers(fake_udc_control_in(0xC0, 0x01, 0, 0, 4, rx));            /* vendor */
    assert_stalled_and_recovers(fake_udc_control_in(0x83, USB_REQ_GET_STATUS, 0, 0, 2, rx)); /* other recipient */
    assert_int_equal(fake_udc_address, -1);
    assert_false(usbd_configured());
    assert_int_equal(tc.configured, 0);

    configure();
    /* nonexistent interface / alt setting / endpoint */
    assert_stalled_and_recovers(fake_udc_control_out(0x01, USB_REQ_SET_INTERFACE, 0, USB_NUM_INTERFACES, 0, NULL));
    assert_stalled_and_recovers(fake_udc_control_out(0x01, USB_REQ_SET_INTERFACE, 2, USB_ITF_DATA, 0, NULL));
    assert_stalled_and_recovers(fake_udc_control_out(0x01, USB_REQ_SET_INTERFACE, 1, USB_ITF_COMM, 0, NULL));
    assert_stalled_and_recovers(fake_udc_control_in(0x81, USB_REQ_GET_INTERFACE, 0, USB_NUM_INTERFACES, 1, rx));
    assert_stalled_and_recovers(fake_udc_control_in(0x81, USB_REQ_GET_STATUS, 0, 0x0100, 2, rx));
    assert_stalled_and_recovers(fake_udc_control_out(0x01, USB_REQ_SET_FEATURE, 0, USB_ITF_COMM, 0, NULL));
    assert_stalled_and_recovers(fake_udc_control_in(0x82, USB_REQ_GET_STATUS, 0, 0x03, 2, rx));
    assert_stalled_and_recovers(fake_udc_control_in(0x82, USB_REQ_GET_STATUS, 0, 0x01, 2, rx)); /* 0x81 only IN */
    /* the bulk pair exists only in alt 1 of the data interface */
    assert_stalled_and_recovers(fake_udc_control_in(0x82, USB_REQ_GET_STATUS, 0, USB_EP_DATA_IN, 2, rx));
    assert_stalled_and_recovers(fake_udc_control_out(0x02, USB_REQ_SET_FEATURE, 0, USB_EP_DATA_OUT, 0, NULL));
    assert_int_equal(fake_udc_count(FAKE_UDC_STALL_CALL, USB_EP_DATA_OUT), 0);
    assert_stalled_and_recovers(fake_udc_control_in(0x82, USB_REQ_SYNCH_FRAME, 0, USB_EP_NOTIFY, 2, rx));
    assert_int_equal(usbd_alt_setting(USB_ITF_DATA), 0);
    assert_int_equal(tc.set_itf, 0);

    /* class requests: bad interface, endpoint recipient, class says no, too long */
    assert_stalled_and_recovers(fake_udc_control_out(0x21, 0x43, 0, USB_NUM_INTERFACES, 0, NULL));
    assert_stalled_and_recovers(fake_udc_control_out(0x22, 0x43, 0, USB_EP_NOTIFY, 0, NULL));
    tc.reply = -1;
    assert_stalled_and_recovers(fake_udc_control_out(0x21, 0x44, 0, USB_ITF_COMM, 0, NULL));
    assert_stalled_and_recovers(fake_udc_control_in(0xA1, 0x44, 0, USB_ITF_COMM, 4, rx));
    uint8_t big[USBD_EP0_BUF_SIZE + 1] = {0};
    unsigned calls = tc.control;
    assert_stalled_and_recovers(fake_udc_control_out(0x21, 0x40, 0, USB_ITF_COMM, sizeof big, big));
    assert_int_equal(tc.control, calls);  /* rejected before the data stage */
    tc.reply = USBD_EP0_BUF_SIZE + 1;  /* more than the room it was given: a class bug, STALL */
    assert_stalled_and_recovers(fake_udc_control_in(0xA1, 0x44, 0, USB_ITF_COMM, USBD_EP0_BUF_SIZE + 1, rx));

    /* the class refuses an alt setting: STALL, alt unchanged */
    tc.set_itf_ok = false;
    assert_stalled_and_recovers(fake_udc_control_out(0x01, USB_REQ_SET_INTERFACE, 1, USB_ITF_DATA, 0, NULL));
    assert_int_equal(usbd_alt_setting(USB_ITF_DATA), 0);
    assert_true(usbd_configured());
}

static void test_wlength_clamping(void **state)
{
    (void)state;
    assert_int_equal(GET_DESC(USB_DT_DEVICE, 0, 8), 8);
    assert_memory_equal(rx, want_dev, 8);
    assert_int_equal(GET_DESC(USB_DT_CONFIGURATION, 0, 70), 70);
    assert_memory_equal(rx, want_cfg, 70);
    assert_int_equal(GET_DESC(USB_DT_STRING, 3, 2), 2);
    assert_int_equal(rx[0], 50);
    assert_int_equal(GET_DESC(USB_DT_CONFIGURATION, 0, 1000), 98);
    /* the data stage asked of the controller is the clamped length */
    int i = fake_udc_find(FAKE_UDC_XFER, 0x80, fake_udc_count(FAKE_UDC_XFER, 0x80) - 1u);
    assert_true(i >= 0);
    fake_udc_log_clear();
    assert_int_equal(GET_DESC(USB_DT_DEVICE, 0, 5), 5);
    i = fake_udc_find(FAKE_UDC_XFER, 0x80, 0);
    assert_int_equal(fake_udc_log[i].len, 5);
    /* wLength 0: no data stage, status IN */
    fake_udc_log_clear();
    assert_int_equal(GET_DESC(USB_DT_DEVICE, 0, 0), 0);
    i = fake_udc_find(FAKE_UDC_XFER, 0x80, 0);
    assert_int_equal(fake_udc_log[i].len, 0);
    assert_int_equal(fake_udc_count(FAKE_UDC_XFER, 0x00), 0);
}

static void test_ep0_zlp_rules(void **state)
{
    (void)state;
    configure();
    /* a 64-byte reply (a multiple of 64) to wLength 255: ZLP ends it */
    tc.reply = 64;
    fake_udc_log_clear();
    assert_int_equal(fake_udc_control_in(0xA1, 0x44, 0, USB_ITF_COMM, 255, rx), 64);
    assert_true(fake_udc_last_zlp);
    assert_int_equal(fake_udc_last_packets, 2);
    for (int k = 0; k < 64; k++) {
        assert_int_equal(rx[k], (uint8_t)(0xA0 + k));
    }
    /* the core queued the ZLP itself, as a second transfer */
    assert_int_equal(fake_udc_count(FAKE_UDC_XFER, 0x80), 2);
    assert_int_equal(fake_udc_log[fake_udc_find(FAKE_UDC_XFER, 0x80, 0)].len, 64);
    assert_int_equal(fake_udc_log[fake_udc_find(FAKE_UDC_XFER, 0x80, 1)].len, 0);
    /* status OUT only after the ZLP */
    assert_true(fake_udc_find(FAKE_UDC_XFER, 0x00, 0) > fake_udc_find(FAKE_UDC_XFER, 0x80, 1));

    /* the same 64 bytes to wLength 64: no ZLP */
    fake_udc_log_clear();
    assert_int_equal(fake_udc_control_in(0xA1, 0x44, 0, USB_ITF_COMM, 64, rx), 64);
    assert_false(fake_udc_last_zlp);
    assert_int_equal(fake_udc_last_packets, 1);
    assert_int_equal(fake_udc_count(FAKE_UDC_XFER, 0x80), 1);

    /* a descriptor clamped to exactly 64 = wLength: no ZLP */
    fake_udc_log_clear();
    assert_int_equal(GET_DESC(USB_DT_CONFIGURATION, 0, 64), 64);
    assert_false(fake_udc_last_zlp);
    assert_int_equal(fake_udc_count(FAKE_UDC_XFER, 0x80), 1);
    /* 98 bytes to wLength 255: ends with a 34-byte short packet, no ZLP */
    fake_udc_log_clear();
    assert_int_equal(GET_DESC(USB_DT_CONFIGURATION, 0, 255), 98);
    assert_false(fake_udc_last_zlp);
    assert_int_equal(fake_udc_last_packets, 2);
    assert_int_equal(fake_udc_count(FAKE_UDC_XFER, 0x80), 1);
    /* an empty reply is a single ZLP data stage */
    tc.reply = 0;
    fake_udc_log_clear();
    assert_int_equal(fake_udc_control_in(0xA1, 0x44, 0, USB_ITF_COMM, 10, rx), 0);
    assert_true(fake_udc_last_zlp);
    assert_int_equal(fake_udc_count(FAKE_UDC_XFER, 0x80), 1);
}

static void test_class_out_data_stage(void **state)
{
    (void)state;
    configure();
    uint8_t d[USBD_EP0_BUF_SIZE];
    for (unsigned k = 0; k < sizeof d; k++) {
        d[k] = (uint8_t)(k * 3u);
    }
    assert_int_equal(fake_udc_control_out(0x21, 0x40, 0, USB_ITF_COMM, sizeof d, d), 0);
    assert_int_equal(tc.data_len, sizeof d);
    assert_memory_equal(tc.data, d, sizeof d);
    /* the OUT data stage was one transfer of wLength bytes */
    int i = fake_udc_find(FAKE_UDC_XFER, 0x00, fake_udc_count(FAKE_UDC_XFER, 0x00) - 1u);
    assert_true(i >= 0);
    assert_int_equal(fake_udc_log[i].len, sizeof d);
    /* USBD_EP0_BUF_SIZE / 64 packets (4 in the test_usbd_ep0 build) */
    assert_int_equal(tc.control, 1);
    /* a data stage ending with a short packet: 2 full + 3 bytes when room allows */
    uint16_t shortlen = USBD_EP0_BUF_SIZE > 131u ? 131u : (uint16_t)(USBD_EP0_BUF_SIZE - 1u);
    assert_int_equal(fake_udc_control_out(0x21, 0x40, 0, USB_ITF_COMM, shortlen, d + 1), 0);
    assert_int_equal(tc.data_len, shortlen);
    assert_memory_equal(tc.data, d + 1, shortlen);
    /* class request to the data interface is dispatched too */
    assert_int_equal(fake_udc_control_out(0x21, 0x40, 0, USB_ITF_DATA, 5, d), 0);
    assert_int_equal(tc.setup.wIndex, USB_ITF_DATA);
    assert_int_equal(tc.data_len, 5);
    /* host sends fewer bytes than wLength (short packet): STALL */
    fake_udc_setup(0x21, 0x40, 0, USB_ITF_COMM, 20);
    unsigned calls = tc.control;
    assert_int_equal(fake_udc_out(0x00, d, 10), 0);
    assert_int_equal(tc.control, calls);
    assert_true(fake_udc_ep(0x80)->stalled);
}

static void test_halt_feature_and_status(void **state)
{
    (void)state;
    configure();
    set_alt(USB_ITF_DATA, 1);
    assert_int_equal(tc.halt_cleared, 2);  /* SET_INTERFACE reset both bulk endpoints */
    tc.halt_cleared = 0;
    assert_int_equal(fake_udc_control_in(0x82, USB_REQ_GET_STATUS, 0, USB_EP_DATA_IN, 2, rx), 2);
    assert_int_equal(rx[0] | rx[1], 0);

    assert_int_equal(fake_udc_control_out(0x02, USB_REQ_SET_FEATURE, 0, USB_EP_DATA_IN, 0, NULL), 0);
    assert_true(fake_udc_ep(USB_EP_DATA_IN)->stalled);
    assert_int_equal(fake_udc_control_in(0x82, USB_REQ_GET_STATUS, 0, USB_EP_DATA_IN, 2, rx), 2);
    assert_int_equal(rx[0], 1);
    assert_int_equal(rx[1], 0);
    uint8_t pkt[64];
    assert_int_equal(fake_udc_in(USB_EP_DATA_IN, pkt, sizeof pkt), FAKE_UDC_STALL);
    /* OUT endpoint untouched */
    assert_int_equal(fake_udc_control_in(0x82, USB_REQ_GET_STATUS, 0, USB_EP_DATA_OUT, 2, rx), 2);
    assert_int_equal(rx[0], 0);

    assert_int_equal(fake_udc_control_out(0x02, USB_REQ_CLEAR_FEATURE, 0, USB_EP_DATA_IN, 0, NULL), 0);
    assert_false(fake_udc_ep(USB_EP_DATA_IN)->stalled);
    assert_true(fake_udc_ep(USB_EP_DATA_IN)->toggle_reset);
    assert_int_equal(tc.halt_cleared, 1);
    assert_int_equal(tc.halt_ep, USB_EP_DATA_IN);
    assert_int_equal(fake_udc_control_in(0x82, USB_REQ_GET_STATUS, 0, USB_EP_DATA_IN, 2, rx), 2);
    assert_int_equal(rx[0], 0);

    /* CLEAR_FEATURE on a non-halted endpoint still resets the toggle (USB 2.0 9.4.5) */
    fake_udc_ep(USB_EP_NOTIFY)->toggle_reset = false;
    assert_int_equal(fake_udc_control_out(0x02, USB_REQ_CLEAR_FEATURE, 0, USB_EP_NOTIFY, 0, NULL), 0);
    assert_true(fake_udc_ep(USB_EP_NOTIFY)->toggle_reset);
    assert_int_equal(tc.halt_cleared, 2);

    /* ep0: HALT requests are accepted but ep0 keeps working */
    assert_int_equal(fake_udc_control_out(0x02, USB_REQ_SET_FEATURE, 0, 0x80, 0, NULL), 0);
    assert_int_equal(fake_udc_control_in(0x82, USB_REQ_GET_STATUS, 0, 0x00, 2, rx), 2);
    assert_int_equal(rx[0], 0);
    /* unknown endpoint feature */
    assert_stalled_and_recovers(fake_udc_control_out(0x02, USB_REQ_SET_FEATURE, 1, USB_EP_DATA_IN, 0, NULL));
    /* after alt 0 the bulk endpoints are gone */
    set_alt(USB_ITF_DATA, 0);
    assert_stalled_and_recovers(fake_udc_control_out(0x02, USB_REQ_CLEAR_FEATURE, 0, USB_EP_DATA_IN, 0, NULL));
    assert_int_equal(tc.halt_cleared, 2);
}

static void test_remote_wakeup_bit(void **state)
{
    (void)state;
    assert_int_equal(fake_udc_control_in(0x80, USB_REQ_GET_STATUS, 0, 0, 2, rx), 2);
    assert_int_equal(rx[0], 0);
    assert_int_equal(rx[1], 0);
    assert_int_equal(fake_udc_control_out(0x00, USB_REQ_SET_FEATURE, USB_FEATURE_DEVICE_REMOTE_WAKEUP, 0, 0, NULL), 0);
    assert_true(usbd_remote_wakeup_enabled());
    assert_int_equal(fake_udc_control_in(0x80, USB_REQ_GET_STATUS, 0, 0, 2, rx), 2);
    assert_int_equal(rx[0], 0x02);
    assert_int_equal(rx[1], 0);
    assert_int_equal(fake_udc_control_out(0x00, USB_REQ_CLEAR_FEATURE, USB_FEATURE_DEVICE_REMOTE_WAKEUP, 0, 0, NULL), 0);
    assert_int_equal(fake_udc_control_in(0x80, USB_REQ_GET_STATUS, 0, 0, 2, rx), 2);
    assert_int_equal(rx[0], 0);
    /* a bus reset disables it again (USB 2.0 9.4.5) */
    assert_int_equal(fake_udc_control_out(0x00, USB_REQ_SET_FEATURE, USB_FEATURE_DEVICE_REMOTE_WAKEUP, 0, 0, NULL), 0);
    fake_udc_bus_reset();
    assert_false(usbd_remote_wakeup_enabled());
    /* interface GET_STATUS is two zero bytes */
    configure();
    memset(rx, 0xFF, 2);
    assert_int_equal(fake_udc_control_in(0x81, USB_REQ_GET_STATUS, 0, USB_ITF_DATA, 2, rx), 2);
    assert_int_equal(rx[0] | rx[1], 0);
}

static void test_set_configuration_0_and_reset(void **state)
{
    (void)state;
    configure();
    set_alt(USB_ITF_DATA, 1);
    unsigned resets = tc.reset;
    fake_udc_log_clear();
    assert_int_equal(fake_udc_control_out(0x00, USB_REQ_SET_CONFIGURATION, 0, 0, 0, NULL), 0);
    assert_false(usbd_configured());
    assert_int_equal(tc.reset, resets + 1);
    assert_int_equal(usbd_alt_setting(USB_ITF_DATA), 0);
    /* every endpoint of the configuration closed before the class forgets it */
    assert_int_equal(fake_udc_count(FAKE_UDC_CLOSE, USB_EP_NOTIFY), 1);
    assert_int_equal(fake_udc_count(FAKE_UDC_CLOSE, USB_EP_DATA_OUT), 1);
    assert_int_equal(fake_udc_count(FAKE_UDC_CLOSE, USB_EP_DATA_IN), 1);
    assert_int_equal(fake_udc_count(FAKE_UDC_CLOSE, 0xFF), 3);
    assert_int_equal(fake_udc_control_in(0x80, USB_REQ_GET_CONFIGURATION, 0, 0, 1, rx), 1);
    assert_int_equal(rx[0], 0);
    assert_stalled_and_recovers(fake_udc_control_in(0x81, USB_REQ_GET_INTERFACE, 0, USB_ITF_DATA, 1, rx));

    /* configure again, then re-select config 1: alt settings back to 0 */
    configure();
    set_alt(USB_ITF_DATA, 1);
    resets = tc.reset;
    configure();
    assert_int_equal(tc.reset, resets + 1);
    assert_int_equal(tc.configured, 3);
    assert_int_equal(usbd_alt_setting(USB_ITF_DATA), 0);

    /* bus reset: unconfigured, alt 0, class reset */
    set_alt(USB_ITF_DATA, 1);
    resets = tc.reset;
    fake_udc_bus_reset();
    assert_false(usbd_configured());
    assert_int_equal(usbd_alt_setting(USB_ITF_DATA), 0);
    assert_int_equal(tc.reset, resets + 1);
    /* a pending SET_ADDRESS is forgotten by a reset */
    fake_udc_setup(0x00, USB_REQ_SET_ADDRESS, 9, 0, 0);
    fake_udc_bus_reset();
    udc_event_t ev = {.type = UDC_EVT_XFER_DONE, .ep = 0x80, .len = 0};
    udc_event_cb(&ev);
    usbd_task();
    assert_int_equal(fake_udc_address, -1);

    /* unplug: class reset, endpoints closed */
    configure();
    resets = tc.reset;
    fake_udc_log_clear();
    fake_udc_unplug();
    assert_false(usbd_configured());
    assert_int_equal(tc.reset, resets + 1);
    assert_int_equal(fake_udc_count(FAKE_UDC_CLOSE, USB_EP_NOTIFY), 1);
    /* class transfers after unconfigure are not delivered */
    unsigned xd = tc.xfer_done;
    ev = (udc_event_t){.type = UDC_EVT_XFER_DONE, .ep = USB_EP_DATA_IN, .len = 3};
    udc_event_cb(&ev);
    usbd_task();
    assert_int_equal(tc.xfer_done, xd);
}

/* Issue #2 (1): completions and resets are never dropped, however many
 * events pile up before usbd_task() runs; only suspend/resume coalesce. */
static void test_events_never_lost(void **state)
{
    (void)state;
    configure();
    set_alt(USB_ITF_DATA, 1);
    static uint8_t b[64];
    assert_true(udc_ep_xfer(USB_EP_DATA_IN, b, 10));
    udc_event_t ev = {.type = UDC_EVT_SUSPEND};
    for (unsigned k = 0; k < 40u; k++) {
        udc_event_cb(&ev);
        ev.type = ev.type == UDC_EVT_SUSPEND ? UDC_EVT_RESUME : UDC_EVT_SUSPEND;
    }
    fake_udc_defer_task = true;
    for (unsigned k = 0; k < 20u; k++) {   /* the host retries a SETUP many times */
        fake_udc_setup(0x80, USB_REQ_GET_CONFIGURATION, 0, 0, 1);
    }
    uint8_t pkt[64];
    assert_int_equal(fake_udc_in(USB_EP_DATA_IN, pkt, sizeof pkt), 10);  /* completion: reported only */
    assert_int_equal(tc.xfer_done, 0);
    fake_udc_defer_task = false;
    usbd_task();
    assert_int_equal(tc.xfer_done, 1);
    assert_int_equal(tc.xfer_ep, USB_EP_DATA_IN);
    assert_int_equal(tc.xfer_len, 10);
    assert_int_equal(usbd_events_lost(), 0);
    /* the newest SETUP was answered once: one data stage queued */
    assert_int_equal(fake_udc_in(0x80, pkt, sizeof pkt), 1);
    assert_int_equal(pkt[0], 1);
    assert_int_equal(fake_udc_out(0x00, NULL, 0), 0);

    /* a reset after a flood is still seen, and SETUPs before it are void */
    fake_udc_defer_task = true;
    for (unsigned k = 0; k < 20u; k++) {
        udc_event_cb(&ev);
    }
    fake_udc_setup(0x00, USB_REQ_SET_ADDRESS, 7, 0, 0);
    fake_udc_bus_reset();
    fake_udc_defer_task = false;
    unsigned resets = tc.reset;
    usbd_task();
    assert_int_equal(tc.reset, resets + 1);
    assert_false(usbd_configured());
    assert_int_equal(fake_udc_in(0x80, pkt, sizeof pkt), FAKE_UDC_NAK);  /* SET_ADDRESS not answered */
    /* a SETUP after the reset is kept */
    fake_udc_defer_task = true;
    fake_udc_bus_reset();
    fake_udc_setup(0x80, USB_REQ_GET_CONFIGURATION, 0, 0, 1);
    fake_udc_defer_task = false;
    usbd_task();
    assert_int_equal(fake_udc_in(0x80, pkt, sizeof pkt), 1);
    assert_int_equal(pkt[0], 0);

    /* events that cannot be ours are counted */
    ev = (udc_event_t){.type = UDC_EVT_XFER_DONE, .ep = 0x80u | USBD_NUM_EP, .len = 1};
    udc_event_cb(&ev);
    ev.type = 99;
    udc_event_cb(&ev);
    usbd_task();
    assert_int_equal(usbd_events_lost(), 2);
    /* unexpected ep0 completions are ignored */
    ev = (udc_event_t){.type = UDC_EVT_XFER_DONE, .ep = 0x00, .len = 0};
    udc_event_cb(&ev);
    ev.ep = 0x80;
    udc_event_cb(&ev);
    usbd_task();
    assert_int_equal(fake_udc_count(FAKE_UDC_SET_ADDRESS, 0xFF), 0);
    assert_int_equal(GET_DESC(USB_DT_DEVICE, 0, 18), 18);
}

/* A status stage that completed just before the next SETUP still counts
 * (SET_ADDRESS applies), and its completion is not taken for the new one's. */
static void test_ep0_completion_then_setup(void **state)
{
    (void)state;
    fake_udc_setup(0x00, USB_REQ_SET_ADDRESS, 5, 0, 0);
    fake_udc_defer_task = true;
    uint8_t pkt[64];
    assert_int_equal(fake_udc_in(0x80, pkt, sizeof pkt), 0);   /* status IN done */
    fake_udc_setup(0x80, USB_REQ_GET_DESCRIPTOR, 0x0100, 0, 18);
    fake_udc_defer_task = false;
    usbd_task();
    assert_int_equal(fake_udc_address, 5);
    assert_int_equal(fake_udc_in(0x80, pkt, sizeof pkt), 18);
    assert_memory_equal(pkt, want_dev, 18);
    assert_int_equal(fake_udc_out(0x00, NULL, 0), 0);

    /* an aborted IN data stage's completion with a newer SETUP waiting does
     * not start a status stage for the dead transfer */
    fake_udc_setup(0x80, USB_REQ_GET_DESCRIPTOR, 0x0200, 0, 9);
    fake_udc_defer_task = true;
    assert_int_equal(fake_udc_in(0x80, pkt, sizeof pkt), 9);
    fake_udc_setup(0x80, USB_REQ_GET_DESCRIPTOR, 0x0100, 0, 18);
    fake_udc_defer_task = false;
    fake_udc_log_clear();
    usbd_task();
    assert_int_equal(fake_udc_count(FAKE_UDC_XFER, 0x00), 0);
    assert_int_equal(fake_udc_count(FAKE_UDC_XFER, 0x80), 1);
    assert_int_equal(fake_udc_in(0x80, pkt, sizeof pkt), 18);
    assert_memory_equal(pkt, want_dev, 18);
}

/* Issue #2 (2): a completion of a transfer from before usbd_ep_close/open is
 * never handed to the class as the new transfer's. */
static void test_stale_completion_discarded(void **state)
{
    (void)state;
    configure();
    set_alt(USB_ITF_DATA, 1);
    static uint8_t b[64];
    assert_true(udc_ep_xfer(USB_EP_DATA_OUT, b, 64));
    fake_udc_defer_task = true;
    assert_int_equal(fake_udc_out(USB_EP_DATA_OUT, b, 5), 0);  /* reported, not taken */
    fake_udc_defer_task = false;
    usbd_ep_close(USB_EP_DATA_OUT);
    assert_true(usbd_ep_open(USB_EP_DATA_OUT, UDC_EP_BULK, 64));
    assert_true(udc_ep_xfer(USB_EP_DATA_OUT, b, 64));
    usbd_task();
    assert_int_equal(tc.xfer_done, 0);
    /* the new transfer's own completion comes through */
    assert_int_equal(fake_udc_out(USB_EP_DATA_OUT, b, 7), 0);
    assert_int_equal(tc.xfer_done, 1);
    assert_int_equal(tc.xfer_len, 7);
}

/* Issue #2 (3): a class that fails SET_INTERFACE leaves alt 0, and the core says so */
static void test_set_interface_failure_reports_alt0(void **state)
{
    (void)state;
    configure();
    set_alt(USB_ITF_DATA, 1);
    assert_int_equal(fake_udc_control_in(0x81, USB_REQ_GET_INTERFACE, 0, USB_ITF_DATA, 1, rx), 1);
    assert_int_equal(rx[0], 1);
    tc.set_itf_ok = false;
    assert_stalled_and_recovers(fake_udc_control_out(0x01, USB_REQ_SET_INTERFACE, 1, USB_ITF_DATA, 0, NULL));
    assert_int_equal(usbd_alt_setting(USB_ITF_DATA), 0);
    memset(rx, 0xFF, 1);
    assert_int_equal(fake_udc_control_in(0x81, USB_REQ_GET_INTERFACE, 0, USB_ITF_DATA, 1, rx), 1);
    assert_int_equal(rx[0], 0);
    /* and its endpoints are gone for the standard requests too */
    assert_stalled_and_recovers(fake_udc_control_in(0x82, USB_REQ_GET_STATUS, 0, USB_EP_DATA_IN, 2, rx));
}

/* Issue #2 (4): SET_INTERFACE resets toggle and halt of the interface's endpoints */
static void test_set_interface_resets_endpoints(void **state)
{
    (void)state;
    configure();
    assert_int_equal(fake_udc_control_out(0x02, USB_REQ_SET_FEATURE, 0, USB_EP_NOTIFY, 0, NULL), 0);
    assert_true(fake_udc_ep(USB_EP_NOTIFY)->stalled);
    fake_udc_ep(USB_EP_NOTIFY)->toggle_reset = false;
    fake_udc_log_clear();
    set_alt(USB_ITF_COMM, 0);
    assert_false(fake_udc_ep(USB_EP_NOTIFY)->stalled);
    assert_true(fake_udc_ep(USB_EP_NOTIFY)->toggle_reset);
    assert_int_equal(tc.halt_cleared, 1);
    assert_int_equal(tc.halt_ep, USB_EP_NOTIFY);
    /* only the endpoints of that interface (alt 0 of data has none) */
    assert_int_equal(fake_udc_count(FAKE_UDC_CLEAR_STALL, 0xFF), 1);
    /* data alt 1: both bulk endpoints, not the notification endpoint */
    fake_udc_log_clear();
    set_alt(USB_ITF_DATA, 1);
    assert_int_equal(fake_udc_count(FAKE_UDC_CLEAR_STALL, USB_EP_DATA_IN), 1);
    assert_int_equal(fake_udc_count(FAKE_UDC_CLEAR_STALL, USB_EP_DATA_OUT), 1);
    assert_int_equal(fake_udc_count(FAKE_UDC_CLEAR_STALL, USB_EP_NOTIFY), 0);
    assert_true(fake_udc_find(FAKE_UDC_CLEAR_STALL, USB_EP_DATA_IN, 0) > fake_udc_find(FAKE_UDC_OPEN, USB_EP_DATA_IN, 0));
    /* a refused SET_INTERFACE touches nothing */
    fake_udc_log_clear();
    tc.set_itf_ok = false;
    assert_stalled_and_recovers(fake_udc_control_out(0x01, USB_REQ_SET_INTERFACE, 0, USB_ITF_COMM, 0, NULL));
    assert_int_equal(fake_udc_count(FAKE_UDC_CLEAR_STALL, 0xFF), 0);
}

/* Issue #2 (11): reserved wIndex bits of an endpoint recipient (USB 2.0 figure 9-2) */
static void test_endpoint_windex_reserved_bits(void **state)
{
    (void)state;
    configure();
    assert_int_equal(fake_udc_control_in(0x82, USB_REQ_GET_STATUS, 0, USB_EP_NOTIFY, 2, rx), 2);
    assert_stalled_and_recovers(fake_udc_control_in(0x82, USB_REQ_GET_STATUS, 0, 0x0181, 2, rx));
    assert_stalled_and_recovers(fake_udc_control_in(0x82, USB_REQ_GET_STATUS, 0, 0x0011, 2, rx));
    assert_stalled_and_recovers(fake_udc_control_out(0x02, USB_REQ_SET_FEATURE, 0, 0x0181, 0, NULL));
    assert_false(fake_udc_ep(USB_EP_NOTIFY)->stalled);
}

static void test_setup_aborts_previous_transfer(void **state)
{
    (void)state;
    /* host abandons a descriptor read after one packet, sends a new SETUP */
    fake_udc_setup(0x80, USB_REQ_GET_DESCRIPTOR, 0x0200, 0, 255);
    uint8_t pkt[64];
    assert_int_equal(fake_udc_in(0x80, pkt, sizeof pkt), 64);
    assert_int_equal(GET_DESC(USB_DT_DEVICE, 0, 18), 18);
    assert_memory_equal(rx, want_dev, 18);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_task_before_init_is_noop),
        cmocka_unit_test_setup(test_linux_enumeration, setup_dev),
        cmocka_unit_test_setup(test_works_without_set_address, setup_dev),
        cmocka_unit_test_setup(test_descriptor_stalls, setup_dev),
        cmocka_unit_test_setup(test_request_stalls_change_nothing, setup_dev),
        cmocka_unit_test_setup(test_wlength_clamping, setup_dev),
        cmocka_unit_test_setup(test_ep0_zlp_rules, setup_dev),
        cmocka_unit_test_setup(test_class_out_data_stage, setup_dev),
        cmocka_unit_test_setup(test_halt_feature_and_status, setup_dev),
        cmocka_unit_test_setup(test_remote_wakeup_bit, setup_dev),
        cmocka_unit_test_setup(test_set_configuration_0_and_reset, setup_dev),
        cmocka_unit_test_setup(test_events_never_lost, setup_dev),
        cmocka_unit_test_setup(test_ep0_completion_then_setup, setup_dev),
        cmocka_unit_test_setup(test_stale_completion_discarded, setup_dev),
        cmocka_unit_test_setup(test_set_interface_failure_reports_alt0, setup_dev),
        cmocka_unit_test_setup(test_set_interface_resets_endpoints, setup_dev),
        cmocka_unit_test_setup(test_endpoint_windex_reserved_bits, setup_dev),
        cmocka_unit_test_setup(test_setup_aborts_previous_transfer, setup_dev),
    };
    return cmocka_run_group_tests_name("usbd", tests, NULL, NULL);
}
