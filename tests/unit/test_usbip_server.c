/* test_usbip_server.c - the USB/IP server (usbip_bridge/usbip_server.c) on top
 * of the real fake controller (hal_stub/udc_sim.c), driven by a tiny fake
 * device defined here (it implements udc_event_cb and answers chapter-9
 * requests through udc.h) and a client socket on 127.0.0.1. Checks what the
 * end-to-end tests cannot see: the exact packets the device receives (64-byte
 * split, URB_ZERO_PACKET), IN gathering bounded by transfer_buffer_length,
 * in-order completion of several pending URBs, STALL -> -EPIPE, unlink. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "udc_sim.h"
#include "usbip_server.h"

/* ------------------------------------------------------------ fake device */

static const uint8_t dev_desc[18] = {18, 1, 0x00, 0x02, 0x02, 0x00, 0x00, 64,
                                     0x09, 0x12, 0x01, 0x00, 0x00, 0x01, 1, 2, 3, 1};
/* config: 2 interfaces; itf 0 alt 0 = 02/06/00, itf 1 alt 0 = 0a/00/00 and
 * alt 1 (ignored by the record), one bulk pair */
static const uint8_t cfg_desc[] = {
    9, 2, 43, 0, 2, 1, 0, 0x80, 50,
    9, 4, 0, 0, 1, 0x02, 0x06, 0x00, 0,
    7, 5, 0x81, 3, 16, 0, 16,
    9, 4, 1, 0, 0, 0x0A, 0x00, 0x00, 0,
    9, 4, 1, 1, 2, 0x0A, 0x00, 0x00, 0,
};

#define EVQ 64
static udc_event_t evq[EVQ];
static unsigned ev_head, ev_tail;
static uint8_t ep0_buf[64];
static bool status_out_next;    /* after IN data: arm the OUT status */
static bool addr_pending;
static uint8_t addr_value;
static uint8_t out_buf[512];
static uint16_t out_done_len[8];
static unsigned out_done_n;
static bool out_rearm = true;

void udc_event_cb(const udc_event_t *ev)
{
    assert_true(ev_head - ev_tail < EVQ);
    evq[ev_head++ % EVQ] = *ev;
}

static void dev_setup(const uint8_t *s)
{
    uint16_t wvalue = (uint16_t)(s[2] | (s[3] << 8));
    uint16_t wlength = (uint16_t)(s[6] | (s[7] << 8));
    const uint8_t *d = NULL;
    uint16_t n = 0;
    if (s[0] == 0x80 && s[1] == 6 && (wvalue >> 8) == 1) {
        d = dev_desc;
        n = sizeof dev_desc;
    } else if (s[0] == 0x80 && s[1] == 6 && (wvalue >> 8) == 2) {
        d = cfg_desc;
        n = sizeof cfg_desc;
    } else if (s[0] == 0x00 && s[1] == 5) {
        addr_pending = true;
        addr_value = (uint8_t)wvalue;
        assert_true(udc_ep_xfer(0x80, ep0_buf, 0));
        return;
    } else if (s[0] == 0x00 && s[1] == 9) {
        assert_true(udc_ep_open(0x81, UDC_EP_INTERRUPT, 16));
        assert_true(udc_ep_open(0x82, UDC_EP_BULK, 64));
        assert_true(udc_ep_open(0x02, UDC_EP_BULK, 64));
        if (out_rearm) {
            assert_true(udc_ep_xfer(0x02, out_buf, sizeof out_buf));
        }
        assert_true(udc_ep_xfer(0x80, ep0_buf, 0));
        return;
    } else {
        udc_ep_stall(0x80);  /* Request Error, USB 2.0 9.2.7 */
        return;
    }
    if (n > wlength) {
        n = wlength;
    }
    status_out_next = true;
    assert_true(udc_ep_xfer(0x80, (uint8_t *)d, n));
}

static void dev_poll(void)
{
    while (ev_tail != ev_head) {
        udc_event_t ev = evq[ev_tail++ % EVQ];
        switch (ev.type) {
        case UDC_EVT_SETUP:
            status_out_next = false;
            dev_setup(ev.setup);
            break;
        case UDC_EVT_XFER_DONE:
            if (ev.ep == 0x80 && status_out_next) {
                status_out_next = false;
                assert_true(udc_ep_xfer(0x00, ep0_buf, 0));
            } else if (ev.ep == 0x80 && addr_pending) {
                addr_pending = false;
                udc_set_address(addr_value);
            } else if (ev.ep == 0x02) {
                if (out_done_n < 8) {
                    out_done_len[out_done_n++] = ev.len;
                }
                if (out_rearm) {
                    /* may fail after an unplug closed the endpoint */
                    (void)udc_ep_xfer(0x02, out_buf, sizeof out_buf);
                }
            }
            break;
        case UDC_EVT_BUS_RESET:
        case UDC_EVT_UNPLUGGED:
            status_out_next = false;
            addr_pending = false;
            break;
        default:
            break;
        }
    }
}

/* ----------------------------------------------------------- test harness */

static int client = -1;
static uint16_t port;
static uint32_t seq;

static void pump(unsigned rounds)
{
    for (unsigned r = 0; r < rounds; r++) {
        struct pollfd fds[USBIP_POLLFD_MAX];
        unsigned n = usbip_server_pollfds(fds, USBIP_POLLFD_MAX);
        if (poll(fds, n, 1) > 0) {
            usbip_server_handle(fds, n);
        }
        dev_poll();
        (void)usbip_server_run();
    }
}

/* Reads exactly n bytes from the client socket, pumping the server. */
static bool client_read(uint8_t *buf, size_t n)
{
    size_t got = 0;
    for (unsigned i = 0; i < 500 && got < n; i++) {
        pump(1);
        ssize_t r = recv(client, buf + got, n - got, MSG_DONTWAIT);
        if (r > 0) {
            got += (size_t)r;
        } else if (r == 0) {
            return false;
        }
    }
    return got == n;
}

/* true if nothing arrives within a few rounds */
static bool client_quiet(void)
{
    uint8_t b;
    pump(30);
    return recv(client, &b, 1, MSG_DONTWAIT) < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

static void client_send(const uint8_t *buf, size_t n)
{
    assert_int_equal(send(client, buf, n, 0), (ssize_t)n);
}

static int group_setup(void **state)
{
    (void)state;
    usbip_server_cfg_t cfg = {.busid = "1-1", .poll = dev_poll, .verbose = false};
    struct in_addr lo;
    udc_init();
    udc_connect();
    assert_int_equal(usbip_server_init(&cfg), 0);
    inet_pton(AF_INET, "127.0.0.1", &lo);
    assert_int_equal(usbip_server_listen(lo, 0, &port), 0);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    usbip_server_shutdown();
    return 0;
}

static void connect_client(void)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    client = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(client >= 0);
    assert_int_equal(connect(client, (struct sockaddr *)&sa, sizeof sa), 0);
    pump(3);
}

static void disconnect_client(void)
{
    close(client);
    client = -1;
    pump(5);
}

static void do_import(void)
{
    uint8_t req[40] = {0x01, 0x11, 0x80, 0x03, 0, 0, 0, 0, '1', '-', '1'};
    uint8_t rep[8 + 312];
    connect_client();
    client_send(req, sizeof req);
    assert_true(client_read(rep, sizeof rep));
    assert_memory_equal(rep, "\x01\x11\x00\x03\x00\x00\x00\x00", 8);
    assert_true(usbip_server_attached());
    assert_int_equal(udc_sim_address(), 2);  /* the bridge addressed the device */
}

static uint32_t submit(uint8_t ep, uint8_t dir, uint32_t len, uint32_t flags,
                       const uint8_t setup[8], const uint8_t *data)
{
    uint8_t msg[48 + 1024];
    usbip_hdr_t h;
    memset(&h, 0, sizeof h);
    h.command = USBIP_CMD_SUBMIT;
    h.seqnum = ++seq;
    h.devid = 0x00010002;
    h.direction = dir;
    h.ep = ep;
    h.u.submit.transfer_flags = flags;
    h.u.submit.transfer_buffer_length = len;
    if (setup != NULL) {
        memcpy(h.u.submit.setup, setup, 8);
    }
    assert_int_equal(usbip_pack_hdr(msg, sizeof msg, &h), 48);
    size_t n = 48;
    if (dir == USBIP_DIR_OUT && len > 0) {
        assert_true(len <= 1024);
        memcpy(msg + 48, data, len);
        n += len;
    }
    client_send(msg, n);
    return h.seqnum;
}

/* Reads one RET_SUBMIT (and its IN data into data[]) */
static usbip_hdr_t read_ret(uint8_t *data, size_t room, bool in)
{
    uint8_t hb[48];
    usbip_hdr_t h;
    assert_true(client_read(hb, 48));
    assert_int_equal(usbip_unpack_hdr(hb, 48, &h), 0);
    if (h.command == USBIP_RET_SUBMIT && in && h.u.ret_submit.actual_length > 0) {
        assert_true(h.u.ret_submit.actual_length <= room);
        assert_true(client_read(data, h.u.ret_submit.actual_length));
    }
    return h;
}

/* ------------------------------------------------------------------ tests */

static void test_record_from_descriptors(void **state)
{
    (void)state;
    const usbip_dev_t *d = usbip_server_device();
    usbip_intf_t it[USBIP_MAX_INTF];
    assert_int_equal(d->idVendor, 0x1209);
    assert_int_equal(d->idProduct, 0x0001);
    assert_int_equal(d->bcdDevice, 0x0100);
    assert_int_equal(d->bDeviceClass, 0x02);
    assert_int_equal(d->bNumConfigurations, 1);
    assert_int_equal(d->bConfigurationValue, 1);
    assert_int_equal(d->bNumInterfaces, 2);
    assert_int_equal(d->speed, USBIP_SPEED_FULL);
    assert_string_equal(d->busid, "1-1");
    assert_int_equal(usbip_server_interfaces(it, USBIP_MAX_INTF), 2);
    assert_int_equal(it[0].bInterfaceClass, 0x02);
    assert_int_equal(it[0].bInterfaceSubClass, 0x06);
    assert_int_equal(it[1].bInterfaceClass, 0x0A);
}

static void test_devlist_bytes(void **state)
{
    (void)state;
    const uint8_t req[8] = {0x01, 0x11, 0x80, 0x05, 0, 0, 0, 0};
    uint8_t rep[12 + 312 + 8];
    connect_client();
    client_send(req, sizeof req);
    assert_true(client_read(rep, sizeof rep));
    assert_memory_equal(rep, "\x01\x11\x00\x05\x00\x00\x00\x00\x00\x00\x00\x01", 12);
    assert_memory_equal(rep + 12 + 256, "1-1\0", 4);
    assert_memory_equal(rep + 12 + 300, "\x12\x09\x00\x01", 4);
    assert_memory_equal(rep + 12 + 312, "\x02\x06\x00\x00\x0a\x00\x00\x00", 8);
    /* one request per connection: then the server closes */
    uint8_t b;
    pump(5);
    assert_int_equal(recv(client, &b, 1, MSG_DONTWAIT), 0);
    disconnect_client();
}

static void test_control_in_and_stall(void **state)
{
    (void)state;
    uint8_t data[300];
    do_import();
    const uint8_t get_cfg[8] = {0x80, 6, 0, 2, 0, 0, 0xFF, 0};
    uint32_t s = submit(0, USBIP_DIR_IN, 255, 0, get_cfg, NULL);
    usbip_hdr_t h = read_ret(data, sizeof data, true);
    assert_int_equal(h.command, USBIP_RET_SUBMIT);
    assert_int_equal(h.seqnum, s);
    assert_int_equal(h.u.ret_submit.status, 0);
    assert_int_equal(h.u.ret_submit.actual_length, sizeof cfg_desc);
    assert_memory_equal(data, cfg_desc, sizeof cfg_desc);
    /* unknown request -> the fake device stalls -> -EPIPE, then ep0 works again */
    const uint8_t vendor[8] = {0xC0, 0x42, 0, 0, 0, 0, 4, 0};
    s = submit(0, USBIP_DIR_IN, 4, 0, vendor, NULL);
    h = read_ret(data, sizeof data, true);
    assert_int_equal(h.seqnum, s);
    assert_int_equal(h.u.ret_submit.status, -32);
    assert_int_equal(h.u.ret_submit.actual_length, 0);
    const uint8_t get_dev[8] = {0x80, 6, 0, 1, 0, 0, 18, 0};
    s = submit(0, USBIP_DIR_IN, 18, 0, get_dev, NULL);
    h = read_ret(data, sizeof data, true);
    assert_int_equal(h.u.ret_submit.status, 0);
    assert_memory_equal(data, dev_desc, 18);
    disconnect_client();
    assert_false(usbip_server_attached());
}

static void configure(void)
{
    uint8_t data[8];
    const uint8_t set_cfg[8] = {0x00, 9, 1, 0, 0, 0, 0, 0};
    submit(0, USBIP_DIR_OUT, 0, 0, set_cfg, NULL);
    usbip_hdr_t h = read_ret(data, sizeof data, false);
    assert_int_equal(h.u.ret_submit.status, 0);
}

static void test_bulk_out_split_and_zero_packet(void **state)
{
    (void)state;
    uint8_t frame[200], data[8];
    for (unsigned i = 0; i < sizeof frame; i++) {
        frame[i] = (uint8_t)(i * 3);
    }
    out_done_n = 0;
    out_rearm = true;
    do_import();
    configure();
    /* 128 bytes with URB_ZERO_PACKET: 64 + 64 + ZLP -> one device transfer of 128 */
    submit(2, USBIP_DIR_OUT, 128, USBIP_URB_ZERO_PACKET, NULL, frame);
    usbip_hdr_t h = read_ret(data, sizeof data, false);
    assert_int_equal(h.u.ret_submit.status, 0);
    assert_int_equal(h.u.ret_submit.actual_length, 128);
    pump(3);
    assert_int_equal(out_done_n, 1);
    assert_int_equal(out_done_len[0], 128);
    assert_memory_equal(out_buf, frame, 128);
    /* 100 bytes: 64 + 36 (short) ends the device transfer */
    submit(2, USBIP_DIR_OUT, 100, 0, NULL, frame + 50);
    h = read_ret(data, sizeof data, false);
    assert_int_equal(h.u.ret_submit.actual_length, 100);
    pump(3);
    assert_int_equal(out_done_n, 2);
    assert_int_equal(out_done_len[1], 100);
    assert_memory_equal(out_buf, frame + 50, 100);
    /* 64 bytes without the flag: no ZLP, the device transfer stays open */
    submit(2, USBIP_DIR_OUT, 64, 0, NULL, frame);
    h = read_ret(data, sizeof data, false);
    assert_int_equal(h.u.ret_submit.actual_length, 64);
    pump(3);
    assert_int_equal(out_done_n, 2);
    disconnect_client();
}

static void test_bulk_out_nak_until_armed(void **state)
{
    (void)state;
    uint8_t frame[10] = {1, 2, 3}, data[8];
    out_done_n = 0;
    out_rearm = false;  /* device does not arm OUT: backpressure */
    do_import();
    configure();
    uint32_t s = submit(2, USBIP_DIR_OUT, 10, 0, NULL, frame);
    assert_true(client_quiet());  /* NAKed: no RET_SUBMIT yet */
    assert_true(udc_ep_xfer(0x02, out_buf, sizeof out_buf));
    usbip_hdr_t h = read_ret(data, sizeof data, false);
    assert_int_equal(h.seqnum, s);
    assert_int_equal(h.u.ret_submit.actual_length, 10);
    out_rearm = true;
    disconnect_client();
}

static void test_bulk_in_pending_in_order_and_bounded(void **state)
{
    (void)state;
    static uint8_t tx[150];
    uint8_t data[128];
    for (unsigned i = 0; i < sizeof tx; i++) {
        tx[i] = (uint8_t)(255 - i);
    }
    do_import();
    configure();
    uint32_t a = submit(2, USBIP_DIR_IN, 64, 0, NULL, NULL);
    uint32_t b = submit(2, USBIP_DIR_IN, 64, 0, NULL, NULL);
    uint32_t c = submit(2, USBIP_DIR_IN, 100, 0, NULL, NULL);
    assert_true(client_quiet());  /* nothing to send: all three stay pending */
    /* ep0 is not blocked by them */
    configure();
    /* one 150-byte transfer: URB a gets 64, b 64, c the short 22 */
    assert_true(udc_ep_xfer(0x82, tx, sizeof tx));
    usbip_hdr_t h = read_ret(data, sizeof data, true);
    assert_int_equal(h.seqnum, a);
    assert_int_equal(h.u.ret_submit.actual_length, 64);
    assert_memory_equal(data, tx, 64);
    h = read_ret(data, sizeof data, true);
    assert_int_equal(h.seqnum, b);
    assert_memory_equal(data, tx + 64, 64);
    h = read_ret(data, sizeof data, true);
    assert_int_equal(h.seqnum, c);
    assert_int_equal(h.u.ret_submit.actual_length, 22);
    assert_memory_equal(data, tx + 128, 22);
    /* a 64-byte transfer then a ZLP end one 100-byte URB at 64 */
    uint32_t d = submit(2, USBIP_DIR_IN, 100, 0, NULL, NULL);
    assert_true(udc_ep_xfer(0x82, tx, 64));
    assert_true(client_quiet());  /* full packet, room left: wait for more */
    assert_true(udc_ep_xfer(0x82, tx, 0));
    h = read_ret(data, sizeof data, true);
    assert_int_equal(h.seqnum, d);
    assert_int_equal(h.u.ret_submit.actual_length, 64);
    disconnect_client();
}

static void test_unlink(void **state)
{
    (void)state;
    uint8_t msg[48], data[64];
    do_import();
    configure();
    uint32_t p = submit(2, USBIP_DIR_IN, 64, 0, NULL, NULL);
    assert_true(client_quiet());
    usbip_hdr_t h;
    memset(&h, 0, sizeof h);
    h.command = USBIP_CMD_UNLINK;
    h.seqnum = ++seq;
    h.devid = 0x00010002;
    h.direction = USBIP_DIR_IN;
    h.ep = 2;
    h.u.unlink.unlink_seqnum = p;
    usbip_pack_hdr(msg, sizeof msg, &h);
    client_send(msg, 48);
    usbip_hdr_t r = read_ret(data, sizeof data, false);
    assert_int_equal(r.command, USBIP_RET_UNLINK);
    assert_int_equal(r.seqnum, seq);
    assert_int_equal(r.u.ret_unlink.status, -104);
    /* the unlinked URB never completes, even when data comes */
    static uint8_t tx[10] = {9};
    assert_true(udc_ep_xfer(0x82, tx, sizeof tx));
    assert_true(client_quiet());
    /* unknown seqnum -> 0 */
    h.seqnum = ++seq;
    h.u.unlink.unlink_seqnum = 4242;
    usbip_pack_hdr(msg, sizeof msg, &h);
    client_send(msg, 48);
    r = read_ret(data, sizeof data, false);
    assert_int_equal(r.seqnum, seq);
    assert_int_equal(r.u.ret_unlink.status, 0);
    disconnect_client();
}

static void test_second_import_busy_and_wrong_devid(void **state)
{
    (void)state;
    uint8_t rep[8];
    do_import();
    int first = client;
    connect_client();
    const uint8_t req[40] = {0x01, 0x11, 0x80, 0x03, 0, 0, 0, 0, '1', '-', '1'};
    client_send(req, sizeof req);
    assert_true(client_read(rep, 8));
    assert_memory_equal(rep, "\x01\x11\x00\x03\x00\x00\x00\x02", 8);
    close(client);
    client = first;
    /* wrong devid closes the attached connection and frees the device */
    usbip_hdr_t h;
    uint8_t msg[48];
    memset(&h, 0, sizeof h);
    h.command = USBIP_CMD_SUBMIT;
    h.seqnum = ++seq;
    h.devid = 0x00010003;
    h.direction = USBIP_DIR_IN;
    h.ep = 2;
    usbip_pack_hdr(msg, sizeof msg, &h);
    client_send(msg, 48);
    pump(5);
    uint8_t b;
    assert_int_equal(recv(client, &b, 1, MSG_DONTWAIT), 0);
    assert_false(usbip_server_attached());
    disconnect_client();
    do_import();  /* and a new import works */
    disconnect_client();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_from_descriptors),
        cmocka_unit_test(test_devlist_bytes),
        cmocka_unit_test(test_control_in_and_stall),
        cmocka_unit_test(test_bulk_out_split_and_zero_packet),
        cmocka_unit_test(test_bulk_out_nak_until_armed),
        cmocka_unit_test(test_bulk_in_pending_in_order_and_bounded),
        cmocka_unit_test(test_unlink),
        cmocka_unit_test(test_second_import_busy_and_wrong_devid),
    };
    return cmocka_run_group_tests_name("usbip_server", tests, group_setup, group_teardown);
}
