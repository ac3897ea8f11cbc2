/*
 * dfu_rt.h - the DFU 1.1 runtime interface (interface USB_ITF_DFU, no
 * endpoints): it lets dfu-util switch the running device into the ROM
 * bootloader over the same cable.
 *
 * Layer: portable (firmware/usb). The active network class (ecm.c, ncm.c)
 * hands it the class requests and SET_INTERFACE addressed to USB_ITF_DFU;
 * the main loop asks dfu_rt_detach_due() once the control transfer is over
 * and then leaves the bus and enters the bootloader (board.h).
 */
#ifndef DFU_RT_H
#define DFU_RT_H

#include <stdbool.h>
#include <stdint.h>
#include "usbd.h"

/* usbd_class_t.control() for wIndex == USB_ITF_DFU: <0 = STALL */
int dfu_rt_control(const usb_setup_t *setup, uint8_t *buf, uint16_t room);
/* SET_INTERFACE on USB_ITF_DFU: only alt 0 exists (dfu-util sends it) */
bool dfu_rt_set_interface(uint8_t alt);
/* true once after DFU_DETACH was accepted and ep0 has finished its status
 * stage (DFU 1.1 5.1: the host saw the request succeed before we go) */
bool dfu_rt_detach_due(void);
void dfu_rt_init(void);

#endif
