/*
 * usbd.c - USB device core: event slots, control endpoint state machine,
 * standard requests (USB 2.0 chapter 9) and dispatch to one class driver.
 *
 * Layer: portable (firmware/usb). Includes udc.h, usbd.h, usb_desc.h,
 * usb_std.h, usb_ids.h and <stddef.h> only.
 * Assumptions: full speed, one configuration (value 1), ep0 max packet 64.
 * udc_event_cb() may run in an interrupt that preempts usbd_task(); it only
 * records the event, lock-free (see "event slots" below); everything else
 * runs from usbd_task() in the main loop. No event that matters is ever
 * dropped for lack of room: one completion slot per endpoint and direction
 * (udc.h allows one transfer in flight per endpoint), the newest SETUP (a
 * newer one replaces an older, USB 2.0 8.5.3) and a reset counter. Every request from the host is validated
 * against the descriptors; anything unknown or inconsistent gets a STALL on
 * ep0 (USB 2.0 9.2.7 "Request Error") and changes nothing.
 * Limits: class OUT data stages up to USBD_EP0_BUF_SIZE bytes; class IN
 * replies up to USBD_EP0_BUF_SIZE bytes. A SETUP packet aborts whatever
 * control transfer was in progress (USB 2.0 8.5.3); the driver is expected to
 * drop transfers still queued on ep0 when it receives one.
 * Remote wakeup: SET/CLEAR_FEATURE(DEVICE_REMOTE_WAKEUP) are accepted and
 * reflected by GET_STATUS as USB 2.0 9.4.5 requires of the request itself,
 * but the configuration descriptor leaves bmAttributes D5 clear and the
 * device never signals resume: a host that follows 9.6.3 never enables it,
 * and nothing on this adapter (no wake-on-LAN) would need to wake the host.
 */
#include <stddef.h>

#include "udc.h"
#include "usbd.h"
#include "usb_desc.h"
#include "usb_ids.h"
#include "usb_std.h"

_Static_assert(USBD_NUM_EP >= 1u && USBD_NUM_EP <= 16u, "USBD_NUM_EP out of range");
_Static_assert(UDC_EP_NUM(USB_EP_NOTIFY) < USBD_NUM_EP && UDC_EP_NUM(USB_EP_DATA_OUT) < USBD_NUM_EP &&
                   UDC_EP_NUM(USB_EP_DATA_IN) < USBD_NUM_EP,
               "a class endpoint has no completion slot");
_Static_assert(USBD_EP0_BUF_SIZE >= 2u, "ep0 buffer too small for GET_STATUS");

/* Keep the compiler from moving slot accesses across the counter updates; on
 * a single-core Cortex-M0 this is all the ordering an ISR/main pair needs. */
#define USBD_BARRIER() __atomic_signal_fence(__ATOMIC_SEQ_CST)

typedef enum {
    EP0_IDLE = 0,
    EP0_DATA_IN,     /* IN data queued on 0x80 (maybe followed by a ZLP) */
    EP0_DATA_OUT,    /* class OUT data queued on 0x00 */
    EP0_STATUS_IN,   /* 0-length IN queued: status of a no-data or OUT transfer */
    EP0_STATUS_OUT,  /* 0-length OUT queued: status of an IN transfer */
} usbd_ep0_state_t;

/*
 * Event slots. Lock-free single producer (udc_event_cb, maybe an ISR) /
 * single consumer (usbd_task): the producer only writes usbd_isr and the
 * consumer only writes usbd_seen. Each kind of event is a free-running 8-bit
 * counter the producer bumps *after* writing the data that goes with it; the
 * consumer takes an event when the counter differs from what it has seen.
 * - completion: one slot per endpoint and direction. The next completion on
 *   the same endpoint needs a new transfer, which only the consumer queues
 *   after it has read the length, so the length is never overwritten unread.
 * - SETUP: the newest one wins. The consumer copies the bytes and checks that
 *   the counter did not move meanwhile (the ISR preempts the consumer, never
 *   the other way round, so an unchanged counter means an untorn copy).
 * - reset/unplug: a counter plus the SETUP count at that moment, so SETUPs
 *   from before the reset are discarded with it.
 * usbd_ep_open()/usbd_ep_close() and resets mark an endpoint's pending
 * completion as seen: it belonged to a transfer that no longer exists.
 */
static struct {
    volatile uint8_t done_cnt[2][USBD_NUM_EP];   /* [IN?][endpoint number] */
    volatile uint16_t done_len[2][USBD_NUM_EP];
    volatile uint8_t setup[8];
    volatile uint8_t setup_seq;                  /* the driver's number for it (udc.h) */
    volatile uint8_t setup_cnt;
    volatile uint8_t reset_cnt;
    volatile uint8_t reset_setup_cnt;            /* setup_cnt at the last reset */
    volatile uint8_t unplug_cnt;
    volatile uint8_t done_any;                   /* bumped with every done_cnt */
    volatile uint32_t lost;
} usbd_isr;

static struct {
    uint8_t done_cnt[2][USBD_NUM_EP];
    uint8_t setup_cnt;
    uint8_t reset_cnt;
    uint8_t unplug_cnt;
    uint8_t done_any;   /* usbd_isr.done_any when a scan of all endpoints began */
} usbd_seen;

static volatile bool usbd_ready;
static volatile uint32_t usbd_events;   /* usbd_event_count(); written by the producer only */

static const usbd_class_t *usbd_cls;

static struct {
    uint8_t state;           /* usbd_ep0_state_t */
    bool zlp_pending;        /* IN data ends with an explicit ZLP (USB 2.0 5.5.3) */
    bool addr_pending;
    uint8_t addr;
    usb_setup_t setup;
    uint8_t buf[USBD_EP0_BUF_SIZE];
} usbd_ep0;

static uint8_t usbd_config;  /* 0 = address/default state, 1 = configured */
static uint8_t usbd_alt[USB_NUM_INTERFACES];
static bool usbd_wakeup;

/* ------------------------------------------------------------ ep0 stages */

static void ep0_stall(void)
{
    /* USB 2.0 8.5.3.4: both directions, so whichever stage the host tries next fails */
    udc_ep_stall(0x80u);
    udc_ep_stall(0x00u);
    usbd_ep0.state = EP0_IDLE;
    usbd_ep0.zlp_pending = false;
    usbd_ep0.addr_pending = false;
}

/* Status stage of a no-data or OUT control transfer: a 0-length IN (USB 2.0 8.5.3) */
static void ep0_ack(void)
{
    usbd_ep0.state = EP0_STATUS_IN;
    if (!udc_ep_xfer(0x80u, usbd_ep0.buf, 0)) {
        ep0_stall();
    }
}

/* IN data stage, clamped to wLength (USB 2.0 9.3.5). */
static void ep0_send(const uint8_t *data, uint16_t len)
{
    uint16_t wlen = usbd_ep0.setup.wLength;

    if (wlen == 0u) {
        ep0_ack();  /* no data stage at all: the status stage is IN (USB 2.0 8.5.3) */
        return;
    }
    if (len > wlen) {
        len = wlen;
    }
    /* USB 2.0 5.5.3: the data stage ends with a short packet unless exactly
     * wLength bytes were sent; a last full packet needs a ZLP after it. A
     * 0-length transfer is itself that short packet. */
    usbd_ep0.zlp_pending = len != 0u && len < wlen && (len % UDC_EP0_MPS) == 0u;
    usbd_ep0.state = EP0_DATA_IN;
    /* IN transfers only read the buffer; udc.h takes non-const for both directions */
    if (!udc_ep_xfer(0x80u, (uint8_t *)(uintptr_t)data, len)) {
        ep0_stall();
    }
}

static void ep0_in_done(void)
{
    if (usbd_ep0.state == EP0_DATA_IN) {
        if (usbd_ep0.zlp_pending) {
            usbd_ep0.zlp_pending = false;
            if (!udc_ep_xfer(0x80u, usbd_ep0.buf, 0)) {
                ep0_stall();
            }
            return;
        }
        usbd_ep0.state = EP0_STATUS_OUT;
        if (!udc_ep_xfer(0x00u, usbd_ep0.buf, 0)) {
            ep0_stall();
        }
    } else if (usbd_ep0.state == EP0_STATUS_IN) {
        usbd_ep0.state = EP0_IDLE;
        /* USB 2.0 9.4.6: the new address applies only after the status stage */
        if (usbd_ep0.addr_pending) {
            usbd_ep0.addr_pending = false;
            udc_set_address(usbd_ep0.addr);
        }
    }
    /* anything else: a stale completion of an aborted transfer, ignore */
}

static void ep0_out_done(uint16_t len)
{
    if (usbd_ep0.state == EP0_STATUS_OUT) {
        usbd_ep0.state = EP0_IDLE;
    } else if (usbd_ep0.state == EP0_DATA_OUT) {
        /* the host must send exactly wLength bytes (USB 2.0 9.3.5) */
        if (len != usbd_ep0.setup.wLength || usbd_cls->control == NULL ||
            usbd_cls->control(&usbd_ep0.setup, usbd_ep0.buf, len) < 0) {
            ep0_stall();
            return;
        }
        ep0_ack();
    }
}

/* --------------------------------------------------- configuration state */

static void close_all_eps(void)
{
    /* every endpoint of any alternate setting, straight from the descriptor */
    for (uint8_t n = 1; n < 16u; n++) {
        if (usb_desc_ep_exists(n, NULL)) {
            usbd_ep_close(n);
        }
        if (usb_desc_ep_exists((uint8_t)(n | UDC_EP_IN), NULL)) {
            usbd_ep_close((uint8_t)(n | UDC_EP_IN));
        }
    }
}

static void deconfigure(bool close_eps)
{
    if (close_eps && usbd_config != 0u) {
        close_all_eps();
    }
    usbd_config = 0;
    for (uint8_t i = 0; i < USB_NUM_INTERFACES; i++) {
        usbd_alt[i] = 0;
    }
    if (usbd_cls->reset != NULL) {
        usbd_cls->reset();
    }
}

static void bus_reset(bool close_eps)
{
    /* USB 2.0 9.1.1.3/9.4.5: default state, address 0, remote wakeup disabled */
    usbd_ep0.state = EP0_IDLE;
    usbd_ep0.zlp_pending = false;
    usbd_ep0.addr_pending = false;
    usbd_wakeup = false;
    deconfigure(close_eps);
}

/* --------------------------------------------------- standard requests */

static bool itf_valid(uint16_t windex)
{
    return usbd_config != 0u && windex < USB_NUM_INTERFACES &&
           usb_desc_alt_count((uint8_t)windex) > 0u;
}

/* USB 2.0 9.4.5: ep0 always exists; others only in the current alt settings */
static bool ep_valid(uint16_t windex)
{
    if ((windex & 0xFF70u) != 0u) {
        return false;  /* reserved bits of wIndex (figure 9-2) */
    }
    if (UDC_EP_NUM(windex) == 0u) {
        return true;
    }
    return usbd_config != 0u && usb_desc_ep_exists((uint8_t)windex, usbd_alt);
}

static void get_descriptor(const usb_setup_t *s)
{
    uint8_t type = (uint8_t)(s->wValue >> 8);
    uint8_t index = (uint8_t)s->wValue;
    const uint8_t *d = NULL;
    uint16_t len = 0;

    switch (type) {
    case USB_DT_DEVICE:
        if (index == 0u) {
            d = usb_desc_device(&len);
        }
        break;
    case USB_DT_CONFIGURATION:
        if (index == 0u) {
            d = usb_desc_config(&len);
        }
        break;
    case USB_DT_STRING:
        d = usb_desc_string(index, &len);
        break;
    case USB_DT_BOS:
        /* USB 3.2 9.6.2: only a device with bcdUSB >= 0x0201 has one (NCM mode) */
        if (index == 0u) {
            d = usb_desc_bos(&len);
        }
        break;
    default:
        /* USB 2.0 9.6.2: a full-speed-only device has no device qualifier
         * (and hence no other-speed configuration): Request Error */
        break;
    }
    if (d == NULL) {
        ep0_stall();
        return;
    }
    ep0_send(d, len);
}

static void std_device(const usb_setup_t *s, bool in)
{
    switch (s->bRequest) {
    case USB_REQ_GET_STATUS:
        if (!in || s->wValue != 0u || s->wIndex != 0u) {
            break;
        }
        /* USB 2.0 figure 9-4: bus powered, remote wakeup as last set */
        usbd_ep0.buf[0] = usbd_wakeup ? (uint8_t)USB_STATUS_REMOTE_WAKEUP : 0u;
        usbd_ep0.buf[1] = 0;
        ep0_send(usbd_ep0.buf, 2);
        return;
    case USB_REQ_CLEAR_FEATURE:
    case USB_REQ_SET_FEATURE:
        /* TEST_MODE is for high-speed devices (USB 2.0 9.4.9, 7.1.20) */
        if (in || s->wLength != 0u || s->wIndex != 0u ||
            s->wValue != USB_FEATURE_DEVICE_REMOTE_WAKEUP) {
            break;
        }
        usbd_wakeup = s->bRequest == USB_REQ_SET_FEATURE;
        ep0_ack();
        return;
    case USB_REQ_SET_ADDRESS:
        if (in || s->wLength != 0u || s->wIndex != 0u || s->wValue > 127u) {
            break;
        }
        usbd_ep0.addr = (uint8_t)s->wValue;
        ep0_ack();
        usbd_ep0.addr_pending = usbd_ep0.state == EP0_STATUS_IN;
        return;
    case USB_REQ_GET_DESCRIPTOR:
        if (!in) {
            break;
        }
        get_descriptor(s);
        return;
    case USB_REQ_GET_CONFIGURATION:
        if (!in || s->wValue != 0u || s->wIndex != 0u) {
            break;
        }
        usbd_ep0.buf[0] = usbd_config;
        ep0_send(usbd_ep0.buf, 1);
        return;
    case USB_REQ_SET_CONFIGURATION:
        if (in || s->wLength != 0u || s->wIndex != 0u ||
            (s->wValue != 0u && s->wValue != USB_CONFIG_VALUE)) {
            break;
        }
        /* USB 2.0 9.4.7: (re)selecting a configuration resets alt settings,
         * halts and toggles: tear the old one down completely first */
        deconfigure(true);
        if (s->wValue == USB_CONFIG_VALUE) {
            usbd_config = USB_CONFIG_VALUE;
            if (usbd_cls->configured != NULL) {
                usbd_cls->configured();
            }
        }
        ep0_ack();
        return;
    default:
        break;  /* SET_DESCRIPTOR and anything unknown */
    }
    ep0_stall();
}

/* USB 2.0 9.1.1.5, 9.4.10: SET_INTERFACE puts every endpoint of the interface
 * back to DATA0 and clears its halt, also when the alt setting stays the same
 * (Linux resets its own toggles after the request). Endpoints the class has
 * just opened are already there; doing it for all keeps the rule in one place. */
static void reset_itf_eps(uint8_t itf)
{
    for (uint8_t n = 1; n < 16u; n++) {
        for (uint8_t dir = 0; dir < 2u; dir++) {
            uint8_t ep = (uint8_t)(n | (dir != 0u ? UDC_EP_IN : 0u));
            if (usb_desc_ep_interface(ep, usbd_alt) == (int)itf) {
                udc_ep_clear_stall(ep);
                if (usbd_cls->halt_cleared != NULL) {
                    usbd_cls->halt_cleared(ep);
                }
            }
        }
    }
}

static void std_interface(const usb_setup_t *s, bool in)
{
    if (!itf_valid(s->wIndex)) {
        ep0_stall();
        return;
    }
    uint8_t itf = (uint8_t)s->wIndex;

    switch (s->bRequest) {
    case USB_REQ_GET_STATUS:
        if (!in || s->wValue != 0u) {
            break;
        }
        usbd_ep0.buf[0] = 0;  /* USB 2.0 figure 9-5: all bits reserved */
        usbd_ep0.buf[1] = 0;
        ep0_send(usbd_ep0.buf, 2);
        return;
    case USB_REQ_GET_INTERFACE:
        if (!in || s->wValue != 0u) {
            break;
        }
        usbd_ep0.buf[0] = usbd_alt[itf];
        ep0_send(usbd_ep0.buf, 1);
        return;
    case USB_REQ_SET_INTERFACE:
        if (in || s->wLength != 0u || s->wValue >= usb_desc_alt_count(itf)) {
            break;
        }
        if (usbd_cls->set_interface == NULL ||
            !usbd_cls->set_interface(itf, (uint8_t)s->wValue)) {
            /* usbd.h: a class that fails leaves the interface in alt 0 (it
             * may already have torn the old setting down), so GET_INTERFACE
             * must say 0 too */
            usbd_alt[itf] = 0;
            break;
        }
        usbd_alt[itf] = (uint8_t)s->wValue;
        reset_itf_eps(itf);
        ep0_ack();
        return;
    default:
        break;  /* USB 2.0 defines no interface features */
    }
    ep0_stall();
}

static void std_endpoint(const usb_setup_t *s, bool in)
{
    if (!ep_valid(s->wIndex)) {
        ep0_stall();
        return;
    }
    uint8_t ep = (uint8_t)s->wIndex;
    bool ep0 = UDC_EP_NUM(ep) == 0u;

    switch (s->bRequest) {
    case USB_REQ_GET_STATUS:
        if (!in || s->wValue != 0u) {
            break;
        }
        /* USB 2.0 figure 9-6 */
        usbd_ep0.buf[0] = (!ep0 && udc_ep_is_stalled(ep)) ? (uint8_t)USB_STATUS_EP_HALT : 0u;
        usbd_ep0.buf[1] = 0;
        ep0_send(usbd_ep0.buf, 2);
        return;
    case USB_REQ_CLEAR_FEATURE:
    case USB_REQ_SET_FEATURE:
        if (in || s->wLength != 0u || s->wValue != USB_FEATURE_ENDPOINT_HALT) {
            break;
        }
        /* USB 2.0 9.4.5: halting ep0 is neither necessary nor recommended;
         * accept the request and keep ep0 working */
        if (!ep0) {
            if (s->bRequest == USB_REQ_SET_FEATURE) {
                udc_ep_stall(ep);
            } else {
                /* USB 2.0 9.4.1: clearing HALT also resets the toggle to DATA0 */
                udc_ep_clear_stall(ep);
                if (usbd_cls->halt_cleared != NULL) {
                    usbd_cls->halt_cleared(ep);
                }
            }
        }
        ep0_ack();
        return;
    default:
        break;  /* SYNCH_FRAME: no isochronous endpoints */
    }
    ep0_stall();
}

static void class_request(const usb_setup_t *s, bool in)
{
    /* Only interface-directed class requests exist for CDC (CDC 1.2 6.2) */
    if ((s->bmRequestType & USB_REQ_RCPT_MASK) != USB_REQ_RCPT_INTERFACE ||
        !itf_valid(s->wIndex) || usbd_cls->control == NULL) {
        ep0_stall();
        return;
    }
    if (in) {
        uint16_t room = s->wLength < USBD_EP0_BUF_SIZE ? s->wLength : (uint16_t)USBD_EP0_BUF_SIZE;
        int n = usbd_cls->control(s, usbd_ep0.buf, room);
        if (n < 0 || n > (int)room) {
            ep0_stall();
            return;
        }
        ep0_send(usbd_ep0.buf, (uint16_t)n);
    } else if (s->wLength == 0u) {
        if (usbd_cls->control(s, usbd_ep0.buf, 0) < 0) {
            ep0_stall();
            return;
        }
        ep0_ack();
    } else if (s->wLength > USBD_EP0_BUF_SIZE) {
        ep0_stall();
    } else {
        usbd_ep0.state = EP0_DATA_OUT;
        if (!udc_ep_xfer(0x00u, usbd_ep0.buf, s->wLength)) {
            ep0_stall();
        }
    }
}

/* MS OS 2.0 spec 9.22.3: the descriptor set is a device-to-host vendor
 * request to the device with bRequest = bMS_VendorCode, wValue 0, wIndex 7
 * (MS_OS_20_DESCRIPTOR_INDEX). Anything else vendor-specific STALLs. */
static void vendor_request(const usb_setup_t *s, bool in)
{
    const uint8_t *d;
    uint16_t len = 0;

    if (in && (s->bmRequestType & USB_REQ_RCPT_MASK) == USB_REQ_RCPT_DEVICE &&
        s->bRequest == USB_MS_VENDOR_CODE && s->wValue == 0u &&
        s->wIndex == MS_OS_20_DESCRIPTOR_INDEX && (d = usb_desc_msos20(&len)) != NULL) {
        ep0_send(d, len);
        return;
    }
    ep0_stall();
}

static void handle_setup(const uint8_t raw[8])
{
    usb_setup_t *s = &usbd_ep0.setup;

    /* USB 2.0 8.5.3: a SETUP always starts over, whatever was in progress */
    usbd_ep0.state = EP0_IDLE;
    usbd_ep0.zlp_pending = false;
    usbd_ep0.addr_pending = false;
    s->bmRequestType = raw[0];
    s->bRequest = raw[1];
    s->wValue = (uint16_t)(raw[2] | (raw[3] << 8));
    s->wIndex = (uint16_t)(raw[4] | (raw[5] << 8));
    s->wLength = (uint16_t)(raw[6] | (raw[7] << 8));

    bool in = (s->bmRequestType & USB_REQ_DIR_IN) != 0u;
    switch (s->bmRequestType & USB_REQ_TYPE_MASK) {
    case USB_REQ_TYPE_STANDARD:
        switch (s->bmRequestType & USB_REQ_RCPT_MASK) {
        case USB_REQ_RCPT_DEVICE: std_device(s, in); return;
        case USB_REQ_RCPT_INTERFACE: std_interface(s, in); return;
        case USB_REQ_RCPT_ENDPOINT: std_endpoint(s, in); return;
        default: break;
        }
        break;
    case USB_REQ_TYPE_CLASS:
        class_request(s, in);
        return;
    case USB_REQ_TYPE_VENDOR:
        vendor_request(s, in);
        return;
    default:
        break;  /* reserved type */
    }
    ep0_stall();
}

/* ---------------------------------------------------------- event slots */

void udc_event_cb(const udc_event_t *ev)
{
    /* the ISR runs to its end before the main loop reads this: bumping it
     * before the slot is written cannot let a pass miss the event */
    usbd_events = usbd_events + 1u;
    if (!usbd_ready || ev == NULL) {
        return;
    }
    switch (ev->type) {
    case UDC_EVT_XFER_DONE: {
        uint8_t n = UDC_EP_NUM(ev->ep);
        uint8_t d = UDC_EP_IS_IN(ev->ep) ? 1u : 0u;
        if (n >= USBD_NUM_EP) {
            break;  /* not an endpoint of ours: counted below */
        }
        usbd_isr.done_len[d][n] = ev->len;
        USBD_BARRIER();
        usbd_isr.done_cnt[d][n] = (uint8_t)(usbd_isr.done_cnt[d][n] + 1u);
        usbd_isr.done_any = (uint8_t)(usbd_isr.done_any + 1u);
        return;
    }
    case UDC_EVT_SETUP:
        for (unsigned i = 0; i < 8u; i++) {
            usbd_isr.setup[i] = ev->setup[i];
        }
        usbd_isr.setup_seq = ev->seq;
        USBD_BARRIER();
        usbd_isr.setup_cnt = (uint8_t)(usbd_isr.setup_cnt + 1u);
        return;
    case UDC_EVT_BUS_RESET:
    case UDC_EVT_UNPLUGGED:
        usbd_isr.reset_setup_cnt = usbd_isr.setup_cnt;
        if (ev->type == UDC_EVT_UNPLUGGED) {
            usbd_isr.unplug_cnt = (uint8_t)(usbd_isr.unplug_cnt + 1u);
        }
        USBD_BARRIER();
        usbd_isr.reset_cnt = (uint8_t)(usbd_isr.reset_cnt + 1u);
        return;
    case UDC_EVT_SUSPEND:
    case UDC_EVT_RESUME:
        return;  /* nothing to save on a bus-powered device: coalesced to nothing */
    default:
        break;
    }
    usbd_isr.lost = usbd_isr.lost + 1u;
}

static void discard_done(uint8_t ep)
{
    uint8_t n = UDC_EP_NUM(ep);
    if (n < USBD_NUM_EP) {
        uint8_t d = UDC_EP_IS_IN(ep) ? 1u : 0u;
        usbd_seen.done_cnt[d][n] = usbd_isr.done_cnt[d][n];
    }
}

static bool take_done(uint8_t ep, uint16_t *len)
{
    uint8_t n = UDC_EP_NUM(ep);
    uint8_t d = UDC_EP_IS_IN(ep) ? 1u : 0u;
    uint8_t c = usbd_isr.done_cnt[d][n];
    if (c == usbd_seen.done_cnt[d][n]) {
        return false;
    }
    USBD_BARRIER();
    *len = usbd_isr.done_len[d][n];
    usbd_seen.done_cnt[d][n] = c;
    return true;
}

static bool reset_pending(void)
{
    return usbd_isr.reset_cnt != usbd_seen.reset_cnt;
}

static void take_reset(void)
{
    uint8_t r = usbd_isr.reset_cnt;
    if (r == usbd_seen.reset_cnt) {
        return;
    }
    USBD_BARRIER();
    uint8_t u = usbd_isr.unplug_cnt;
    usbd_seen.setup_cnt = usbd_isr.reset_setup_cnt;  /* SETUPs before the reset are void */
    usbd_seen.reset_cnt = r;
    bool unplug = u != usbd_seen.unplug_cnt;
    usbd_seen.unplug_cnt = u;
    /* on bus reset the driver already closed the endpoints; on unplug we do */
    bus_reset(unplug);
    /* completions from before the reset belong to transfers that are gone */
    for (uint8_t n = 0; n < USBD_NUM_EP; n++) {
        discard_done(n);
        discard_done((uint8_t)(n | UDC_EP_IN));
    }
}

/* ep0: completions come before the SETUP that follows them (the driver drops
 * ep0 transfers on a SETUP, so a completion pending together with a newer
 * SETUP happened before it). The SETUP is taken only if its count did not
 * move while the completions were handled. */
static void ep0_events(void)
{
    uint16_t len;

    for (unsigned tries = 0; tries < 3u; tries++) {
        uint8_t s = usbd_isr.setup_cnt;
        USBD_BARRIER();
        bool newer = s != usbd_seen.setup_cnt;
        if (take_done(0x80u, &len)) {
            /* with a newer SETUP waiting the transfer is aborted (USB 2.0
             * 8.5.3): only a finished status stage still counts (SET_ADDRESS) */
            if (!newer || usbd_ep0.state == EP0_STATUS_IN) {
                ep0_in_done();
            }
        }
        if (take_done(0x00u, &len)) {
            if (!newer || usbd_ep0.state == EP0_STATUS_OUT) {
                ep0_out_done(len);
            }
        }
        if (!newer) {
            return;
        }
        uint8_t raw[8];
        for (unsigned i = 0; i < 8u; i++) {
            raw[i] = usbd_isr.setup[i];
        }
        uint8_t seq = usbd_isr.setup_seq;
        USBD_BARRIER();
        if (usbd_isr.setup_cnt != s) {
            continue;  /* a newer SETUP came in meanwhile: its predecessors first */
        }
        if (reset_pending()) {
            return;  /* the reset decides whether this SETUP is still valid */
        }
        usbd_seen.setup_cnt = s;
        /* A newer SETUP can still arrive while handle_setup() runs, and the
         * check above cannot see it; only the driver can refuse ep0 calls
         * for this one atomically with arming the endpoint (udc.h), so our
         * reply or STALL never lands in the newer request's stages. */
        udc_ep0_answer(seq);
        handle_setup(raw);
        return;
    }
}

void usbd_task(void)
{
    uint16_t len;

    if (usbd_cls == NULL) {
        return;  /* not initialised: harmless no-op */
    }
    take_reset();
    /* class endpoints first: a completion that raced with a SETUP usually
     * came before it; one that belongs to a closed/reopened endpoint was
     * discarded by usbd_ep_open()/usbd_ep_close(). The scan of every
     * endpoint is skipped when no completion came since the last full one
     * (most passes: 14 slots cost ~70 instructions a pass on the M0). */
    uint8_t any = usbd_isr.done_any;
    if (any != usbd_seen.done_any) {
        USBD_BARRIER();
        for (uint8_t n = 1; n < USBD_NUM_EP; n++) {
            for (uint8_t dir = 0; dir < 2u; dir++) {
                uint8_t ep = (uint8_t)(n | (dir != 0u ? UDC_EP_IN : 0u));
                if (reset_pending()) {
                    return;  /* the next call handles the reset (and scans) first */
                }
                if (take_done(ep, &len) && usbd_config != 0u && usbd_cls->xfer_done != NULL) {
                    usbd_cls->xfer_done(ep, len);
                }
            }
        }
        usbd_seen.done_any = any;  /* later completions bumped it again: next pass */
    }
    ep0_events();
    if (usbd_config != 0u && usbd_cls->poll != NULL && !reset_pending()) {
        usbd_cls->poll();
    }
}

uint32_t usbd_event_count(void)
{
    return usbd_events;
}

bool usbd_ep_open(uint8_t ep, udc_ep_type_t type, uint16_t mps)
{
    bool ok = udc_ep_open(ep, type, mps);
    discard_done(ep);
    return ok;
}

void usbd_ep_close(uint8_t ep)
{
    udc_ep_close(ep);
    discard_done(ep);
}

void usbd_init(const usbd_class_t *cls)
{
    usbd_ready = false;
    usbd_cls = NULL;
    /* both sides start equal: nothing pending */
    usbd_isr.lost = 0;
    for (uint8_t n = 0; n < USBD_NUM_EP; n++) {
        usbd_seen.done_cnt[0][n] = usbd_isr.done_cnt[0][n];
        usbd_seen.done_cnt[1][n] = usbd_isr.done_cnt[1][n];
    }
    usbd_seen.setup_cnt = usbd_isr.setup_cnt;
    usbd_seen.reset_cnt = usbd_isr.reset_cnt;
    usbd_seen.unplug_cnt = usbd_isr.unplug_cnt;
    usbd_ep0.state = EP0_IDLE;
    usbd_ep0.zlp_pending = false;
    usbd_ep0.addr_pending = false;
    usbd_config = 0;
    usbd_wakeup = false;
    for (uint8_t i = 0; i < USB_NUM_INTERFACES; i++) {
        usbd_alt[i] = 0;
    }
    if (cls == NULL) {
        return;  /* nothing to drive: stay a no-op */
    }
    usb_desc_init();
    usbd_cls = cls;
    usbd_ready = true;
    udc_init();
    udc_connect();
}

bool usbd_configured(void)
{
    return usbd_config != 0u;
}

uint8_t usbd_alt_setting(uint8_t itf)
{
    return itf < USB_NUM_INTERFACES ? usbd_alt[itf] : 0u;
}

bool usbd_remote_wakeup_enabled(void)
{
    return usbd_wakeup;
}

uint32_t usbd_events_lost(void)
{
    return usbd_isr.lost;
}

bool usbd_ep0_idle(void)
{
    return usbd_ep0.state == EP0_IDLE;
}
