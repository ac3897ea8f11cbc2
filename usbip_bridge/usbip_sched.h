/*
 * usbip_sched.h - the bridge's host controller: turns URBs into packets on a
 * device backend (usbip_backend.h) and tells when each URB is complete.
 *
 * Layer: usbip_bridge (host only). Knows USB transfers (USB 2.0 5.5-5.8, 8.5)
 * and nothing of sockets or the USB/IP wire format (usbip_server.c).
 * Rules: control URBs run SETUP, data stage (64-byte packets), status stage;
 * bulk/interrupt OUT URBs are cut into max-packet pieces with a trailing ZLP
 * when URB_ZERO_PACKET asks; IN URBs collect packets until a short packet or
 * the URB is full. A NAK leaves the URB pending; URBs of one pipe complete in
 * order; ep0 never waits for bulk. STALL -> -EPIPE, no handshake -> -EPROTO.
 * Pacing (usbip_sched_set_pace): none (default: packets move as fast as the
 * device answers, so tests stay fast) or fs, the full-speed bus schedule:
 * 1 ms frames (USB 2.0 5.12.3) by the wall clock, each with the bus time of
 * 1500 bytes (12 Mbit/s); a transaction costs its payload plus 13 bytes of
 * protocol overhead (USB 2.0 tables 5-7 and 5-9), so at most 19 max-size
 * bulk packets of 64 bytes fit a frame (table 5-9), shared by both
 * directions in round robin. In each frame interrupt endpoints due at their
 * bInterval go first (periodic, USB 2.0 5.7.4), then control transfers
 * (USB 2.0 5.5.4: their 10% is guaranteed by serving them before bulk), then
 * bulk (5.8.4: whatever time is left).
 * Limits (fixed storage): USBIP_MAX_URBS slots of USBIP_MAX_TRANSFER bytes.
 */
#ifndef USBIP_SCHED_H
#define USBIP_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "usbip_backend.h"
#include "usbip_proto.h"

#ifndef USBIP_MAX_URBS
#define USBIP_MAX_URBS 32u         /* usbnet: 4 rx + 4 tx + interrupt + ep0 */
#endif

/* Linux errno values as vhci expects them in RET_SUBMIT/RET_UNLINK status */
#define USBIP_EPIPE      32
#define USBIP_EINVAL     22
#define USBIP_EPROTO     71
#define USBIP_EOVERFLOW  75
#define USBIP_EREMOTEIO  121
#define USBIP_ECONNRESET 104

typedef struct {
    bool used;
    bool done;          /* completed, RET_SUBMIT not queued yet (tx full) */
    uint8_t stage;
    uint8_t epnum;
    uint8_t dir;        /* USBIP_DIR_* */
    uint32_t seqnum;
    uint32_t order;     /* arrival order: URBs of one pipe complete in order */
    uint32_t flags;
    uint16_t tbl;       /* transfer_buffer_length */
    uint16_t dlen;      /* control data stage length */
    uint16_t pos;       /* bytes moved so far */
    int32_t status;
    uint8_t setup[8];
    uint8_t buf[USBIP_MAX_TRANSFER];
} usbip_urb_t;

/* be: the device (not NULL); poll: runs it once (between packets of internal
 * transfers). */
void usbip_sched_init(const usbip_backend_t *be, void (*poll)(void));
const usbip_backend_t *usbip_sched_backend(void);
/* wMaxPacketSize from the device's endpoint descriptors (ep incl. direction) */
void usbip_sched_set_mps(uint8_t ep, uint16_t mps);
/* An endpoint descriptor's bmAttributes (transfer type, bits 1..0) and
 * bInterval (USB 2.0 9.6.6; frames between polls of an interrupt endpoint at
 * full speed, 1..255; 0 is taken as 1). */
void usbip_sched_set_ep(uint8_t ep, uint8_t bmAttributes, uint8_t bInterval);

typedef enum {
    USBIP_PACE_NONE = 0,   /* as fast as the device answers */
    USBIP_PACE_FS = 1,     /* the full-speed frame schedule (see above) */
} usbip_pace_t;
/* Frame schedule and its clock (microseconds, monotonic); now_us NULL: the
 * host's CLOCK_MONOTONIC. Tests inject their own clock. Kept across
 * usbip_sched_init. */
void usbip_sched_set_pace(usbip_pace_t pace, uint64_t (*now_us)(void));
/* Microseconds until the schedule lets a waiting URB move again (the next
 * frame with bus time, or an interrupt endpoint's next poll), or -1 when no
 * URB waits for the schedule (unpaced, or waiting for the device only).
 * The caller's poll() timeout should not exceed it. */
int32_t usbip_sched_wait_us(void);
/* Counters of the paced schedule, for tests and logs. */
typedef struct {
    uint64_t frame;          /* current frame number (now_us / 1000) */
    uint32_t frame_bytes;    /* bus time used in the current frame (bytes) */
    uint16_t frame_bulk;     /* bulk transactions in the current frame */
    uint16_t frame_ctrl;     /* control transactions in the current frame */
    uint16_t frame_intr;     /* interrupt transactions in the current frame */
} usbip_sched_frame_t;
void usbip_sched_frame_info(usbip_sched_frame_t *out);

/* A free slot, cleared and numbered in arrival order; NULL when all are taken. */
usbip_urb_t *usbip_sched_alloc(void);
/* After seqnum/epnum/dir/flags/tbl/buf are filled: starts the transfer
 * (control: setup from the URB; a direction that contradicts bmRequestType
 * ends it at once with -EINVAL). */
void usbip_sched_start(usbip_urb_t *u, const uint8_t setup[8]);
usbip_urb_t *usbip_sched_find(uint32_t seqnum);   /* a slot in use, or NULL */
void usbip_sched_release(usbip_urb_t *u);
void usbip_sched_drop_all(void);
/* Steps every URB that heads its pipe; true if any packet moved. */
bool usbip_sched_step(void);
/* The oldest completed URB (RET_SUBMIT goes back in arrival order), or NULL. */
usbip_urb_t *usbip_sched_next_done(void);

/* The bridge's own control transfer, run to the end with the device polled in
 * between (bounded). Data bytes moved, or -1. */
int usbip_sched_control_sync(const uint8_t setup[8], uint8_t *data, uint16_t len);
void usbip_sched_run_device(unsigned times);

#endif
