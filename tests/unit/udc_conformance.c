/* udc_conformance.c - the udc.h promises as tests, run against any port
 * (udc_conformance.h). Each test names the udc.h rule it checks. The suite
 * stands in for the device core: it defines udc_event_cb() (recording) and,
 * like usbd.c, answers every SETUP with udc_ep0_answer(ev.seq). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "udc_conformance.h"
#include "usb/udc.h"

static const udc_conf_port_t *P;

#define EV_MAX 64u
static udc_event_t ev[EV_MAX];
static unsigned nev;

void udc_event_cb(const udc_event_t *e)
{
    assert_true(nev < EV_MAX);
    ev[nev++] = *e;
}

static unsigned count_done(uint8_t ep)
{
    unsigned n = 0;
    for (unsigned i = 0; i < nev; i++) {
        n += ev[i].type == UDC_EVT_XFER_DONE && ev[i].ep == ep;
    }
    return n;
}

static const udc_event_t *last_ev(void)
{
    assert_true(nev > 0u);
    return &ev[nev - 1u];
}

/* ---- host side: every bus event is followed by the controller's reaction */

static udc_conf_hs_t h_setup(const uint8_t s[8])
{
    udc_conf_hs_t r = P->setup(s);
    P->pump();
    return r;
}

static udc_conf_hs_t h_out(uint8_t n, const uint8_t *d, uint16_t len)
{
    udc_conf_hs_t r = P->out(n, d, len);
    P->pump();
    return r;
}

static udc_conf_hs_t h_in(uint8_t n, uint8_t *buf, uint16_t *len)
{
    *len = 0xFFFFu;
    udc_conf_hs_t r = P->in(n, buf, 64, len);
    P->pump();
    if (r != UDC_CONF_ACK) {
        *len = 0;
    }
    return r;
}

static void h_reset(void)
{
    P->bus_reset();
    P->pump();
}

/* A closed or absent endpoint neither takes nor offers data, and does not
 * ask the host to retry either: STALL or no handshake. */
static void assert_refused(udc_conf_hs_t r)
{
    assert_true(r == UDC_CONF_STALL || r == UDC_CONF_NONE);
}

static void assert_pid(uint8_t n, bool in, int want)
{
    int pid = P->last_pid(n, in);
    if (pid >= 0) {
        assert_int_equal(pid, want);
    }
}

static const uint8_t get_dev[8] = {0x80, 6, 0, 1, 0, 0, 18, 0};
static const uint8_t set_cfg[8] = {0x00, 9, 1, 0, 0, 0, 0, 0};

/* SETUP delivered, reported with its bytes, answered as the core would */
static uint8_t setup_answered(const uint8_t s[8])
{
    unsigned before = nev;
    assert_int_equal(h_setup(s), UDC_CONF_ACK);
    assert_int_equal(nev, before + 1u);
    assert_int_equal(last_ev()->type, UDC_EVT_SETUP);
    assert_memory_equal(last_ev()->setup, s, 8);
    udc_ep0_answer(last_ev()->seq);
    return last_ev()->seq;
}

static int fresh(void **state)
{
    (void)state;
    nev = 0;
    P->power_on();
    P->pump();
    nev = 0;
    return 0;
}

/* ------------------------------------------------------------------ tests */

/* udc.h "Bus reset": address 0, endpoints but ep0 closed (transfers gone
 * without XFER_DONE), ep0 open with 64-byte packets, then BUS_RESET. */
static void test_bus_reset(void **state)
{
    (void)state;
    uint8_t data[64] = {1, 2, 3}, got[64];
    uint16_t len;
    nev = 0;
    P->power_on();
    P->pump();
    assert_int_equal(nev, 1);
    assert_int_equal(ev[0].type, UDC_EVT_BUS_RESET);

    assert_true(udc_ep_open(0x81, UDC_EP_BULK, 64));
    assert_true(udc_ep_xfer(0x81, data, 10));
    nev = 0;
    h_reset();
    assert_int_equal(nev, 1);
    assert_int_equal(ev[0].type, UDC_EVT_BUS_RESET);
    assert_false(udc_ep_xfer(0x81, data, 10));
    assert_refused(h_in(1, got, &len));
    assert_int_equal(nev, 1);
    (void)setup_answered(get_dev);
    assert_true(udc_ep_xfer(0x80, data, 64));       /* a full 64-byte packet fits ep0 */
    assert_int_equal(h_in(0, got, &len), UDC_CONF_ACK);
    assert_int_equal(len, 64);
    assert_memory_equal(got, data, 64);
}

/* udc.h "SETUP": reported with its 8 bytes and a new sequence number each;
 * nothing queued on ep0 means NAK. */
static void test_setup_reported_with_sequence(void **state)
{
    (void)state;
    uint8_t got[64];
    uint16_t len;
    uint8_t a = setup_answered(get_dev);
    uint8_t b = setup_answered(set_cfg);
    assert_int_not_equal(a, b);
    assert_int_equal(h_in(0, got, &len), UDC_CONF_NAK);
    assert_int_equal(h_out(0, NULL, 0), UDC_CONF_NAK);
    assert_int_equal(nev, 2);
}

/* udc.h "Transfer level" (IN): max-packet pieces, one XFER_DONE after the
 * last, never a ZLP of the driver's own; a zero-length transfer is one ZLP. */
static void test_in_transfers(void **state)
{
    (void)state;
    uint8_t data[150], got[64];
    uint16_t len;
    for (unsigned i = 0; i < sizeof data; i++) {
        data[i] = (uint8_t)(i * 3u + 1u);
    }
    assert_true(udc_ep_open(0x82, UDC_EP_BULK, 64));
    assert_int_equal(h_in(2, got, &len), UDC_CONF_NAK);
    assert_true(udc_ep_xfer(0x82, data, 150));
    static const uint16_t sizes[3] = {64, 64, 22};
    for (unsigned p = 0; p < 3u; p++) {
        assert_int_equal(count_done(0x82), 0);
        assert_int_equal(h_in(2, got, &len), UDC_CONF_ACK);
        assert_int_equal(len, sizes[p]);
        assert_memory_equal(got, data + 64u * p, sizes[p]);
        assert_pid(2, true, (int)(p & 1u));
    }
    assert_int_equal(count_done(0x82), 1);
    assert_int_equal(last_ev()->len, 150);
    assert_int_equal(h_in(2, got, &len), UDC_CONF_NAK);

    assert_true(udc_ep_xfer(0x82, data, 64));
    assert_int_equal(h_in(2, got, &len), UDC_CONF_ACK);
    assert_int_equal(count_done(0x82), 2);
    assert_int_equal(h_in(2, got, &len), UDC_CONF_NAK);  /* no ZLP added */
    assert_true(udc_ep_xfer(0x82, NULL, 0));
    assert_int_equal(h_in(2, got, &len), UDC_CONF_ACK);
    assert_int_equal(len, 0);
    assert_int_equal(count_done(0x82), 3);
    assert_int_equal(last_ev()->len, 0);

    /* interrupt endpoint with 16-byte packets, odd length */
    assert_true(udc_ep_open(0x83, UDC_EP_INTERRUPT, 16));
    assert_true(udc_ep_xfer(0x83, data + 1, 21));
    assert_int_equal(h_in(3, got, &len), UDC_CONF_ACK);
    assert_int_equal(len, 16);
    assert_int_equal(h_in(3, got, &len), UDC_CONF_ACK);
    assert_int_equal(len, 5);
    assert_memory_equal(got, data + 17, 5);
    assert_int_equal(last_ev()->ep, 0x83);
    assert_int_equal(last_ev()->len, 21);
}

/* udc.h "Transfer level" (OUT): ends on a short packet or after len bytes;
 * bytes beyond len are dropped, never written. */
static void test_out_transfers(void **state)
{
    (void)state;
    uint8_t buf[202], pkt[64];
    assert_true(udc_ep_open(0x02, UDC_EP_BULK, 64));
    assert_int_equal(h_out(2, pkt, 64), UDC_CONF_NAK);
    memset(buf, 0xEE, sizeof buf);
    assert_true(udc_ep_xfer(0x02, buf + 1, 200));           /* any alignment */
    memset(pkt, 0x11, 64);
    assert_int_equal(h_out(2, pkt, 64), UDC_CONF_ACK);
    assert_pid(2, false, 0);
    assert_int_equal(count_done(0x02), 0);
    memset(pkt, 0x22, 10);
    assert_int_equal(h_out(2, pkt, 10), UDC_CONF_ACK);
    assert_pid(2, false, 1);
    assert_int_equal(count_done(0x02), 1);
    assert_int_equal(last_ev()->len, 74);
    assert_int_equal(buf[0], 0xEE);
    assert_int_equal(buf[64], 0x11);
    assert_int_equal(buf[65], 0x22);
    assert_int_equal(buf[75], 0xEE);
    assert_int_equal(h_out(2, pkt, 10), UDC_CONF_NAK);

    assert_true(udc_ep_xfer(0x02, buf, 64));                 /* len reached exactly */
    assert_int_equal(h_out(2, pkt, 64), UDC_CONF_ACK);
    assert_int_equal(count_done(0x02), 2);
    assert_int_equal(last_ev()->len, 64);

    memset(buf, 0xEE, sizeof buf);
    assert_true(udc_ep_xfer(0x02, buf, 5));                  /* host sends more than asked */
    memset(pkt, 0x33, 64);
    assert_int_equal(h_out(2, pkt, 64), UDC_CONF_ACK);
    assert_int_equal(count_done(0x02), 3);
    assert_int_equal(last_ev()->len, 5);
    assert_int_equal(buf[4], 0x33);
    assert_int_equal(buf[5], 0xEE);

    assert_true(udc_ep_xfer(0x02, buf, 128));                /* a ZLP is a short packet */
    assert_int_equal(h_out(2, NULL, 0), UDC_CONF_ACK);
    assert_int_equal(count_done(0x02), 4);
    assert_int_equal(last_ev()->len, 0);
}

/* udc.h: one transfer per endpoint and direction; refusals. */
static void test_refusals(void **state)
{
    (void)state;
    uint8_t b[8] = {0};
    assert_false(udc_ep_open(0x03, UDC_EP_BULK, 0));
    assert_false(udc_ep_open(0x03, UDC_EP_BULK, 65));
    assert_false(udc_ep_xfer(0x84, b, 1));                   /* not open */
    assert_false(udc_ep_xfer(0x04, b, 1));
    assert_true(udc_ep_open(0x84, UDC_EP_BULK, 64));
    assert_false(udc_ep_xfer(0x84, NULL, 1));
    assert_true(udc_ep_xfer(0x84, b, 8));
    assert_false(udc_ep_xfer(0x84, b, 8));                   /* one at a time */
    assert_false(udc_ep_xfer(0x04, b, 8));                   /* OUT direction not open */
    udc_ep_close(0x05);                                      /* not open: nothing */
    assert_int_equal(nev, 0);
}

/* udc.h "Endpoints >= 1": a functional stall of one direction keeps the
 * queued transfer paused; the clear resumes it from DATA0. */
static void test_stall_keeps_transfer(void **state)
{
    (void)state;
    uint8_t data[4] = {9, 8, 7, 6}, got[64], buf[64];
    uint16_t len;
    assert_true(udc_ep_open(0x81, UDC_EP_BULK, 64));
    assert_true(udc_ep_open(0x01, UDC_EP_BULK, 64));
    assert_true(udc_ep_xfer(0x81, data, 1));
    assert_int_equal(h_in(1, got, &len), UDC_CONF_ACK);      /* toggle now DATA1 */
    assert_true(udc_ep_xfer(0x81, data, 3));
    udc_ep_stall(0x81);
    assert_true(udc_ep_is_stalled(0x81));
    assert_false(udc_ep_is_stalled(0x01));
    assert_int_equal(h_in(1, got, &len), UDC_CONF_STALL);
    assert_int_equal(h_in(1, got, &len), UDC_CONF_STALL);
    assert_true(udc_ep_xfer(0x01, buf, 64));                 /* other direction untouched */
    assert_int_equal(h_out(1, data, 4), UDC_CONF_ACK);
    assert_int_equal(count_done(0x01), 1);
    assert_int_equal(count_done(0x81), 1);
    udc_ep_clear_stall(0x81);
    assert_false(udc_ep_is_stalled(0x81));
    assert_int_equal(h_in(1, got, &len), UDC_CONF_ACK);
    assert_int_equal(len, 3);
    assert_memory_equal(got, data, 3);
    assert_pid(1, true, 0);                                  /* USB 2.0 9.4.5 */
    assert_int_equal(count_done(0x81), 2);

    /* queued while halted: waits for the clear */
    udc_ep_stall(0x01);
    assert_true(udc_ep_is_stalled(0x01));
    assert_true(udc_ep_xfer(0x01, buf, 64));
    assert_int_equal(h_out(1, data, 2), UDC_CONF_STALL);
    udc_ep_clear_stall(0x01);
    assert_int_equal(h_out(1, data, 2), UDC_CONF_ACK);
    assert_pid(1, false, 0);
    assert_int_equal(count_done(0x01), 2);
    assert_int_equal(last_ev()->len, 2);
}

/* udc.h: clear_stall on an armed endpoint that is not halted resets the
 * toggle, and its packet is neither lost nor sent twice. */
static void test_clear_stall_not_halted(void **state)
{
    (void)state;
    uint8_t data[3] = {5, 6, 7}, got[64];
    uint16_t len;
    assert_true(udc_ep_open(0x81, UDC_EP_BULK, 64));
    assert_true(udc_ep_xfer(0x81, data, 1));
    assert_int_equal(h_in(1, got, &len), UDC_CONF_ACK);
    assert_true(udc_ep_xfer(0x81, data, 3));
    udc_ep_clear_stall(0x81);
    P->pump();
    assert_false(udc_ep_is_stalled(0x81));
    assert_int_equal(count_done(0x81), 1);
    assert_int_equal(h_in(1, got, &len), UDC_CONF_ACK);
    assert_int_equal(len, 3);
    assert_pid(1, true, 0);
    assert_int_equal(count_done(0x81), 2);
    assert_int_equal(h_in(1, got, &len), UDC_CONF_NAK);
}

/* udc.h: stall / clear_stall / is_stalled on an endpoint that is not open do
 * nothing; a halt does not survive close and open. */
static void test_stall_not_open(void **state)
{
    (void)state;
    uint8_t data[2] = {1, 2}, got[64];
    uint16_t len;
    udc_ep_stall(0x83);
    udc_ep_stall(0x03);
    assert_false(udc_ep_is_stalled(0x83));
    assert_false(udc_ep_is_stalled(0x03));
    udc_ep_clear_stall(0x83);
    assert_true(udc_ep_open(0x83, UDC_EP_INTERRUPT, 8));
    assert_false(udc_ep_is_stalled(0x83));
    assert_true(udc_ep_xfer(0x83, data, 2));
    assert_int_equal(h_in(3, got, &len), UDC_CONF_ACK);
    assert_int_equal(len, 2);

    udc_ep_stall(0x83);
    assert_true(udc_ep_is_stalled(0x83));
    udc_ep_close(0x83);
    assert_false(udc_ep_is_stalled(0x83));
    assert_refused(h_in(3, got, &len));
    assert_true(udc_ep_open(0x83, UDC_EP_INTERRUPT, 8));
    assert_false(udc_ep_is_stalled(0x83));
    assert_int_equal(h_in(3, got, &len), UDC_CONF_NAK);
    assert_int_equal(nev, 1);
}

/* udc.h "ep0 is one control pipe": a STALL named by either address covers
 * both directions until the next SETUP, and refuses new ep0 transfers. */
static void test_ep0_stall_whole_pipe(void **state)
{
    (void)state;
    static const uint8_t which[2] = {0x80, 0x00};
    uint8_t data[8] = {1}, got[64];
    uint16_t len;
    for (unsigned k = 0; k < 2u; k++) {
        (void)setup_answered(get_dev);
        udc_ep_stall(which[k]);
        assert_true(udc_ep_is_stalled(0x80));
        assert_true(udc_ep_is_stalled(0x00));
        assert_int_equal(h_in(0, got, &len), UDC_CONF_STALL);
        assert_int_equal(h_out(0, NULL, 0), UDC_CONF_STALL);
        assert_int_equal(h_in(0, got, &len), UDC_CONF_STALL);  /* lasts */
        assert_false(udc_ep_xfer(0x80, data, 8));
        assert_false(udc_ep_xfer(0x00, data, 8));
        (void)setup_answered(get_dev);                          /* accepted despite STALL */
        assert_false(udc_ep_is_stalled(0x80));
        assert_false(udc_ep_is_stalled(0x00));
        assert_int_equal(h_in(0, got, &len), UDC_CONF_NAK);
        assert_true(udc_ep_xfer(0x80, data, 8));
        assert_int_equal(h_in(0, got, &len), UDC_CONF_ACK);
        assert_int_equal(len, 8);
        assert_pid(0, true, 1);                                  /* data stage: DATA1 */
    }
    /* clear_stall on ep0 ends it too */
    (void)setup_answered(get_dev);
    udc_ep_stall(0x00);
    udc_ep_clear_stall(0x80);
    assert_false(udc_ep_is_stalled(0x80));
    assert_false(udc_ep_is_stalled(0x00));
    assert_int_equal(h_out(0, NULL, 0), UDC_CONF_NAK);
}

/* udc.h: a STALL of ep0 drops what was queued on it, without XFER_DONE. */
static void test_ep0_stall_drops_queued(void **state)
{
    (void)state;
    uint8_t data[64] = {7}, buf[8], got[64];
    uint16_t len;
    (void)setup_answered(get_dev);
    assert_true(udc_ep_xfer(0x80, data, 64));
    assert_true(udc_ep_xfer(0x00, buf, 0));
    udc_ep_stall(0x00);
    (void)setup_answered(get_dev);
    assert_int_equal(h_in(0, got, &len), UDC_CONF_NAK);
    assert_int_equal(h_out(0, NULL, 0), UDC_CONF_NAK);
    assert_int_equal(count_done(0x80) + count_done(0x00), 0);
}

/* udc.h: a SETUP cancels transfers queued on 0x00 and 0x80. */
static void test_setup_cancels_ep0(void **state)
{
    (void)state;
    uint8_t data[64] = {3}, buf[8], got[64];
    uint16_t len;
    (void)setup_answered(get_dev);
    assert_true(udc_ep_xfer(0x80, data, 18));
    assert_true(udc_ep_xfer(0x00, buf, 0));
    (void)setup_answered(set_cfg);
    assert_int_equal(h_in(0, got, &len), UDC_CONF_NAK);
    assert_int_equal(h_out(0, NULL, 0), UDC_CONF_NAK);
    assert_int_equal(count_done(0x80) + count_done(0x00), 0);
    assert_true(udc_ep_xfer(0x80, data, 0));                 /* slots free again */
    assert_true(udc_ep_xfer(0x00, buf, 0));
}

/* udc.h: ep0 calls answering a stale SETUP (a newer one reported, or a bus
 * reset since) are refused: no data, no STALL in the newer one's stages. */
static void test_stale_answer_refused(void **state)
{
    (void)state;
    uint8_t data[18] = {18, 1}, got[64];
    uint16_t len;
    uint8_t a = setup_answered(get_dev);
    assert_int_equal(h_setup(set_cfg), UDC_CONF_ACK);
    uint8_t b = last_ev()->seq;
    udc_ep0_answer(a);                      /* the core still answers A */
    assert_false(udc_ep_xfer(0x80, data, 18));
    udc_ep_stall(0x80);
    udc_ep_stall(0x00);
    assert_false(udc_ep_is_stalled(0x80));
    assert_int_equal(h_in(0, got, &len), UDC_CONF_NAK);
    udc_ep0_answer(b);
    assert_true(udc_ep_xfer(0x80, NULL, 0));                 /* B's status stage */
    assert_int_equal(h_in(0, got, &len), UDC_CONF_ACK);
    assert_int_equal(len, 0);
    assert_int_equal(count_done(0x80), 1);

    (void)setup_answered(get_dev);
    h_reset();
    assert_false(udc_ep_xfer(0x80, data, 18));
    udc_ep_stall(0x80);
    assert_false(udc_ep_is_stalled(0x80));
}

/* udc.h: close drops a pending transfer silently; open starts clean and no
 * XFER_DONE of a transfer queued before it is ever reported. */
static void test_close_and_reopen(void **state)
{
    (void)state;
    uint8_t buf[64], pkt[64] = {4}, data[100] = {5}, got[64];
    uint16_t len;
    assert_true(udc_ep_open(0x02, UDC_EP_BULK, 64));
    assert_true(udc_ep_xfer(0x02, buf, 64));
    udc_ep_close(0x02);
    assert_refused(h_out(2, pkt, 10));
    assert_false(udc_ep_xfer(0x02, buf, 64));
    assert_true(udc_ep_open(0x02, UDC_EP_BULK, 64));
    assert_int_equal(h_out(2, pkt, 10), UDC_CONF_NAK);     /* nothing queued */
    assert_true(udc_ep_xfer(0x02, buf, 64));
    assert_int_equal(h_out(2, pkt, 10), UDC_CONF_ACK);
    assert_pid(2, false, 0);
    assert_int_equal(count_done(0x02), 1);

    assert_true(udc_ep_open(0x81, UDC_EP_BULK, 64));
    assert_true(udc_ep_xfer(0x81, data, 100));
    assert_int_equal(h_in(1, got, &len), UDC_CONF_ACK);     /* half of it */
    assert_true(udc_ep_open(0x81, UDC_EP_BULK, 64));        /* SET_INTERFACE again */
    assert_int_equal(h_in(1, got, &len), UDC_CONF_NAK);
    assert_true(udc_ep_xfer(0x81, data, 4));
    assert_int_equal(h_in(1, got, &len), UDC_CONF_ACK);
    assert_int_equal(len, 4);
    assert_pid(1, true, 0);
    assert_int_equal(count_done(0x81), 1);
    assert_int_equal(last_ev()->len, 4);
}

int udc_conformance_run(const udc_conf_port_t *port)
{
    P = port;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_bus_reset, fresh),
        cmocka_unit_test_setup(test_setup_reported_with_sequence, fresh),
        cmocka_unit_test_setup(test_in_transfers, fresh),
        cmocka_unit_test_setup(test_out_transfers, fresh),
        cmocka_unit_test_setup(test_refusals, fresh),
        cmocka_unit_test_setup(test_stall_keeps_transfer, fresh),
        cmocka_unit_test_setup(test_clear_stall_not_halted, fresh),
        cmocka_unit_test_setup(test_stall_not_open, fresh),
        cmocka_unit_test_setup(test_ep0_stall_whole_pipe, fresh),
        cmocka_unit_test_setup(test_ep0_stall_drops_queued, fresh),
        cmocka_unit_test_setup(test_setup_cancels_ep0, fresh),
        cmocka_unit_test_setup(test_stale_answer_refused, fresh),
        cmocka_unit_test_setup(test_close_and_reopen, fresh),
    };
    return _cmocka_run_group_tests(port->name, tests, sizeof tests / sizeof tests[0], NULL, NULL);
}
