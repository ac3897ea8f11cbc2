/*
 * usb_cdc.h - what CDC-ECM and CDC-NCM share: little-endian field access and
 * the two network notifications (CDC 1.2 6.3; ECM 1.2 6.3; NCM 1.0 7.1).
 *
 * Layer: portable (firmware/usb). Includes usb_std.h and usb_ids.h only.
 * The notification builders write into the caller's buffer (which must stay
 * untouched until the interrupt IN transfer completes) and return its length.
 */
#ifndef USB_CDC_H
#define USB_CDC_H

#include <stdbool.h>
#include <stdint.h>

/* 9,728,000 bit/s: 19 full 64-byte bulk packets per 1 ms frame, the usual
 * full-speed ceiling, reported for both directions */
#define USB_CDC_LINK_SPEED_BPS (19u * 64u * 8u * 1000u)
#define USB_CDC_NOTIFY_MAX 16u   /* ConnectionSpeedChange, the longer of the two */

void usb_cdc_put_le16(uint8_t *p, uint16_t v);
void usb_cdc_put_le32(uint8_t *p, uint32_t v);
uint16_t usb_cdc_get_le16(const uint8_t *p);
uint32_t usb_cdc_get_le32(const uint8_t *p);

/* NetworkConnection, wValue 1 = connected (8 bytes) */
uint16_t usb_cdc_notify_connection(uint8_t *buf, bool connected);
/* ConnectionSpeedChange with DLBitRate = ULBitRate = USB_CDC_LINK_SPEED_BPS (16 bytes) */
uint16_t usb_cdc_notify_speed(uint8_t *buf);

#endif
