/* test_ecm.c - the CDC-ECM class (ecm.c) driven through the device core and
 * the packet-level fake controller: notifications, IN framing and ZLPs, OUT
 * reassembly, size limits, backpressure and link up/down. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "fake_board.h"
#include "fake_udc.h"
#include "link_stats.h"
#include "usb/ecm.h"
#include "usb/usb_ids.h"
#include "usb/usb_std.h"
#include "usb/usbd.h"

static uint8_t frame[4096];
static uint8_t got[4096];

static void set_alt(uint8_t alt)
{
    assert_int_equal(fake_udc_control_out(0x01, USB_REQ_SET_INTERFACE, alt, USB_ITF_DATA, 0, NULL), 0);
}

static int setup_unconfigured(void **state)
{
    (void)state;
    fake_board_reset();
    fake_udc_reset();
    memset(&link_stats, 0, sizeof link_stats);
    for (unsigned k = 0; k < sizeof frame; k++) {
        frame[k] = (uint8_t)(k * 7u + 1u);
    }
    ecm_init();
    usbd_init(&ecm_class);
    fake_udc_bus_reset();
    return 0;
}

static int setup_configured(void **state)
{
    (void)state;
    fake_board_reset();
    fake_udc_reset();
    memset(&link_stats, 0, sizeof link_stats);
    for (unsigned k = 0; k < sizeof frame; k++) {
        frame[k] = (uint8_t)(k * 7u + 1u);
    }
    ecm_init();
    usbd_init(&ecm_class);
    fake_udc_bus_reset();
    assert_int_equal(fake_udc_control_out(0x00, USB_REQ_SET_CONFIGURATION, 1, 0, 0, NULL), 0);
    return 0;
}

/* alt 1 and both notifications read, so only data traffic remains */
static int setup_link(void **state)
{
    setup_configured(state);
    set_alt(1);
    uint8_t pkt[64];
    assert_int_equal(fake_udc_in(USB_EP_NOTIFY, pkt, sizeof pkt), 8);
    assert_int_equal(fake_udc_in(USB_EP_NOTIFY, pkt, sizeof pkt), 16);
    fake_udc_log_clear();
    return 0;
}

static void test_notifications_after_alt1(void **state)
{
    (void)state;
    uint8_t pkt[64];
    /* configured, alt 0: interrupt endpoint open, nothing to say, no data path */
    assert_true(fake_udc_ep(USB_EP_NOTIFY)->open);
    assert_int_equal(fake_udc_ep(USB_EP_NOTIFY)->type, UDC_EP_INTERRUPT);
    assert_int_equal(fake_udc_ep(USB_EP_NOTIFY)->mps, 16);
    assert_int_equal(fake_udc_in(USB_EP_NOTIFY, pkt, sizeof pkt), FAKE_UDC_NAK);
    assert_false(ecm_link_up());
    assert_null(ecm_tx_acquire());
    assert_false(fake_udc_ep(USB_EP_DATA_OUT)->open);

    fake_udc_log_clear();
    set_alt(1);
    assert_true(ecm_link_up());
    assert_true(fake_udc_ep(USB_EP_DATA_OUT)->open);
    assert_true(fake_udc_ep(USB_EP_DATA_IN)->open);
    assert_int_equal(fake_udc_ep(USB_EP_DATA_IN)->type, UDC_EP_BULK);
    assert_int_equal(fake_udc_ep(USB_EP_DATA_IN)->mps, 64);
    /* bulk OUT armed with a packet-multiple buffer >= 1515, before the notification */
    int arm = fake_udc_find(FAKE_UDC_XFER, USB_EP_DATA_OUT, 0);
    int n1 = fake_udc_find(FAKE_UDC_XFER, USB_EP_NOTIFY, 0);
    assert_true(arm >= 0 && n1 > arm);
    assert_int_equal(fake_udc_log[arm].len, ECM_RX_BUF_SIZE);
    assert_int_equal(ECM_RX_BUF_SIZE % 64, 0);
    assert_true(ECM_RX_BUF_SIZE >= 1515);
    /* only one notification queued at a time */
    assert_int_equal(fake_udc_count(FAKE_UDC_XFER, USB_EP_NOTIFY), 1);

    /* ECM 1.2 6.3.1 NetworkConnection(connected) */
    const uint8_t want_conn[8] = {0xA1, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00};
    assert_int_equal(fake_udc_in(USB_EP_NOTIFY, pkt, sizeof pkt), 8);
    assert_memory_equal(pkt, want_conn, 8);
    /* ECM 1.2 6.3.3 ConnectionSpeedChange, 9,728,000 bit/s = 0x00947000 both ways */
    const uint8_t want_speed[16] = {0xA1, 0x2A, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00,
                                    0x00, 0x70, 0x94, 0x00, 0x00, 0x70, 0x94, 0x00};
    assert_int_equal(fake_udc_in(USB_EP_NOTIFY, pkt, sizeof pkt), 16);
    assert_memory_equal(pkt, want_speed, 16);
    assert_int_equal(fake_udc_in(USB_EP_NOTIFY, pkt, sizeof pkt), FAKE_UDC_NAK);
    assert_int_equal(fake_udc_count(FAKE_UDC_XFER, USB_EP_NOTIFY), 2);
}

static void test_class_requests(void **state)
{
    (void)state;
    assert_int_equal(ecm_packet_filter(), 0);
    assert_int_equal(fake_udc_control_out(0x21, USB_ECM_SET_PACKET_FILTER, 0x001F, USB_ITF_COMM, 0, NULL), 0);
    assert_int_equal(ecm_packet_filter(), 0x001F);
    /* everything else STALLs and changes nothing */
    uint8_t d[8] = {0}, in[8];
    assert_int_equal(fake_udc_control_out(0x21, USB_ECM_SET_MC_FILTERS, 0, USB_ITF_COMM, 6, d), FAKE_UDC_STALL);
    assert_int_equal(fake_udc_control_out(0x21, USB_ECM_SET_PM_FILTER, 0, USB_ITF_COMM, 8, d), FAKE_UDC_STALL);
    assert_int_equal(fake_udc_control_in(0xA1, USB_ECM_GET_PM_FILTER, 0, USB_ITF_COMM, 2, in), FAKE_UDC_STALL);
    assert_int_equal(fake_udc_control_in(0xA1, USB_ECM_GET_STATISTIC, 1, USB_ITF_COMM, 4, in), FAKE_UDC_STALL);
    assert_int_equal(fake_udc_control_out(0x21, USB_ECM_SET_PACKET_FILTER, 0x0001, USB_ITF_DATA, 0, NULL), FAKE_UDC_STALL);
    assert_int_equal(fake_udc_control_out(0x21, USB_ECM_SET_PACKET_FILTER, 0x0001, USB_ITF_COMM, 2, d), FAKE_UDC_STALL);
    assert_int_equal(ecm_packet_filter(), 0x001F);
}

static void send_and_check(uint16_t len)
{
    bool zlp = false;
    uint8_t *b = ecm_tx_acquire();
    assert_non_null(b);
    memcpy(b, frame, len);
    unsigned xfers = fake_udc_count(FAKE_UDC_XFER, USB_EP_DATA_IN);
    ecm_tx_commit(len);
    assert_null(ecm_tx_acquire());  /* busy until the last part went out */
    int i = fake_udc_find(FAKE_UDC_XFER, USB_EP_DATA_IN, xfers);
    assert_true(i >= 0);
    assert_int_equal(fake_udc_log[i].len, len);
    int n = fake_udc_bulk_in(USB_EP_DATA_IN, got, sizeof got, &zlp);
    assert_int_equal(n, len);
    assert_memory_equal(got, frame, len);
    /* ZLP exactly when the frame ends on a full packet (USB 2.0 5.8.3) */
    assert_int_equal(zlp, len % 64 == 0);
    assert_int_equal(fake_udc_count(FAKE_UDC_XFER, USB_EP_DATA_IN), xfers + (len % 64 == 0 ? 2u : 1u));
    if (len % 64 == 0) {
        /* a separate 0-length transfer */
        assert_int_equal(fake_udc_log[fake_udc_find(FAKE_UDC_XFER, USB_EP_DATA_IN, xfers + 1)].len, 0);
    }
    uint8_t pkt[64];
    assert_int_equal(fake_udc_in(USB_EP_DATA_IN, pkt, sizeof pkt), FAKE_UDC_NAK);
    assert_non_null(ecm_tx_acquire());
}

static void test_tx_framing(void **state)
{
    (void)state;
    static const uint16_t lens[] = {1, 63, 64, 65, 127, 128, 1514};
    uint32_t bytes = 0;
    for (unsigned k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        send_and_check(lens[k]);
        bytes += lens[k];
    }
    assert_int_equal(link_stats.tx_frames, 7);
    assert_int_equal(link_stats.tx_bytes, bytes);
    assert_int_equal(link_stats.tx_dropped + link_stats.tx_errors, 0);
}

static void test_tx_busy_until_zlp(void **state)
{
    (void)state;
    uint8_t pkt[64];
    uint8_t *b = ecm_tx_acquire();
    assert_non_null(b);
    memcpy(b, frame, 128);
    ecm_tx_commit(128);
    assert_int_equal(fake_udc_in(USB_EP_DATA_IN, pkt, sizeof pkt), 64);
    /* ZLP only after the data transfer completed */
    assert_int_equal(fake_udc_count(FAKE_UDC_XFER, USB_EP_DATA_IN), 1);
    assert_null(ecm_tx_acquire());
    assert_int_equal(fake_udc_in(USB_EP_DATA_IN, pkt, sizeof pkt), 64);
    assert_int_equal(fake_udc_count(FAKE_UDC_XFER, USB_EP_DATA_IN), 2);
    assert_null(ecm_tx_acquire());
    /* a commit while busy is dropped and counted, nothing queued */
    ecm_tx_commit(60);
    assert_int_equal(link_stats.tx_dropped, 1);
    assert_int_equal(fake_udc_count(FAKE_UDC_XFER, USB_EP_DATA_IN), 2);
    assert_int_equal(fake_udc_in(USB_EP_DATA_IN, pkt, sizeof pkt), 0);
    assert_non_null(ecm_tx_acquire());
    /* bad lengths are refused */
    ecm_tx_commit(0);
    ecm_tx_commit(ECM_MAX_SEGMENT + 1);
    assert_int_equal(link_stats.tx_errors, 2);
    assert_int_equal(link_stats.tx_frames, 1);
    assert_int_equal(fake_udc_count(FAKE_UDC_XFER, USB_EP_DATA_IN), 2);
}

/* host sends one frame as a bulk OUT transfer (with a ZLP if it ends full) */
static void host_send(uint16_t len)
{
    assert_int_equal(fake_udc_bulk_out(USB_EP_DATA_OUT, frame, len, true), len);
}

static void expect_frame(uint16_t len, uint16_t want)
{
    uint16_t l = 0;
    host_send(len);
    const uint8_t *p = ecm_rx_peek(&l);
    assert_non_null(p);
    assert_int_equal(l, want);
    assert_memory_equal(p, frame, want);
    ecm_rx_release();
    assert_null(ecm_rx_peek(&l));
}

static void expect_drop(uint16_t len)
{
    uint16_t l = 0;
    uint32_t dropped = link_stats.rx_dropped;
    host_send(len);
    assert_null(ecm_rx_peek(&l));
    assert_int_equal(link_stats.rx_dropped, dropped + 1);
    assert_true(fake_udc_ep(USB_EP_DATA_OUT)->queued);  /* re-armed */
}

static void test_rx_sizes(void **state)
{
    (void)state;
    expect_frame(14, 14);
    expect_frame(60, 60);
    expect_frame(64, 64);     /* ends with the host's ZLP */
    expect_frame(65, 65);
    expect_frame(1472, 1472);
    expect_frame(1473, 1473); /* Linux' pad byte after a 64-multiple */
    expect_frame(1514, 1514);
    /* usbnet pads only 64-multiples (-> 1 mod 64), so 1515 is a real oversize
     * frame: tolerated and delivered exactly as received */
    expect_frame(1515, 1515);
    assert_int_equal(link_stats.rx_frames, 8);
    assert_int_equal(link_stats.rx_bytes, 14 + 60 + 64 + 65 + 1472 + 1473 + 1514 + 1515);
    assert_int_equal(link_stats.rx_dropped, 0);

    expect_drop(1516);
    expect_drop(1535);
    expect_drop(13);
    expect_drop(1);
    expect_drop(ECM_RX_BUF_SIZE);      /* full buffer, then the ZLP ends it */
    expect_frame(100, 100);
    expect_drop(2000);                 /* full buffer, then 464 more up to a short packet */
    expect_frame(100, 100);
    assert_int_equal(link_stats.rx_frames, 10);
    assert_int_equal(link_stats.rx_dropped, 6);
    /* a lone ZLP is not a frame */
    assert_int_equal(fake_udc_out(USB_EP_DATA_OUT, frame, 0), 0);
    assert_int_equal(link_stats.rx_dropped, 6);
    expect_frame(42, 42);
    assert_int_equal(fake_udc_overflows, 0);
}

static void test_rx_stream_without_short_packet(void **state)
{
    (void)state;
    /* 4 KB of full packets, never a short one: must never write past the buffer */
    for (unsigned k = 0; k < 64; k++) {
        assert_int_equal(fake_udc_out(USB_EP_DATA_OUT, frame + 64 * k, 64), 0);
        /* every re-arm is for the same bounded buffer */
        for (unsigned a = 0; a < fake_udc_count(FAKE_UDC_XFER, USB_EP_DATA_OUT); a++) {
            assert_int_equal(fake_udc_log[fake_udc_find(FAKE_UDC_XFER, USB_EP_DATA_OUT, a)].len,
                             ECM_RX_BUF_SIZE);
        }
    }
    assert_int_equal(fake_udc_count(FAKE_UDC_XFER, USB_EP_DATA_OUT), 2);  /* two full transfers */
    assert_null(ecm_rx_peek(NULL));
    assert_int_equal(link_stats.rx_dropped, 1);  /* one oversized frame */
    assert_int_equal(link_stats.rx_frames, 0);
    assert_int_equal(fake_udc_overflows, 0);
    /* the short packet that ends it is still part of the bad frame */
    assert_int_equal(fake_udc_out(USB_EP_DATA_OUT, frame, 20), 0);
    assert_null(ecm_rx_peek(NULL));
    assert_int_equal(link_stats.rx_dropped, 1);
    /* then normal operation */
    expect_frame(200, 200);
    assert_int_equal(link_stats.rx_frames, 1);
}

static void test_rx_backpressure(void **state)
{
    (void)state;
    uint16_t l = 0;
    host_send(100);
    unsigned arms = fake_udc_count(FAKE_UDC_XFER, USB_EP_DATA_OUT);
    assert_non_null(ecm_rx_peek(&l));
    /* the host is NAKed while the frame waits */
    assert_int_equal(fake_udc_out(USB_EP_DATA_OUT, frame, 64), FAKE_UDC_NAK);
    usbd_task();
    assert_int_equal(fake_udc_count(FAKE_UDC_XFER, USB_EP_DATA_OUT), arms);
    /* clearing a halt does not re-arm over a waiting frame */
    assert_int_equal(fake_udc_control_out(0x02, USB_REQ_CLEAR_FEATURE, 0, USB_EP_DATA_OUT, 0, NULL), 0);
    assert_int_equal(fake_udc_count(FAKE_UDC_XFER, USB_EP_DATA_OUT), arms);
    assert_non_null(ecm_rx_peek(&l));
    assert_int_equal(l, 100);
    ecm_rx_release();
    assert_int_equal(fake_udc_count(FAKE_UDC_XFER, USB_EP_DATA_OUT), arms + 1);
    ecm_rx_release();  /* twice is harmless */
    assert_int_equal(fake_udc_count(FAKE_UDC_XFER, USB_EP_DATA_OUT), arms + 1);
    expect_frame(300, 300);
}

static void test_link_down_drops_everything(void **state)
{
    (void)state;
    uint16_t l = 0;
    host_send(100);
    assert_non_null(ecm_rx_peek(&l));
    uint8_t *b = ecm_tx_acquire();
    assert_non_null(b);
    ecm_tx_commit(100);

    fake_udc_log_clear();
    set_alt(0);
    assert_false(ecm_link_up());
    assert_null(ecm_rx_peek(&l));
    assert_null(ecm_tx_acquire());
    assert_int_equal(fake_udc_count(FAKE_UDC_CLOSE, USB_EP_DATA_OUT), 1);
    assert_int_equal(fake_udc_count(FAKE_UDC_CLOSE, USB_EP_DATA_IN), 1);
    assert_false(fake_udc_ep(USB_EP_DATA_IN)->open);
    ecm_tx_commit(60);
    assert_int_equal(link_stats.tx_dropped, 1);
    ecm_rx_release();  /* nothing held: no arming on a closed endpoint */
    assert_int_equal(fake_udc_count(FAKE_UDC_XFER, USB_EP_DATA_OUT), 0);

    /* back to alt 1: fresh buffers, notifications again */
    set_alt(1);
    assert_true(ecm_link_up());
    assert_null(ecm_rx_peek(&l));
    assert_non_null(ecm_tx_acquire());
    assert_true(fake_udc_ep(USB_EP_DATA_OUT)->queued);
    uint8_t pkt[64];
    assert_int_equal(fake_udc_in(USB_EP_NOTIFY, pkt, sizeof pkt), 8);
    assert_int_equal(pkt[1], USB_CDC_NOTIFY_NETWORK_CONNECTION);
    assert_int_equal(pkt[2], 1);
    assert_int_equal(fake_udc_in(USB_EP_NOTIFY, pkt, sizeof pkt), 16);
    assert_int_equal(pkt[1], USB_CDC_NOTIFY_SPEED_CHANGE);
    expect_frame(77, 77);

    /* alt 1 selected again: endpoints restarted */
    fake_udc_log_clear();
    set_alt(1);
    assert_int_equal(fake_udc_count(FAKE_UDC_CLOSE, USB_EP_DATA_OUT), 1);
    assert_int_equal(fake_udc_count(FAKE_UDC_OPEN, USB_EP_DATA_OUT), 1);
    assert_true(ecm_link_up());
    expect_frame(88, 88);

    /* unconfigure */
    assert_int_equal(fake_udc_control_out(0x00, USB_REQ_SET_CONFIGURATION, 0, 0, 0, NULL), 0);
    assert_false(ecm_link_up());
    assert_null(ecm_tx_acquire());
    assert_false(fake_udc_ep(USB_EP_NOTIFY)->open);
    /* SET_INTERFACE impossible now */
    assert_int_equal(fake_udc_control_out(0x01, USB_REQ_SET_INTERFACE, 1, USB_ITF_DATA, 0, NULL), FAKE_UDC_STALL);

    /* configure, alt 1, then a bus reset */
    assert_int_equal(fake_udc_control_out(0x00, USB_REQ_SET_CONFIGURATION, 1, 0, 0, NULL), 0);
    set_alt(1);
    host_send(50);
    assert_non_null(ecm_rx_peek(&l));
    fake_udc_bus_reset();
    assert_false(ecm_link_up());
    assert_null(ecm_rx_peek(&l));
    assert_null(ecm_tx_acquire());
}

static void test_notify_restart_while_busy(void **state)
{
    (void)state;
    uint8_t pkt[64];
    set_alt(1);
    /* host does not read the first notification before alt 0 / alt 1 */
    set_alt(0);
    set_alt(1);
    assert_int_equal(fake_udc_count(FAKE_UDC_XFER, USB_EP_NOTIFY), 1);
    /* it ends with the speed change after a connect: order kept */
    int last = 0, n;
    while ((n = fake_udc_in(USB_EP_NOTIFY, pkt, sizeof pkt)) > 0) {
        last = pkt[1];
        assert_true(fake_udc_count(FAKE_UDC_XFER, USB_EP_NOTIFY) <= 3);
    }
    assert_int_equal(n, FAKE_UDC_NAK);
    assert_int_equal(last, USB_CDC_NOTIFY_SPEED_CHANGE);
    assert_int_equal(fake_udc_count(FAKE_UDC_XFER, USB_EP_NOTIFY), 3);
}

/* Issue #2 (1): completions are never lost, however many events wait */
static void test_completions_survive_event_flood(void **state)
{
    (void)state;
    uint8_t *b = ecm_tx_acquire();
    assert_non_null(b);
    memcpy(b, frame, 100);
    ecm_tx_commit(100);
    fake_udc_defer_task = true;
    udc_event_t ev = {.type = UDC_EVT_SUSPEND};
    for (unsigned k = 0; k < 40u; k++) {
        udc_event_cb(&ev);
    }
    for (unsigned k = 0; k < 20u; k++) {
        fake_udc_setup(0x82, USB_REQ_GET_STATUS, 0, USB_EP_DATA_IN, 2);
    }
    bool zlp;
    assert_int_equal(fake_udc_bulk_in(USB_EP_DATA_IN, got, sizeof got, &zlp), 100);
    assert_int_equal(fake_udc_bulk_out(USB_EP_DATA_OUT, frame, 70, true), 70);
    assert_null(ecm_tx_acquire());   /* nothing taken yet */
    assert_null(ecm_rx_peek(NULL));
    fake_udc_defer_task = false;
    usbd_task();
    assert_non_null(ecm_tx_acquire());   /* tx free again */
    uint16_t l = 0;
    assert_non_null(ecm_rx_peek(&l));
    assert_int_equal(l, 70);
    assert_memory_equal(ecm_rx_peek(NULL), frame, 70);
    assert_int_equal(usbd_events_lost(), 0);
    ecm_rx_release();
    expect_frame(80, 80);
}

/* Issue #2 (2): SET_INTERFACE(data, 1) queued before the old bulk OUT
 * completion: the old completion is not taken as the new transfer's */
static void test_stale_rx_completion_after_reopen(void **state)
{
    (void)state;
    uint16_t l = 0;
    fake_udc_defer_task = true;
    fake_udc_setup(0x01, USB_REQ_SET_INTERFACE, 1, USB_ITF_DATA, 0);
    assert_int_equal(fake_udc_out(USB_EP_DATA_OUT, frame, 60), 0);  /* old transfer ends */
    fake_udc_defer_task = false;
    usbd_task();
    uint8_t pkt[64];
    assert_int_equal(fake_udc_in(0x80, pkt, sizeof pkt), 0);  /* status stage */
    assert_true(ecm_link_up());
    assert_null(ecm_rx_peek(&l));
    assert_true(fake_udc_ep(USB_EP_DATA_OUT)->queued);
    expect_frame(100, 100);
}

static void report_rx_done_60(uint8_t ep)
{
    if (ep == USB_EP_DATA_OUT) {
        fake_udc_close_hook = NULL;
        /* the "ISR" reports the old transfer right before the close */
        udc_event_t ev = {.type = UDC_EVT_XFER_DONE, .ep = USB_EP_DATA_OUT, .len = 60};
        udc_event_cb(&ev);
    }
}

static void test_completion_racing_close_is_discarded(void **state)
{
    (void)state;
    uint16_t l = 0;
    fake_udc_close_hook = report_rx_done_60;
    set_alt(1);
    assert_null(fake_udc_close_hook);  /* the hook ran */
    usbd_task();
    usbd_task();
    assert_null(ecm_rx_peek(&l));
    assert_true(fake_udc_ep(USB_EP_DATA_OUT)->queued);
    assert_int_equal(link_stats.rx_frames, 0);
    expect_frame(100, 100);
}

/* Issue #2 (3): SET_INTERFACE(data, 1) whose endpoint open fails: STALL, link
 * down, nothing open, and GET_INTERFACE says 0 */
static void test_set_interface_open_failure(void **state)
{
    (void)state;
    uint8_t alt = 0xFF;
    for (unsigned k = 0; k < 2u; k++) {
        fake_udc_fail_open_ep = k == 0u ? USB_EP_DATA_OUT : USB_EP_DATA_IN;
        fake_udc_fail_open_count = 1;
        assert_int_equal(fake_udc_control_out(0x01, USB_REQ_SET_INTERFACE, 1, USB_ITF_DATA, 0, NULL),
                         FAKE_UDC_STALL);
        assert_false(ecm_link_up());
        assert_false(fake_udc_ep(USB_EP_DATA_OUT)->open);
        assert_false(fake_udc_ep(USB_EP_DATA_IN)->open);
        assert_int_equal(usbd_alt_setting(USB_ITF_DATA), 0);
        assert_int_equal(fake_udc_control_in(0x81, USB_REQ_GET_INTERFACE, 0, USB_ITF_DATA, 1, &alt), 1);
        assert_int_equal(alt, 0);
        assert_null(ecm_tx_acquire());
        /* the host tries again and it works */
        set_alt(1);
        assert_true(ecm_link_up());
        assert_int_equal(fake_udc_control_in(0x81, USB_REQ_GET_INTERFACE, 0, USB_ITF_DATA, 1, &alt), 1);
        assert_int_equal(alt, 1);
        expect_frame(100, 100);
    }
}

/* The interrupt endpoint cannot be opened: configured, but alt 1 is refused */
static void test_notify_open_failure(void **state)
{
    (void)state;
    fake_udc_fail_open_ep = USB_EP_NOTIFY;
    fake_udc_fail_open_count = 1;
    assert_int_equal(fake_udc_control_out(0x00, USB_REQ_SET_CONFIGURATION, 1, 0, 0, NULL), 0);
    assert_int_equal(fake_udc_control_out(0x01, USB_REQ_SET_INTERFACE, 1, USB_ITF_DATA, 0, NULL),
                     FAKE_UDC_STALL);
    assert_false(ecm_link_up());
    assert_int_equal(usbd_alt_setting(USB_ITF_DATA), 0);
    assert_false(fake_udc_ep(USB_EP_DATA_OUT)->open);
}

/* Issue #2 (2): a failed arm of bulk OUT is counted and retried, not silent death */
static void test_rx_arm_failure_retried(void **state)
{
    (void)state;
    fake_udc_fail_xfer_ep = USB_EP_DATA_OUT;
    fake_udc_fail_xfer_count = 1000;
    set_alt(1);
    assert_true(ecm_link_up());
    assert_false(fake_udc_ep(USB_EP_DATA_OUT)->queued);
    assert_int_equal(link_stats.rx_errors, 1);   /* one outage, counted once */
    unsigned left = fake_udc_fail_xfer_count;
    for (unsigned k = 0; k < 3u; k++) {
        usbd_task();
    }
    assert_int_equal(fake_udc_fail_xfer_count, left - 3u);  /* retried on every usbd_task */
    assert_false(fake_udc_ep(USB_EP_DATA_OUT)->queued);
    assert_int_equal(link_stats.rx_errors, 1);
    fake_udc_fail_xfer_count = 0;   /* the controller recovers */
    usbd_task();
    assert_true(fake_udc_ep(USB_EP_DATA_OUT)->queued);
    assert_int_equal(link_stats.rx_errors, 1);
    /* notifications were not affected; then data flows */
    uint8_t pkt[64];
    assert_int_equal(fake_udc_in(USB_EP_NOTIFY, pkt, sizeof pkt), 8);
    assert_int_equal(fake_udc_in(USB_EP_NOTIFY, pkt, sizeof pkt), 16);
    expect_frame(100, 100);
    /* failing again after a frame was released: retried as well */
    host_send(50);
    fake_udc_fail_xfer_ep = USB_EP_DATA_OUT;
    fake_udc_fail_xfer_count = 1;
    ecm_rx_release();
    assert_false(fake_udc_ep(USB_EP_DATA_OUT)->queued);
    assert_int_equal(link_stats.rx_errors, 2);
    usbd_task();
    assert_true(fake_udc_ep(USB_EP_DATA_OUT)->queued);
    expect_frame(90, 90);
}

/* A notification that cannot be queued is sent later, in order */
static void test_notify_xfer_failure_retried(void **state)
{
    (void)state;
    fake_udc_fail_xfer_ep = USB_EP_NOTIFY;
    fake_udc_fail_xfer_count = 1000;
    set_alt(1);
    uint8_t pkt[64];
    assert_int_equal(fake_udc_in(USB_EP_NOTIFY, pkt, sizeof pkt), FAKE_UDC_NAK);
    fake_udc_fail_xfer_count = 0;
    usbd_task();
    assert_int_equal(fake_udc_in(USB_EP_NOTIFY, pkt, sizeof pkt), 8);
    assert_int_equal(pkt[1], USB_CDC_NOTIFY_NETWORK_CONNECTION);
    assert_int_equal(pkt[2], 1);
    assert_int_equal(fake_udc_in(USB_EP_NOTIFY, pkt, sizeof pkt), 16);
    assert_int_equal(pkt[1], USB_CDC_NOTIFY_SPEED_CHANGE);
    assert_int_equal(fake_udc_in(USB_EP_NOTIFY, pkt, sizeof pkt), FAKE_UDC_NAK);
}

/* bulk IN transfers that cannot be queued: counted, the buffer is free again */
static void test_tx_xfer_failures(void **state)
{
    (void)state;
    bool zlp;
    fake_udc_fail_xfer_ep = USB_EP_DATA_IN;
    fake_udc_fail_xfer_count = 1;
    assert_non_null(ecm_tx_acquire());
    ecm_tx_commit(100);
    assert_int_equal(link_stats.tx_errors, 1);
    assert_int_equal(link_stats.tx_frames, 0);
    assert_int_equal(fake_udc_bulk_in(USB_EP_DATA_IN, got, sizeof got, &zlp), FAKE_UDC_NAK);
    /* a 64-byte frame whose ZLP cannot be queued */
    uint8_t *b = ecm_tx_acquire();
    assert_non_null(b);
    memcpy(b, frame, 64);
    ecm_tx_commit(64);
    fake_udc_fail_xfer_ep = USB_EP_DATA_IN;
    fake_udc_fail_xfer_count = 1;
    uint8_t pkt[64];
    assert_int_equal(fake_udc_in(USB_EP_DATA_IN, pkt, sizeof pkt), 64);
    assert_int_equal(link_stats.tx_errors, 2);
    assert_non_null(ecm_tx_acquire());
    assert_int_equal(fake_udc_in(USB_EP_DATA_IN, pkt, sizeof pkt), FAKE_UDC_NAK);
}

/* Issue #2 (4): SET_INTERFACE on the comm interface resets 0x81 (toggle, halt) */
static void test_set_interface_comm_resets_notify(void **state)
{
    (void)state;
    assert_int_equal(fake_udc_control_out(0x02, USB_REQ_SET_FEATURE, 0, USB_EP_NOTIFY, 0, NULL), 0);
    fake_udc_ep(USB_EP_NOTIFY)->toggle_reset = false;
    assert_int_equal(fake_udc_control_out(0x01, USB_REQ_SET_INTERFACE, 0, USB_ITF_COMM, 0, NULL), 0);
    assert_false(fake_udc_ep(USB_EP_NOTIFY)->stalled);
    assert_true(fake_udc_ep(USB_EP_NOTIFY)->toggle_reset);
    assert_true(ecm_link_up());   /* the data interface is untouched */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_notifications_after_alt1, setup_configured),
        cmocka_unit_test_setup(test_class_requests, setup_configured),
        cmocka_unit_test_setup(test_tx_framing, setup_link),
        cmocka_unit_test_setup(test_tx_busy_until_zlp, setup_link),
        cmocka_unit_test_setup(test_rx_sizes, setup_link),
        cmocka_unit_test_setup(test_rx_stream_without_short_packet, setup_link),
        cmocka_unit_test_setup(test_rx_backpressure, setup_link),
        cmocka_unit_test_setup(test_link_down_drops_everything, setup_link),
        cmocka_unit_test_setup(test_notify_restart_while_busy, setup_configured),
        cmocka_unit_test_setup(test_completions_survive_event_flood, setup_link),
        cmocka_unit_test_setup(test_stale_rx_completion_after_reopen, setup_link),
        cmocka_unit_test_setup(test_completion_racing_close_is_discarded, setup_link),
        cmocka_unit_test_setup(test_set_interface_open_failure, setup_link),
        cmocka_unit_test_setup(test_notify_open_failure, setup_unconfigured),
        cmocka_unit_test_setup(test_rx_arm_failure_retried, setup_configured),
        cmocka_unit_test_setup(test_notify_xfer_failure_retried, setup_configured),
        cmocka_unit_test_setup(test_tx_xfer_failures, setup_link),
        cmocka_unit_test_setup(test_set_interface_comm_resets_notify, setup_link),
    };
    return cmocka_run_group_tests_name("ecm", tests, NULL, NULL);
}
