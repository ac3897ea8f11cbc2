/*
 * usb_ids.h - interface numbers, endpoint addresses and string indices of our
 * one configuration, shared by the descriptors (usb_desc.c) and the class
 * (ecm.c). Layer: portable.
 */
#ifndef USB_IDS_H
#define USB_IDS_H

#define USB_ITF_COMM        0u   /* CDC communication interface (02/06/00) */
#define USB_ITF_DATA        1u   /* CDC data interface (0A), alt 0 empty, alt 1 bulk */
#define USB_NUM_INTERFACES  2u

#define USB_EP_NOTIFY       0x81u  /* interrupt IN */
#define USB_EP_NOTIFY_MPS   16u
#define USB_EP_NOTIFY_INTERVAL 16u /* ms (bInterval, full speed) */
#define USB_EP_DATA_OUT     0x02u  /* bulk OUT */
#define USB_EP_DATA_IN      0x82u  /* bulk IN */
#define USB_EP_DATA_MPS     64u

#define USB_STR_LANGID      0u
#define USB_STR_MANUFACTURER 1u
#define USB_STR_PRODUCT     2u
#define USB_STR_SERIAL      3u
#define USB_STR_MAC         4u   /* iMACAddress, CDC ECM 1.2 table 3 */
#define USB_STR_COUNT       5u

#define USB_CONFIG_VALUE    1u

#endif
