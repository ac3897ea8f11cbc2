/*
 * usbip_sched.c - URB-to-packet scheduler of the USB/IP bridge (see
 * usbip_sched.h): plays the host controller for the device backend.
 *
 * Layer: usbip_bridge (host only). Includes string.h, usbip_sched.h; no
 * sockets, no stdio. No dynamic allocation: a fixed pool of URB slots.
 * Host-controller duties (vhci_hcd leaves them to the far end):
 * - Control URBs run SETUP, data stage (64-byte packets), status stage before
 *   completion (USB 2.0 8.5.3); STALL in any stage -> -EPIPE.
 * - Bulk/interrupt OUT URBs are split into max-packet pieces, with a trailing
 *   ZLP when URB_ZERO_PACKET asks for it; IN URBs collect packets until a
 *   short packet or the URB is full (USB 2.0 5.8.3). A NAK leaves the URB
 *   pending; URBs of one endpoint complete in order; ep0 never waits for bulk.
 * - The packet size of an endpoint is the device's wMaxPacketSize (USB 2.0
 *   9.6.6), as the backend reports it or as read from its descriptors.
 */
#include <stddef.h>
#include <string.h>

#include "usb/udc.h"
#include "usbip_sched.h"

#define SYNC_POLLS 200u /* device passes allowed for one internal control transfer */

enum { ST_SETUP, ST_DATA, ST_STATUS, ST_BULK };

static const usbip_backend_t *be;  /* set by usbip_sched_init */
static void (*dev_poll)(void);
static usbip_urb_t urbs[USBIP_MAX_URBS];
static usbip_urb_t sync_urb;
static uint32_t urb_order;
static uint16_t desc_mps[2][16];  /* [IN][epnum] from the endpoint descriptors */

void usbip_sched_init(const usbip_backend_t *b, void (*poll)(void))
{
    be = b;
    dev_poll = poll;
    memset(urbs, 0, sizeof urbs);
    memset(desc_mps, 0, sizeof desc_mps);
}

const usbip_backend_t *usbip_sched_backend(void)
{
    return be;
}

void usbip_sched_set_mps(uint8_t ep, uint16_t mps)
{
    desc_mps[(ep & 0x80u) ? 1 : 0][ep & 0x0Fu] = mps;
}

static uint16_t ep_mps(uint8_t ep)
{
    uint16_t m = be->ep_mps != NULL ? be->ep_mps(ep) : 0u;
    return m != 0u ? m : desc_mps[(ep & 0x80u) ? 1 : 0][ep & 0x0Fu];
}

static void urb_finish(usbip_urb_t *u, int32_t status)
{
    u->done = true;
    u->status = status;
}

static uint16_t min16(uint32_t a, uint32_t b)
{
    return (uint16_t)(a < b ? a : b);
}

/* USB 2.0 8.5.3: a control read ends with a 0-length OUT, a write or a
 * no-data request with a 0-length IN. */
static bool urb_status_is_out(const usbip_urb_t *u)
{
    return (u->setup[0] & 0x80u) != 0u && u->dlen != 0u;
}

static uint16_t urb_bulk_out_mps(const usbip_urb_t *u)
{
    uint16_t mps = ep_mps(u->epnum);
    return mps != 0u ? mps : 64u;  /* endpoint not open: the first packet STALLs anyway */
}

/* Offers the device the next packet of u's current stage; *n gets the bytes
 * moved, *out_mps the packet size a bulk OUT packet was cut to. Returns a
 * USBIP_BE_* result. */
static int urb_packet(usbip_urb_t *u, uint16_t *n, uint16_t *out_mps)
{
    uint8_t junk[UDC_EP0_MPS];
    *n = 0;
    *out_mps = 0;
    switch (u->stage) {
    case ST_SETUP:
        return be->setup(u->setup);
    case ST_DATA:
        if (u->setup[0] & 0x80u) {
            return be->in(0, u->buf + u->pos, (uint16_t)(u->dlen - u->pos), n);
        }
        *n = min16(UDC_EP0_MPS, (uint32_t)(u->dlen - u->pos));
        return be->out(0, u->buf + u->pos, *n);
    case ST_STATUS:
        return urb_status_is_out(u) ? be->out(0, NULL, 0) : be->in(0, junk, sizeof junk, n);
    default: /* ST_BULK */
        if (u->dir == USBIP_DIR_IN) {
            return be->in(u->epnum, u->buf + u->pos, (uint16_t)(u->tbl - u->pos), n);
        }
        *out_mps = urb_bulk_out_mps(u);
        *n = min16(*out_mps, (uint32_t)(u->tbl - u->pos));
        return be->out(u->epnum, u->buf + u->pos, *n);
    }
}

/* What an accepted packet (ACK or OVERFLOW, n bytes, already counted in
 * u->pos; out_mps from urb_packet) means for the URB in its current stage. */
static void urb_after_packet(usbip_urb_t *u, int r, uint16_t n, uint16_t out_mps)
{
    switch (u->stage) {
    case ST_SETUP:
        u->stage = u->dlen != 0u ? ST_DATA : ST_STATUS;
        break;
    case ST_DATA:
        if (r == USBIP_BE_OVERFLOW) {
            urb_finish(u, -USBIP_EOVERFLOW);
        } else if (n < UDC_EP0_MPS || u->pos == u->dlen) {
            u->stage = ST_STATUS;  /* short packet or all of wLength: USB 2.0 8.5.3.2 */
        }
        break;
    case ST_STATUS: {
        bool read = urb_status_is_out(u);
        if (!read && n != 0u) {
            urb_finish(u, -USBIP_EPROTO);  /* data in a status stage */
        } else if (read && u->pos < u->tbl && (u->flags & USBIP_URB_SHORT_NOT_OK)) {
            urb_finish(u, -USBIP_EREMOTEIO);  /* as Linux HCDs: short read refused */
        } else {
            urb_finish(u, 0);
        }
        break;
    }
    default: /* ST_BULK */
        if (u->dir == USBIP_DIR_IN) {
            uint16_t mps = ep_mps((uint8_t)(UDC_EP_IN | u->epnum));
            if (r == USBIP_BE_OVERFLOW) {
                urb_finish(u, -USBIP_EOVERFLOW);
            } else if (u->pos == u->tbl) {
                urb_finish(u, 0);
            } else if (n < mps) {
                /* Short packet before the URB is full (USB 2.0 5.8.3):
                 * with URB_SHORT_NOT_OK Linux host controllers report
                 * -EREMOTEIO, data kept. */
                urb_finish(u, (u->flags & USBIP_URB_SHORT_NOT_OK) ? -USBIP_EREMOTEIO : 0);
            }
        } else if (n < out_mps ||
                   (u->pos == u->tbl && !(u->flags & USBIP_URB_ZERO_PACKET))) {
            /* A short packet (or ZLP) ends it; a last full packet needs
             * the ZLP only if the URB asked for URB_ZERO_PACKET. */
            urb_finish(u, 0);
        }
        break;
    }
}

/* Moves packets until a NAK or the end; true if any packet moved. NAK: the
 * URB waits (a bulk IN URB is never answered empty); STALL in any stage:
 * -EPIPE, as Linux HCDs report it; no handshake: -EPROTO. */
static bool urb_step(usbip_urb_t *u)
{
    bool moved = false;
    while (!u->done) {
        uint16_t n, out_mps;
        int r = urb_packet(u, &n, &out_mps);
        if (r == USBIP_BE_NAK) {
            return moved;
        }
        moved = true;
        if (r == USBIP_BE_STALL) {
            urb_finish(u, -USBIP_EPIPE);
            break;
        }
        if (r == USBIP_BE_ERROR) {
            urb_finish(u, -USBIP_EPROTO);
            break;
        }
        if (u->stage == ST_DATA || u->stage == ST_BULK) {
            u->pos = (uint16_t)(u->pos + n);
        }
        urb_after_packet(u, r, n, out_mps);
    }
    return moved;
}

static void urb_init_control(usbip_urb_t *u, const uint8_t setup[8], uint16_t room)
{
    memcpy(u->setup, setup, 8);
    uint16_t wlength = (uint16_t)(setup[6] | (setup[7] << 8));
    u->stage = ST_SETUP;
    u->dlen = min16(wlength, room);
    u->pos = 0;
    u->done = false;
    u->status = 0;
}

void usbip_sched_run_device(unsigned times)
{
    for (unsigned i = 0; i < times && dev_poll != NULL; i++) {
        dev_poll();
    }
}

int usbip_sched_control_sync(const uint8_t setup[8], uint8_t *data, uint16_t len)
{
    usbip_urb_t *u = &sync_urb;
    memset(u->setup, 0, sizeof u->setup);
    u->tbl = len;
    u->flags = 0;
    urb_init_control(u, setup, len);
    if (!(setup[0] & 0x80u) && u->dlen != 0u) {
        memcpy(u->buf, data, u->dlen);
    }
    for (unsigned i = 0; i < SYNC_POLLS && !u->done; i++) {
        (void)urb_step(u);
        if (!u->done) {
            usbip_sched_run_device(1);
        }
    }
    if (!u->done || u->status != 0) {
        return -1;
    }
    if (setup[0] & 0x80u) {
        memcpy(data, u->buf, u->pos);
    }
    return u->pos;
}

usbip_urb_t *usbip_sched_alloc(void)
{
    for (unsigned i = 0; i < USBIP_MAX_URBS; i++) {
        if (!urbs[i].used) {
            memset(&urbs[i], 0, offsetof(usbip_urb_t, buf));
            urbs[i].used = true;
            urbs[i].order = urb_order++;
            return &urbs[i];
        }
    }
    return NULL;
}

void usbip_sched_start(usbip_urb_t *u, const uint8_t setup[8])
{
    if (u->epnum == 0u) {
        urb_init_control(u, setup, u->tbl);
        /* The direction of a control URB must agree with its SETUP packet
         * (USB 2.0 9.3.1 bmRequestType bit 7) whenever there is a data stage. */
        if (u->dlen != 0u && ((u->setup[0] >> 7) != u->dir)) {
            urb_finish(u, -USBIP_EINVAL);
        }
    } else {
        u->stage = ST_BULK;
    }
}

usbip_urb_t *usbip_sched_find(uint32_t seqnum)
{
    for (unsigned i = 0; i < USBIP_MAX_URBS; i++) {
        if (urbs[i].used && urbs[i].seqnum == seqnum) {
            return &urbs[i];
        }
    }
    return NULL;
}

void usbip_sched_release(usbip_urb_t *u)
{
    u->used = false;
}

void usbip_sched_drop_all(void)
{
    for (unsigned i = 0; i < USBIP_MAX_URBS; i++) {
        urbs[i].used = false;
    }
}

/* URBs of one pipe complete in order (usbnet relies on it); ep0 is one
 * pipe for both directions (USB 2.0 5.5: a control pipe is bidirectional). */
static bool is_pipe_head(const usbip_urb_t *u)
{
    for (unsigned i = 0; i < USBIP_MAX_URBS; i++) {
        const usbip_urb_t *o = &urbs[i];
        if (o == u || !o->used || o->done) {
            continue;
        }
        bool same = (u->epnum == 0u) ? o->epnum == 0u
                                     : (o->epnum == u->epnum && o->dir == u->dir);
        if (same && (int32_t)(o->order - u->order) < 0) {
            return false;
        }
    }
    return true;
}

bool usbip_sched_step(void)
{
    bool moved = false;
    /* Two passes: a URB that completes in the first lets the next one of
     * its pipe start in the second. */
    for (unsigned pass = 0; pass < 2u; pass++) {
        for (unsigned i = 0; i < USBIP_MAX_URBS; i++) {
            usbip_urb_t *u = &urbs[i];
            if (u->used && !u->done && is_pipe_head(u) && urb_step(u)) {
                moved = true;
            }
        }
    }
    return moved;
}

usbip_urb_t *usbip_sched_next_done(void)
{
    usbip_urb_t *next = NULL;
    for (unsigned i = 0; i < USBIP_MAX_URBS; i++) {
        usbip_urb_t *u = &urbs[i];
        if (u->used && u->done && (next == NULL || (int32_t)(u->order - next->order) < 0)) {
            next = u;
        }
    }
    return next;
}
