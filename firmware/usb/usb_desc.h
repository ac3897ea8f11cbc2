/*
 * usb_desc.h - the device's descriptors (USB 2.0 9.6, CDC 1.2 5.2.3,
 * CDC ECM 1.2 5.4, CDC NCM 1.0 5, MS OS 2.0) and lookups the device core derives from them.
 *
 * Layer: portable (firmware/usb). The device and configuration descriptors are
 * const; the string descriptors are UTF-16LE copies built once by
 * usb_desc_init() (serial and iMACAddress come from ident.h). The core asks
 * this module which interfaces, alternate settings and endpoints exist, so the
 * configuration is described exactly once: in the configuration descriptor.
 * Two descriptor sets, one per class (usb_desc_select()), same interface and
 * endpoint numbers. Limits: one configuration, interfaces 0..USB_NUM_INTERFACES-1.
 */
#ifndef USB_DESC_H
#define USB_DESC_H

#include <stdbool.h>
#include <stdint.h>
#include "usb_ids.h"

/* wTotalLength of configuration 1, per class */
#define USB_DESC_DFU_TOTAL 18u          /* DFU runtime interface + functional descriptor */
#define USB_DESC_CONFIG_TOTAL (80u + USB_DESC_DFU_TOTAL)      /* ECM */
#define USB_DESC_CONFIG_TOTAL_NCM (94u + USB_DESC_DFU_TOTAL)  /* NCM: + IAD (8) + NCM FD (6) */
#define USB_DESC_BOS_TOTAL 33u          /* BOS header + MS OS 2.0 platform capability */
#define USB_DESC_MSOS20_TOTAL 74u       /* the MS OS 2.0 descriptor set (NCM + DFU functions) */
/* DFU runtime functional descriptor values (DFU 1.1 4.1.3) */
#define USB_DFU_DETACH_TIMEOUT_MS 1000u
#define USB_DFU_TRANSFER_SIZE 2048u     /* what the F072 ROM's DfuSe takes per block */

typedef enum { USB_DESC_ECM = 0, USB_DESC_NCM = 1 } usb_desc_class_t;

/* Which function the descriptors describe; before usbd_init() (default ECM). */
void usb_desc_select(usb_desc_class_t cls);
usb_desc_class_t usb_desc_selected(void);
void usb_desc_init(void);  /* builds the string descriptors; call before the host asks */

const uint8_t *usb_desc_device(uint16_t *len);
const uint8_t *usb_desc_config(uint16_t *len);
/* BOS (USB 3.2 9.6.2) and the MS OS 2.0 descriptor set: NCM mode only, NULL
 * otherwise (the device then says bcdUSB 0x0200 and has none) */
const uint8_t *usb_desc_bos(uint16_t *len);
const uint8_t *usb_desc_msos20(uint16_t *len);
/* NULL when there is no string with that index */
const uint8_t *usb_desc_string(uint8_t index, uint16_t *len);

/* Number of alternate settings of interface itf in configuration 1, 0 if the
 * interface does not exist. */
uint8_t usb_desc_alt_count(uint8_t itf);
/* true if endpoint address ep (incl. direction bit, not ep0) belongs to the
 * currently selected alternate settings alt[0..USB_NUM_INTERFACES-1]; with
 * alt == NULL: to any alternate setting of configuration 1. */
bool usb_desc_ep_exists(uint8_t ep, const uint8_t *alt);
/* The interface endpoint ep belongs to (same selection rules), or -1. */
int usb_desc_ep_interface(uint8_t ep, const uint8_t *alt);

#endif
