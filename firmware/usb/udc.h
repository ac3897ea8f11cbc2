/*
 * udc.h - the USB device controller boundary.
 *
 * Layer: firmware/usb (portable). The one interface a USB controller driver
 * implements: port/stm32f072/udc_stm32.c on the chip, hal_stub/udc_sim.c in the
 * simulator. Nothing above this header knows which one it runs on.
 *
 * Contract (modelled on TinyUSB's dcd.h and Zephyr's udc.h):
 * - Transfer level: udc_ep_xfer() queues one transfer of `len` bytes. It ends
 *   after `len` bytes or on a short packet (OUT), or after `len` bytes have been
 *   sent as max-packet-size pieces (IN). A zero-length IN transfer sends one
 *   ZLP. Drivers never add zero-length packets on their own: the caller decides.
 * - The buffer belongs to the caller again only after UDC_EVT_XFER_DONE.
 * - Events go up through udc_event_cb(), which the device core implements and
 *   which only queues (it may be called from an interrupt). All class, lwIP and
 *   app code runs from the main loop.
 * - Bus reset: the driver sets address 0, closes every endpoint but ep0,
 *   (re)opens ep0 with 64-byte packets and then reports UDC_EVT_BUS_RESET.
 * - A STALL on ep0 lasts until the next SETUP packet (the driver clears it).
 * - A SETUP packet cancels any transfer still queued on ep0 (0x00 and 0x80).
 * - udc_ep_close() on an endpoint that is not open does nothing.
 * - udc_set_address() is called by the core once the SET_ADDRESS status stage
 *   has completed, so drivers may apply it at once.
 * - At most one transfer is queued per endpoint and direction (udc_ep_xfer()
 *   refuses a second), so each reports at most one UDC_EVT_XFER_DONE before
 *   the core queues the next: the core keeps one completion slot per endpoint
 *   and never loses one.
 * - Once udc_ep_close() or udc_ep_open() has returned, no UDC_EVT_XFER_DONE
 *   for a transfer queued before is reported any more (the core discards one
 *   that was reported earlier but not yet handled).
 * - udc_ep_open() starts the endpoint not halted, with the data toggle at
 *   DATA0 and nothing queued (USB 2.0 9.1.1.5, 9.4.10).
 * - udc_ep_stall() / udc_ep_clear_stall() on an endpoint >= 1 keep a transfer
 *   that is queued on it: it is paused while halted and goes on (from DATA0)
 *   after the clear. The class relies on this (ecm.c does not re-queue).
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
} udc_event_t;

/* Driver side: implemented by each controller driver. */
void udc_init(void);
void udc_connect(void);     /* D+ pull-up on: the host sees the device */
void udc_disconnect(void);
void udc_set_address(uint8_t addr);
/* false: no such endpoint on this controller, or no packet memory left */
bool udc_ep_open(uint8_t ep, udc_ep_type_t type, uint16_t mps);
void udc_ep_close(uint8_t ep);  /* a pending transfer is dropped silently */
/* false: endpoint not open, or a transfer is already queued on it */
bool udc_ep_xfer(uint8_t ep, uint8_t *buf, uint16_t len);
void udc_ep_stall(uint8_t ep);
void udc_ep_clear_stall(uint8_t ep);  /* also resets the data toggle to DATA0 */
bool udc_ep_is_stalled(uint8_t ep);

/* Core side: implemented by usbd.c; safe to call from an interrupt. */
void udc_event_cb(const udc_event_t *ev);

#endif
