/*
 * udc_sim.c - fake USB device controller (see udc_sim.h and firmware/usb/udc.h).
 *
 * Layer: hal_stub (host only). Includes <string.h>, udc.h and udc_sim.h; no OS
 * calls, no allocation: one fixed table of endpoints.
 * Model: the firmware queues transfers (udc_ep_xfer); the bridge, acting as the
 * host controller, moves packets with udc_sim_out()/udc_sim_in(). A transfer
 * with nothing queued answers NAK (USB 2.0 8.4.5: "not ready"), a halted one
 * STALL. Completion rules are the udc.h contract: OUT ends on a short packet or
 * when len bytes arrived; IN hands out min(mps, remaining) per packet and ends
 * after the last piece (len 0 = one ZLP). No interrupts exist here, so events
 * go straight to udc_event_cb(), which only queues.
 */
#include <string.h>

#include "udc_sim.h"

typedef struct {
    bool open;
    bool stalled;
    bool busy;        /* a transfer is queued */
    uint8_t type;
    uint16_t mps;
    uint8_t *buf;
    uint16_t len;     /* requested */
    uint16_t done;    /* moved so far */
} sim_ep_t;

static struct {
    sim_ep_t ep[2][UDC_SIM_EP_COUNT];  /* [0] OUT, [1] IN */
    bool connected;   /* pull-up on (udc_connect) */
    bool attached;    /* a host is on the cable (bus reset seen, no unplug since) */
    uint8_t address;
    uint8_t seq;      /* udc.h SETUP sequence: +1 per SETUP and reset */
    uint8_t answer;   /* the SETUP the core answers (udc_ep0_answer) */
    uint32_t activity;
} sim;

static sim_ep_t *ep_of(uint8_t ep)
{
    if (UDC_EP_NUM(ep) >= UDC_SIM_EP_COUNT) {
        return 0;
    }
    return &sim.ep[UDC_EP_IS_IN(ep) ? 1 : 0][UDC_EP_NUM(ep)];
}

static void emit(uint8_t type, uint8_t ep, uint16_t len, const uint8_t *setup)
{
    udc_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.type = type;
    ev.ep = ep;
    ev.len = len;
    if (setup != 0) {
        memcpy(ev.setup, setup, sizeof ev.setup);
        ev.seq = sim.seq;
    }
    udc_event_cb(&ev);
}

static void ep_reset(sim_ep_t *e)
{
    memset(e, 0, sizeof *e);
}

/* udc.h: bus reset leaves only ep0 open, with 64-byte packets. */
static void reset_endpoints(void)
{
    for (unsigned d = 0; d < 2u; d++) {
        for (unsigned n = 0; n < UDC_SIM_EP_COUNT; n++) {
            ep_reset(&sim.ep[d][n]);
        }
        sim.ep[d][0].open = true;
        sim.ep[d][0].type = UDC_EP_CONTROL;
        sim.ep[d][0].mps = UDC_EP0_MPS;
    }
    sim.address = 0;
    sim.seq++;  /* a reset aborts the control transfer (udc.h) */
}

/* ------------------------------------------------------------ udc.h side */

void udc_init(void)
{
    memset(&sim, 0, sizeof sim);
    reset_endpoints();
    sim.answer = (uint8_t)(sim.seq - 1u);  /* nothing answered yet */
    sim.activity = 1;
}

void udc_connect(void)
{
    sim.connected = true;
    sim.activity++;
}

void udc_disconnect(void)
{
    sim.connected = false;
    sim.activity++;
}

void udc_set_address(uint8_t addr)
{
    /* udc.h: called after the status stage, so it applies at once. */
    sim.address = (uint8_t)(addr & 0x7Fu);
    sim.activity++;
}

bool udc_ep_open(uint8_t ep, udc_ep_type_t type, uint16_t mps)
{
    sim_ep_t *e = ep_of(ep);
    /* USB 2.0 5.8.3 / 5.7.3: full speed bulk and interrupt packets are at
     * most 64 bytes; isochronous would allow 1023, but 64 is all a
     * simulated FS controller with a small packet memory offers. */
    if (e == 0 || mps == 0u || mps > 64u || (unsigned)type > UDC_EP_INTERRUPT) {
        return false;
    }
    ep_reset(e);
    e->open = true;
    e->type = (uint8_t)type;
    e->mps = mps;
    sim.activity++;
    return true;
}

void udc_ep_close(uint8_t ep)
{
    sim_ep_t *e = ep_of(ep);
    if (e != 0) {
        ep_reset(e);
        sim.activity++;
    }
}

bool udc_ep_xfer(uint8_t ep, uint8_t *buf, uint16_t len)
{
    sim_ep_t *e = ep_of(ep);
    if (e == 0 || !e->open || e->busy || (buf == 0 && len != 0u)) {
        return false;
    }
    if (UDC_EP_NUM(ep) == 0u && (e->stalled || sim.answer != sim.seq)) {
        return false;  /* udc.h: ep0 stalled, or a newer SETUP came in */
    }
    e->busy = true;
    e->buf = buf;
    e->len = len;
    e->done = 0;
    sim.activity++;
    return true;
}

void udc_ep_stall(uint8_t ep)
{
    sim_ep_t *e = ep_of(ep);
    if (e == 0 || !e->open) {
        return;  /* udc.h: a halt belongs to an open endpoint */
    }
    if (UDC_EP_NUM(ep) == 0u) {
        /* USB 2.0 8.5.3.4: a protocol STALL covers the whole control pipe,
         * both directions, until the next SETUP; what was queued is dropped.
         * Never for the stages of a newer SETUP than the one answered. */
        if (sim.answer != sim.seq) {
            return;
        }
        for (unsigned d = 0; d < 2u; d++) {
            sim.ep[d][0].stalled = true;
            sim.ep[d][0].busy = false;
            sim.ep[d][0].buf = 0;
        }
    } else {
        e->stalled = true;
    }
    sim.activity++;
}

void udc_ep_clear_stall(uint8_t ep)
{
    sim_ep_t *e = ep_of(ep);
    if (e != 0 && e->open) {
        e->stalled = false;  /* data toggle: not simulated */
        if (UDC_EP_NUM(ep) == 0u) {
            sim.ep[0][0].stalled = sim.ep[1][0].stalled = false;  /* the whole pipe */
        }
        sim.activity++;
    }
}

bool udc_ep_is_stalled(uint8_t ep)
{
    sim_ep_t *e = ep_of(ep);
    return e != 0 && e->open && e->stalled;
}

void udc_ep0_answer(uint8_t seq)
{
    sim.answer = seq;
}

/* ------------------------------------------------------------ host side */

void udc_sim_bus_reset(void)
{
    reset_endpoints();
    sim.attached = true;
    sim.activity++;
    emit(UDC_EVT_BUS_RESET, 0, 0, 0);
}

void udc_sim_unplug(void)
{
    reset_endpoints();
    sim.attached = false;
    sim.activity++;
    emit(UDC_EVT_UNPLUGGED, 0, 0, 0);
}

static bool reachable(void)
{
    return sim.connected && sim.attached;
}

int udc_sim_setup(const uint8_t setup[8])
{
    if (!reachable() || setup == 0) {
        return UDC_SIM_STALL;
    }
    /* USB 2.0 8.5.3: a SETUP aborts whatever the control pipe was doing and
     * clears a protocol STALL. The core re-queues for the new request. */
    for (unsigned d = 0; d < 2u; d++) {
        sim_ep_t *e = &sim.ep[d][0];
        e->stalled = false;
        e->busy = false;
        e->buf = 0;
    }
    sim.seq++;
    emit(UDC_EVT_SETUP, 0, 0, setup);
    return UDC_SIM_ACK;
}

int udc_sim_out(uint8_t ep, const uint8_t *data, uint16_t len)
{
    sim_ep_t *e = ep_of((uint8_t)(ep & 0x0Fu));
    if (!reachable() || e == 0 || !e->open || e->stalled || len > e->mps ||
        (data == 0 && len != 0u)) {
        return UDC_SIM_STALL;
    }
    if (!e->busy) {
        return UDC_SIM_NAK;
    }
    uint16_t room = (uint16_t)(e->len - e->done);
    uint16_t n = len < room ? len : room;  /* excess of an overlong packet is lost */
    if (n != 0u) {
        memcpy(e->buf + e->done, data, n);
    }
    e->done = (uint16_t)(e->done + n);
    if (len < e->mps || e->done == e->len) {
        e->busy = false;
        e->buf = 0;
        emit(UDC_EVT_XFER_DONE, UDC_EP_NUM(ep), e->done, 0);
    }
    return UDC_SIM_ACK;
}

int udc_sim_in(uint8_t ep, uint8_t *buf, uint16_t room, uint16_t *len)
{
    sim_ep_t *e = ep_of((uint8_t)(UDC_EP_IN | (ep & 0x0Fu)));
    if (len != 0) {
        *len = 0;
    }
    if (!reachable() || e == 0 || !e->open || e->stalled || len == 0 ||
        (buf == 0 && room != 0u)) {
        return UDC_SIM_STALL;
    }
    if (!e->busy) {
        return UDC_SIM_NAK;
    }
    uint16_t left = (uint16_t)(e->len - e->done);
    uint16_t n = left < e->mps ? left : e->mps;
    int rc = UDC_SIM_ACK;
    uint16_t copy = n;
    if (n > room) {
        copy = room;
        rc = UDC_SIM_OVERFLOW;
    }
    if (copy != 0u) {
        memcpy(buf, e->buf + e->done, copy);
    }
    *len = copy;
    e->done = (uint16_t)(e->done + n);
    if (e->done == e->len) {
        e->busy = false;
        e->buf = 0;
        emit(UDC_EVT_XFER_DONE, (uint8_t)(UDC_EP_IN | UDC_EP_NUM(ep)), e->done, 0);
    }
    return rc;
}

uint32_t udc_sim_activity(void)
{
    return sim.activity;
}

uint8_t udc_sim_address(void)
{
    return sim.address;
}

bool udc_sim_connected(void)
{
    return sim.connected;
}

uint16_t udc_sim_ep_mps(uint8_t ep)
{
    sim_ep_t *e = ep_of(ep);
    return (e != 0 && e->open) ? e->mps : 0u;
}
