/*
 * usbip_backend.h - the device behind the USB/IP bridge, at packet level: one
 * transaction per call, answered with a USB handshake.
 *
 * Layer: usbip_bridge (host only). Includes <stdint.h> only. The bridge knows
 * nothing else of the device: the host-built firmware on hal_stub/udc_sim.c
 * (usbip_backend_sim) and the emulated STM32F072 running the flashed ELF
 * (sim/chip/chip_backend.c) both implement it.
 * Semantics (USB 2.0 8.4.5, 8.5.3): NAK = nothing ready yet, the bridge keeps
 * the URB pending and asks again later; STALL = the endpoint refuses (the
 * URB ends with -EPIPE); OVERFLOW = the device sent more than the room given
 * (babble, -EOVERFLOW); ERROR = no handshake at all (device gone, endpoint
 * not enabled: -EPROTO, as Linux host controllers report a transaction error).
 * A SETUP is answered ACK, NAK (the device could not take it yet: the bridge
 * sends it again) or ERROR/STALL (nobody there).
 */
#ifndef USBIP_BACKEND_H
#define USBIP_BACKEND_H

#include <stdint.h>

typedef enum {
    USBIP_BE_ACK = 0,
    USBIP_BE_NAK = 1,
    USBIP_BE_STALL = 2,
    USBIP_BE_OVERFLOW = 3,
    USBIP_BE_ERROR = 4,
} usbip_be_result_t;

typedef struct {
    const char *name;
    int (*setup)(const uint8_t setup[8]);
    /* one OUT packet to endpoint number ep (direction bit ignored), len <= mps */
    int (*out)(uint8_t ep, const uint8_t *data, uint16_t len);
    /* one IN packet from endpoint number ep into buf (room bytes); *len = its length */
    int (*in)(uint8_t ep, uint8_t *buf, uint16_t room, uint16_t *len);
    void (*bus_reset)(void);   /* port reset: address 0, default control pipe only */
    void (*unplug)(void);      /* nobody on the cable any more */
    uint8_t (*address)(void);  /* the USB address the device took (SET_ADDRESS) */
    /* wMaxPacketSize of an open endpoint (ep incl. direction bit), 0 if unknown;
     * may be NULL: the bridge then uses the endpoint descriptors it read. */
    uint16_t (*ep_mps)(uint8_t ep);
} usbip_backend_t;

/* The host-built firmware on the simulator's fake controller (udc_sim.c). */
extern const usbip_backend_t usbip_backend_sim;

#endif
