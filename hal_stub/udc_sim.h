/*
 * udc_sim.h - the simulator's fake USB device controller: implements
 * firmware/usb/udc.h for the firmware and offers the USB/IP bridge a
 * packet-level "virtual bus" (in the manner of Zephyr's UVB): the bridge plays
 * the host and moves one packet at a time.
 *
 * Layer: hal_stub (host only). Includes only <stdint.h>/<stdbool.h> and udc.h.
 * Assumptions: single-threaded; there are no interrupts, so udc_event_cb() is
 * called directly from udc_sim_*() (the core only queues, see udc.h) and the
 * firmware reacts on its next fw_poll().
 * Limits: UDC_SIM_EP_COUNT endpoint numbers per direction (the STM32F072 has
 * 8), max packet size 1..64 (full speed, USB 2.0 5.8.3); data toggles and
 * timing are not simulated.
 */
#ifndef UDC_SIM_H
#define UDC_SIM_H

#include <stdbool.h>
#include <stdint.h>
#include "usb/udc.h"

#ifndef UDC_SIM_EP_COUNT
#define UDC_SIM_EP_COUNT 8u
#endif

/* Handshakes of one packet, USB 2.0 8.4.5 (OVERFLOW = the device sent more
 * than the host had room for: "babble" from the host's point of view). */
typedef enum {
    UDC_SIM_ACK = 0,
    UDC_SIM_NAK = 1,
    UDC_SIM_STALL = 2,
    UDC_SIM_OVERFLOW = 3,
} udc_sim_result_t;

/* Host side (the bridge). */
void udc_sim_bus_reset(void);  /* cable in + bus reset: address 0, only ep0 open */
void udc_sim_unplug(void);     /* cable out: transfers dropped, UNPLUGGED reported */
/* SETUP is always ACKed by a device (USB 2.0 8.5.3); clears an ep0 STALL and
 * drops unfinished ep0 transfers. STALL only when no host can reach the
 * device (not connected / unplugged). */
int udc_sim_setup(const uint8_t setup[8]);
/* One OUT packet to endpoint number ep (direction bit ignored); len <= mps. */
int udc_sim_out(uint8_t ep, const uint8_t *data, uint16_t len);
/* One IN packet from endpoint number ep: min(mps, remaining) bytes into buf.
 * *len gets the packet length (OVERFLOW: bytes copied = room). */
int udc_sim_in(uint8_t ep, uint8_t *buf, uint16_t room, uint16_t *len);

/* Counts everything the firmware did to the controller (transfers queued,
 * stalls, endpoints opened/closed, connect): a change means a NAKed packet
 * may now get another answer. */
uint32_t udc_sim_activity(void);
uint8_t udc_sim_address(void);
bool udc_sim_connected(void);              /* udc_connect() called, pull-up on */
uint16_t udc_sim_ep_mps(uint8_t ep);       /* 0 when not open; ep incl. direction */

#endif
