/*
 * pcap_usb.c - usbmon capture of the USB/IP URBs (see pcap_usb.h).
 *
 * Layer: sim (host only); the file is pcap.c's (DLT_USB_LINUX_MMAPPED),
 * records are flushed one by one so a killed simulator still leaves a
 * readable file.
 * Record format: Linux's binary usbmon header (Documentation/usb/usbmon.rst,
 * "struct usbmon_packet", 64 bytes in the mmap variant), in host byte order
 * like a capture on this machine, followed by the captured data:
 *   id u64 | type u8 'S'/'C' | xfer_type u8 (0 iso, 1 interrupt, 2 control,
 *   3 bulk) | epnum u8 (bit 7 = IN) | devnum u8 | busnum u16 | flag_setup
 *   s8 (0: setup[] valid, '-': none) | flag_data s8 (0: data follows, '<' an
 *   IN submission, '>' an OUT completion: no data by rule) | ts_sec s64 |
 *   ts_usec s32 | status s32 (-EINPROGRESS in submissions) | length u32 |
 *   len_cap u32 | setup[8] | interval s32 | start_frame s32 | xfer_flags u32
 *   | ndesc u32.
 * The URB id pairs a submission with its completion: vhci's seqnum (unique
 * while in flight), which is what Wireshark needs to decode a descriptor
 * response with its request.
 * The transfer type of an endpoint is not in USB/IP's CMD_SUBMIT; it is read
 * from the configuration descriptors (USB 2.0 9.6.6 bmAttributes bits 1..0)
 * the host fetched during enumeration, which come before any transfer on
 * those endpoints.
 * Limits: one device, bus 1; data up to USBIP_MAX_TRANSFER per URB.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <pcap/pcap.h>

#include "pcap.h"
#include "pcap_usb.h"

#define PCAP_USB_BUSNUM 1u
#define PCAP_USB_SNAPLEN (PCAP_USB_HDR_LEN + USBIP_MAX_TRANSFER)

enum { XFER_ISO = 0, XFER_INTR = 1, XFER_CTRL = 2, XFER_BULK = 3 };

static sim_pcap_file_t file;
/* learned endpoint types, [dir][ep]; 0xff = not described yet */
static uint8_t ep_type[2][16];
static uint8_t rec[PCAP_USB_SNAPLEN];

void pcap_usb_reset(void)
{
    memset(ep_type, 0xff, sizeof ep_type);
}

/* A configuration descriptor set (USB 2.0 9.4.3, 9.6.3): walk its
 * descriptors by bLength and note each endpoint's (9.6.6) type. */
static void pcap_usb_learn(const uint8_t *d, uint32_t n)
{
    uint32_t i = 0;
    while (i + 2u <= n && d[i] >= 2u && i + d[i] <= n) {
        if (d[i + 1] == 0x05u && d[i] >= 7u) {
            uint8_t addr = d[i + 2];
            ep_type[(addr >> 7) & 1u][addr & 0x0fu] = (uint8_t)(d[i + 3] & 0x03u);
        }
        i += d[i];
    }
}

static uint8_t pcap_usb_type(uint8_t ep, bool in)
{
    if (ep == 0u) {
        return XFER_CTRL;
    }
    uint8_t t = ep_type[in ? 1 : 0][ep & 0x0fu];
    /* USB 2.0 table 9-13: 00 control, 01 isochronous, 10 bulk, 11 interrupt */
    switch (t) {
    case 0u: return XFER_CTRL;
    case 1u: return XFER_ISO;
    case 3u: return XFER_INTR;
    default: return XFER_BULK;
    }
}

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

size_t pcap_usb_record(const usbip_urb_event_t *e, const struct timeval *ts, uint8_t *out,
                       size_t room)
{
    uint32_t cap = e->data_len;
    if (e->data == NULL || cap > USBIP_MAX_TRANSFER) {
        cap = 0;
    }
    if (room < PCAP_USB_HDR_LEN + cap) {
        return 0;
    }
    /* learn endpoint types from a GET_DESCRIPTOR(CONFIGURATION) answer:
     * bmRequestType 0x80, bRequest 6, wValue high byte 2 (USB 2.0 9.4.3) */
    if (!e->submit && e->ep == 0u && e->setup != NULL && e->status == 0 && e->setup[0] == 0x80u &&
        e->setup[1] == 0x06u && e->setup[3] == 0x02u && cap != 0u) {
        pcap_usb_learn(e->data, cap);
    }
    memset(out, 0, PCAP_USB_HDR_LEN);
    put64(out + 0, e->seqnum);
    out[8] = e->submit ? 'S' : 'C';
    out[9] = pcap_usb_type(e->ep, e->in);
    out[10] = (uint8_t)((e->ep & 0x0fu) | (e->in ? 0x80u : 0u));
    out[11] = e->devnum;
    put16(out + 12, PCAP_USB_BUSNUM);
    /* usbmon gives the setup packet with control submissions only */
    bool setup = e->submit && e->setup != NULL;
    out[14] = setup ? 0 : '-';
    out[15] = cap != 0u ? 0 : (e->submit && e->in) ? '<' : (!e->submit && !e->in) ? '>' : 0;
    put64(out + 16, (uint64_t)(int64_t)ts->tv_sec);
    put32(out + 24, (uint32_t)(int32_t)ts->tv_usec);
    put32(out + 28, (uint32_t)(e->submit ? -EINPROGRESS : e->status));
    put32(out + 32, e->length);
    put32(out + 36, cap);
    if (setup) {
        memcpy(out + 40, e->setup, 8);
    }
    /* interval, start_frame: 0 (not known here, not needed to decode) */
    put32(out + 56, e->flags);
    put32(out + 60, 0);   /* ndesc: no isochronous descriptors */
    if (cap != 0u) {
        memcpy(out + PCAP_USB_HDR_LEN, e->data, cap);
    }
    return PCAP_USB_HDR_LEN + cap;
}

int sim_pcap_usb_open(const char *path)
{
    pcap_usb_reset();
    return sim_pcap_file_open(&file, DLT_USB_LINUX_MMAPPED, (int)PCAP_USB_SNAPLEN, "--pcap-usb", path);
}

void sim_pcap_usb_urb(const usbip_urb_event_t *e)
{
    if (e == NULL || file.dumper == NULL) {
        return;
    }
    struct timeval ts;
    gettimeofday(&ts, NULL);
    size_t n = pcap_usb_record(e, &ts, rec, sizeof rec);
    if (n != 0u) {
        sim_pcap_file_write(&file, &ts, rec, (uint32_t)n);   /* one time in both headers */
    }
}

void sim_pcap_usb_close(void)
{
    sim_pcap_file_close(&file);
}
