/*
 * usb_buf.c - the frame buffers shared by the USB network classes (usb_buf.h).
 * Layer: portable (firmware/usb). Includes usb_buf.h only.
 */
#include "usb_buf.h"

uint8_t usb_buf_rx[USB_BUF_RX_SIZE];
uint8_t usb_buf_tx[USB_BUF_TX_SIZE];
uint8_t usb_buf_notify[USB_BUF_NOTIFY_SIZE];
