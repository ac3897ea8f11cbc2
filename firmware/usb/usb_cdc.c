/*
 * usb_cdc.c - helpers CDC-ECM and CDC-NCM share (usb_cdc.h).
 * Layer: portable (firmware/usb). Includes usb_cdc.h, usb_std.h, usb_ids.h only.
 */
#include "usb_cdc.h"
#include "usb_ids.h"
#include "usb_std.h"

void usb_cdc_put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

void usb_cdc_put_le32(uint8_t *p, uint32_t v)
{
    usb_cdc_put_le16(p, (uint16_t)v);
    usb_cdc_put_le16(p + 2, (uint16_t)(v >> 16));
}

uint16_t usb_cdc_get_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

uint32_t usb_cdc_get_le32(const uint8_t *p)
{
    return (uint32_t)usb_cdc_get_le16(p) | ((uint32_t)usb_cdc_get_le16(p + 2) << 16);
}

/* CDC 1.2 6.3 header: bmRequestType A1, code, wValue, wIndex = comm interface */
static void notify_header(uint8_t *buf, uint8_t code, uint16_t value, uint16_t length)
{
    buf[0] = USB_CDC_NOTIFY_REQTYPE;
    buf[1] = code;
    usb_cdc_put_le16(&buf[2], value);
    usb_cdc_put_le16(&buf[4], USB_ITF_COMM);
    usb_cdc_put_le16(&buf[6], length);
}

uint16_t usb_cdc_notify_connection(uint8_t *buf, bool connected)
{
    /* CDC 1.2 6.3.1 / ECM 1.2 6.3.1 NetworkConnection */
    notify_header(buf, USB_CDC_NOTIFY_NETWORK_CONNECTION, connected ? 1u : 0u, 0);
    return USB_CDC_NOTIFY_HDR_SIZE;
}

uint16_t usb_cdc_notify_speed(uint8_t *buf)
{
    /* CDC 1.2 6.3.3 ConnectionSpeedChange: DLBitRate, ULBitRate (table 21) */
    notify_header(buf, USB_CDC_NOTIFY_SPEED_CHANGE, 0, 8);
    usb_cdc_put_le32(&buf[8], USB_CDC_LINK_SPEED_BPS);
    usb_cdc_put_le32(&buf[12], USB_CDC_LINK_SPEED_BPS);
    return USB_CDC_NOTIFY_HDR_SIZE + 8u;
}
