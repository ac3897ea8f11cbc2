/*
 * chip_backend.h - the emulated chip as a USB/IP bridge device backend.
 * Layer: sim/chip (host only); see chip_backend.c.
 */
#ifndef CHIP_BACKEND_H
#define CHIP_BACKEND_H

#include <stdbool.h>
#include <stdint.h>

#include "usbip_backend.h"

extern const usbip_backend_t chip_backend;

/* Runs the chip until it sleeps or max_insns are spent (the bridge's poll). */
void chip_backend_poll(void);
void chip_backend_set_verbose(bool on);
/* --pcap: Ethernet frames of the CDC-ECM data interface, cut from the bulk
 * packets at each short packet (CDC ECM 1.2 3.3.1); tx = sent by the device. */
void chip_backend_set_frame_hook(void (*hook)(bool tx, const uint8_t *frame, uint16_t len));
/* Transactions whose DATA PID the host did not expect (dropped, USB 2.0 8.6.4). */
uint32_t chip_backend_toggle_errors(void);

#endif
