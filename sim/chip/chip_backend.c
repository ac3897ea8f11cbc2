/*
 * chip_backend.c - usbip_backend.h for the emulated STM32F072: each packet
 * is one transaction on the USB FS register model (usbfs.h), as a host
 * controller would put it on the wire; the chip's own driver answers it.
 *
 * Layer: sim/chip (host only). Includes chip.h, usbfs.h, usbip_backend.h.
 * What the host controller side keeps here (USB 2.0 chapter 8 and 9):
 *  - the device address the tokens carry: 0 after a bus reset, the new one
 *    once a SET_ADDRESS's status stage was ACKed (9.4.6);
 *  - the data toggle per endpoint and direction (8.6): DATA1 for the data and
 *    status stages after a SETUP, DATA0 for every non-control endpoint after
 *    SET_CONFIGURATION / SET_INTERFACE and for the one endpoint after
 *    CLEAR_FEATURE(ENDPOINT_HALT) (9.4.5); a packet whose PID does not match
 *    is ACKed and thrown away, as a host does with a repeated packet.
 * Mapping of the model's answers: ACK/NAK/STALL/OVERFLOW as they are; no
 * handshake (TIMEOUT) on a SETUP while the device is attached and addressed
 * is a SETUP the peripheral discarded (CTR_RX still set): the host retries,
 * so it is NAK here; any other TIMEOUT is a transaction error (ERROR).
 * Limits: no SOF train, no suspend, no bus timing.
 */
#include <stdio.h>

#include "chip.h"
#include "chip_backend.h"

#define POLL_INSNS 400000u   /* per bridge poll: ~8 ms of a 48 MHz M0 */

static uint8_t host_addr;
static int pending_addr = -1;
static bool tog_in[16], tog_out[16];
static bool verbose;
static uint32_t toggle_errors;
static void (*frame_hook)(bool, const uint8_t *, uint16_t);

/* one frame being collected per direction; longer than any Ethernet frame
 * (1514) plus slack, longer ones are dropped */
#define FRAME_MAX 2048u
static uint8_t frame_buf[2][FRAME_MAX];
static uint16_t frame_len[2];
static bool frame_over[2];

void chip_backend_set_frame_hook(void (*hook)(bool tx, const uint8_t *frame, uint16_t len))
{
    frame_hook = hook;
}

/* a bulk endpoint per its EPnR EP_TYPE (RM0091 30.6.2) */
static bool is_bulk(uint8_t ep)
{
    const usbfs_t *u = chip_usb();
    for (unsigned n = 0; n < USBFS_NUM_EPR; n++) {
        if ((u->epr[n] & USBFS_EPR_EA) == ep) {
            return ((u->epr[n] & USBFS_EPR_EP_TYPE) >> 9) == USBFS_TYPE_BULK;
        }
    }
    return false;
}

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

/* A transfer that starts with an NTH16 (CDC NCM 1.0, 3.2.1, "NCMH") is an NTB
 * of the NCM image: the pcap gets its datagrams, as the host's cdc_ncm hands
 * them to its stack, not the NTB labelled as one Ethernet frame. Walked like
 * a host would, every field bounded: wBlockLength within the transfer, at
 * most 4 NDP16s ("NCM0", 3.3.1), each pair inside the block, the zero pair
 * ends an NDP. Returns false when the transfer is no NTB16. */
static bool frame_ntb(bool tx, const uint8_t *b, uint16_t len)
{
    if (len < 12u || b[0] != 'N' || b[1] != 'C' || b[2] != 'M' || b[3] != 'H') {
        return false;
    }
    uint16_t block = le16(b + 8), ndp = le16(b + 10);
    if (le16(b + 4) != 12u || block > len) {
        return true;   /* an NTB, but a bad one: nothing to show as Ethernet */
    }
    for (unsigned n = 0; n < 4u && ndp != 0u; n++) {
        if ((uint32_t)ndp + 16u > block || b[ndp] != 'N' || b[ndp + 1] != 'C' ||
            b[ndp + 2] != 'M' || b[ndp + 3] != '0') {
            return true;
        }
        uint16_t ndp_len = le16(b + ndp + 4);
        if (ndp_len < 16u || (uint32_t)ndp + ndp_len > block) {
            return true;
        }
        for (uint32_t at = ndp + 8u; at + 4u <= (uint32_t)ndp + ndp_len; at += 4u) {
            uint16_t idx = le16(b + at), dlen = le16(b + at + 2);
            if (idx == 0u || dlen == 0u) {
                break;
            }
            if ((uint32_t)idx + dlen <= block && dlen >= 14u) {
                frame_hook(tx, b + idx, dlen);
            }
        }
        ndp = le16(b + ndp + 6);
    }
    return true;
}

static void frame_packet(bool tx, uint8_t ep, const uint8_t *data, uint16_t len)
{
    if (frame_hook == NULL || ep == 0u || !is_bulk(ep)) {
        return;
    }
    unsigned d = tx ? 1u : 0u;
    if (frame_len[d] + len > FRAME_MAX) {
        frame_over[d] = true;
    } else if (len != 0u) {
        for (uint16_t i = 0; i < len; i++) {
            frame_buf[d][frame_len[d] + i] = data[i];
        }
        frame_len[d] = (uint16_t)(frame_len[d] + len);
    }
    if (len < 64u) {  /* short packet (full-speed bulk: 64) ends the frame */
        if (!frame_over[d] && frame_len[d] != 0u &&
            !frame_ntb(tx, frame_buf[d], frame_len[d])) {
            frame_hook(tx, frame_buf[d], frame_len[d]);
        }
        frame_len[d] = 0;
        frame_over[d] = false;
    }
}

void chip_backend_set_verbose(bool on)
{
    verbose = on;
}

uint32_t chip_backend_toggle_errors(void)
{
    return toggle_errors;
}

void chip_backend_poll(void)
{
    (void)chip_run(POLL_INSNS);
}

static void toggles_reset(bool ep0_too)
{
    for (unsigned i = ep0_too ? 0u : 1u; i < 16u; i++) {
        tog_in[i] = tog_out[i] = false;
    }
}

static int be_setup(const uint8_t s[8])
{
    usbfs_t *u = chip_usb();
    usbfs_result_t r = usbfs_host_setup(u, host_addr, s);
    chip_usb_changed();
    if (r == USBFS_TIMEOUT) {
        return usbfs_attached(u) ? USBIP_BE_NAK : USBIP_BE_ERROR;
    }
    if (r != USBFS_ACK) {
        return USBIP_BE_ERROR;
    }
    /* the data and status stages start with DATA1 (USB 2.0 8.5.3) */
    tog_in[0] = tog_out[0] = true;
    pending_addr = -1;
    uint16_t wvalue = (uint16_t)(s[2] | (s[3] << 8));
    if (s[0] == 0x00u && s[1] == 0x05u) {
        pending_addr = wvalue & 0x7F;             /* SET_ADDRESS */
    } else if ((s[0] == 0x00u && s[1] == 0x09u) || (s[0] == 0x01u && s[1] == 0x0Bu)) {
        toggles_reset(false);                     /* SET_CONFIGURATION / SET_INTERFACE */
    } else if (s[0] == 0x02u && s[1] == 0x01u && wvalue == 0u) {
        unsigned ep = s[4] & 0x0Fu;               /* CLEAR_FEATURE(ENDPOINT_HALT) */
        if (s[4] & 0x80u) {
            tog_in[ep] = false;
        } else {
            tog_out[ep] = false;
        }
    }
    return USBIP_BE_ACK;
}

static int map(usbfs_result_t r)
{
    switch (r) {
    case USBFS_ACK:      return USBIP_BE_ACK;
    case USBFS_NAK:      return USBIP_BE_NAK;
    case USBFS_STALL:    return USBIP_BE_STALL;
    case USBFS_OVERFLOW: return USBIP_BE_OVERFLOW;
    default:             return USBIP_BE_ERROR;
    }
}

static int be_out(uint8_t ep, const uint8_t *data, uint16_t len)
{
    ep &= 0x0Fu;
    usbfs_result_t r = usbfs_host_out(chip_usb(), host_addr, ep, tog_out[ep], data, len);
    chip_usb_changed();
    if (r == USBFS_ACK) {
        tog_out[ep] = !tog_out[ep];
        frame_packet(false, ep, data, len);
    }
    return map(r);
}

static int be_in(uint8_t ep, uint8_t *buf, uint16_t room, uint16_t *len)
{
    bool d1 = false;
    ep &= 0x0Fu;
    usbfs_result_t r = usbfs_host_in(chip_usb(), host_addr, ep, buf, room, len, &d1);
    chip_usb_changed();
    if (r != USBFS_ACK) {
        return map(r);
    }
    if (d1 != tog_in[ep]) {
        toggle_errors++;
        if (verbose) {
            fprintf(stderr, "stm32net-sim: chip: ep%u IN DATA%u where DATA%u was due: dropped\n",
                    ep, d1 ? 1u : 0u, tog_in[ep] ? 1u : 0u);
        }
        *len = 0;
        return USBIP_BE_NAK;  /* the host ACKs and ignores it; the URB waits on */
    }
    tog_in[ep] = !tog_in[ep];
    frame_packet(true, ep, buf, *len);
    if (ep == 0u && *len == 0u && pending_addr >= 0) {
        host_addr = (uint8_t)pending_addr;  /* status stage of SET_ADDRESS done */
        pending_addr = -1;
    }
    return USBIP_BE_ACK;
}

static void be_bus_reset(void)
{
    usbfs_host_bus_reset(chip_usb());
    chip_usb_changed();
    host_addr = 0;
    pending_addr = -1;
    toggles_reset(true);
}

static void be_unplug(void)
{
    /* The board has no VBUS sensing (RM0091: no VBUS pin on the F072 USB):
     * the device only notices that the host is gone by the missing traffic. */
    host_addr = 0;
    pending_addr = -1;
    toggles_reset(true);
}

static uint8_t be_address(void)
{
    const usbfs_t *u = chip_usb();
    return (u->daddr & USBFS_DADDR_EF) ? (uint8_t)(u->daddr & 0x7Fu) : 0u;
}

const usbip_backend_t chip_backend = {
    .name = "chip",
    .setup = be_setup,
    .out = be_out,
    .in = be_in,
    .bus_reset = be_bus_reset,
    .unplug = be_unplug,
    .address = be_address,
    .ep_mps = NULL,  /* the bridge uses the endpoint descriptors, as a host does */
};
