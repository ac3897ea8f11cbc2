/* test_ncm.c - the CDC-NCM class (ncm.c) driven through the device core and
 * the packet-level fake controller, as Linux cdc_ncm, Windows UsbNcm and
 * macOS drive it: class requests, BOS and MS OS 2.0 requests, notifications
 * in NCM order across alt changes (none lost while one is in flight), OUT
 * NTBs in both hosts' layouts with their padding/ZLP habits, hostile NTBs on
 * the endpoint, IN NTBs (batching, sequence, ZLP) checked as cdc_ncm does. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "fake_board.h"
#include "fake_udc.h"
#include "link_stats.h"
#include "ntb_build.h"
#include "usb/ncm.h"
#include "usb/usb_desc.h"
#include "usb/usb_ids.h"
#include "usb/usb_std.h"
#include "usb/usbd.h"

static uint8_t ntb[4096];
static uint8_t got[4096];

static const uint8_t want_speed[16] = {0xA1, 0x2A, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00,
                                       0x00, 0x70, 0x94, 0x00, 0x00, 0x70, 0x94, 0x00};
static const uint8_t want_conn1[8] = {0xA1, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00};
static const uint8_t want_conn0[8] = {0xA1, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

static void set_alt(uint8_t alt)
{
    assert_int_equal(fake_udc_control_out(0x01, USB_REQ_SET_INTERFACE, alt, USB_ITF_DATA, 0, NULL), 0);
}

static void start(usb_desc_class_t cls)
{
    fake_board_reset();
    fake_udc_reset();
    memset(&link_stats, 0, sizeof link_stats);
    usb_desc_select(cls);
    ncm_init();
    usbd_init(&ncm_class);
    fake_udc_bus_reset();
    assert_int_equal(fake_udc_control_out(0x00, USB_REQ_SET_CONFIGURATION, 1, 0, 0, NULL), 0);
}

static int setup_configured(void **state)
{
    (void)state;
    start(USB_DESC_NCM);
    return 0;
}

/* alt 1 and both notifications read: only data traffic remains */
static int setup_link(void **state)
{
    setup_configured(state);
    set_alt(1);
    uint8_t pkt[64];
    assert_int_equal(fake_udc_in(USB_EP_NOTIFY, pkt, sizeof pkt), 16);
    assert_int_equal(fake_udc_in(USB_EP_NOTIFY, pkt, sizeof pkt), 8);
    fake_udc_log_clear();
    return 0;
}

static void expect_notify(const uint8_t *want, int len)
{
    uint8_t pkt[64];
    assert_int_equal(fake_udc_in(USB_EP_NOTIFY, pkt, sizeof pkt), len);
    assert_memory_equal(pkt, want, (size_t)len);
}

static void expect_no_notify(void)
{
    uint8_t pkt[64];
    assert_int_equal(fake_udc_in(USB_EP_NOTIFY, pkt, sizeof pkt), FAKE_UDC_NAK);
}

/* ------------------------------------------------------- notifications */

static void test_notifications_ncm_order(void **state)
{
    (void)state;
    assert_true(fake_udc_ep(USB_EP_NOTIFY)->open);
    assert_int_equal(fake_udc_ep(USB_EP_NOTIFY)->mps, 64);
    expect_no_notify();
    assert_false(ncm_link_up());
    set_alt(0);   /* Linux: alt 0 first, for the setup requests */
    expect_no_notify();
    set_alt(1);
    assert_true(ncm_link_up());
    /* one transfer at a time; speed first, then connected (Linux f_ncm's order) */
    assert_int_equal(fake_udc_count(FAKE_UDC_XFER, USB_EP_NOTIFY), 1);
    expect_notify(want_speed, 16);
    expect_notify(want_conn1, 8);
    expect_no_notify();
}

/* macOS: alt 1 -> alt 0 -> alt 1; each change is reported, in order */
static void test_notifications_across_alt_changes(void **state)
{
    (void)state;
    set_alt(1);
    expect_notify(want_speed, 16);
    expect_notify(want_conn1, 8);
    set_alt(0);
    assert_false(ncm_link_up());
    expect_notify(want_conn0, 8);
    expect_no_notify();
    set_alt(1);
    expect_notify(want_speed, 16);
    expect_notify(want_conn1, 8);
    expect_no_notify();
    /* SET_INTERFACE alt 1 again while in alt 1: a restart; the host learns
     * the state after it (the pending flags merge the brief drop) */
    set_alt(1);
    expect_notify(want_speed, 16);
    expect_notify(want_conn1, 8);
    expect_no_notify();
}

/* The next notification is due while one is still in flight: it waits, it is
 * never lost (TinyUSB NCM stays NO-CARRIER after exactly that) */
static void test_notification_in_flight_not_lost(void **state)
{
    (void)state;
    set_alt(1);                       /* speed queued, not read yet */
    set_alt(0);                       /* due: disconnected */
    set_alt(1);                       /* due: speed, connected */
    expect_notify(want_speed, 16);    /* the one in flight */
    expect_notify(want_speed, 16);
    expect_notify(want_conn1, 8);     /* the final state reaches the host */
    expect_no_notify();

    set_alt(0);
    set_alt(1);
    expect_notify(want_conn0, 8);
    /* connected(1) in flight: alt 0 comes; the host must still learn it */
    uint8_t pkt[64];
    expect_notify(want_speed, 16);
    set_alt(0);
    assert_int_equal(fake_udc_in(USB_EP_NOTIFY, pkt, sizeof pkt), 8);
    assert_memory_equal(pkt, want_conn1, 8);   /* queued before alt 0 */
    expect_notify(want_conn0, 8);              /* and then the news */
    expect_no_notify();
}

static void test_notifications_after_reset(void **state)
{
    (void)state;
    set_alt(1);
    fake_udc_bus_reset();
    assert_false(ncm_link_up());
    assert_int_equal(fake_udc_control_out(0x00, USB_REQ_SET_CONFIGURATION, 1, 0, 0, NULL), 0);
    expect_no_notify();                 /* nothing stale from before the reset */
    set_alt(1);
    expect_notify(want_speed, 16);
    expect_notify(want_conn1, 8);
    fake_udc_unplug();
    assert_false(ncm_link_up());
    assert_null(ncm_tx_acquire());
}

static void test_notify_xfer_failure_retried(void **state)
{
    (void)state;
    fake_udc_fail_xfer_ep = USB_EP_NOTIFY;
    fake_udc_fail_xfer_count = 2;
    set_alt(1);
    usbd_task();  /* the poll hook retries */
    usbd_task();
    expect_notify(want_speed, 16);
    expect_notify(want_conn1, 8);
}

/* ------------------------------------------------------- class requests */

static void test_class_requests(void **state)
{
    (void)state;
    uint8_t in[64];
    /* GET_NTB_PARAMETERS, CDC NCM 1.0 table 6-3 */
    const uint8_t want[28] = {0x1C, 0x00, 0x01, 0x00, 0x00, 0x08, 0x00, 0x00, 0x04, 0x00,
                              0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00,
                              0x04, 0x00, 0x00, 0x00, 0x04, 0x00, NCM_OUT_MAX_DATAGRAMS, 0x00};
    assert_int_equal(fake_udc_control_in(0xA1, USB_NCM_GET_NTB_PARAMETERS, 0, USB_ITF_COMM, 28, in), 28);
    assert_memory_equal(in, want, 28);
    /* the divisors Windows' KB5124008 checks: >= 4 and a power of two */
    uint16_t div_in = ntb_get16(in + 8), div_out = ntb_get16(in + 20);
    assert_true(div_in >= 4 && (div_in & (div_in - 1)) == 0);
    assert_true(div_out >= 4 && (div_out & (div_out - 1)) == 0);
    /* a host asking for less gets less, more gets 28 */
    assert_int_equal(fake_udc_control_in(0xA1, USB_NCM_GET_NTB_PARAMETERS, 0, USB_ITF_COMM, 8, in), 8);
    assert_int_equal(fake_udc_control_in(0xA1, USB_NCM_GET_NTB_PARAMETERS, 0, USB_ITF_COMM, 64, in), 28);
    /* GET_NTB_FORMAT: NTB16 */
    memset(in, 0xEE, sizeof in);
    assert_int_equal(fake_udc_control_in(0xA1, USB_NCM_GET_NTB_FORMAT, 0, USB_ITF_COMM, 2, in), 2);
    assert_int_equal(ntb_get16(in), 0);
    /* GET/SET_NTB_INPUT_SIZE: 2048..our buffer, else STALL and unchanged */
    assert_int_equal(fake_udc_control_in(0xA1, USB_NCM_GET_NTB_INPUT_SIZE, 0, USB_ITF_COMM, 4, in), 4);
    assert_int_equal(ntb_get16(in) | (ntb_get16(in + 2) << 16), 2048);
    const uint32_t bad[] = {0, 64, 2047, 2049, 4096, 0x10000, 0xFFFFFFFFu};
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t d[4] = {(uint8_t)bad[i], (uint8_t)(bad[i] >> 8), (uint8_t)(bad[i] >> 16),
                        (uint8_t)(bad[i] >> 24)};
        assert_int_equal(fake_udc_control_out(0x21, USB_NCM_SET_NTB_INPUT_SIZE, 0, USB_ITF_COMM, 4, d),
                         FAKE_UDC_STALL);
        assert_int_equal(ncm_ntb_in_size(), 2048);
    }
    const uint8_t ok[4] = {0x00, 0x08, 0x00, 0x00};
    assert_int_equal(fake_udc_control_out(0x21, USB_NCM_SET_NTB_INPUT_SIZE, 0, USB_ITF_COMM, 4, ok), 0);
    assert_int_equal(ncm_ntb_in_size(), 2048);
    /* the 8-byte form is not offered (bmNetworkCapabilities D5 = 0) */
    const uint8_t ok8[8] = {0x00, 0x08, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00};
    assert_int_equal(fake_udc_control_out(0x21, USB_NCM_SET_NTB_INPUT_SIZE, 0, USB_ITF_COMM, 8, ok8),
                     FAKE_UDC_STALL);
    /* SET_ETHERNET_PACKET_FILTER accepted (macOS), stored */
    assert_int_equal(fake_udc_control_out(0x21, USB_ECM_SET_PACKET_FILTER, 0x000E, USB_ITF_COMM, 0, NULL), 0);
    assert_int_equal(ncm_packet_filter(), 0x000E);
    /* anything else STALLs and changes nothing */
    uint8_t d[8] = {0};
    assert_int_equal(fake_udc_control_out(0x21, USB_NCM_SET_NTB_FORMAT, 0, USB_ITF_COMM, 0, NULL), FAKE_UDC_STALL);
    assert_int_equal(fake_udc_control_out(0x21, USB_NCM_SET_NTB_FORMAT, 1, USB_ITF_COMM, 0, NULL), FAKE_UDC_STALL);
    assert_int_equal(fake_udc_control_in(0xA1, USB_NCM_GET_MAX_DATAGRAM_SIZE, 0, USB_ITF_COMM, 2, in), FAKE_UDC_STALL);
    assert_int_equal(fake_udc_control_out(0x21, USB_NCM_SET_CRC_MODE, 1, USB_ITF_COMM, 0, NULL), FAKE_UDC_STALL);
    assert_int_equal(fake_udc_control_in(0xA1, USB_NCM_GET_NET_ADDRESS, 0, USB_ITF_COMM, 6, in), FAKE_UDC_STALL);
    assert_int_equal(fake_udc_control_out(0x21, USB_ECM_SET_MC_FILTERS, 0, USB_ITF_COMM, 6, d), FAKE_UDC_STALL);
    assert_int_equal(fake_udc_control_in(0xA1, USB_ECM_GET_STATISTIC, 1, USB_ITF_COMM, 4, in), FAKE_UDC_STALL);
    /* the right request to the wrong interface, or with a wrong wValue/wLength */
    assert_int_equal(fake_udc_control_in(0xA1, USB_NCM_GET_NTB_PARAMETERS, 0, USB_ITF_DATA, 28, in), FAKE_UDC_STALL);
    assert_int_equal(fake_udc_control_in(0xA1, USB_NCM_GET_NTB_PARAMETERS, 1, USB_ITF_COMM, 28, in), FAKE_UDC_STALL);
    assert_int_equal(fake_udc_control_in(0xA1, USB_NCM_GET_NTB_FORMAT, 0, USB_ITF_COMM, 4, in), FAKE_UDC_STALL);
    assert_int_equal(fake_udc_control_out(0x21, USB_ECM_SET_PACKET_FILTER, 0x1, USB_ITF_COMM, 2, d), FAKE_UDC_STALL);
    assert_int_equal(ncm_packet_filter(), 0x000E);
    assert_int_equal(ncm_ntb_in_size(), 2048);
    /* ep0 still works after all the STALLs */
    assert_int_equal(fake_udc_control_in(0xA1, USB_NCM_GET_NTB_FORMAT, 0, USB_ITF_COMM, 2, in), 2);
}

/* ------------------------------------------------- BOS and MS OS 2.0 */

static void test_bos_and_msos20_requests(void **state)
{
    (void)state;
    uint8_t in[256];
    uint16_t len = 0;
    const uint8_t *bos = usb_desc_bos(&len);
    /* as Windows: the 5-byte header, then wTotalLength */
    assert_int_equal(fake_udc_control_in(0x80, USB_REQ_GET_DESCRIPTOR, 0x0F00, 0, 5, in), 5);
    assert_int_equal(ntb_get16(in + 2), USB_DESC_BOS_TOTAL);
    assert_int_equal(fake_udc_control_in(0x80, USB_REQ_GET_DESCRIPTOR, 0x0F00, 0, 255, in), USB_DESC_BOS_TOTAL);
    assert_memory_equal(in, bos, len);
    assert_int_equal(fake_udc_control_in(0x80, USB_REQ_GET_DESCRIPTOR, 0x0F01, 0, 255, in), FAKE_UDC_STALL);
    /* the set: vendor code from the capability, wIndex 7 */
    uint8_t code = bos[5 + 26];
    uint16_t setlen = ntb_get16(bos + 5 + 24);
    const uint8_t *set = usb_desc_msos20(&len);
    assert_int_equal(fake_udc_control_in(0xC0, code, 0, MS_OS_20_DESCRIPTOR_INDEX, setlen, in), setlen);
    assert_memory_equal(in, set, len);
    /* other wIndex, wValue, code, recipient, direction: STALL */
    assert_int_equal(fake_udc_control_in(0xC0, code, 0, 8, setlen, in), FAKE_UDC_STALL);
    assert_int_equal(fake_udc_control_in(0xC0, code, 0, 4, setlen, in), FAKE_UDC_STALL);
    assert_int_equal(fake_udc_control_in(0xC0, code, 1, 7, setlen, in), FAKE_UDC_STALL);
    assert_int_equal(fake_udc_control_in(0xC0, (uint8_t)(code + 1), 0, 7, setlen, in), FAKE_UDC_STALL);
    assert_int_equal(fake_udc_control_in(0xC1, code, 0, 7, setlen, in), FAKE_UDC_STALL);
    assert_int_equal(fake_udc_control_out(0x40, code, 0, 7, 0, NULL), FAKE_UDC_STALL);
    /* and ep0 recovers */
    assert_int_equal(fake_udc_control_in(0xC0, code, 0, 7, 10, in), 10);
}

static void test_ecm_mode_has_no_bos(void **state)
{
    (void)state;
    uint8_t in[64];
    start(USB_DESC_ECM);
    assert_int_equal(fake_udc_control_in(0x80, USB_REQ_GET_DESCRIPTOR, 0x0F00, 0, 5, in), FAKE_UDC_STALL);
    assert_int_equal(fake_udc_control_in(0xC0, USB_MS_VENDOR_CODE, 0, 7, 46, in), FAKE_UDC_STALL);
    assert_int_equal(fake_udc_control_in(0x80, USB_REQ_GET_DESCRIPTOR, 0x0100, 0, 18, in), 18);
    assert_int_equal(ntb_get16(in + 2), 0x0200);
    usb_desc_select(USB_DESC_NCM);
}

/* ---------------------------------------------------------------- OUT */

/* Take every datagram waiting; compare with the ntb_build pattern */
static unsigned drain(const uint16_t *lens, unsigned n)
{
    unsigned k = 0;
    const uint8_t *f;
    uint16_t len;
    while ((f = ncm_rx_peek(&len)) != NULL) {
        assert_true(k < n);
        assert_int_equal(len, lens[k]);
        for (unsigned i = 0; i < len; i++) {
            if (f[i] != (uint8_t)(k * 31u + i)) {
                fail_msg("datagram %u byte %u", k, i);
            }
        }
        ncm_rx_release();
        k++;
    }
    return k;
}

static void test_rx_linux_and_windows(void **state)
{
    (void)state;
    const uint16_t lens[3] = {60, 1514, 42};
    for (int last = 0; last < 2; last++) {
        uint16_t n = ntb_build(ntb, lens, 3, last);
        /* Linux adds one byte when the length is a multiple of 64; never here */
        assert_int_equal(fake_udc_bulk_out(USB_EP_DATA_OUT, ntb, n, false), n);
        assert_int_equal(drain(lens, 3), 3);
    }
    assert_int_equal(link_stats.rx_frames, 6);
    assert_int_equal(ncm_bad_ntbs(), 0);
}

/* Windows 10: an NTB that is a multiple of 64, no pad, no ZLP; Windows 11:
 * the same plus one 0 byte; Linux: padded to dwNtbOutMaxSize */
static void test_rx_block_end_rules(void **state)
{
    (void)state;
    uint16_t lens[1] = {0};
    /* Windows layout, NDP (16) last at a 4-aligned offset: 12 + len + 16 = 128 */
    lens[0] = 100;
    uint16_t n = ntb_build(ntb, lens, 1, 1);
    assert_int_equal(n, 128);
    assert_int_equal(fake_udc_bulk_out(USB_EP_DATA_OUT, ntb, n, false), n);  /* Windows 10 */
    assert_int_equal(drain(lens, 1), 1);
    ntb[n] = 0;
    assert_int_equal(fake_udc_bulk_out(USB_EP_DATA_OUT, ntb, (uint16_t)(n + 1), false), n);
    assert_int_equal(drain(lens, 1), 1);  /* Windows 11: the NTB ... */
    assert_int_equal(fake_udc_out(USB_EP_DATA_OUT, ntb + n, 1), 0);  /* ... then its pad byte */
    assert_null(ncm_rx_peek(NULL));
    /* and a ZLP after a multiple of 64 is harmless too */
    assert_int_equal(fake_udc_bulk_out(USB_EP_DATA_OUT, ntb, n, true), n);
    assert_int_equal(drain(lens, 1), 1);
    assert_int_equal(fake_udc_out(USB_EP_DATA_OUT, ntb, 0), 0);
    /* exactly 64 bytes, and one short packet */
    lens[0] = 36;
    n = ntb_build(ntb, lens, 1, 1);
    assert_int_equal(n, 64);
    assert_int_equal(fake_udc_bulk_out(USB_EP_DATA_OUT, ntb, n, false), n);
    assert_int_equal(drain(lens, 1), 1);
    lens[0] = 14;
    n = ntb_build(ntb, lens, 1, 0);
    assert_true(n < 64);
    assert_int_equal(fake_udc_bulk_out(USB_EP_DATA_OUT, ntb, n, false), n);
    assert_int_equal(drain(lens, 1), 1);
    /* Linux padding to tx_max: wBlockLength 2048 with zeros after the datagram */
    lens[0] = 1514;
    n = ntb_build(ntb, lens, 1, 0);
    ntb_le16(ntb + 8, 2048);
    assert_int_equal(fake_udc_bulk_out(USB_EP_DATA_OUT, ntb, 2048, false), 2048);
    assert_int_equal(drain(lens, 1), 1);
    assert_int_equal(ncm_bad_ntbs(), 0);
    assert_int_equal(link_stats.rx_dropped, 0);
    assert_int_equal(fake_udc_overflows, 0);
}

static void test_rx_many_datagrams_and_backpressure(void **state)
{
    (void)state;
    uint16_t lens[30];
    for (unsigned i = 0; i < 30; i++) {
        lens[i] = (uint16_t)(14 + i * 3);
    }
    uint16_t n = ntb_build(ntb, lens, 30, 0);
    assert_int_equal(fake_udc_bulk_out(USB_EP_DATA_OUT, ntb, n, false), n);
    /* not released: the next NTB is NAKed, not lost */
    assert_int_equal(fake_udc_out(USB_EP_DATA_OUT, ntb, 64), FAKE_UDC_NAK);
    assert_int_equal(drain(lens, 30), 30);
    assert_int_equal(fake_udc_bulk_out(USB_EP_DATA_OUT, ntb, n, false), n);
    assert_int_equal(drain(lens, 30), 30);
}

/* Each hostile NTB is dropped whole and counted; the endpoint keeps running */
static void test_rx_hostile_ntbs(void **state)
{
    (void)state;
    const uint16_t lens[2] = {100, 200};
    struct { uint16_t at; uint16_t v; } muts[] = {
        {0, 0x4D4E},        /* NTH signature */
        {4, 13},            /* wHeaderLength */
        {8, 4000},          /* wBlockLength beyond the buffer */
        {8, 0},             /* wBlockLength 0 */
        {10, 14},           /* wNdpIndex unaligned */
        {10, 4},            /* wNdpIndex inside the NTH */
        {10, 0x3000},       /* wNdpIndex beyond the block */
        {12, 0x4E4E},       /* NDP signature */
        {16, 8},            /* NDP wLength < 16 */
        {16, 0x1000},       /* NDP wLength beyond the block */
        {18, 12},           /* wNextNdpIndex to itself (a loop) */
        {20, 2},            /* datagram index inside the NTH */
        {22, 13},           /* datagram shorter than an Ethernet header */
        {22, 1515},         /* longer than wMaxSegmentSize */
        {22, 400},          /* past wBlockLength */
    };
    uint32_t bad = 0;
    for (unsigned m = 0; m < sizeof muts / sizeof muts[0]; m++) {
        uint16_t n = ntb_build(ntb, lens, 2, 0);
        ntb_le16(ntb + muts[m].at, muts[m].v);
        int acc = fake_udc_bulk_out(USB_EP_DATA_OUT, ntb, n, false);
        assert_int_equal(acc, n);
        if (ncm_rx_peek(NULL) != NULL) {
            fail_msg("mutation %u delivered a datagram", m);
        }
        bad++;
        if (ncm_bad_ntbs() != bad) {
            fail_msg("mutation %u: %u bad NTBs counted, want %u", m, (unsigned)ncm_bad_ntbs(), (unsigned)bad);
        }
        assert_int_equal(link_stats.rx_dropped, bad);
        /* still running: a good NTB right after is delivered */
        n = ntb_build(ntb, lens, 2, 0);
        assert_int_equal(fake_udc_bulk_out(USB_EP_DATA_OUT, ntb, n, false), n);
        assert_int_equal(drain(lens, 2), 2);
    }
    /* a transfer of junk that fills whole packets (no NTH): discarded up to its
     * short packet, then the next NTB is taken */
    memset(ntb, 0xA5, 300);
    assert_int_equal(fake_udc_bulk_out(USB_EP_DATA_OUT, ntb, 300, false), 300);
    assert_null(ncm_rx_peek(NULL));
    assert_int_equal(ncm_bad_ntbs(), bad + 1);
    /* a 1-byte transfer that is not a pad after a multiple of 64 */
    uint8_t one = 0;
    assert_int_equal(fake_udc_out(USB_EP_DATA_OUT, &one, 1), 0);
    assert_int_equal(ncm_bad_ntbs(), bad + 2);
    uint16_t n = ntb_build(ntb, lens, 2, 1);
    assert_int_equal(fake_udc_bulk_out(USB_EP_DATA_OUT, ntb, n, false), n);
    assert_int_equal(drain(lens, 2), 2);
    assert_int_equal(fake_udc_overflows, 0);
}

/* A host that sends less than wBlockLength: the short packet ends it, dropped */
static void test_rx_truncated_block(void **state)
{
    (void)state;
    const uint16_t lens[1] = {500};
    uint16_t n = ntb_build(ntb, lens, 1, 0);
    ntb_le16(ntb + 8, (uint16_t)(n + 100));
    assert_int_equal(fake_udc_bulk_out(USB_EP_DATA_OUT, ntb, n, false), n);
    assert_null(ncm_rx_peek(NULL));
    assert_int_equal(ncm_bad_ntbs(), 1);
    n = ntb_build(ntb, lens, 1, 0);
    assert_int_equal(fake_udc_bulk_out(USB_EP_DATA_OUT, ntb, n, false), n);
    assert_int_equal(drain(lens, 1), 1);
}

/* ----------------------------------------------------------------- IN */

/* Read one IN NTB and check it as Linux cdc_ncm_rx_verify_nth16/ndp16 do */
static int read_ntb(uint16_t want_seq, uint16_t *lens, unsigned max, bool *zlp)
{
    int n = fake_udc_bulk_in(USB_EP_DATA_IN, got, sizeof got, zlp);
    assert_true(n >= 12 + 16);
    assert_true(n <= 2048);
    assert_memory_equal(got, "NCMH", 4);
    assert_int_equal(ntb_get16(got + 4), 12);
    assert_int_equal(ntb_get16(got + 6), want_seq);
    assert_int_equal(ntb_get16(got + 8), n);
    uint16_t ndp = ntb_get16(got + 10);
    assert_int_equal(ndp % 4, 0);   /* wNdpInAlignment */
    ncm_parse_t p;
    uint16_t off, len;
    unsigned k = 0;
    assert_true(ncm_ntb_begin(&p, got, (uint16_t)n));
    while (ncm_ntb_next(&p, got, &off, &len) == 1) {
        assert_true(k < max);
        assert_int_equal(off % 4, 0);   /* wNdpInDivisor 4, remainder 0 */
        lens[k] = len;
        for (unsigned i = 0; i < len; i++) {
            if (got[off + i] != (uint8_t)(k + i)) {
                fail_msg("IN datagram %u byte %u", k, i);
            }
        }
        k++;
    }
    assert_int_equal(ncm_ntb_count(got, (uint16_t)n), (int)k);
    return (int)k;
}

static bool send_frame(unsigned k, uint16_t len)
{
    uint8_t *b = ncm_tx_acquire_len(len);
    if (b == NULL) {
        return false;
    }
    for (unsigned i = 0; i < len; i++) {
        b[i] = (uint8_t)(k + i);
    }
    ncm_tx_commit(len);
    return true;
}

static void test_tx_batching_and_sequence(void **state)
{
    (void)state;
    uint16_t lens[32];
    bool zlp;
    /* three frames before a flush: one NTB */
    assert_true(send_frame(0, 60));
    assert_true(send_frame(1, 1000));
    assert_true(send_frame(2, 42));
    assert_int_equal(fake_udc_count(FAKE_UDC_XFER, USB_EP_DATA_IN), 0);  /* not before the flush */
    ncm_tx_flush();
    assert_null(ncm_tx_acquire_len(60));  /* on the wire: nothing acquired */
    assert_int_equal(read_ntb(0, lens, 32, &zlp), 3);
    assert_int_equal(lens[0], 60);
    assert_int_equal(lens[1], 1000);
    assert_int_equal(lens[2], 42);
    assert_int_equal(link_stats.tx_frames, 3);
    /* the sequence counts up; a full-size frame fits alone */
    assert_true(send_frame(0, 1514));
    assert_null(ncm_tx_acquire_len(60));   /* no room: the NTB goes, the frame waits */
    assert_int_equal(read_ntb(1, lens, 32, &zlp), 1);
    assert_int_equal(lens[0], 1514);
    /* as many small frames as the NDP has entries */
    unsigned k = 0;
    while (send_frame(k, 60)) {
        k++;
        assert_true(k <= 64);
    }
    assert_int_equal(k, NCM_TX_MAX_DATAGRAMS);
    assert_int_equal(read_ntb(2, lens, 32, &zlp), (int)k);
    /* nothing to flush: no transfer */
    fake_udc_log_clear();
    ncm_tx_flush();
    assert_int_equal(fake_udc_count(FAKE_UDC_XFER, USB_EP_DATA_IN), 0);
}

static void test_tx_zlp_rule(void **state)
{
    (void)state;
    uint16_t lens[4];
    bool zlp = false;
    /* the first datagram starts at 12 + 8 + 4 * (NCM_TX_MAX_DATAGRAMS + 1) */
    uint16_t start = (uint16_t)(12 + 8 + 4 * (NCM_TX_MAX_DATAGRAMS + 1));
    uint16_t len = (uint16_t)(1280 - start);  /* block of exactly 1280 = 20 x 64 */
    assert_true(send_frame(0, len));
    ncm_tx_flush();
    assert_int_equal(read_ntb(0, lens, 4, &zlp), 1);
    assert_true(zlp);
    /* the IN endpoint is free again only after the ZLP went */
    assert_true(send_frame(0, (uint16_t)(len + 1)));
    ncm_tx_flush();
    assert_int_equal(read_ntb(1, lens, 4, &zlp), 1);
    assert_false(zlp);
}

static void test_tx_errors(void **state)
{
    (void)state;
    ncm_tx_commit(60);                        /* no acquire */
    assert_int_equal(link_stats.tx_dropped, 1);
    assert_null(ncm_tx_acquire_len(0));
    assert_null(ncm_tx_acquire_len(1515));
    assert_non_null(ncm_tx_acquire_len(100));
    ncm_tx_commit(101);                       /* more than acquired */
    assert_int_equal(link_stats.tx_errors, 1);
    assert_non_null(ncm_tx_acquire());        /* room for a full frame */
    ncm_tx_commit(0);
    assert_int_equal(link_stats.tx_errors, 2);
    /* shorter than an Ethernet header: refused, never put in an NTB (a
     * host's cdc_ncm would drop the datagrams behind it as well) */
    assert_non_null(ncm_tx_acquire_len(60));
    ncm_tx_commit(13);
    assert_int_equal(link_stats.tx_errors, 3);
    /* a failing IN transfer keeps the NTB for the next try */
    assert_true(send_frame(0, 60));
    fake_udc_fail_xfer_ep = USB_EP_DATA_IN;
    fake_udc_fail_xfer_count = 1;
    ncm_tx_flush();
    assert_int_equal(link_stats.tx_errors, 4);
    usbd_task();                               /* the poll hook flushes again */
    uint16_t lens[2];
    bool zlp;
    assert_int_equal(read_ntb(0, lens, 2, &zlp), 1);
    /* link down: what was being filled is gone */
    assert_true(send_frame(0, 60));
    set_alt(0);
    assert_null(ncm_tx_acquire());
    ncm_tx_commit(60);
    assert_int_equal(link_stats.tx_dropped, 2);
    set_alt(1);
    ncm_tx_flush();
    assert_int_equal(fake_udc_in(USB_EP_DATA_IN, got, 64), FAKE_UDC_NAK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_notifications_ncm_order, setup_configured),
        cmocka_unit_test_setup(test_notifications_across_alt_changes, setup_configured),
        cmocka_unit_test_setup(test_notification_in_flight_not_lost, setup_configured),
        cmocka_unit_test_setup(test_notifications_after_reset, setup_configured),
        cmocka_unit_test_setup(test_notify_xfer_failure_retried, setup_configured),
        cmocka_unit_test_setup(test_class_requests, setup_configured),
        cmocka_unit_test_setup(test_bos_and_msos20_requests, setup_configured),
        cmocka_unit_test_setup(test_ecm_mode_has_no_bos, setup_configured),
        cmocka_unit_test_setup(test_rx_linux_and_windows, setup_link),
        cmocka_unit_test_setup(test_rx_block_end_rules, setup_link),
        cmocka_unit_test_setup(test_rx_many_datagrams_and_backpressure, setup_link),
        cmocka_unit_test_setup(test_rx_hostile_ntbs, setup_link),
        cmocka_unit_test_setup(test_rx_truncated_block, setup_link),
        cmocka_unit_test_setup(test_tx_batching_and_sequence, setup_link),
        cmocka_unit_test_setup(test_tx_zlp_rule, setup_link),
        cmocka_unit_test_setup(test_tx_errors, setup_link),
    };
    return cmocka_run_group_tests_name("ncm", tests, NULL, NULL);
}
