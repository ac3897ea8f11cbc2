/*
 * fuzz_usb.c - libFuzzer target: the USB device core (firmware/usb/usbd.c,
 * USB 2.0 ch. 9) with the active class driven through the unit tests' fake
 * controller (fake_udc) as a stream of host and network events. Two
 * targets are built from this one file: `usb` with CDC-ECM
 * (firmware/usb/ecm.c, CDC ECM 1.2) and `usb_ncm` (fuzz_usb_ncm.c, which
 * defines FUZZ_USB_NCM) with CDC-NCM (firmware/usb/ncm.c, CDC NCM 1.0) and
 * the NCM descriptor set (IAD, BOS, MS OS 2.0). Layer: tests/fuzz.
 *
 * Input: up to FUZZ_USB_MAX_OPS operations, each an opcode byte (mod 12):
 *   0 SETUP     8 bytes, a bare SETUP packet (data/status stages are
 *               whatever OUT/IN operations follow)
 *   1 CONTROL   8 bytes SETUP, then a whole control transfer as a host
 *               does it: OUT data (min(wLength, 256) bytes from the input)
 *               or IN data read packet by packet, then the status stage
 *               (NCM: the class requests, the MS OS 2.0 vendor request and
 *               GET_DESCRIPTOR(BOS) are CONTROL operations)
 *   2 OUT       u8 ep (low 4 bits), u8 len (mod 65), data: one OUT packet
 *   3 IN        u8 ep: one IN token
 *   4 RESET     bus reset
 *   5 UNPLUG    cable out
 *   6 ALT       u8 config, u8 itf, u8 alt: SET_CONFIGURATION then
 *               SET_INTERFACE (mod 3 each), the way into the data path
 *   7 FRAME     ECM: u16 len (max 1600), data: one bulk OUT transfer on the
 *               data endpoint, packet by packet (+ ZLP if len % 64 == 0)
 *               NCM: u16 len (max 2112), u8 how, data: one OUT NTB; how
 *               bit 0: ZLP if len % 64 == 0 (Linux; Windows 10 sends none),
 *               bit 1: then Windows 11's 1-byte 0 transfer
 *   8 TX        u16 len: the netif sends a frame of that length (acquire
 *               + commit, lengths outside 1..ECM_MAX_SEGMENT included;
 *               NCM: acquire_len(len), commit len or, bit 15, len + 1)
 *   9 RX        the netif takes the oldest received frame (peek + release)
 *  10 TIME      u8 ms forward (usbd_task: NCM flushes its IN NTB here)
 *  11 DRAIN     IN tokens on the notification and bulk IN endpoints until NAK
 * Oracle: ASan/UBSan, fake_udc's own checks (endpoint numbers, packet sizes,
 * buffers), and here: a control IN data stage never returns more than
 * wLength (USB 2.0 9.3.5); ECM: a bulk IN transfer never exceeds
 * ECM_MAX_SEGMENT + 1 packet, a received frame is 14..ECM_MAX_SEGMENT + 1
 * bytes (ecm.c tolerates one pad byte); NCM: every bulk IN transfer is one
 * well-formed NTB16 (our own parser accepts it, wBlockLength is the transfer,
 * it holds >= 1 datagram, at most dwNtbInMaxSize in force, wSequence counts
 * up from 0 after each link-up), and a received datagram is 14..ECM_MAX_SEGMENT
 * bytes inside the OUT NTB's block (CDC NCM 1.0 3.3.1), and at the end of
 * every input in alt 1 both bulk pipes still carry a valid NTB each way
 * (ncm_check_alive).
 */
#include <stdio.h>
#include <string.h>

#include "fuzz_common.h"
#include "usb/ecm.h"
#include "usb/ncm.h"
#include "usb/usb_buf.h"
#include "usb/usb_desc.h"
#include "fake_board.h"
#include "fake_udc.h"
#include "link_stats.h"
#include "usb/usb_ids.h"
#include "usb/usb_std.h"
#include "usb/usbd.h"

#define FUZZ_USB_MAX_OPS   64u
#define FUZZ_USB_CTRL_MAX  256u
#ifdef FUZZ_USB_NCM
#define FUZZ_USB_FRAME_MAX (NCM_NTB_OUT_MAX + 64u)   /* + room for hosts that send too much */
#else
#define FUZZ_USB_FRAME_MAX 1600u
#endif

static void bug(const char *what, unsigned a, unsigned b)
{
    fprintf(stderr, "fuzz_usb: %s (%u, %u)\n", what, a, b);
    abort();
}

static uint16_t mps_of(uint8_t ep)
{
    uint16_t m = fake_udc_ep(ep)->mps;
    return m ? m : 64u;
}

static void control(const uint8_t s[8], fuzz_in_t *in)
{
    uint16_t wLength = (uint16_t)(s[6] | (s[7] << 8));
    uint8_t pkt[64];
    int r;

    fake_udc_log_clear();
    fake_udc_setup_raw(s);
    if (s[0] & USB_REQ_DIR_IN) {
        unsigned total = 0;
        while (total < wLength) {
            r = fake_udc_in(0x80, pkt, sizeof pkt);
            if (r < 0) {
                return;   /* STALL (a refused request) or NAK: the host gives up */
            }
            total += (unsigned)r;
            if (total > wLength) {
                bug("control IN data stage longer than wLength", total, wLength);
            }
            if (r < 64) {
                break;
            }
        }
        (void)fake_udc_out(0x00, NULL, 0);   /* status stage */
    } else {
        uint16_t n = wLength < FUZZ_USB_CTRL_MAX ? wLength : FUZZ_USB_CTRL_MAX;
        uint16_t got = 0;
        const uint8_t *d = in != NULL ? fuzz_bytes(in, n, &got) : NULL;
        uint16_t sent = 0;
        while (sent < got) {
            uint16_t k = (uint16_t)(got - sent) > 64u ? 64u : (uint16_t)(got - sent);
            if (fake_udc_out(0x00, d + sent, k) != 0) {
                return;
            }
            sent = (uint16_t)(sent + k);
        }
        (void)fake_udc_in(0x80, pkt, sizeof pkt);   /* status stage */
    }
}

static void std_request(uint8_t bmRequestType, uint8_t bRequest, uint16_t wValue, uint16_t wIndex)
{
    uint8_t s[8] = {bmRequestType, bRequest, (uint8_t)wValue, (uint8_t)(wValue >> 8),
                    (uint8_t)wIndex, (uint8_t)(wIndex >> 8), 0, 0};
    control(s, NULL);
}

#ifdef FUZZ_USB_NCM
/* The host's view of the bulk IN pipe: the NTB being received, packet by
 * packet, across operations (a DRAIN may stop half way, an IN operation
 * takes single packets). A closed endpoint or a bus reset abandons it. */
static uint8_t ncm_in[NCM_NTB_IN_MAX + 64u];
static unsigned ncm_in_len;
static int ncm_last_seq;   /* wSequence of the last IN NTB, -1 = none since link-up */

static void ncm_in_restart(void)
{
    ncm_in_len = 0;
    ncm_last_seq = -1;     /* ncm.c starts again at 0 after link_down() */
}

static void ncm_close_hook(uint8_t ep)
{
    if (ep == USB_EP_DATA_IN) {
        ncm_in_restart();
    }
}

/* A bulk IN transfer just ended (short packet): it must be one NTB16 as
 * Linux cdc_ncm's cdc_ncm_rx_verify_nth16/ndp16 would accept it. A ZLP ends
 * the NTB before it (CDC NCM 1.0 3.2.2): nothing more to check. */
static void ncm_check_in(const uint8_t *ntb, unsigned total)
{
    if (total == 0u) {
        return;
    }
    if (total > ncm_ntb_in_size()) {
        bug("IN NTB longer than dwNtbInMaxSize", total, (unsigned)ncm_ntb_in_size());
    }
    int n = ncm_ntb_count(ntb, (uint16_t)total);
    if (n < 1) {
        for (unsigned i = 0; i < total && i < 128u; i++) {   /* what the host got, for the report */
            fprintf(stderr, "%02x%s", ntb[i], i % 16u == 15u ? "\n" : " ");
        }
        fprintf(stderr, "\n");
        bug("IN NTB our own parser refuses (or empty)", total, (unsigned)n);
    }
    if ((unsigned)(ntb[8] | (ntb[9] << 8)) != total) {
        bug("IN NTB wBlockLength is not the transfer length", (unsigned)(ntb[8] | (ntb[9] << 8)), total);
    }
    int seq = ntb[6] | (ntb[7] << 8);
    if (seq != (ncm_last_seq + 1) % 0x10000) {
        bug("IN NTB wSequence does not count up", (unsigned)seq, (unsigned)(ncm_last_seq + 1));
    }
    ncm_last_seq = seq;
}
#endif

#ifdef FUZZ_USB_NCM
static unsigned ncm_in_ntbs;   /* IN NTBs the host received and checked */
#endif

/* One IN token as the host sends it; NCM: bulk IN packets go to the NTB
 * being received and a short one ends (and checks) it. */
static int host_in(uint8_t ep, uint8_t *pkt)
{
    int r = fake_udc_in(ep, pkt, 64);
#ifdef FUZZ_USB_NCM
    if (r >= 0 && (ep | UDC_EP_IN) == USB_EP_DATA_IN) {
        if (ncm_in_len + (unsigned)r > sizeof ncm_in) {
            bug("IN transfer longer than the class may send", ep, ncm_in_len + (unsigned)r);
        }
        memcpy(ncm_in + ncm_in_len, pkt, (size_t)r);
        ncm_in_len += (unsigned)r;
        if (r < mps_of(USB_EP_DATA_IN)) {
            ncm_check_in(ncm_in, ncm_in_len);
            ncm_in_ntbs += ncm_in_len != 0u;
            ncm_in_len = 0;
        }
    }
#endif
    return r;
}

static void drain(uint8_t ep, unsigned limit)
{
    uint8_t pkt[64];
    unsigned total = 0;
    for (unsigned k = 0; k < 64u; k++) {
        int r = host_in(ep, pkt);
        if (r < 0) {
            return;
        }
        total += (unsigned)r;
        if (total > limit) {
            bug("IN transfer longer than the class may send", ep, total);
        }
        if (r < mps_of(ep | UDC_EP_IN)) {
            total = 0;   /* a short packet ends the transfer */
        }
    }
}

#ifdef FUZZ_USB_NCM
/* After any event stream, while alt 1 is selected, both pipes still move:
 * a host that resynchronises with a ZLP (it ends whatever transfer the
 * device has open, USB 2.0 5.8.3) gets its next NTB delivered, and the
 * device's next frame reaches the host. A malformed NTB, a half transfer or
 * an alt change must never wedge either (issue 11: a bad NTB is dropped and
 * counted, the endpoint keeps running). A halt the host set is its own. */
static void ncm_check_alive(void)
{
    static uint8_t ntb[88];
    uint8_t pkt[64];

    if (!ncm_link_up()) {
        return;
    }
    fake_udc_ep_t *o = fake_udc_ep(USB_EP_DATA_OUT), *i = fake_udc_ep(USB_EP_DATA_IN);
    if (!o->open || !i->open) {
        bug("link up without both bulk endpoints", o->open, i->open);
    }
    usbd_task();
    if (!o->stalled) {
        for (unsigned k = 0; k < 64u && ncm_rx_peek(NULL) != NULL; k++) {
            ncm_rx_release();
        }
        (void)fake_udc_out(USB_EP_DATA_OUT, NULL, 0);
        /* CDC NCM 1.0 3.2.1/3.3.1: NTH16, NDP16 at 12 (Linux), one 60-byte frame at 28 */
        memset(ntb, 0, sizeof ntb);
        memcpy(ntb, "NCMH\x0c\x00\x00\x00\x58\x00\x0c\x00NCM0\x10\x00\x00\x00\x1c\x00\x3c\x00", 24);
        memset(ntb + 28, 0xff, 6);
        if (fake_udc_bulk_out(USB_EP_DATA_OUT, ntb, sizeof ntb, false) != (int)sizeof ntb) {
            bug("bulk OUT wedged: a valid NTB is not taken", o->queued, 0);
        }
        uint16_t n = 0;
        const uint8_t *f = ncm_rx_peek(&n);
        if (f != usb_buf_rx + 28 || n != 60u) {
            bug("a valid NTB after a ZLP is not delivered", f != NULL, n);
        }
        ncm_rx_release();
    }
    if (!i->stalled) {
        for (unsigned round = 0; round < 4u; round++) {   /* what is queued or in flight */
            for (unsigned k = 0; k < 200u && host_in(USB_EP_DATA_IN, pkt) >= 0; k++) {
            }
            usbd_task();
        }
        uint8_t *b = ncm_tx_acquire_len(60);
        if (b == NULL) {
            bug("bulk IN wedged: no room for a frame after draining", 0, 0);
        }
        memset(b, 0xa5, 60);
        ncm_tx_commit(60);
        usbd_task();   /* the poll hook flushes */
        unsigned before = ncm_in_ntbs;
        for (unsigned k = 0; k < 200u && host_in(USB_EP_DATA_IN, pkt) >= 0; k++) {
        }
        if (ncm_in_ntbs == before) {
            bug("bulk IN wedged: a committed frame never reaches the host", 0, 0);
        }
    }
}
#endif

FUZZ_DEFAULT_INITIALIZE

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in_t in;
    uint8_t pkt[64];
    static uint8_t frame[FUZZ_USB_FRAME_MAX];

    fuzz_in_init(&in, data, size);
    fake_board_reset();
    fake_udc_reset();
    memset(&link_stats, 0, sizeof link_stats);
#ifdef FUZZ_USB_NCM
    usb_desc_select(USB_DESC_NCM);
    ncm_init();
    ncm_in_restart();
    fake_udc_close_hook = ncm_close_hook;
    usbd_init(&ncm_class);
#else
    usb_desc_select(USB_DESC_ECM);
    ecm_init();
    usbd_init(&ecm_class);
#endif
    fake_udc_bus_reset();

    for (unsigned n = 0; n < FUZZ_USB_MAX_OPS && fuzz_in_more(&in); n++) {
        uint8_t op = (uint8_t)(fuzz_u8(&in) % 12u);
        uint16_t len;
        fake_udc_log_clear();
        switch (op) {
        case 0: {
            uint8_t s[8] = {0};
            const uint8_t *p = fuzz_bytes(&in, 8, &len);
            memcpy(s, p, len);
            fake_udc_setup_raw(s);
            break;
        }
        case 1: {
            uint8_t s[8] = {0};
            const uint8_t *p = fuzz_bytes(&in, 8, &len);
            memcpy(s, p, len);
            control(s, &in);
            break;
        }
        case 2: {
            uint8_t ep = fuzz_u8(&in) & 0x0fu;
            uint16_t want = (uint16_t)(fuzz_u8(&in) % 65u);
            const uint8_t *p = fuzz_bytes(&in, want, &len);
            if (len > mps_of(ep)) {
                len = mps_of(ep);
            }
            (void)fake_udc_out(ep, p, len);
            break;
        }
        case 3:
            (void)host_in(fuzz_u8(&in) & 0x0fu, pkt);
            break;
        case 4:
#ifdef FUZZ_USB_NCM
            ncm_in_restart();   /* the controller drops the endpoints: no close call */
#endif
            fake_udc_bus_reset();
            break;
        case 5:
            fake_udc_unplug();
            break;
        case 6: {
            uint8_t cfg = (uint8_t)(fuzz_u8(&in) % 3u);
            uint8_t itf = (uint8_t)(fuzz_u8(&in) % 3u);
            uint8_t alt = (uint8_t)(fuzz_u8(&in) % 3u);
            std_request(0x00, USB_REQ_SET_CONFIGURATION, cfg, 0);
            std_request(0x01, USB_REQ_SET_INTERFACE, alt, itf);
            break;
        }
        case 7: {
            uint16_t want = fuzz_u16(&in);
#ifdef FUZZ_USB_NCM
            uint8_t how = fuzz_u8(&in);
#endif
            const uint8_t *p = fuzz_bytes(&in, want < sizeof frame ? want : sizeof frame, &len);
            memcpy(frame, p, len);
#ifdef FUZZ_USB_NCM
            (void)fake_udc_bulk_out(USB_EP_DATA_OUT, frame, len, (how & 1u) != 0u);
            if (how & 2u) {
                static const uint8_t pad = 0;   /* Windows 11 */
                (void)fake_udc_bulk_out(USB_EP_DATA_OUT, &pad, 1, false);
            }
#else
            (void)fake_udc_bulk_out(USB_EP_DATA_OUT, frame, len, true);
#endif
            break;
        }
#ifdef FUZZ_USB_NCM
        case 8: {
            uint16_t v = fuzz_u16(&in);
            uint16_t flen = (uint16_t)((v & 0x7fffu) % (ECM_MAX_SEGMENT + 8u));
            uint8_t *b = ncm_tx_acquire_len(flen);
            if (b != NULL) {
                memset(b, 0x5a, flen);   /* ASan: all of what was handed out is ours */
                ncm_tx_commit((uint16_t)(flen + (v >> 15)));
            }
            break;
        }
        case 9: {
            uint16_t flen = 0;
            const uint8_t *f = ncm_rx_peek(&flen);
            if (f != NULL) {
                uint16_t block = (uint16_t)(usb_buf_rx[8] | (usb_buf_rx[9] << 8));
                if (flen < 14u || flen > ECM_MAX_SEGMENT) {
                    bug("received datagram of impossible length", flen, ECM_MAX_SEGMENT);
                }
                if (f < usb_buf_rx + 12 || f + flen > usb_buf_rx + block || block > NCM_NTB_OUT_MAX) {
                    bug("received datagram outside the NTB's block", (unsigned)(f - usb_buf_rx), block);
                }
                volatile uint8_t sum = 0;
                for (uint16_t k = 0; k < flen; k++) {
                    sum = (uint8_t)(sum + f[k]);
                }
                (void)sum;
                ncm_rx_release();
            }
            break;
        }
#else
        case 8: {
            uint16_t flen = (uint16_t)(fuzz_u16(&in) % (ECM_MAX_SEGMENT + 8u));
            uint8_t *b = ecm_tx_acquire();
            if (b != NULL) {
                memset(b, 0x5a, flen < ECM_MAX_SEGMENT ? flen : ECM_MAX_SEGMENT);
                ecm_tx_commit(flen);
            }
            break;
        }
        case 9: {
            uint16_t flen = 0;
            const uint8_t *f = ecm_rx_peek(&flen);
            if (f != NULL) {
                /* ecm.c delivers up to one byte over (a sender's pad byte, see its header) */
                if (flen < 14u || flen > ECM_MAX_SEGMENT + 1u) {
                    bug("received frame of impossible length", flen, ECM_MAX_SEGMENT);
                }
                volatile uint8_t sum = 0;
                for (uint16_t k = 0; k < flen; k++) {
                    sum = (uint8_t)(sum + f[k]);   /* ASan: all of it readable */
                }
                (void)sum;
                ecm_rx_release();
            }
            break;
        }
#endif
        case 10:
            fake_board_ms += fuzz_u8(&in);
            usbd_task();
            break;
        default:
            drain(USB_EP_NOTIFY, 64u);
#ifdef FUZZ_USB_NCM
            drain(USB_EP_DATA_IN, NCM_NTB_IN_MAX + 64u);
#else
            drain(USB_EP_DATA_IN, ECM_MAX_SEGMENT + 64u);
#endif
            break;
        }
    }
#ifdef FUZZ_USB_NCM
    ncm_check_alive();
#endif
    fake_udc_unplug();
    return 0;
}
