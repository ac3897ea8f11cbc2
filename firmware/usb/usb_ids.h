/*
 * usb_ids.h - interface numbers, endpoint addresses and string indices of our
 * one configuration, shared by the descriptors (usb_desc.c) and the class
 * (ecm.c, ncm.c). Both classes use the same numbers. Layer: portable.
 */
#ifndef USB_IDS_H
#define USB_IDS_H

#define USB_ITF_COMM        0u   /* CDC communication interface (02/06/00 ECM, 02/0D/00 NCM) */
#define USB_ITF_DATA        1u   /* CDC data interface (0A), alt 0 empty, alt 1 bulk */
#define USB_ITF_DFU         2u   /* DFU 1.1 runtime interface (FE/01/01), no endpoints */
#define USB_NUM_INTERFACES  3u
#define USB_NET_INTERFACES  2u   /* the network function: interfaces 0..1 (the NCM IAD) */

#define USB_EP_NOTIFY       0x81u  /* interrupt IN */
#define USB_EP_NOTIFY_MPS   16u
/* NCM: 64, so the 16-byte ConnectionSpeedChange is one short transfer for
 * Windows (no length check on it) and macOS alike */
#define USB_EP_NOTIFY_MPS_NCM 64u
#define USB_EP_NOTIFY_INTERVAL 16u /* ms (bInterval, full speed) */
#define USB_EP_DATA_OUT     0x02u  /* bulk OUT */
#define USB_EP_DATA_IN      0x82u  /* bulk IN */
#define USB_EP_DATA_MPS     64u

#define USB_STR_LANGID      0u
#define USB_STR_MANUFACTURER 1u
#define USB_STR_PRODUCT     2u
#define USB_STR_SERIAL      3u
#define USB_STR_MAC         4u   /* iMACAddress, CDC ECM 1.2 table 3 */
#define USB_STR_DFU         5u   /* iInterface of the DFU runtime interface */
#define USB_STR_COUNT       6u

#define USB_CONFIG_VALUE    1u

/* bMS_VendorCode of the MS OS 2.0 platform capability (NCM mode): any value
 * of ours; the host sends it back as bRequest of a vendor request */
#define USB_MS_VENDOR_CODE  0x20u

#endif
