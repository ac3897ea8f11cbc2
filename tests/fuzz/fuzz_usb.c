/*
 * fuzz_usb.c - libFuzzer target: the USB device core (firmware/usb/usbd.c,
 * USB 2.0 ch. 9) with the CDC-ECM class (firmware/usb/ecm.c, CDC ECM 1.2)
 * driven through the unit tests' fake controller (fake_udc) as a stream of
 * host and network events. Layer: tests/fuzz.
 *
 * Input: up to FUZZ_USB_MAX_OPS operations, each an opcode byte (mod 12):
 *   0 SETUP     8 bytes, a bare SETUP packet (data/status stages are
 *               whatever OUT/IN operations follow)
 *   1 CONTROL   8 bytes SETUP, then a whole control transfer as a host
 *               does it: OUT data (min(wLength, 256) bytes from the input)
 *               or IN data read packet by packet, then the status stage
 *   2 OUT       u8 ep (low 4 bits), u8 len (mod 65), data: one OUT packet
 *   3 IN        u8 ep: one IN token
 *   4 RESET     bus reset
 *   5 UNPLUG    cable out
 *   6 ALT       u8 config, u8 itf, u8 alt: SET_CONFIGURATION then
 *               SET_INTERFACE (mod 3 each), the way into the data path
 *   7 FRAME     u16 len (max 1600), data: one bulk OUT transfer on the
 *               data endpoint, packet by packet (+ ZLP if len % 64 == 0)
 *   8 TX        u16 len: the netif sends a frame of that length (acquire
 *               + commit, lengths outside 1..ECM_MAX_SEGMENT included)
 *   9 RX        the netif takes the oldest received frame (peek + release)
 *  10 TIME      u8 ms forward
 *  11 DRAIN     IN tokens on the notification and bulk IN endpoints until NAK
 * Oracle: ASan/UBSan, fake_udc's own checks (endpoint numbers, packet sizes,
 * buffers), and here: a control IN data stage never returns more than
 * wLength (USB 2.0 9.3.5), a bulk IN transfer never exceeds
 * ECM_MAX_SEGMENT + 1 packet, a received frame is 14..ECM_MAX_SEGMENT + 1
 * bytes (ecm.c tolerates one pad byte).
 */
#include <stdio.h>
#include <string.h>

#include "fuzz_common.h"
#include "usb/ecm.h"
#include "fake_board.h"
#include "fake_udc.h"
#include "link_stats.h"
#include "usb/usb_ids.h"
#include "usb/usb_std.h"
#include "usb/usbd.h"

#define FUZZ_USB_MAX_OPS   64u
#define FUZZ_USB_CTRL_MAX  256u
#define FUZZ_USB_FRAME_MAX 1600u

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

static void drain(uint8_t ep, unsigned limit)
{
    uint8_t pkt[64];
    unsigned total = 0;
    for (unsigned k = 0; k < 64u; k++) {
        int r = fake_udc_in(ep, pkt, sizeof pkt);
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

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_common_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in_t in;
    uint8_t pkt[64];
    static uint8_t frame[FUZZ_USB_FRAME_MAX];

    fuzz_in_init(&in, data, size);
    fake_board_reset();
    fake_udc_reset();
    memset(&link_stats, 0, sizeof link_stats);
    ecm_init();
    usbd_init(&ecm_class);
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
            (void)fake_udc_in(fuzz_u8(&in) & 0x0fu, pkt, sizeof pkt);
            break;
        case 4:
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
            const uint8_t *p = fuzz_bytes(&in, want < sizeof frame ? want : sizeof frame, &len);
            memcpy(frame, p, len);
            (void)fake_udc_bulk_out(USB_EP_DATA_OUT, frame, len, true);
            break;
        }
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
        case 10:
            fake_board_ms += fuzz_u8(&in);
            usbd_task();
            break;
        default:
            drain(USB_EP_NOTIFY, 64u);
            drain(USB_EP_DATA_IN, ECM_MAX_SEGMENT + 64u);
            break;
        }
    }
    fake_udc_unplug();
    return 0;
}
