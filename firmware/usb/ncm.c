/*
 * ncm.c - CDC-NCM class (USB CDC NCM 1.0, NTB16): Ethernet datagrams in NCM
 * Transfer Blocks over the bulk pair of the data interface, link state over
 * the interrupt endpoint.
 *
 * Layer: portable (firmware/usb). Includes udc.h, usbd.h, ncm.h, usb_buf.h,
 * usb_ids.h, usb_std.h, usb_cdc.h, dfu_rt.h, link_stats.h, stm32net_opt.h and <stddef.h> only.
 * Runs from usbd_task()/the main loop only (the core calls the hooks).
 * Assumptions and limits:
 * - NTB16 only (bmNtbFormatsSupported 1): offering NTB32 makes Windows pick it
 *   and Linux send SET_NTB_FORMAT; no CRC, no NetAddress, no datagram-size
 *   requests (bmNetworkCapabilities D0 only, usb_desc.c).
 * - OUT: one NTB of at most NCM_NTB_OUT_MAX bytes is received in two
 *   transfers: the first 64-byte packet (its NTH16 gives wBlockLength), then
 *   exactly the rest of the block. So a transfer that ends at wBlockLength on
 *   a full packet without a ZLP (Windows 10) is complete, and Windows 11's one
 *   trailing 0 byte after a block that is a multiple of 64 arrives as a
 *   1-byte transfer of its own and is accepted as that pad. Every field is
 *   checked before use (ncm_ntb_begin/next); a malformed NTB is dropped whole
 *   and counted (rx_dropped, ncm_bad_ntbs), and the endpoint is re-armed.
 *   Backpressure: bulk OUT stays un-armed until the last datagram of the NTB
 *   is released.
 * - IN: at most USB_BUF_TX_SIZE bytes (<= dwNtbInMaxSize, usb_buf.h): the
 *   NTH16 at 0, the NDP16 right after it (offset 12, room for
 *   NCM_TX_MAX_DATAGRAMS entries), datagrams from NCM_TX_DATA_START on at
 *   multiples of wNdpInDivisor (4, remainder 0). Frames committed before a
 *   flush share the NTB; while an NTB is on the wire nothing is acquired
 *   (net.c queues the frames and they batch into the next NTB). A block that
 *   is a multiple of 64 and shorter than dwNtbInMaxSize ends with a ZLP
 *   (USB 2.0 5.8.3; CDC NCM 1.0 3.2.2).
 * - Notifications: ConnectionSpeedChange, then NetworkConnection(1) whenever
 *   alt 1 is selected (NCM order, as Linux f_ncm sends them: the host knows
 *   the speed when the carrier comes up), NetworkConnection(0) when alt 1 is
 *   left. They are pending flags, not a queue: one still in flight when the
 *   next is due delays it, never loses it, and the value sent is the link
 *   state at sending time.
 */
#include <stddef.h>

#include "link_stats.h"
#include "dfu_rt.h"
#include "ncm.h"
#include "stm32net_opt.h"
#include "udc.h"
#include "usb_cdc.h"
#include "usb_buf.h"
#include "usb_ids.h"
#include "usb_std.h"

#define NCM_MIN_DATAGRAM 14u  /* Ethernet header (IEEE 802.3 3.1.1) */

/* IN NTB layout: NTH16, NDP16 with room for the entries and the zero
 * terminator, then the datagrams */
#define NCM_TX_NDP_OFF USB_NCM_NTH16_SIZE
#define NCM_TX_NDP_ROOM (USB_NCM_NDP16_HDR_SIZE + 4u * (NCM_TX_MAX_DATAGRAMS + 1u))
_Static_assert(NCM_TX_DATA_START == NCM_TX_NDP_OFF + NCM_TX_NDP_ROOM, "usb_buf.h's IN layout");
#define NCM_ALIGN4(x) ((uint16_t)(((x) + 3u) & ~3u))

_Static_assert(USB_BUF_NOTIFY_SIZE >= USB_CDC_NOTIFY_MAX, "notification buffer too small");
_Static_assert(USB_BUF_RX_SIZE >= NCM_NTB_OUT_MAX, "shared RX buffer too small for an OUT NTB");
_Static_assert(USB_BUF_TX_SIZE <= NCM_NTB_IN_MAX, "IN NTBs must not exceed dwNtbInMaxSize");
_Static_assert(NCM_NTB_MAX_SIZE >= 2048u && NCM_NTB_MAX_SIZE <= 0xFFFFu,
               "Linux cdc_ncm clamps dwNtbIn/OutMaxSize to >= 2048; NTB16 ends at 64 KiB");
_Static_assert(NCM_TX_DATA_START % NCM_NDP_DIVISOR == 0u, "first IN datagram misaligned");
_Static_assert(NCM_TX_DATA_START + ECM_MAX_SEGMENT <= USB_BUF_TX_SIZE, "a full frame must fit");
_Static_assert(NCM_NTB_OUT_MAX % USB_EP_DATA_MPS == 0u, "OUT NTB not packet aligned");

typedef enum {
    NCM_RX_IDLE = 0,  /* not armed (link down, or datagrams being delivered) */
    NCM_RX_HEAD,      /* first packet armed at buf[0] */
    NCM_RX_BODY,      /* the rest of the block armed at buf[64] */
    NCM_RX_DISCARD,   /* a malformed NTB: dropping packets until a short one */
} ncm_rx_state_t;

typedef enum { NCM_TX_FREE = 0, NCM_TX_DATA, NCM_TX_ZLP } ncm_tx_state_t;

static struct {
    bool configured;
    bool link;              /* data interface in alt 1 */
    uint16_t packet_filter;
    uint32_t ntb_in_size;   /* dwNtbInMaxSize the host set (== NCM_NTB_IN_MAX) */
    uint32_t bad_ntbs;
    /* notifications */
    bool notify_busy;
    bool want_speed;
    bool want_connect;
    /* receive */
    uint8_t rx_state;       /* ncm_rx_state_t */
    bool rx_arm_failed;
    bool rx_ready;          /* a datagram is shown by ncm_rx_peek */
    bool rx_pad_ok;         /* last NTB was a multiple of 64: a 1-byte 0 pad may follow */
    uint16_t rx_off, rx_len;
    ncm_parse_t rx_parse;
    /* transmit */
    uint8_t tx_state;       /* ncm_tx_state_t */
    bool tx_zlp;            /* the NTB on the wire needs a ZLP after it */
    uint8_t tx_count;       /* datagrams in the NTB being filled */
    uint16_t tx_end;        /* end of the last datagram */
    uint16_t tx_acq_off;    /* offset handed out by the last acquire, 0 = none */
    uint16_t tx_acq_len;
    uint16_t tx_seq;        /* wSequence of the next IN NTB */
} ncm;

/* ------------------------------------------------------- NTB16 parser */

/* CDC NCM 1.0 3.2.1 NTH16: dwSignature, wHeaderLength (12), wSequence,
 * wBlockLength, wNdpIndex. The block may be shorter than the transfer
 * (padding after it), never longer. */
bool ncm_ntb_begin(ncm_parse_t *p, const uint8_t *ntb, uint16_t len)
{
    if (p == NULL || ntb == NULL || len < USB_NCM_NTH16_SIZE ||
        usb_cdc_get_le32(ntb) != USB_NCM_NTH16_SIGN || usb_cdc_get_le16(ntb + 4) != USB_NCM_NTH16_SIZE) {
        return false;
    }
    uint16_t block = usb_cdc_get_le16(ntb + 8);
    if (block > len || block < USB_NCM_NTH16_SIZE + USB_NCM_NDP16_MIN_SIZE) {
        return false;
    }
    p->block = block;
    p->ndp = 0;
    p->entry = usb_cdc_get_le16(ntb + 10);  /* wNdpIndex: the first NDP to enter */
    p->ndps = 0;
    return true;
}

/* CDC NCM 1.0 3.3.1 NDP16 at offset at: dwSignature "NCM0", wLength (>= 16,
 * a multiple of 4), wNextNdpIndex, then (wDatagramIndex, wDatagramLength)
 * pairs up to a zero pair. It must start 4-aligned after the NTH16 and lie
 * inside the block. */
static bool ndp_enter(ncm_parse_t *p, const uint8_t *ntb, uint16_t at)
{
    if (p->ndps >= NCM_MAX_NDPS || at % 4u != 0u || at < USB_NCM_NTH16_SIZE ||
        (uint32_t)at + USB_NCM_NDP16_MIN_SIZE > p->block) {
        return false;
    }
    uint16_t wlen = usb_cdc_get_le16(ntb + at + 4);
    if (usb_cdc_get_le32(ntb + at) != USB_NCM_NDP16_SIGN_NOCRC || wlen < USB_NCM_NDP16_MIN_SIZE ||
        wlen % 4u != 0u || (uint32_t)at + wlen > p->block) {
        return false;
    }
    p->ndps++;
    p->ndp = at;
    p->entry = (uint16_t)(at + USB_NCM_NDP16_HDR_SIZE);
    return true;
}

int ncm_ntb_next(ncm_parse_t *p, const uint8_t *ntb, uint16_t *off, uint16_t *dlen)
{
    if (p == NULL || ntb == NULL || off == NULL || dlen == NULL) {
        return -1;
    }
    /* bounded: at most NCM_MAX_NDPS NDPs, each at most block / 4 entries */
    for (;;) {
        if (p->ndp == 0u) {
            if (p->entry == 0u) {
                return 0;  /* wNextNdpIndex 0: no more NDPs */
            }
            if (!ndp_enter(p, ntb, p->entry)) {
                return -1;
            }
        }
        uint16_t ndp_end = (uint16_t)(p->ndp + usb_cdc_get_le16(ntb + p->ndp + 4));
        if ((uint32_t)p->entry + 4u > ndp_end) {
            return -1;  /* no zero terminator inside wLength (3.3.1) */
        }
        uint16_t idx = usb_cdc_get_le16(ntb + p->entry);
        uint16_t n = usb_cdc_get_le16(ntb + p->entry + 2);
        if (idx == 0u || n == 0u) {
            /* the terminator: on to wNextNdpIndex */
            p->entry = usb_cdc_get_le16(ntb + p->ndp + 6);
            p->ndp = 0;
            continue;
        }
        if (idx < USB_NCM_NTH16_SIZE || (uint32_t)idx + n > p->block || n < NCM_MIN_DATAGRAM ||
            n > ECM_MAX_SEGMENT) {
            return -1;
        }
        p->entry = (uint16_t)(p->entry + 4u);
        *off = idx;
        *dlen = n;
        return 1;
    }
}

int ncm_ntb_count(const uint8_t *ntb, uint16_t len)
{
    ncm_parse_t p;
    uint16_t off, n;
    int count = 0, r;

    if (!ncm_ntb_begin(&p, ntb, len)) {
        return -1;
    }
    while ((r = ncm_ntb_next(&p, ntb, &off, &n)) == 1) {
        count++;
    }
    return r < 0 ? -1 : count;
}

/* ------------------------------------------------------- notifications */

static void notify_next(void)
{
    uint16_t len;
    bool speed;

    if (ncm.notify_busy || !ncm.configured) {
        return;
    }
    if (ncm.want_speed && !ncm.link) {
        ncm.want_speed = false;  /* the link went away before it was sent: moot */
    }
    if (ncm.want_speed) {
        speed = true;
        /* CDC 1.2 6.3.3 ConnectionSpeedChange (NCM 1.0 7.1) */
        len = usb_cdc_notify_speed(usb_buf_notify);
    } else if (ncm.want_connect) {
        speed = false;
        /* CDC 1.2 6.3.1 NetworkConnection: the link state now */
        len = usb_cdc_notify_connection(usb_buf_notify, ncm.link);
    } else {
        return;
    }
    if (!udc_ep_xfer(USB_EP_NOTIFY, usb_buf_notify, len)) {
        return;  /* still wanted: ncm_poll tries again */
    }
    ncm.notify_busy = true;
    if (speed) {
        ncm.want_speed = false;
    } else {
        ncm.want_connect = false;
    }
}

/* ------------------------------------------------------------- receive */

static void rx_arm_head(uint8_t state)
{
    if (udc_ep_xfer(USB_EP_DATA_OUT, usb_buf_rx, USB_EP_DATA_MPS)) {
        ncm.rx_state = state;
        ncm.rx_arm_failed = false;
    } else {
        ncm.rx_state = NCM_RX_IDLE;
        if (!ncm.rx_arm_failed) {
            ncm.rx_arm_failed = true;  /* ncm_poll retries; count the outage once */
            link_stats.rx_errors++;
        }
    }
}

static void rx_arm(void)
{
    if (ncm.link && ncm.rx_state == NCM_RX_IDLE && !ncm.rx_ready) {
        rx_arm_head(NCM_RX_HEAD);
    }
}

static void rx_bad(void)
{
    ncm.bad_ntbs++;
    link_stats.rx_dropped++;
}

/* A whole NTB of len bytes is in usb_buf_rx: check all of it, then show its
 * first datagram (nothing of a malformed NTB reaches the stack) */
static void rx_ntb(uint16_t len)
{
    uint16_t off, n;

    ncm.rx_state = NCM_RX_IDLE;
    ncm.rx_pad_ok = len % USB_EP_DATA_MPS == 0u;
    if (ncm_ntb_count(usb_buf_rx, len) < 0 || !ncm_ntb_begin(&ncm.rx_parse, usb_buf_rx, len)) {
        rx_bad();
    } else if (ncm_ntb_next(&ncm.rx_parse, usb_buf_rx, &off, &n) == 1) {
        ncm.rx_off = off;
        ncm.rx_len = n;
        ncm.rx_ready = true;
        link_stats.rx_frames++;
        link_stats.rx_bytes += n;
        return;  /* un-armed until the last datagram is released */
    }
    rx_arm();  /* bad, or an NTB without datagrams */
}

static void rx_done(uint16_t len)
{
    uint8_t state = ncm.rx_state;
    bool pad_ok = ncm.rx_pad_ok;

    ncm.rx_state = NCM_RX_IDLE;
    ncm.rx_pad_ok = false;
    if (!ncm.link) {
        return;
    }
    if (state == NCM_RX_DISCARD) {
        /* the rest of a malformed NTB ends with its short packet (USB 2.0 5.8.3) */
        if (len >= USB_EP_DATA_MPS) {
            rx_arm_head(NCM_RX_DISCARD);
            return;
        }
    } else if (state == NCM_RX_BODY) {
        uint16_t want = (uint16_t)(usb_cdc_get_le16(usb_buf_rx + 8) - USB_EP_DATA_MPS);
        rx_ntb((uint16_t)(USB_EP_DATA_MPS + (len < want ? len : want)));
        return;
    } else if (len == 0u) {
        /* a lone ZLP (after a block that was a multiple of 64): ends nothing */
    } else if (len == 1u && pad_ok && usb_buf_rx[0] == 0u) {
        /* Windows 11: one 0 byte after a block that is a multiple of 64 */
    } else if (len < USB_EP_DATA_MPS) {
        rx_ntb(len);  /* the whole NTB fitted one short packet */
        return;
    } else {
        /* a full first packet: the NTH16 says how much follows */
        uint16_t block = usb_cdc_get_le16(usb_buf_rx + 8);
        if (usb_cdc_get_le32(usb_buf_rx) != USB_NCM_NTH16_SIGN ||
            usb_cdc_get_le16(usb_buf_rx + 4) != USB_NCM_NTH16_SIZE || block > NCM_NTB_OUT_MAX ||
            block < USB_NCM_NTH16_SIZE + USB_NCM_NDP16_MIN_SIZE) {
            /* no usable wBlockLength: the transfer's end is its short packet */
            rx_bad();
            rx_arm_head(NCM_RX_DISCARD);
            return;
        }
        if (block <= USB_EP_DATA_MPS) {
            rx_ntb(USB_EP_DATA_MPS);  /* the rest of the packet is padding */
            return;
        }
        if (udc_ep_xfer(USB_EP_DATA_OUT, usb_buf_rx + USB_EP_DATA_MPS,
                        (uint16_t)(block - USB_EP_DATA_MPS))) {
            ncm.rx_state = NCM_RX_BODY;
            ncm.rx_arm_failed = false;
            return;
        }
        /* cannot take the rest: the NTB is lost; resynchronise on a short packet */
        link_stats.rx_errors++;
        rx_arm_head(NCM_RX_DISCARD);
        return;
    }
    rx_arm();
}

/* ------------------------------------------------------------ transmit */

static void tx_reset(void)
{
    ncm.tx_state = NCM_TX_FREE;
    ncm.tx_zlp = false;
    ncm.tx_count = 0;
    ncm.tx_end = NCM_TX_DATA_START;
    ncm.tx_acq_off = 0;
    ncm.tx_acq_len = 0;
}

static void tx_done(void)
{
    if (ncm.tx_state == NCM_TX_DATA && ncm.tx_zlp) {
        if (udc_ep_xfer(USB_EP_DATA_IN, usb_buf_tx, 0)) {
            ncm.tx_state = NCM_TX_ZLP;
            return;
        }
        link_stats.tx_errors++;
    }
    tx_reset();
}

void ncm_tx_flush(void)
{
    if (!ncm.link || ncm.tx_state != NCM_TX_FREE || ncm.tx_count == 0u) {
        return;
    }
    uint8_t *b = usb_buf_tx;
    uint16_t block = ncm.tx_end;
    uint16_t ndp_len = (uint16_t)(USB_NCM_NDP16_HDR_SIZE + 4u * (ncm.tx_count + 1u));

    /* NTH16 (CDC NCM 1.0 3.2.1) */
    usb_cdc_put_le32(b, USB_NCM_NTH16_SIGN);
    usb_cdc_put_le16(b + 4, USB_NCM_NTH16_SIZE);
    usb_cdc_put_le16(b + 6, ncm.tx_seq);
    usb_cdc_put_le16(b + 8, block);
    usb_cdc_put_le16(b + 10, NCM_TX_NDP_OFF);
    /* NDP16 (3.3.1): the entries were written by commit; the terminator now */
    usb_cdc_put_le32(b + NCM_TX_NDP_OFF, USB_NCM_NDP16_SIGN_NOCRC);
    usb_cdc_put_le16(b + NCM_TX_NDP_OFF + 4, ndp_len);
    usb_cdc_put_le16(b + NCM_TX_NDP_OFF + 6, 0);
    usb_cdc_put_le32(b + NCM_TX_NDP_OFF + USB_NCM_NDP16_HDR_SIZE + 4u * ncm.tx_count, 0);
    if (!udc_ep_xfer(USB_EP_DATA_IN, b, block)) {
        link_stats.tx_errors++;  /* kept: ncm_poll/the next flush tries again */
        return;
    }
    ncm.tx_seq++;
    ncm.tx_state = NCM_TX_DATA;
    /* an NTB of exactly dwNtbInMaxSize fills the host's transfer; a shorter
     * one ending on a full packet needs the ZLP (CDC NCM 1.0 3.2.2) */
    ncm.tx_zlp = block % USB_EP_DATA_MPS == 0u && block < ncm.ntb_in_size;
    ncm.tx_acq_off = 0;
}

uint8_t *ncm_tx_acquire_len(uint16_t len)
{
    if (!ncm.link || ncm.tx_state != NCM_TX_FREE || len == 0u || len > ECM_MAX_SEGMENT) {
        return NULL;
    }
    uint16_t at = NCM_ALIGN4(ncm.tx_end);  /* wNdpInDivisor 4, remainder 0 */
    if (ncm.tx_count >= NCM_TX_MAX_DATAGRAMS || (uint32_t)at + len > USB_BUF_TX_SIZE ||
        (uint32_t)at + len > ncm.ntb_in_size) {
        ncm_tx_flush();  /* full: send it; the frame waits for the next NTB */
        return NULL;
    }
    ncm.tx_acq_off = at;
    ncm.tx_acq_len = len;
    return usb_buf_tx + at;
}

uint8_t *ncm_tx_acquire(void)
{
    return ncm_tx_acquire_len(ECM_MAX_SEGMENT);
}

void ncm_tx_commit(uint16_t len)
{
    if (!ncm.link || ncm.tx_state != NCM_TX_FREE || ncm.tx_acq_off == 0u) {
        link_stats.tx_dropped++;  /* link went down (or no acquire) meanwhile */
        return;
    }
    /* shorter than an Ethernet header: Linux cdc_ncm (cdc_ncm_rx_fixup) takes
     * such an entry for a corrupt NDP and drops the datagrams after it too,
     * so it must never reach an NTB (found by tests/fuzz usb_ncm) */
    if (len < NCM_MIN_DATAGRAM || len > ncm.tx_acq_len) {
        link_stats.tx_errors++;
        ncm.tx_acq_off = 0;
        return;
    }
    uint8_t *e = usb_buf_tx + NCM_TX_NDP_OFF + USB_NCM_NDP16_HDR_SIZE + 4u * ncm.tx_count;
    usb_cdc_put_le16(e, ncm.tx_acq_off);
    usb_cdc_put_le16(e + 2, len);
    ncm.tx_count++;
    ncm.tx_end = (uint16_t)(ncm.tx_acq_off + len);
    ncm.tx_acq_off = 0;
    link_stats.tx_frames++;
    link_stats.tx_bytes += len;
}

/* ------------------------------------------------------ class hooks */

/* Alt 0, reset, unconfigure: no data path, every buffer forgotten. NCM 1.0
 * 7.2: selecting alt 0 also resets the NTB input size to its default. */
static void link_down(void)
{
    ncm.link = false;
    ncm.rx_state = NCM_RX_IDLE;
    ncm.rx_arm_failed = false;
    ncm.rx_ready = false;
    ncm.rx_pad_ok = false;
    ncm.want_speed = false;
    ncm.ntb_in_size = NCM_NTB_IN_MAX;
    ncm.tx_seq = 0;
    tx_reset();
}

static void ncm_reset(void)
{
    link_down();
    ncm.want_connect = false;
    ncm.configured = false;
    ncm.notify_busy = false;
    ncm.packet_filter = 0;
}

static void ncm_configured(void)
{
    ncm.configured = usbd_ep_open(USB_EP_NOTIFY, UDC_EP_INTERRUPT, USB_EP_NOTIFY_MPS_NCM);
    ncm.notify_busy = false;
}

static bool ncm_set_interface(uint8_t itf, uint8_t alt)
{
    if (itf == USB_ITF_DFU) {
        return dfu_rt_set_interface(alt);
    }
    if (itf == USB_ITF_COMM) {
        return alt == 0u;
    }
    if (itf != USB_ITF_DATA || !ncm.configured) {
        return false;
    }
    if (ncm.link) {
        /* USB 2.0 9.4.10: endpoints restart; NTBs in flight are lost */
        usbd_ep_close(USB_EP_DATA_OUT);
        usbd_ep_close(USB_EP_DATA_IN);
        link_down();
        ncm.want_connect = true;  /* tell the host: disconnected (unless alt 1 follows) */
    }
    if (alt == 0u) {
        ncm.ntb_in_size = NCM_NTB_IN_MAX;
        notify_next();
        return true;
    }
    if (!usbd_ep_open(USB_EP_DATA_OUT, UDC_EP_BULK, USB_EP_DATA_MPS)) {
        notify_next();
        return false;
    }
    if (!usbd_ep_open(USB_EP_DATA_IN, UDC_EP_BULK, USB_EP_DATA_MPS)) {
        usbd_ep_close(USB_EP_DATA_OUT);
        notify_next();
        return false;
    }
    ncm.link = true;
    rx_arm();
    ncm.want_speed = true;
    ncm.want_connect = true;
    notify_next();
    return true;
}

#define REQ_OUT (USB_REQ_TYPE_CLASS | USB_REQ_RCPT_INTERFACE)
#define REQ_IN (USB_REQ_DIR_IN | USB_REQ_TYPE_CLASS | USB_REQ_RCPT_INTERFACE)

static int reply(uint8_t *buf, uint16_t room, const uint8_t *data, uint16_t n)
{
    if (n > room) {
        n = room;  /* the host asked for less (USB 2.0 9.3.5) */
    }
    for (uint16_t i = 0; i < n; i++) {
        buf[i] = data[i];
    }
    return n;
}

/* CDC NCM 1.0 6.2; anything not listed STALLs and changes nothing */
static int ncm_control(const usb_setup_t *s, uint8_t *buf, uint16_t room)
{
    uint8_t d[USB_NCM_NTB_PARAMETERS_SIZE];

    if (s->wIndex == USB_ITF_DFU) {
        return dfu_rt_control(s, buf, room);
    }
    if (s->wIndex != USB_ITF_COMM) {
        return -1;
    }
    if (s->bmRequestType == REQ_IN && s->wValue == 0u) {
        switch (s->bRequest) {
        case USB_NCM_GET_NTB_PARAMETERS: /* 6.2.1 table 6-3 */
            usb_cdc_put_le16(d, USB_NCM_NTB_PARAMETERS_SIZE);
            usb_cdc_put_le16(d + 2, 0x0001u);  /* bmNtbFormatsSupported: NTB16 */
            usb_cdc_put_le32(d + 4, NCM_NTB_IN_MAX);
            usb_cdc_put_le16(d + 8, NCM_NDP_DIVISOR);
            usb_cdc_put_le16(d + 10, 0);       /* wNdpInPayloadRemainder */
            usb_cdc_put_le16(d + 12, NCM_NDP_ALIGNMENT);
            usb_cdc_put_le16(d + 14, 0);
            usb_cdc_put_le32(d + 16, NCM_NTB_OUT_MAX);
            usb_cdc_put_le16(d + 20, NCM_NDP_DIVISOR);
            usb_cdc_put_le16(d + 22, 0);       /* wNdpOutPayloadRemainder */
            usb_cdc_put_le16(d + 24, NCM_NDP_ALIGNMENT);
            usb_cdc_put_le16(d + 26, NCM_OUT_MAX_DATAGRAMS);
            return reply(buf, room, d, USB_NCM_NTB_PARAMETERS_SIZE);
        case USB_NCM_GET_NTB_FORMAT: /* 6.2.4: 0 = NTB16 */
            if (s->wLength != 2u) {
                return -1;
            }
            usb_cdc_put_le16(d, 0);
            return reply(buf, room, d, 2);
        case USB_NCM_GET_NTB_INPUT_SIZE: /* 6.2.6, 4-byte form (bmNetworkCapabilities D5 = 0) */
            if (s->wLength != 4u) {
                return -1;
            }
            usb_cdc_put_le32(d, ncm.ntb_in_size);
            return reply(buf, room, d, 4);
        default:
            return -1;
        }
    }
    if (s->bmRequestType == REQ_OUT && s->bRequest == USB_NCM_SET_NTB_INPUT_SIZE &&
        s->wValue == 0u && s->wLength == 4u) {
        /* 6.2.7: below 2048 (the NCM minimum) or above our buffer: refused */
        uint32_t v = usb_cdc_get_le32(buf);
        if (v < 2048u || v > NCM_NTB_IN_MAX) {
            return -1;
        }
        ncm.ntb_in_size = v;
        return 0;
    }
    if (s->bmRequestType == REQ_OUT && s->bRequest == USB_ECM_SET_PACKET_FILTER &&
        s->wLength == 0u) {
        /* ECM 1.2 6.2.4, NCM 1.0 6.2 table 6-2; stored, not applied (as ECM) */
        ncm.packet_filter = s->wValue;
        return 0;
    }
    return -1;
}

static void ncm_xfer_done(uint8_t ep, uint16_t len)
{
    switch (ep) {
    case USB_EP_NOTIFY:
        ncm.notify_busy = false;
        notify_next();
        break;
    case USB_EP_DATA_OUT:
        if (ncm.rx_state != NCM_RX_IDLE) {
            if (len > NCM_NTB_OUT_MAX) {
                len = NCM_NTB_OUT_MAX;  /* a driver bug must not make us read past it */
            }
            rx_done(len);
        }
        break;
    case USB_EP_DATA_IN:
        if (ncm.link && ncm.tx_state != NCM_TX_FREE) {
            tx_done();
        }
        break;
    default:
        break;
    }
}

static void ncm_halt_cleared(uint8_t ep)
{
    if (ep == USB_EP_DATA_OUT) {
        rx_arm();
    }
}

static void ncm_poll(void)
{
    rx_arm();
    notify_next();
    ncm_tx_flush();
}

const usbd_class_t ncm_class = {
    .reset = ncm_reset,
    .configured = ncm_configured,
    .set_interface = ncm_set_interface,
    .control = ncm_control,
    .xfer_done = ncm_xfer_done,
    .halt_cleared = ncm_halt_cleared,
    .poll = ncm_poll,
};

void ncm_init(void)
{
    ncm_reset();
    ncm.bad_ntbs = 0;
}

bool ncm_link_up(void)
{
    return ncm.link;
}

uint16_t ncm_packet_filter(void)
{
    return ncm.packet_filter;
}

uint32_t ncm_ntb_in_size(void)
{
    return ncm.ntb_in_size;
}

uint32_t ncm_bad_ntbs(void)
{
    return ncm.bad_ntbs;
}

const uint8_t *ncm_rx_peek(uint16_t *len)
{
    if (!ncm.link || !ncm.rx_ready) {
        return NULL;
    }
    if (len != NULL) {
        *len = ncm.rx_len;
    }
    return usb_buf_rx + ncm.rx_off;
}

void ncm_rx_release(void)
{
    uint16_t off, n;

    if (!ncm.rx_ready) {
        return;
    }
    ncm.rx_ready = false;
    /* the NTB was checked whole in rx_ntb(): the walk cannot fail now */
    if (ncm_ntb_next(&ncm.rx_parse, usb_buf_rx, &off, &n) == 1) {
        ncm.rx_off = off;
        ncm.rx_len = n;
        ncm.rx_ready = true;
        link_stats.rx_frames++;
        link_stats.rx_bytes += n;
        return;
    }
    rx_arm();
}
