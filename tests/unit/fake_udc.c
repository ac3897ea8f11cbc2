/* fake_udc.c - see fake_udc.h. Test code: plain C, fixed tables, cmocka for
 * our own invariants (a firmware call the contract forbids fails the test). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "fake_udc.h"
#include "usb/usbd.h"

fake_udc_call_t fake_udc_log[FAKE_UDC_LOG_MAX];
unsigned fake_udc_log_len;
bool fake_udc_inited;
bool fake_udc_connected;
int fake_udc_address = -1;
unsigned fake_udc_overflows;
bool fake_udc_last_zlp;
unsigned fake_udc_last_packets;
uint8_t fake_udc_fail_open_ep;
unsigned fake_udc_fail_open_count;
uint8_t fake_udc_fail_xfer_ep;
unsigned fake_udc_fail_xfer_count;
bool fake_udc_defer_task;
void (*fake_udc_close_hook)(uint8_t ep);

static bool inject(uint8_t ep, uint8_t fail_ep, unsigned *count)
{
    if (*count > 0u && (fail_ep == 0xFFu || fail_ep == ep)) {
        (*count)--;
        return true;
    }
    return false;
}

static fake_udc_ep_t eps[32];
/* udc.h SETUP sequence: one more per SETUP and bus reset; answer is what the
 * core named last with udc_ep0_answer(). */
static uint8_t fake_seq;
static uint8_t fake_answer;

fake_udc_ep_t *fake_udc_ep(uint8_t ep)
{
    return &eps[UDC_EP_NUM(ep) + (UDC_EP_IS_IN(ep) ? 16u : 0u)];
}

static void log_call(uint8_t op, uint8_t ep, uint16_t len, const uint8_t *buf)
{
    if (fake_udc_log_len < FAKE_UDC_LOG_MAX) {
        fake_udc_log[fake_udc_log_len] = (fake_udc_call_t){op, ep, len, buf};
    }
    fake_udc_log_len++;
}

static void open_ep0(void)
{
    static const uint8_t ep0[2] = {0x00, 0x80};
    for (unsigned k = 0; k < 2u; k++) {
        fake_udc_ep_t *e = fake_udc_ep(ep0[k]);
        memset(e, 0, sizeof *e);
        e->open = true;
        e->type = UDC_EP_CONTROL;
        e->mps = UDC_EP0_MPS;
    }
}

void fake_udc_reset(void)
{
    memset(eps, 0, sizeof eps);
    open_ep0();
    fake_answer = (uint8_t)(fake_seq - 1u);
    fake_udc_log_len = 0;
    fake_udc_inited = false;
    fake_udc_connected = false;
    fake_udc_address = -1;
    fake_udc_overflows = 0;
    fake_udc_last_zlp = false;
    fake_udc_last_packets = 0;
    fake_udc_fail_open_ep = 0xFF;
    fake_udc_fail_open_count = 0;
    fake_udc_fail_xfer_ep = 0xFF;
    fake_udc_fail_xfer_count = 0;
    fake_udc_defer_task = false;
    fake_udc_close_hook = NULL;
}

void fake_udc_log_clear(void)
{
    fake_udc_log_len = 0;
}

unsigned fake_udc_count(uint8_t op, uint8_t ep)
{
    unsigned n = 0;
    assert_true(fake_udc_log_len <= FAKE_UDC_LOG_MAX);  /* else counts would lie */
    for (unsigned i = 0; i < fake_udc_log_len && i < FAKE_UDC_LOG_MAX; i++) {
        if (fake_udc_log[i].op == op && (ep == 0xFFu || fake_udc_log[i].ep == ep)) {
            n++;
        }
    }
    return n;
}

int fake_udc_find(uint8_t op, uint8_t ep, unsigned n)
{
    assert_true(fake_udc_log_len <= FAKE_UDC_LOG_MAX);
    for (unsigned i = 0; i < fake_udc_log_len && i < FAKE_UDC_LOG_MAX; i++) {
        if (fake_udc_log[i].op == op && (ep == 0xFFu || fake_udc_log[i].ep == ep)) {
            if (n-- == 0u) {
                return (int)i;
            }
        }
    }
    return -1;
}

/* ------------------------------------------------------------ udc.h */

void udc_init(void) { fake_udc_inited = true; }
void udc_connect(void) { fake_udc_connected = true; }
void udc_disconnect(void) { fake_udc_connected = false; }

void udc_set_address(uint8_t addr)
{
    log_call(FAKE_UDC_SET_ADDRESS, addr, 0, NULL);
    fake_udc_address = addr;
}

bool udc_ep_open(uint8_t ep, udc_ep_type_t type, uint16_t mps)
{
    log_call(FAKE_UDC_OPEN, ep, mps, NULL);
    assert_true(UDC_EP_NUM(ep) != 0u);  /* the core owns ep0 */
    if (mps == 0u || mps > 64u || UDC_EP_NUM(ep) >= 16u) {
        return false;  /* full speed bulk/interrupt: 1..64 (USB 2.0 5.7.3, 5.8.3) */
    }
    if (inject(ep, fake_udc_fail_open_ep, &fake_udc_fail_open_count)) {
        return false;  /* e.g. no packet memory left; the endpoint stays as it was */
    }
    fake_udc_ep_t *e = fake_udc_ep(ep);
    memset(e, 0, sizeof *e);
    e->open = true;
    e->type = (uint8_t)type;
    e->mps = mps;
    return true;
}

void udc_ep_close(uint8_t ep)
{
    log_call(FAKE_UDC_CLOSE, ep, 0, NULL);
    if (fake_udc_close_hook != NULL) {
        fake_udc_close_hook(ep);
    }
    if (UDC_EP_NUM(ep) != 0u) {
        memset(fake_udc_ep(ep), 0, sizeof(fake_udc_ep_t));
    }
}

bool udc_ep_xfer(uint8_t ep, uint8_t *buf, uint16_t len)
{
    log_call(FAKE_UDC_XFER, ep, len, buf);
    fake_udc_ep_t *e = fake_udc_ep(ep);
    if (!e->open || e->queued) {
        return false;
    }
    if (UDC_EP_NUM(ep) == 0u && (e->stalled || fake_answer != fake_seq)) {
        return false;  /* udc.h: ep0 stalled, or answering a stale SETUP */
    }
    if (len != 0u && buf == NULL) {
        return false;
    }
    if (inject(ep, fake_udc_fail_xfer_ep, &fake_udc_fail_xfer_count)) {
        return false;
    }
    e->queued = true;
    e->buf = buf;
    e->len = len;
    e->done = 0;
    return true;
}

void udc_ep_stall(uint8_t ep)
{
    log_call(FAKE_UDC_STALL_CALL, ep, 0, NULL);
    fake_udc_ep_t *e = fake_udc_ep(ep);
    if (!e->open) {
        return;  /* udc.h: a halt belongs to an open endpoint */
    }
    if (UDC_EP_NUM(ep) != 0u) {
        e->stalled = true;
        return;
    }
    if (fake_answer != fake_seq) {
        return;  /* a newer SETUP came in: not for its stages */
    }
    /* the whole control pipe until the next SETUP, queued transfers dropped */
    static const uint8_t ep0[2] = {0x00, 0x80};
    for (unsigned k = 0; k < 2u; k++) {
        fake_udc_ep(ep0[k])->stalled = true;
        fake_udc_ep(ep0[k])->queued = false;
    }
}

void udc_ep_clear_stall(uint8_t ep)
{
    log_call(FAKE_UDC_CLEAR_STALL, ep, 0, NULL);
    fake_udc_ep_t *e = fake_udc_ep(ep);
    if (!e->open) {
        return;
    }
    if (UDC_EP_NUM(ep) == 0u) {
        fake_udc_ep(0x00)->stalled = false;  /* ep0: the whole pipe */
        fake_udc_ep(0x80)->stalled = false;
        return;
    }
    e->stalled = false;
    e->toggle_reset = true;
}

bool udc_ep_is_stalled(uint8_t ep)
{
    fake_udc_ep_t *e = fake_udc_ep(ep);
    return e->open && e->stalled;
}

void udc_ep0_answer(uint8_t seq)
{
    fake_answer = seq;
}

/* ------------------------------------------------------------ host side */

static void deliver(const udc_event_t *ev)
{
    udc_event_cb(ev);
    if (!fake_udc_defer_task) {
        usbd_task();
    }
}

void fake_udc_bus_reset(void)
{
    /* udc.h: address 0, every endpoint but ep0 closed, then the event */
    memset(eps, 0, sizeof eps);
    open_ep0();
    fake_seq++;
    udc_event_t ev = {.type = UDC_EVT_BUS_RESET};
    deliver(&ev);
}

void fake_udc_unplug(void)
{
    udc_event_t ev = {.type = UDC_EVT_UNPLUGGED};
    deliver(&ev);
}

void fake_udc_setup_raw(const uint8_t setup[8])
{
    /* a SETUP clears an ep0 STALL and cancels what was queued on ep0 */
    static const uint8_t ep0[2] = {0x00, 0x80};
    for (unsigned k = 0; k < 2u; k++) {
        fake_udc_ep_t *e = fake_udc_ep(ep0[k]);
        e->stalled = false;
        e->queued = false;
    }
    udc_event_t ev = {.type = UDC_EVT_SETUP, .seq = ++fake_seq};
    memcpy(ev.setup, setup, 8);
    deliver(&ev);
}

void fake_udc_setup(uint8_t bmRequestType, uint8_t bRequest, uint16_t wValue,
                    uint16_t wIndex, uint16_t wLength)
{
    const uint8_t s[8] = {bmRequestType, bRequest, (uint8_t)wValue, (uint8_t)(wValue >> 8),
                          (uint8_t)wIndex, (uint8_t)(wIndex >> 8), (uint8_t)wLength,
                          (uint8_t)(wLength >> 8)};
    fake_udc_setup_raw(s);
}

static void complete(uint8_t ep, fake_udc_ep_t *e)
{
    e->queued = false;
    udc_event_t ev = {.type = UDC_EVT_XFER_DONE, .ep = ep, .len = e->done};
    deliver(&ev);
}

int fake_udc_in(uint8_t ep, uint8_t *pkt, uint16_t room)
{
    ep |= UDC_EP_IN;
    fake_udc_ep_t *e = fake_udc_ep(ep);
    if (!e->open) {
        return FAKE_UDC_ERROR;
    }
    if (e->stalled) {
        return FAKE_UDC_STALL;
    }
    if (!e->queued) {
        return FAKE_UDC_NAK;
    }
    uint16_t n = (uint16_t)(e->len - e->done);
    if (n > e->mps) {
        n = e->mps;
    }
    assert_true(n <= room);
    if (n > 0u) {
        memcpy(pkt, e->buf + e->done, n);
    }
    e->done = (uint16_t)(e->done + n);
    if (e->done == e->len) {
        complete(ep, e);  /* after len bytes; the driver never adds a ZLP */
    }
    return n;
}

int fake_udc_out(uint8_t ep, const uint8_t *pkt, uint16_t len)
{
    fake_udc_ep_t *e = fake_udc_ep(ep);
    if (!e->open) {
        return FAKE_UDC_ERROR;
    }
    if (e->stalled) {
        return FAKE_UDC_STALL;
    }
    if (!e->queued) {
        return FAKE_UDC_NAK;
    }
    assert_true(len <= e->mps);
    uint16_t room = (uint16_t)(e->len - e->done);
    uint16_t n = len;
    if (n > room) {
        fake_udc_overflows++;  /* real hardware: babble; never written past len */
        n = room;
    }
    if (n > 0u) {
        memcpy(e->buf + e->done, pkt, n);
    }
    e->done = (uint16_t)(e->done + n);
    if (len < e->mps || e->done == e->len) {
        complete(ep, e);
    }
    return 0;
}

int fake_udc_control_in(uint8_t bmRequestType, uint8_t bRequest, uint16_t wValue,
                        uint16_t wIndex, uint16_t wLength, uint8_t *out)
{
    uint16_t total = 0;
    uint8_t pkt[64];
    int r;

    fake_udc_last_zlp = false;
    fake_udc_last_packets = 0;
    fake_udc_setup(bmRequestType, bRequest, wValue, wIndex, wLength);
    /* USB 2.0 8.5.3: data stage ends with wLength bytes or a short packet */
    while (total < wLength) {
        r = fake_udc_in(0x80, pkt, sizeof pkt);
        if (r < 0) {
            return r == FAKE_UDC_STALL ? r : FAKE_UDC_ERROR;
        }
        fake_udc_last_packets++;
        if (total + r > wLength) {
            return FAKE_UDC_ERROR;  /* device sent more than asked for */
        }
        memcpy(out + total, pkt, (size_t)r);
        total = (uint16_t)(total + r);
        if (r < 64) {
            fake_udc_last_zlp = r == 0;
            break;
        }
    }
    if (wLength == 0u) {
        r = fake_udc_in(0x80, pkt, sizeof pkt);  /* no data: status is IN */
        return r == 0 ? 0 : (r == FAKE_UDC_STALL ? r : FAKE_UDC_ERROR);
    }
    r = fake_udc_out(0x00, NULL, 0);  /* status stage: 0-length OUT */
    if (r != 0) {
        return r == FAKE_UDC_STALL ? r : FAKE_UDC_ERROR;
    }
    /* the status must have been a transfer of exactly 0 bytes */
    int i = fake_udc_find(FAKE_UDC_XFER, 0x00, fake_udc_count(FAKE_UDC_XFER, 0x00) - 1u);
    if (i < 0 || fake_udc_log[i].len != 0u) {
        return FAKE_UDC_ERROR;
    }
    return total;
}

int fake_udc_control_out(uint8_t bmRequestType, uint8_t bRequest, uint16_t wValue,
                         uint16_t wIndex, uint16_t wLength, const uint8_t *data)
{
    uint16_t sent = 0;
    uint8_t pkt[64];
    int r;

    fake_udc_setup(bmRequestType, bRequest, wValue, wIndex, wLength);
    while (sent < wLength) {
        uint16_t n = (uint16_t)(wLength - sent) > 64u ? 64u : (uint16_t)(wLength - sent);
        r = fake_udc_out(0x00, data + sent, n);
        if (r != 0) {
            return r == FAKE_UDC_STALL ? r : FAKE_UDC_ERROR;
        }
        sent = (uint16_t)(sent + n);
    }
    r = fake_udc_in(0x80, pkt, sizeof pkt);
    if (r == 0) {
        return 0;
    }
    return r == FAKE_UDC_STALL ? r : FAKE_UDC_ERROR;
}

int fake_udc_bulk_out(uint8_t ep, const uint8_t *data, uint16_t len, bool zlp)
{
    uint16_t sent = 0;
    uint16_t mps = fake_udc_ep(ep)->mps ? fake_udc_ep(ep)->mps : 64u;

    for (;;) {
        uint16_t n = (uint16_t)(len - sent) > mps ? mps : (uint16_t)(len - sent);
        if (n == 0u && !(zlp && len % mps == 0u)) {
            break;
        }
        int r = fake_udc_out(ep, data + sent, n);
        if (r != 0) {
            break;
        }
        sent = (uint16_t)(sent + n);
        if (n < mps) {
            break;
        }
    }
    return sent;
}

int fake_udc_bulk_in(uint8_t ep, uint8_t *out, uint16_t room, bool *ended_with_zlp)
{
    uint16_t total = 0;
    uint8_t pkt[64];

    *ended_with_zlp = false;
    for (;;) {
        int r = fake_udc_in(ep, pkt, sizeof pkt);
        if (r < 0) {
            return total > 0u && r == FAKE_UDC_NAK ? total : r;
        }
        assert_true(total + r <= room);
        memcpy(out + total, pkt, (size_t)r);
        total = (uint16_t)(total + r);
        if (r < 64) {
            *ended_with_zlp = r == 0;
            return total;
        }
    }
}
