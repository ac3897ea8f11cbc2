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
 * - Paced (USBIP_PACE_FS, usbip_sched.h): one transaction at a time, charged
 *   to the current 1 ms frame's 1500 bytes of bus time (payload + 13 bytes,
 *   USB 2.0 tables 5-7/5-9); a transaction is only started if its largest
 *   possible packet still fits the frame (a host controller does the same
 *   near the end of a frame, USB 2.0 11.3: no transaction may cross EOF).
 *   Frames follow the wall clock (now_us / 1000): a frame the process slept
 *   through is gone, as on the bus, and nothing is moved "per tick".
 *   Limits of the model: a NAK costs no bus time (on a real bus a NAKed OUT
 *   still took its data packet's time, a NAKed IN a token and handshake), so
 *   the paced figure is an upper bound of what the bus would carry; the
 *   bridge's own control transfers (descriptors at start, SET_ADDRESS on
 *   import) run unpaced.
 */
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "usb/udc.h"
#include "usbip_sched.h"

#define SYNC_POLLS 200u /* device passes allowed for one internal control transfer */

/* Full speed: 12 Mbit/s = 1500 bytes of bus time per 1 ms frame; 13 bytes of
 * protocol overhead per transaction (sync, PIDs, address/endpoint, CRCs,
 * inter-packet delay: USB 2.0 tables 5-7 and 5-9). 19 x (64 + 13) = 1463 <=
 * 1500 < 20 x 77: the table's 19 max-size bulk transactions per frame. */
#define FS_FRAME_US    1000u
#define FS_FRAME_BYTES 1500u
#define FS_TXN_OVERHEAD 13u
#define EP_TYPE_INTERRUPT 3u /* bmAttributes bits 1..0, USB 2.0 table 9-13 */

enum { ST_SETUP, ST_DATA, ST_STATUS, ST_BULK };

static const usbip_backend_t *be;  /* set by usbip_sched_init */
static void (*dev_poll)(void);
static usbip_urb_t urbs[USBIP_MAX_URBS];
static usbip_urb_t sync_urb;
static uint32_t urb_order;
static uint16_t desc_mps[2][16];  /* [IN][epnum] from the endpoint descriptors */
static uint8_t desc_type[2][16];  /* bmAttributes & 3 */
static uint8_t desc_interval[2][16];

/* The paced schedule's state (usbip_sched_set_pace). */
static usbip_pace_t pace;
static uint64_t (*pace_now)(void);
static usbip_sched_frame_t fr;       /* the current frame's use of the bus */
static bool fr_valid;
static uint64_t next_poll[2][16];    /* interrupt endpoints: next frame to poll */
static uint64_t wake_us;             /* when a waiting URB may move; 0: none waits */
static unsigned rr_start;            /* round-robin start among bulk URBs */

void usbip_sched_init(const usbip_backend_t *b, void (*poll)(void))
{
    be = b;
    dev_poll = poll;
    memset(urbs, 0, sizeof urbs);
    memset(desc_mps, 0, sizeof desc_mps);
    memset(desc_type, 0, sizeof desc_type);
    memset(desc_interval, 0, sizeof desc_interval);
    memset(next_poll, 0, sizeof next_poll);
    fr_valid = false;
    wake_us = 0;
}

static uint64_t monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void usbip_sched_set_pace(usbip_pace_t p, uint64_t (*now_us)(void))
{
    pace = p;
    pace_now = now_us != NULL ? now_us : monotonic_us;
    fr_valid = false;
    wake_us = 0;
    memset(next_poll, 0, sizeof next_poll);
}

void usbip_sched_set_ep(uint8_t ep, uint8_t bmAttributes, uint8_t bInterval)
{
    unsigned d = (ep & 0x80u) ? 1u : 0u;
    desc_type[d][ep & 0x0Fu] = (uint8_t)(bmAttributes & 3u);
    desc_interval[d][ep & 0x0Fu] = bInterval != 0u ? bInterval : 1u;
}

void usbip_sched_frame_info(usbip_sched_frame_t *out)
{
    *out = fr;
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

/* Offers u's next packet. False on a NAK (nothing moved); true when the
 * packet was answered, with *n = the bytes it carried. STALL in any stage:
 * -EPIPE, as Linux HCDs report it; no handshake: -EPROTO. */
static bool urb_one(usbip_urb_t *u, uint16_t *n)
{
    uint16_t out_mps;
    int r = urb_packet(u, n, &out_mps);
    if (r == USBIP_BE_NAK) {
        return false;
    }
    if (r == USBIP_BE_STALL) {
        urb_finish(u, -USBIP_EPIPE);
    } else if (r == USBIP_BE_ERROR) {
        urb_finish(u, -USBIP_EPROTO);
    } else {
        if (u->stage == ST_DATA || u->stage == ST_BULK) {
            u->pos = (uint16_t)(u->pos + *n);
        }
        urb_after_packet(u, r, *n, out_mps);
    }
    return true;
}

/* Moves packets until a NAK or the end; true if any packet moved. NAK: the
 * URB waits (a bulk IN URB is never answered empty). */
static bool urb_step(usbip_urb_t *u)
{
    bool moved = false;
    while (!u->done) {
        uint16_t n;
        if (!urb_one(u, &n)) {
            return moved;
        }
        moved = true;
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

enum { CL_INTR, CL_CTRL, CL_BULK };

static unsigned urb_class(const usbip_urb_t *u)
{
    if (u->epnum == 0u) {
        return CL_CTRL;
    }
    unsigned d = u->dir == USBIP_DIR_IN ? 1u : 0u;
    return desc_type[d][u->epnum & 0x0Fu] == EP_TYPE_INTERRUPT ? CL_INTR : CL_BULK;
}

/* The bus time a host controller must still have in the frame before it
 * starts u's next transaction: a data packet may be as long as the
 * endpoint's wMaxPacketSize (USB 2.0 5.8.4: bulk bandwidth is reckoned in
 * max-size transactions, which is why table 5-9 says 19 per frame), so that
 * is what has to fit; SETUP (8 bytes) and a status stage (0 bytes) have a
 * known size. The frame is then charged what the packet really carried. */
static uint32_t urb_cost_bound(const usbip_urb_t *u)
{
    uint32_t p;
    switch (u->stage) {
    case ST_SETUP:
        p = 8u;
        break;
    case ST_DATA:
        p = UDC_EP0_MPS;
        break;
    case ST_STATUS:
        p = 0u;
        break;
    default: {
        uint16_t mps = ep_mps(u->dir == USBIP_DIR_IN ? (uint8_t)(UDC_EP_IN | u->epnum) : u->epnum);
        p = mps != 0u ? mps : 64u;
        break;
    }
    }
    return p + FS_TXN_OVERHEAD;
}

static void wake_at(uint64_t t)
{
    if (wake_us == 0u || t < wake_us) {
        wake_us = t;
    }
}

/* Serves the URBs of one class in the current frame: interrupt endpoints
 * once each when their poll is due, control and bulk one transaction per
 * URB per round (round robin: both bulk directions share the frame) until
 * the frame is full or every one NAKs. */
static bool paced_serve(unsigned cls)
{
    bool any = false;
    for (;;) {
        bool round = false;
        for (unsigned k = 0; k < USBIP_MAX_URBS; k++) {
            usbip_urb_t *u = &urbs[(rr_start + k) % USBIP_MAX_URBS];
            if (!u->used || u->done || urb_class(u) != cls || !is_pipe_head(u)) {
                continue;
            }
            unsigned d = u->dir == USBIP_DIR_IN ? 1u : 0u;
            uint64_t *np = &next_poll[d][u->epnum & 0x0Fu];
            if (cls == CL_INTR && fr.frame < *np) {
                wake_at(*np * FS_FRAME_US);  /* USB 2.0 5.7.4: polled at its period */
                continue;
            }
            uint32_t need = urb_cost_bound(u);
            if (fr.frame_bytes + need > FS_FRAME_BYTES) {
                wake_at((fr.frame + 1u) * FS_FRAME_US);  /* no room left in this frame */
                continue;
            }
            uint16_t n = 0;
            bool acked = urb_one(u, &n);
            if (cls == CL_INTR) {
                /* one poll per bInterval frames, answered or NAKed */
                *np = fr.frame + desc_interval[d][u->epnum & 0x0Fu];
                if (u->used && !u->done) {
                    wake_at(*np * FS_FRAME_US);
                }
            }
            if (!acked) {
                continue;  /* a NAK: no bus time charged (see the header) */
            }
            fr.frame_bytes += (uint32_t)n + FS_TXN_OVERHEAD;
            if (cls == CL_INTR) {
                fr.frame_intr++;
            } else if (cls == CL_CTRL) {
                fr.frame_ctrl++;
            } else {
                fr.frame_bulk++;
            }
            round = any = true;
        }
        if (!round || cls == CL_INTR) {
            return any;
        }
    }
}

static bool paced_step(void)
{
    uint64_t now = pace_now();
    uint64_t frame = now / FS_FRAME_US;
    if (!fr_valid || frame != fr.frame) {
        memset(&fr, 0, sizeof fr);
        fr.frame = frame;
        fr_valid = true;
        rr_start = (rr_start + 1u) % USBIP_MAX_URBS;
    }
    wake_us = 0;
    /* Periodic first, then control (its 10% is guaranteed by going before
     * bulk, USB 2.0 5.5.4), then bulk with what is left (5.8.4). */
    bool moved = paced_serve(CL_INTR);
    moved = paced_serve(CL_CTRL) || moved;
    moved = paced_serve(CL_BULK) || moved;
    return moved;
}

int32_t usbip_sched_wait_us(void)
{
    if (pace == USBIP_PACE_NONE || wake_us == 0u) {
        return -1;
    }
    uint64_t now = pace_now();
    if (wake_us <= now) {
        return 0;
    }
    uint64_t d = wake_us - now;
    return d > 1000000u ? 1000000 : (int32_t)d;
}

bool usbip_sched_step(void)
{
    if (pace == USBIP_PACE_FS) {
        return paced_step();
    }
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
