/*
 * udc.h - the USB device controller boundary.
 *
 * Layer: firmware/usb (portable). The one interface a USB controller driver
 * implements: port/stm32f072/udc_stm32.c on the chip, hal_stub/udc_sim.c in the
 * simulator. Nothing above this header knows which one it runs on.
 *
 * Contract (modelled on TinyUSB's dcd.h and Zephyr's udc.h). One conformance
 * suite (tests/unit/udc_conformance.c) checks the rules below on every
 * implementation: the unit tests' fake, udc_sim.c, and udc_stm32.c on the USB
 * FS register model. What only an interrupt-driven controller can show (a
 * SETUP latched but not yet reported, a completion and a SETUP pending
 * together, the peripheral racing the CPU) is tested on that model in
 * test_stm32_epr.c and test_udc_stm32_usbd.c.
 * - Transfer level: udc_ep_xfer() queues one transfer of `len` bytes. It ends
 *   after `len` bytes or on a short packet (OUT), or after `len` bytes have been
 *   sent as max-packet-size pieces (IN). A zero-length IN transfer sends one
 *   ZLP. Drivers never add zero-length packets on their own: the caller decides.
 *   OUT bytes a host sends beyond `len` are dropped, never written.
 * - The buffer belongs to the caller again only after UDC_EVT_XFER_DONE.
 * - Events go up through udc_event_cb(), which the device core implements and
 *   which only queues (it may be called from an interrupt). All class, lwIP and
 *   app code runs from the main loop.
 * - Bus reset: the driver sets address 0, closes every endpoint but ep0,
 *   (re)opens ep0 with 64-byte packets and then reports UDC_EVT_BUS_RESET.
 * - udc_ep_close(), udc_ep_xfer(), udc_ep_stall() and udc_ep_clear_stall()
 *   take any endpoint address; on one that is not open (or does not exist)
 *   udc_ep_xfer() returns false, the others do nothing, and
 *   udc_ep_is_stalled() says false. A halt is a state of an open
 *   endpoint (USB 2.0 9.4.5), so it is never remembered across a close.
 * - udc_ep_open() starts the endpoint not halted, with the data toggle at
 *   DATA0 and nothing queued (USB 2.0 9.1.1.5, 9.4.10). udc_ep_close() drops
 *   a pending transfer silently.
 * - At most one transfer is queued per endpoint and direction (udc_ep_xfer()
 *   refuses a second), so each reports at most one UDC_EVT_XFER_DONE before
 *   the core queues the next: the core keeps one completion slot per endpoint
 *   and never loses one.
 * - Once udc_ep_close() or udc_ep_open() has returned, no UDC_EVT_XFER_DONE
 *   for a transfer queued before is reported any more (the core discards one
 *   that was reported earlier but not yet handled).
 * - Endpoints >= 1: udc_ep_stall() / udc_ep_clear_stall() act on the one
 *   direction named (a functional stall, USB 2.0 8.4.5, 9.4.5) and keep a
 *   transfer queued on it: it is paused while halted and goes on (from DATA0)
 *   after the clear. udc_ep_clear_stall() also resets the toggle of an
 *   endpoint that was not halted, without losing or repeating a packet that
 *   completes meanwhile. The class relies on this (ecm.c does not re-queue).
 * - ep0 is one control pipe: udc_ep_stall(0x00) or udc_ep_stall(0x80) is a
 *   protocol stall of the whole pipe (USB 2.0 8.5.3.4): IN and OUT tokens of
 *   ep0 get STALL, udc_ep_is_stalled() is true for both addresses, transfers
 *   queued on ep0 are dropped without XFER_DONE and new ones are refused,
 *   until the next SETUP (or bus reset) ends it; udc_ep_clear_stall() on ep0
 *   ends it too.
 * - A SETUP packet cancels any transfer still queued on ep0 (0x00 and 0x80),
 *   ends a STALL of ep0 and is reported with a sequence number (ev.seq, one
 *   more per SETUP and per bus reset, modulo 256). Before answering a SETUP
 *   the core names it with udc_ep0_answer(seq); from then on udc_ep_xfer()
 *   and udc_ep_stall() on ep0 are refused (false / no effect) as soon as a
 *   newer SETUP has been received by the hardware, even before it is
 *   reported, or a bus reset has happened. The check is made by the driver
 *   where it can be atomic with arming the endpoint: a reply or STALL built
 *   for an older request never reaches the bus in a newer one's data or
 *   status stage (USB 2.0 8.5.3: a SETUP aborts the control transfer).
 * - A completion on ep0 reported before a SETUP happened before it: drivers
 *   report a finished status stage first (SET_ADDRESS depends on it).
 * - udc_set_address() is called by the core once the SET_ADDRESS status stage
 *   has completed, so drivers may apply it at once.
 * - udc_event_cb() may interrupt any core or class code running from the main
 *   loop (but is not re-entered by itself); it is lock-free, so drivers need
 *   not mask anything around it. UDC_EVT_SUSPEND/RESUME may be coalesced.
 */
#ifndef UDC_H
#define UDC_H

#include <stdbool.h>
#include <stdint.h>

#define UDC_EP_IN        0x80u
#define UDC_EP_NUM(ep)   ((uint8_t)((ep) & 0x0Fu))
#define UDC_EP_IS_IN(ep) (((ep) & UDC_EP_IN) != 0u)
#define UDC_EP0_MPS      64u

/* bmAttributes transfer type values, USB 2.0 table 9-13 */
typedef enum {
    UDC_EP_CONTROL = 0,
    UDC_EP_ISOCHRONOUS = 1,
    UDC_EP_BULK = 2,
    UDC_EP_INTERRUPT = 3,
} udc_ep_type_t;

typedef enum {
    UDC_EVT_NONE = 0,
    UDC_EVT_BUS_RESET,  /* address is 0 again, endpoints closed */
    UDC_EVT_SETUP,      /* setup[] holds the 8-byte SETUP packet */
    UDC_EVT_XFER_DONE,  /* ep, len = bytes actually transferred */
    UDC_EVT_SUSPEND,
    UDC_EVT_RESUME,
    UDC_EVT_UNPLUGGED,  /* VBUS gone / USB/IP connection closed */
} udc_event_type_t;

typedef struct {
    uint8_t type;       /* udc_event_type_t */
    uint8_t ep;         /* endpoint address incl. direction bit */
    uint16_t len;
    uint8_t setup[8];
    uint8_t seq;        /* UDC_EVT_SETUP: its sequence number (udc_ep0_answer) */
} udc_event_t;

/* Driver side: implemented by each controller driver. */
void udc_init(void);
void udc_connect(void);     /* D+ pull-up on: the host sees the device */
void udc_disconnect(void);
void udc_set_address(uint8_t addr);
/* false: no such endpoint on this controller, or no packet memory left */
bool udc_ep_open(uint8_t ep, udc_ep_type_t type, uint16_t mps);
void udc_ep_close(uint8_t ep);  /* a pending transfer is dropped silently */
/* false: endpoint not open, a transfer is already queued on it, or buf is NULL
 * with len > 0; on ep0 also
 * while it is stalled or when the SETUP named by udc_ep0_answer() is stale */
bool udc_ep_xfer(uint8_t ep, uint8_t *buf, uint16_t len);
void udc_ep_stall(uint8_t ep);
void udc_ep_clear_stall(uint8_t ep);  /* also resets the data toggle to DATA0 */
bool udc_ep_is_stalled(uint8_t ep);
/* The ep0 calls that follow answer the SETUP reported with this ev.seq. */
void udc_ep0_answer(uint8_t seq);

/* Core side: implemented by usbd.c; safe to call from an interrupt. */
void udc_event_cb(const udc_event_t *ev);

#endif
