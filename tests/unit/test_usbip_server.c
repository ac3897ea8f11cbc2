/* test_usbip_server.c - the USB/IP server (usbip_bridge/usbip_server.c) on top
 * of the real fake controller (hal_stub/udc_sim.c), driven by a tiny fake
 * device defined here (it implements udc_event_cb and answers chapter-9
 * requests through udc.h) and a client socket on 127.0.0.1. Checks what the
 * end-to-end tests cannot see: the exact packets the device receives (64-byte
 * split, URB_ZERO_PACKET), IN gathering bounded by transfer_buffer_length,
 * in-order completion of several pending URBs (also when a later URB reuses
 * a lower slot), status stages before RET_SUBMIT, STALL -> -EPIPE,
 * URB_SHORT_NOT_OK -> -EREMOTEIO, unlink, and the connection handling:
 * backpressure instead of a close (more URBs than slots, a stream of
 * unlinks), half-close, duplicate seqnum, keepalive, a full table. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <netinet/tcp.h>
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
/* Status stages the device saw complete (USB 2.0 8.5.3): counted in the
 * event callback, i.e. at the very packet the bridge moved, so a RET_SUBMIT
 * read afterwards proves the status stage came first. */
static bool st_out_armed, st_in_armed, ctl_write_armed;
static unsigned status_out_n, status_in_n;
static uint8_t ctl_write_buf[64];
static uint16_t ctl_write_len;

void udc_event_cb(const udc_event_t *ev)
{
    assert_true(ev_head - ev_tail < EVQ);
    if (ev->type == UDC_EVT_SETUP || ev->type == UDC_EVT_BUS_RESET ||
        ev->type == UDC_EVT_UNPLUGGED) {
        st_out_armed = st_in_armed = ctl_write_armed = false;
    } else if (ev->type == UDC_EVT_XFER_DONE && ev->ep == 0x00 && st_out_armed) {
        st_out_armed = false;
        assert_int_equal(ev->len, 0);
        status_out_n++;
    } else if (ev->type == UDC_EVT_XFER_DONE && ev->ep == 0x80 && st_in_armed) {
        st_in_armed = false;
        assert_int_equal(ev->len, 0);
        status_in_n++;
    }
    evq[ev_head++ % EVQ] = *ev;
}

static void arm_status_in(void)
{
    assert_true(udc_ep_xfer(0x80, ep0_buf, 0));
    st_in_armed = true;
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
        arm_status_in();
        return;
    } else if (s[0] == 0x40 && s[1] == 0x43 && wlength != 0 && wlength <= 64) {
        /* vendor control write: data stage OUT, then the IN status stage */
        ctl_write_armed = true;
        assert_true(udc_ep_xfer(0x00, ctl_write_buf, wlength));
        return;
    } else if (s[0] == 0x00 && s[1] == 9) {
        assert_true(udc_ep_open(0x81, UDC_EP_INTERRUPT, 16));
        assert_true(udc_ep_open(0x82, UDC_EP_BULK, 64));
        assert_true(udc_ep_open(0x02, UDC_EP_BULK, 64));
        if (out_rearm) {
            assert_true(udc_ep_xfer(0x02, out_buf, sizeof out_buf));
        }
        arm_status_in();
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
            udc_ep0_answer(ev.seq);  /* as the core does (udc.h) */
            dev_setup(ev.setup);
            break;
        case UDC_EVT_XFER_DONE:
            if (ev.ep == 0x80 && status_out_next) {
                status_out_next = false;
                assert_true(udc_ep_xfer(0x00, ep0_buf, 0));
                st_out_armed = true;
            } else if (ev.ep == 0x00 && ctl_write_armed) {
                ctl_write_armed = false;
                ctl_write_len = ev.len;
                arm_status_in();
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
    unsigned in0 = status_in_n;
    submit(0, USBIP_DIR_OUT, 0, 0, set_cfg, NULL);
    usbip_hdr_t h = read_ret(data, sizeof data, false);
    assert_int_equal(h.u.ret_submit.status, 0);
    assert_int_equal(status_in_n, in0 + 1);  /* no-data request: IN ZLP status first */
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

static void send_unlink(uint32_t target)
{
    uint8_t msg[48];
    usbip_hdr_t h;
    memset(&h, 0, sizeof h);
    h.command = USBIP_CMD_UNLINK;
    h.seqnum = ++seq;
    h.devid = 0x00010002;
    h.direction = USBIP_DIR_IN;
    h.ep = 2;
    h.u.unlink.unlink_seqnum = target;
    assert_int_equal(usbip_pack_hdr(msg, sizeof msg, &h), 48);
    client_send(msg, 48);
}

/* true once the server has closed the client's connection */
static bool client_closed(void)
{
    uint8_t b[64];
    for (unsigned i = 0; i < 50; i++) {
        pump(1);
        ssize_t r = recv(client, b, sizeof b, MSG_DONTWAIT);
        if (r == 0 || (r < 0 && errno == ECONNRESET)) {
            return true;
        }
    }
    return false;
}

/* USB 2.0 8.5.3: every control URB's RET_SUBMIT comes after its status
 * stage - OUT ZLP after IN data, IN ZLP after OUT data or no data. */
static void test_control_status_stage_before_ret(void **state)
{
    (void)state;
    uint8_t data[64];
    do_import();
    unsigned out0 = status_out_n, in0 = status_in_n;
    const uint8_t get_dev[8] = {0x80, 6, 0, 1, 0, 0, 18, 0};
    submit(0, USBIP_DIR_IN, 18, 0, get_dev, NULL);
    usbip_hdr_t h = read_ret(data, sizeof data, true);
    assert_int_equal(h.u.ret_submit.status, 0);
    assert_int_equal(status_out_n, out0 + 1);
    assert_int_equal(status_in_n, in0);
    configure();  /* checks the IN status of a no-data request */
    assert_int_equal(status_in_n, in0 + 1);
    const uint8_t vwrite[8] = {0x40, 0x43, 0, 0, 0, 0, 4, 0};
    const uint8_t payload[4] = {0xDE, 0xAD, 0xBE, 0xEF};
    ctl_write_len = 0;
    submit(0, USBIP_DIR_OUT, 4, 0, vwrite, payload);
    h = read_ret(data, sizeof data, false);
    assert_int_equal(h.u.ret_submit.status, 0);
    assert_int_equal(h.u.ret_submit.actual_length, 4);
    assert_int_equal(status_in_n, in0 + 2);  /* OUT data -> IN ZLP status first */
    assert_int_equal(ctl_write_len, 4);
    assert_memory_equal(ctl_write_buf, payload, 4);
    /* a STALLed request has no status stage */
    const uint8_t vendor[8] = {0xC0, 0x42, 0, 0, 0, 0, 4, 0};
    submit(0, USBIP_DIR_IN, 4, 0, vendor, NULL);
    h = read_ret(data, sizeof data, true);
    assert_int_equal(h.u.ret_submit.status, -32);
    assert_int_equal(status_out_n, out0 + 1);
    assert_int_equal(status_in_n, in0 + 2);
    disconnect_client();
}

/* In-order completion must follow arrival, not slot position: A frees the
 * lowest slot, D (later than B and C) takes it and must still wait. */
static void test_in_order_after_slot_reuse(void **state)
{
    (void)state;
    static uint8_t tx[256];
    uint8_t data[64];
    for (unsigned i = 0; i < sizeof tx; i++) {
        tx[i] = (uint8_t)(i * 7 + 1);
    }
    do_import();
    configure();
    uint32_t a = submit(2, USBIP_DIR_IN, 64, 0, NULL, NULL);
    uint32_t b = submit(2, USBIP_DIR_IN, 64, 0, NULL, NULL);
    uint32_t c = submit(2, USBIP_DIR_IN, 64, 0, NULL, NULL);
    assert_true(client_quiet());
    send_unlink(a);
    usbip_hdr_t h = read_ret(data, sizeof data, false);
    assert_int_equal(h.command, USBIP_RET_UNLINK);
    assert_int_equal(h.u.ret_unlink.status, -104);
    uint32_t d = submit(2, USBIP_DIR_IN, 64, 0, NULL, NULL);
    uint32_t e = submit(2, USBIP_DIR_IN, 64, 0, NULL, NULL);
    assert_true(client_quiet());
    assert_true(udc_ep_xfer(0x82, tx, sizeof tx));
    const uint32_t want[4] = {b, c, d, e};
    for (unsigned i = 0; i < 4; i++) {
        h = read_ret(data, sizeof data, true);
        assert_int_equal(h.command, USBIP_RET_SUBMIT);
        assert_int_equal(h.seqnum, want[i]);
        assert_int_equal(h.u.ret_submit.actual_length, 64);
        assert_memory_equal(data, tx + 64u * i, 64);
    }
    disconnect_client();
}

/* A seqnum already in flight is hostile input: the connection closes. */
static void test_duplicate_seqnum_closes(void **state)
{
    (void)state;
    do_import();
    configure();
    uint32_t s = submit(2, USBIP_DIR_IN, 64, 0, NULL, NULL);
    assert_true(client_quiet());
    seq = s - 1u;
    assert_int_equal(submit(2, USBIP_DIR_IN, 64, 0, NULL, NULL), s);
    assert_true(client_closed());
    assert_false(usbip_server_attached());
    disconnect_client();
}

/* URB_SHORT_NOT_OK: a short IN completes with -EREMOTEIO, data kept. */
static void test_short_not_ok(void **state)
{
    (void)state;
    static uint8_t tx[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    uint8_t data[100];
    do_import();
    configure();
    uint32_t s = submit(2, USBIP_DIR_IN, 100, 0x0001, NULL, NULL);
    assert_true(udc_ep_xfer(0x82, tx, sizeof tx));
    usbip_hdr_t h = read_ret(data, sizeof data, true);
    assert_int_equal(h.seqnum, s);
    assert_int_equal(h.u.ret_submit.status, -121);
    assert_int_equal(h.u.ret_submit.actual_length, 10);
    assert_memory_equal(data, tx, 10);
    /* the same URB filled completely is fine */
    s = submit(2, USBIP_DIR_IN, 10, 0x0001, NULL, NULL);
    assert_true(udc_ep_xfer(0x82, tx, sizeof tx));
    h = read_ret(data, sizeof data, true);
    assert_int_equal(h.seqnum, s);
    assert_int_equal(h.u.ret_submit.status, 0);
    /* a short control read too, after its status stage */
    unsigned out0 = status_out_n;
    const uint8_t get_dev[8] = {0x80, 6, 0, 1, 0, 0, 64, 0};
    s = submit(0, USBIP_DIR_IN, 64, 0x0001, get_dev, NULL);
    h = read_ret(data, sizeof data, true);
    assert_int_equal(h.seqnum, s);
    assert_int_equal(h.u.ret_submit.status, -121);
    assert_int_equal(h.u.ret_submit.actual_length, 18);
    assert_memory_equal(data, dev_desc, 18);
    assert_int_equal(status_out_n, out0 + 1);
    disconnect_client();
}

/* More URBs in one write than there are slots: backpressure, not a close. */
static void test_more_urbs_than_slots_in_one_write(void **state)
{
    (void)state;
    enum { N = USBIP_MAX_URBS + 8u };
    static uint8_t msgs[N * 48u];
    static uint8_t tx[N * 64u];
    uint8_t data[64];
    uint32_t first = seq + 1u;
    do_import();
    configure();
    first = seq + 1u;
    for (unsigned i = 0; i < N; i++) {
        usbip_hdr_t h;
        memset(&h, 0, sizeof h);
        h.command = USBIP_CMD_SUBMIT;
        h.seqnum = ++seq;
        h.devid = 0x00010002;
        h.direction = USBIP_DIR_IN;
        h.ep = 2;
        h.u.submit.transfer_buffer_length = 64;
        assert_int_equal(usbip_pack_hdr(msgs + 48u * i, 48, &h), 48);
    }
    for (unsigned i = 0; i < sizeof tx; i++) {
        tx[i] = (uint8_t)(i ^ (i >> 6));
    }
    client_send(msgs, sizeof msgs);
    assert_true(client_quiet());
    assert_true(usbip_server_attached());
    assert_true(udc_ep_xfer(0x82, tx, sizeof tx));
    for (unsigned i = 0; i < N; i++) {
        usbip_hdr_t h = read_ret(data, sizeof data, true);
        assert_int_equal(h.command, USBIP_RET_SUBMIT);
        assert_int_equal(h.seqnum, first + i);
        assert_int_equal(h.u.ret_submit.actual_length, 64);
        assert_memory_equal(data, tx + 64u * i, 64);
    }
    assert_true(usbip_server_attached());
    disconnect_client();
}

/* A client streaming unlinks faster than it reads: the server stops
 * reading while its replies pile up instead of dropping the connection. */
static void test_unlink_stream_backpressure(void **state)
{
    (void)state;
    enum { N = 2000 };
    static uint8_t msgs[N * 48u];
    static uint8_t in[N * 48u];
    do_import();
    configure();
    uint32_t first = seq + 1u;
    for (unsigned i = 0; i < N; i++) {
        usbip_hdr_t h;
        memset(&h, 0, sizeof h);
        h.command = USBIP_CMD_UNLINK;
        h.seqnum = ++seq;
        h.devid = 0x00010002;
        h.ep = 2;
        h.u.unlink.unlink_seqnum = 0x70000000u + i;
        assert_int_equal(usbip_pack_hdr(msgs + 48u * i, 48, &h), 48);
    }
    size_t sent = 0, got = 0;
    /* fill the socket first, as a fast sender would */
    for (;;) {
        ssize_t r = send(client, msgs + sent, sizeof msgs - sent, MSG_DONTWAIT);
        if (r <= 0) {
            break;
        }
        sent += (size_t)r;
    }
    for (unsigned i = 0; i < 20000 && got < sizeof in; i++) {
        if (sent < sizeof msgs) {
            ssize_t r = send(client, msgs + sent, sizeof msgs - sent, MSG_DONTWAIT);
            if (r > 0) {
                sent += (size_t)r;
            }
        }
        pump(1);
        ssize_t r = recv(client, in + got, sizeof in - got, MSG_DONTWAIT);
        if (r == 0) {
            break;
        }
        if (r > 0) {
            got += (size_t)r;
        }
    }
    assert_int_equal(got, sizeof in);
    for (unsigned i = 0; i < N; i++) {
        usbip_hdr_t h;
        assert_int_equal(usbip_unpack_hdr(in + 48u * i, 48, &h), 0);
        assert_int_equal(h.command, USBIP_RET_UNLINK);
        assert_int_equal(h.seqnum, first + i);
        assert_int_equal(h.u.ret_unlink.status, 0);
    }
    assert_true(usbip_server_attached());
    disconnect_client();
}

/* shutdown(SHUT_WR) right after the request still gets the whole reply. */
static void test_half_close_gets_reply(void **state)
{
    (void)state;
    const uint8_t req[8] = {0x01, 0x11, 0x80, 0x05, 0, 0, 0, 0};
    uint8_t rep[12 + 312 + 8];  /* two 4-byte interface records */
    uint8_t b;
    connect_client();
    client_send(req, sizeof req);
    assert_int_equal(shutdown(client, SHUT_WR), 0);
    assert_true(client_read(rep, sizeof rep));
    assert_memory_equal(rep, "\x01\x11\x00\x05\x00\x00\x00\x00\x00\x00\x00\x01", 12);
    pump(5);
    assert_int_equal(recv(client, &b, 1, MSG_DONTWAIT), 0);
    disconnect_client();
    /* the same for an IMPORT refusal */
    const uint8_t imp[40] = {0x01, 0x11, 0x80, 0x03, 0, 0, 0, 0, '9', '-', '9'};
    connect_client();
    client_send(imp, sizeof imp);
    assert_int_equal(shutdown(client, SHUT_WR), 0);
    assert_true(client_read(rep, 8));
    assert_memory_equal(rep, "\x01\x11\x00\x03\x00\x00\x00\x01", 8);
    pump(5);
    assert_int_equal(recv(client, &b, 1, MSG_DONTWAIT), 0);
    disconnect_client();
}

/* The server's end of the client's connection (same process). */
static int server_fd_of_client(void)
{
    struct sockaddr_in me, peer;
    socklen_t l = sizeof me;
    assert_int_equal(getsockname(client, (struct sockaddr *)&me, &l), 0);
    for (int fd = 3; fd < 1024; fd++) {
        socklen_t pl = sizeof peer;
        if (fd != client && getpeername(fd, (struct sockaddr *)&peer, &pl) == 0 &&
            peer.sin_family == AF_INET && peer.sin_port == me.sin_port &&
            peer.sin_addr.s_addr == me.sin_addr.s_addr) {
            return fd;
        }
    }
    return -1;
}

/* A peer that vanishes without FIN must not keep the device attached. */
static void test_keepalive(void **state)
{
    (void)state;
    int v = 0;
    socklen_t l = sizeof v;
    do_import();
    int fd = server_fd_of_client();
    assert_true(fd >= 0);
    assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &v, &l), 0);
    assert_int_equal(v, 1);
    l = sizeof v;
    assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, &l), 0);
    assert_in_range(v, 1, 10);
    l = sizeof v;
    assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &v, &l), 0);
    assert_in_range(v, 1, 5);
    l = sizeof v;
    assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &v, &l), 0);
    assert_in_range(v, 1, 5);
    disconnect_client();
}

/* A full table of idle connections must not lock out an attach: the
 * oldest one that has not imported makes room; idle ones time out soon. */
static void test_full_table_evicts_oldest_idle(void **state)
{
    (void)state;
    int idle[USBIP_MAX_CONN];
    uint8_t b;
    for (unsigned i = 0; i < USBIP_MAX_CONN; i++) {
        connect_client();
        idle[i] = client;
    }
    do_import();  /* fails if the new connection was refused */
    client_quiet();
    ssize_t r = recv(idle[0], &b, 1, MSG_DONTWAIT);
    assert_true(r == 0 || (r < 0 && errno == ECONNRESET));
    for (unsigned i = 1; i < USBIP_MAX_CONN; i++) {
        assert_int_equal(recv(idle[i], &b, 1, MSG_DONTWAIT), -1);
        assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
    }
    for (unsigned i = 0; i < USBIP_MAX_CONN; i++) {
        close(idle[i]);
    }
    disconnect_client();
    assert_true(USBIP_OP_IDLE_MS <= 5000u);  /* idle ones go within seconds, too */
}

/* A failed test must not leave its connection attached for the next one. */
static int test_teardown(void **state)
{
    (void)state;
    if (client >= 0) {
        disconnect_client();
    }
    return 0;
}
#define T(f) cmocka_unit_test_teardown(f, test_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_record_from_descriptors),
        T(test_devlist_bytes),
        T(test_control_in_and_stall),
        T(test_bulk_out_split_and_zero_packet),
        T(test_bulk_out_nak_until_armed),
        T(test_bulk_in_pending_in_order_and_bounded),
        T(test_unlink),
        T(test_second_import_busy_and_wrong_devid),
        T(test_control_status_stage_before_ret),
        T(test_in_order_after_slot_reuse),
        T(test_duplicate_seqnum_closes),
        T(test_short_not_ok),
        T(test_more_urbs_than_slots_in_one_write),
        T(test_unlink_stream_backpressure),
        T(test_half_close_gets_reply),
        T(test_keepalive),
        T(test_full_table_evicts_oldest_idle),
    };
    return cmocka_run_group_tests_name("usbip_server", tests, group_setup, group_teardown);
}
