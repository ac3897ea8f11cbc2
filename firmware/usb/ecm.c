/*
 * ecm.c - CDC-ECM class (USB CDC 1.2, CDC ECM 1.2): Ethernet frames over the
 * bulk pair of the data interface, link state over the interrupt endpoint.
 *
 * Layer: portable (firmware/usb). Includes udc.h, usbd.h, ecm.h, usb_ids.h,
 * usb_std.h, usb_buf.h, usb_cdc.h, dfu_rt.h, link_stats.h, stm32net_opt.h and <stddef.h> only.
 * Runs from usbd_task()/the main loop only (the core calls the hooks).
 * Assumptions and limits:
 * - One frame buffer per direction (16 KB RAM). RX backpressure: bulk OUT is
 *   not re-armed until ecm_rx_release(), so the host sees NAKs, not loss.
 * - Frames are raw Ethernet without FCS, at most ECM_MAX_SEGMENT (1514) bytes
 *   (ECM 1.2 3.3.1, wMaxSegmentSize). Linux' usbnet adds one pad byte instead
 *   of a ZLP only when the length is a multiple of 64, so padded frames are
 *   1 mod 64 (e.g. 1472 -> 1473) and 1515 is not a padded 1514 but a real,
 *   slightly oversized frame. Up to ECM_MAX_SEGMENT + 1 bytes are tolerated
 *   and delivered exactly as received; lwIP trims by the IP total length.
 * - A transfer that cannot be queued (udc_ep_xfer false) is counted in
 *   link_stats and retried from the poll hook, so RX never dies silently.
 * - Received frames are not filtered: the packet filter is stored only
 *   (ECM 1.2 6.2.4 lets the device forward more than asked for).
 */
#include <stddef.h>

#include "ecm.h"
#include "dfu_rt.h"
#include "link_stats.h"
#include "stm32net_opt.h"
#include "udc.h"
#include "usb_cdc.h"
#include "usb_buf.h"
#include "usb_ids.h"
#include "usb_std.h"

/* ECM_RX_BUF_SIZE (ecm.h) is a multiple of the bulk packet size and
 * > ECM_MAX_SEGMENT + 1: a frame (even one tolerated extra byte) always ends with a
 * short packet inside the buffer, and a transfer that fills it completely can
 * only be an oversized frame. */
#define ECM_MIN_FRAME 14u  /* Ethernet header (IEEE 802.3 3.1.1) */


_Static_assert(ECM_RX_BUF_SIZE % USB_EP_DATA_MPS == 0u, "rx buffer not packet aligned");
_Static_assert(ECM_RX_BUF_SIZE > ECM_MAX_SEGMENT + 1u, "rx buffer too small");

typedef enum { ECM_TX_FREE = 0, ECM_TX_DATA, ECM_TX_ZLP } ecm_tx_state_t;

static struct {
    bool configured;
    bool link;             /* data interface in alt 1 */
    uint16_t packet_filter;
    /* notifications (ECM 1.2 6.3): one transfer at a time on USB_EP_NOTIFY */
    bool notify_busy;
    bool want_connect;
    bool want_speed;
    /* receive */
    bool rx_armed;
    bool rx_arm_failed;    /* counted once per run of failures, retried by ecm_poll */
    bool rx_ready;
    bool rx_discard;       /* inside an oversized frame: wait for its short packet */
    uint16_t rx_len;
    /* transmit */
    uint8_t tx_state;      /* ecm_tx_state_t */
    uint16_t tx_len;
} ecm;

/* The frame buffers are usb_buf_rx/usb_buf_tx, shared with NCM (usb_buf.h) */
_Static_assert(USB_BUF_NOTIFY_SIZE >= USB_CDC_NOTIFY_MAX, "notification buffer too small");
_Static_assert(USB_BUF_RX_SIZE >= ECM_RX_BUF_SIZE && USB_BUF_TX_SIZE >= ECM_MAX_SEGMENT,
               "shared buffers too small for ECM");

/* Send the next pending notification, NetworkConnection before
 * ConnectionSpeedChange (ECM 1.2 6.3: the host learns the link is up first). */
static void notify_next(void)
{
    uint16_t len;
    bool connect;

    if (ecm.notify_busy || !ecm.configured) {
        return;
    }
    if (ecm.want_connect) {
        connect = true;
        /* ECM 1.2 6.3.1 NetworkConnection: wValue 1 = connected */
        len = usb_cdc_notify_connection(usb_buf_notify, ecm.link);
    } else if (ecm.want_speed) {
        connect = false;
        /* ECM 1.2 6.3.3 ConnectionSpeedChange (the full-speed ceiling both ways) */
        len = usb_cdc_notify_speed(usb_buf_notify);
    } else {
        return;
    }
    if (!udc_ep_xfer(USB_EP_NOTIFY, usb_buf_notify, len)) {
        return;  /* still wanted: ecm_poll tries again */
    }
    ecm.notify_busy = true;
    if (connect) {
        ecm.want_connect = false;
    } else {
        ecm.want_speed = false;
    }
}

static void rx_arm(void)
{
    if (!ecm.link || ecm.rx_armed || ecm.rx_ready) {
        return;
    }
    if (udc_ep_xfer(USB_EP_DATA_OUT, usb_buf_rx, (uint16_t)ECM_RX_BUF_SIZE)) {
        ecm.rx_armed = true;
        ecm.rx_arm_failed = false;
    } else if (!ecm.rx_arm_failed) {
        ecm.rx_arm_failed = true;  /* ecm_poll retries; count the outage once */
        link_stats.rx_errors++;
    }
}

/* Alt 0, reset, unconfigure: no data path, every buffer forgotten (ECM 1.2 3.3) */
static void link_down(void)
{
    ecm.link = false;
    ecm.rx_armed = false;
    ecm.rx_arm_failed = false;
    ecm.rx_ready = false;
    ecm.rx_discard = false;
    ecm.rx_len = 0;
    ecm.tx_state = ECM_TX_FREE;
    ecm.want_connect = false;
    ecm.want_speed = false;
}

static void ecm_reset(void)
{
    /* the core (or the driver on bus reset) has closed every endpoint */
    link_down();
    ecm.configured = false;
    ecm.notify_busy = false;
    ecm.packet_filter = 0;
}

static void ecm_configured(void)
{
    ecm.configured = usbd_ep_open(USB_EP_NOTIFY, UDC_EP_INTERRUPT, USB_EP_NOTIFY_MPS);
    ecm.notify_busy = false;
}

static bool ecm_set_interface(uint8_t itf, uint8_t alt)
{
    if (itf == USB_ITF_DFU) {
        return dfu_rt_set_interface(alt);
    }
    if (itf == USB_ITF_COMM) {
        return alt == 0u;
    }
    if (itf != USB_ITF_DATA || !ecm.configured) {
        return false;  /* usbd.h: alt 0 then, and nothing of it is open */
    }
    if (ecm.link) {
        /* USB 2.0 9.4.10: a new SET_INTERFACE restarts the endpoints (toggles,
         * halts); frames in flight are lost by definition */
        usbd_ep_close(USB_EP_DATA_OUT);
        usbd_ep_close(USB_EP_DATA_IN);
        link_down();
    }
    if (alt == 0u) {
        return true;
    }
    /* on failure nothing stays open: the core then reports alt 0 (usbd.h) */
    if (!usbd_ep_open(USB_EP_DATA_OUT, UDC_EP_BULK, USB_EP_DATA_MPS)) {
        return false;
    }
    if (!usbd_ep_open(USB_EP_DATA_IN, UDC_EP_BULK, USB_EP_DATA_MPS)) {
        usbd_ep_close(USB_EP_DATA_OUT);
        return false;
    }
    ecm.link = true;
    rx_arm();
    ecm.want_connect = true;
    ecm.want_speed = true;
    notify_next();
    return true;
}

static int ecm_control(const usb_setup_t *setup, uint8_t *buf, uint16_t room)
{
    if (setup->wIndex == USB_ITF_DFU) {
        return dfu_rt_control(setup, buf, room);
    }
    /* ECM 1.2 6.2.4: host-to-device, class, interface = comm, no data */
    if (setup->bmRequestType == (USB_REQ_TYPE_CLASS | USB_REQ_RCPT_INTERFACE) &&
        setup->bRequest == USB_ECM_SET_PACKET_FILTER && setup->wIndex == USB_ITF_COMM &&
        setup->wLength == 0u) {
        ecm.packet_filter = setup->wValue;
        return 0;
    }
    return -1;  /* no MC/PM filters, no statistics (bmEthernetStatistics 0) */
}

static void rx_done(uint16_t len)
{
    ecm.rx_armed = false;
    if (!ecm.link) {
        return;
    }
    if (len > ECM_RX_BUF_SIZE) {
        len = ECM_RX_BUF_SIZE;  /* a driver bug must not make us read past the buffer */
    }
    if (ecm.rx_discard) {
        /* the oversized frame ends with its short packet (USB 2.0 5.8.3) */
        ecm.rx_discard = len == ECM_RX_BUF_SIZE;
    } else if (len == ECM_RX_BUF_SIZE) {
        /* buffer full without a short packet: longer than any Ethernet frame */
        link_stats.rx_dropped++;
        ecm.rx_discard = true;
    } else if (len == 0u) {
        /* a lone ZLP ends nothing we kept (e.g. after a discarded frame): not a frame */
    } else if (len < ECM_MIN_FRAME || len > ECM_MAX_SEGMENT + 1u) {
        link_stats.rx_dropped++;
    } else {
        ecm.rx_len = len;  /* as received, incl. a pad byte (see the header) */
        ecm.rx_ready = true;
        link_stats.rx_frames++;
        link_stats.rx_bytes += ecm.rx_len;
        return;  /* stays un-armed: backpressure until ecm_rx_release() */
    }
    rx_arm();
}

static void tx_done(void)
{
    if (ecm.tx_state == ECM_TX_DATA && ecm.tx_len % USB_EP_DATA_MPS == 0u) {
        /* USB 2.0 5.8.3: a transfer that ends on a full packet needs a ZLP,
         * otherwise the host merges it with the next frame (ECM 1.2 3.3.1) */
        if (udc_ep_xfer(USB_EP_DATA_IN, usb_buf_tx, 0)) {
            ecm.tx_state = ECM_TX_ZLP;
            return;
        }
        link_stats.tx_errors++;
    }
    ecm.tx_state = ECM_TX_FREE;
}

static void ecm_xfer_done(uint8_t ep, uint16_t len)
{
    switch (ep) {
    case USB_EP_NOTIFY:
        ecm.notify_busy = false;
        notify_next();
        break;
    case USB_EP_DATA_OUT:
        if (ecm.rx_armed) {
            rx_done(len);
        }
        break;
    case USB_EP_DATA_IN:
        if (ecm.link && ecm.tx_state != ECM_TX_FREE) {
            tx_done();
        }
        break;
    default:
        break;
    }
}

static void ecm_halt_cleared(uint8_t ep)
{
    /* udc.h: a queued transfer survives a halt; only an idle OUT endpoint needs arming */
    if (ep == USB_EP_DATA_OUT) {
        rx_arm();
    }
}

/* Retry what failed to queue earlier (udc_ep_xfer false), once per usbd_task */
static void ecm_poll(void)
{
    rx_arm();
    notify_next();
}

const usbd_class_t ecm_class = {
    .reset = ecm_reset,
    .configured = ecm_configured,
    .set_interface = ecm_set_interface,
    .control = ecm_control,
    .xfer_done = ecm_xfer_done,
    .halt_cleared = ecm_halt_cleared,
    .poll = ecm_poll,
};

void ecm_init(void)
{
    link_down();
    ecm.configured = false;
    ecm.notify_busy = false;
    ecm.packet_filter = 0;
}

bool ecm_link_up(void)
{
    return ecm.link;
}

uint16_t ecm_packet_filter(void)
{
    return ecm.packet_filter;
}

const uint8_t *ecm_rx_peek(uint16_t *len)
{
    if (!ecm.link || !ecm.rx_ready) {
        return NULL;
    }
    if (len != NULL) {
        *len = ecm.rx_len;
    }
    return usb_buf_rx;
}

void ecm_rx_release(void)
{
    if (!ecm.rx_ready) {
        return;
    }
    ecm.rx_ready = false;
    rx_arm();
}

uint8_t *ecm_tx_acquire(void)
{
    if (!ecm.link || ecm.tx_state != ECM_TX_FREE) {
        return NULL;
    }
    return usb_buf_tx;
}

void ecm_tx_commit(uint16_t len)
{
    if (!ecm.link || ecm.tx_state != ECM_TX_FREE) {
        link_stats.tx_dropped++;  /* link went down (or no acquire) meanwhile */
        return;
    }
    if (len == 0u || len > ECM_MAX_SEGMENT) {
        link_stats.tx_errors++;
        return;
    }
    if (!udc_ep_xfer(USB_EP_DATA_IN, usb_buf_tx, len)) {
        link_stats.tx_errors++;
        return;
    }
    ecm.tx_len = len;
    ecm.tx_state = ECM_TX_DATA;
    link_stats.tx_frames++;
    link_stats.tx_bytes += len;
}
