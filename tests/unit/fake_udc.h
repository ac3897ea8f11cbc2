/*
 * fake_udc.h - test double of udc.h (the USB device controller) that models
 * packets like the real hardware: the test plays the host, sending SETUP and
 * OUT packets and asking for IN packets; the fake moves at most one packet of
 * max-packet-size bytes per call into/out of the transfer the firmware
 * queued, completes it (udc_event_cb + usbd_task) after `len` bytes or on a
 * short packet, and records every call the firmware makes.
 * It keeps every udc.h promise (tests/unit/udc_conformance.c checks it like
 * the real drivers): a SETUP drops transfers queued on ep0, ends an ep0
 * STALL and carries a sequence number; a STALL of ep0 covers both
 * directions. No malloc: fixed tables.
 */
#ifndef FAKE_UDC_H
#define FAKE_UDC_H

#include <stdbool.h>
#include <stdint.h>
#include "usb/udc.h"

#define FAKE_UDC_NAK   (-1)   /* nothing queued on that endpoint */
#define FAKE_UDC_STALL (-2)
#define FAKE_UDC_ERROR (-3)   /* protocol violation seen by the host side helpers */

typedef enum {
    FAKE_UDC_OPEN = 1,
    FAKE_UDC_CLOSE,
    FAKE_UDC_XFER,
    FAKE_UDC_STALL_CALL,
    FAKE_UDC_CLEAR_STALL,
    FAKE_UDC_SET_ADDRESS,
} fake_udc_op_t;

typedef struct {
    uint8_t op;           /* fake_udc_op_t */
    uint8_t ep;           /* or the address for SET_ADDRESS */
    uint16_t len;         /* XFER length, OPEN max packet size */
    const uint8_t *buf;   /* XFER buffer */
} fake_udc_call_t;

#define FAKE_UDC_LOG_MAX 2048u
extern fake_udc_call_t fake_udc_log[FAKE_UDC_LOG_MAX];
extern unsigned fake_udc_log_len;     /* beyond the table: counted, not stored; lookups then fail */

typedef struct {
    bool open;
    uint8_t type;
    uint16_t mps;
    bool stalled;
    bool queued;
    uint8_t *buf;
    uint16_t len;
    uint16_t done;
    bool toggle_reset;    /* set by udc_ep_clear_stall */
} fake_udc_ep_t;

extern bool fake_udc_inited;
extern bool fake_udc_connected;
extern int fake_udc_address;              /* last udc_set_address(), -1 = never */
extern unsigned fake_udc_overflows;       /* OUT packets bigger than the room left */
extern bool fake_udc_last_zlp;            /* last control IN data stage ended with a ZLP */
extern unsigned fake_udc_last_packets;    /* IN data packets of the last control IN */
/* Failure injection: the next udc_ep_open / udc_ep_xfer calls on endpoint
 * fail_*_ep (0xFF = any) return false, fail_*_count times (then succeed
 * again). fake_udc_reset() clears them. */
extern uint8_t fake_udc_fail_open_ep;
extern unsigned fake_udc_fail_open_count;
extern uint8_t fake_udc_fail_xfer_ep;
extern unsigned fake_udc_fail_xfer_count;
/* true: host-side helpers only report events (udc_event_cb), they do not run
 * usbd_task(); the test runs it when it wants (events pile up meanwhile). */
extern bool fake_udc_defer_task;
/* Called at the start of udc_ep_close(), before the endpoint is closed: lets a
 * test report a completion "from the ISR" just before the close takes effect. */
extern void (*fake_udc_close_hook)(uint8_t ep);

fake_udc_ep_t *fake_udc_ep(uint8_t ep);
void fake_udc_reset(void);       /* fresh controller, ep0 open, empty log; no event */
void fake_udc_log_clear(void);
/* Number of logged calls with this op (and ep, unless ep == 0xFF) */
unsigned fake_udc_count(uint8_t op, uint8_t ep);
/* Index of the n-th logged call with this op/ep, or -1 */
int fake_udc_find(uint8_t op, uint8_t ep, unsigned n);

/* Host-side events: each delivers the event and runs usbd_task(). */
void fake_udc_bus_reset(void);
void fake_udc_unplug(void);
void fake_udc_setup_raw(const uint8_t setup[8]);
void fake_udc_setup(uint8_t bmRequestType, uint8_t bRequest, uint16_t wValue,
                    uint16_t wIndex, uint16_t wLength);
/* One IN token: returns the packet length (0 = ZLP), FAKE_UDC_NAK or FAKE_UDC_STALL. */
int fake_udc_in(uint8_t ep, uint8_t *pkt, uint16_t room);
/* One OUT packet (len <= mps): 0 = ACK, FAKE_UDC_NAK or FAKE_UDC_STALL. */
int fake_udc_out(uint8_t ep, const uint8_t *pkt, uint16_t len);

/* Whole control transfers as a host does them. control_in returns the bytes
 * received (<= wLength) or FAKE_UDC_STALL / FAKE_UDC_ERROR; control_out
 * returns 0, FAKE_UDC_STALL or FAKE_UDC_ERROR. */
int fake_udc_control_in(uint8_t bmRequestType, uint8_t bRequest, uint16_t wValue,
                        uint16_t wIndex, uint16_t wLength, uint8_t *out);
int fake_udc_control_out(uint8_t bmRequestType, uint8_t bRequest, uint16_t wValue,
                         uint16_t wIndex, uint16_t wLength, const uint8_t *data);
/* A stream of OUT packets (64 bytes each, the last one shorter) forming one
 * bulk transfer of len bytes; a ZLP follows when len is a multiple of the mps
 * and zlp is set. Stops at the first NAK/STALL. Returns bytes accepted. */
int fake_udc_bulk_out(uint8_t ep, const uint8_t *data, uint16_t len, bool zlp);
/* Read IN packets until a short one (incl. ZLP): returns total or NAK/STALL. */
int fake_udc_bulk_in(uint8_t ep, uint8_t *out, uint16_t room, bool *ended_with_zlp);

#endif
