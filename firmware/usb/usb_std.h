/*
 * usb_std.h - protocol constants: USB 2.0 chapter 9 (standard requests,
 * descriptors, features) and USB CDC 1.2 / CDC ECM 1.2 (class codes,
 * functional descriptors, class requests, notifications).
 *
 * Layer: portable (firmware/usb). Only numbers from the specifications, no
 * code, no includes. Names follow the specifications' own wording.
 */
#ifndef USB_STD_H
#define USB_STD_H

/* USB 2.0, 9.3 table 9-2: bmRequestType */
#define USB_REQ_DIR_IN            0x80u
#define USB_REQ_TYPE_MASK         0x60u
#define USB_REQ_TYPE_STANDARD     0x00u
#define USB_REQ_TYPE_CLASS        0x20u
#define USB_REQ_TYPE_VENDOR       0x40u
#define USB_REQ_RCPT_MASK         0x1Fu
#define USB_REQ_RCPT_DEVICE       0x00u
#define USB_REQ_RCPT_INTERFACE    0x01u
#define USB_REQ_RCPT_ENDPOINT     0x02u

/* USB 2.0, 9.4 table 9-4: standard request codes */
#define USB_REQ_GET_STATUS        0x00u
#define USB_REQ_CLEAR_FEATURE     0x01u
#define USB_REQ_SET_FEATURE       0x03u
#define USB_REQ_SET_ADDRESS       0x05u
#define USB_REQ_GET_DESCRIPTOR    0x06u
#define USB_REQ_SET_DESCRIPTOR    0x07u
#define USB_REQ_GET_CONFIGURATION 0x08u
#define USB_REQ_SET_CONFIGURATION 0x09u
#define USB_REQ_GET_INTERFACE     0x0Au
#define USB_REQ_SET_INTERFACE     0x0Bu
#define USB_REQ_SYNCH_FRAME       0x0Cu

/* USB 2.0, 9.4 table 9-5: descriptor types */
#define USB_DT_DEVICE             0x01u
#define USB_DT_CONFIGURATION      0x02u
#define USB_DT_STRING             0x03u
#define USB_DT_INTERFACE          0x04u
#define USB_DT_ENDPOINT           0x05u
#define USB_DT_DEVICE_QUALIFIER   0x06u
#define USB_DT_OTHER_SPEED_CONFIG 0x07u
#define USB_DT_INTERFACE_POWER    0x08u
/* ECN "Interface Association Descriptor" (USB 2.0 ECN, 2003), USB 3.2 9.6.2 (BOS) */
#define USB_DT_IAD                0x0Bu
#define USB_DT_BOS                0x0Fu
#define USB_DT_DEVICE_CAPABILITY  0x10u
#define USB_DT_IAD_SIZE           8u
#define USB_DT_BOS_SIZE           5u
#define USB_DC_PLATFORM           0x05u  /* USB 3.2 table 9-14 bDevCapabilityType */

/* USB 2.0 ECN IAD: a multi-interface function at device level (EF/02/01) */
#define USB_CLASS_MISC            0xEFu
#define USB_MISC_SUBCLASS_COMMON  0x02u
#define USB_MISC_PROTOCOL_IAD     0x01u

/* USB 2.0, 9.6 descriptor lengths */
#define USB_DT_DEVICE_SIZE        18u
#define USB_DT_CONFIGURATION_SIZE 9u
#define USB_DT_INTERFACE_SIZE     9u
#define USB_DT_ENDPOINT_SIZE      7u

/* USB 2.0, 9.4 table 9-6: feature selectors */
#define USB_FEATURE_ENDPOINT_HALT        0u
#define USB_FEATURE_DEVICE_REMOTE_WAKEUP 1u
#define USB_FEATURE_TEST_MODE            2u

/* USB 2.0, 9.4.5 figures 9-4 and 9-6: GET_STATUS bits */
#define USB_STATUS_SELF_POWERED   0x0001u
#define USB_STATUS_REMOTE_WAKEUP  0x0002u
#define USB_STATUS_EP_HALT        0x0001u

/* USB 2.0, 9.6.3 table 9-10: configuration bmAttributes */
#define USB_CONFIG_ATT_ONE        0x80u  /* reserved, must be set */
#define USB_CONFIG_ATT_SELFPOWER  0x40u
#define USB_CONFIG_ATT_WAKEUP     0x20u

/* USB 2.0, 9.6.6 table 9-13: endpoint bmAttributes transfer types */
#define USB_EP_ATT_CONTROL        0x00u
#define USB_EP_ATT_ISOCHRONOUS    0x01u
#define USB_EP_ATT_BULK           0x02u
#define USB_EP_ATT_INTERRUPT      0x03u
#define USB_EP_ATT_TYPE_MASK      0x03u

/* USB language identifiers: English (United States) */
#define USB_LANGID_EN_US          0x0409u

/* CDC 1.2, 4.2..4.6: class, subclass and protocol codes */
#define USB_CLASS_CDC             0x02u  /* device and communication interface */
#define USB_CLASS_CDC_DATA        0x0Au
#define USB_CDC_SUBCLASS_ECM      0x06u  /* Ethernet Networking Control Model */
#define USB_CDC_SUBCLASS_NCM      0x0Du  /* Network Control Model (CDC NCM 1.0 4.1) */
#define USB_CDC_DATA_PROTOCOL_NTB 0x01u  /* CDC NCM 1.0 4.2: data interface protocol */
#define USB_CDC_PROTOCOL_NONE     0x00u

/* CDC 1.2, 5.2.3 tables 12/13: functional descriptors */
#define USB_DT_CS_INTERFACE       0x24u
#define USB_DT_CS_ENDPOINT        0x25u
#define USB_CDC_FD_HEADER         0x00u
#define USB_CDC_FD_UNION          0x06u
#define USB_CDC_FD_ETHERNET       0x0Fu  /* CDC ECM 1.2, 5.4 */
#define USB_CDC_BCD               0x0120u
#define USB_CDC_FD_HEADER_SIZE    5u
#define USB_CDC_FD_UNION_SIZE     5u     /* one subordinate interface */
#define USB_CDC_FD_ETHERNET_SIZE  13u
#define USB_CDC_FD_NCM            0x1Au  /* CDC NCM 1.0 5.2.1 */
#define USB_CDC_FD_NCM_SIZE       6u
#define USB_NCM_BCD               0x0100u

/* CDC ECM 1.2, 6.2 table 6: class-specific requests */
#define USB_ECM_SET_MC_FILTERS          0x40u
#define USB_ECM_SET_PM_FILTER           0x41u
#define USB_ECM_GET_PM_FILTER           0x42u
#define USB_ECM_SET_PACKET_FILTER       0x43u
#define USB_ECM_GET_STATISTIC           0x44u

/* CDC NCM 1.0, 6.2 table 6-2: class-specific requests (besides ECM's 0x43) */
#define USB_NCM_GET_NTB_PARAMETERS      0x80u
#define USB_NCM_GET_NET_ADDRESS         0x81u
#define USB_NCM_SET_NET_ADDRESS         0x82u
#define USB_NCM_GET_NTB_FORMAT          0x83u
#define USB_NCM_SET_NTB_FORMAT          0x84u
#define USB_NCM_GET_NTB_INPUT_SIZE      0x85u
#define USB_NCM_SET_NTB_INPUT_SIZE      0x86u
#define USB_NCM_GET_MAX_DATAGRAM_SIZE   0x87u
#define USB_NCM_SET_MAX_DATAGRAM_SIZE   0x88u
#define USB_NCM_GET_CRC_MODE            0x89u
#define USB_NCM_SET_CRC_MODE            0x8Au
#define USB_NCM_NTB_PARAMETERS_SIZE     0x1Cu  /* table 6-3 wLength */

/* CDC NCM 1.0, 3.2: NTB16 structures (little-endian signatures) */
#define USB_NCM_NTH16_SIGN              0x484D434Eu  /* "NCMH" */
#define USB_NCM_NDP16_SIGN_NOCRC        0x304D434Eu  /* "NCM0" */
#define USB_NCM_NTH16_SIZE              12u
#define USB_NCM_NDP16_HDR_SIZE          8u
#define USB_NCM_NDP16_MIN_SIZE          16u          /* header + one entry + terminator */

/* DFU 1.1: runtime interface (4.1), functional descriptor (4.1.3), requests (3) */
#define USB_CLASS_APP_SPECIFIC          0xFEu
#define USB_DFU_SUBCLASS                0x01u
#define USB_DFU_PROTOCOL_RUNTIME        0x01u
#define USB_DT_DFU_FUNCTIONAL           0x21u
#define USB_DFU_FD_SIZE                 9u
#define USB_DFU_BCD                     0x0110u
#define USB_DFU_ATTR_CAN_DNLOAD         0x01u
#define USB_DFU_ATTR_CAN_UPLOAD         0x02u
#define USB_DFU_ATTR_MANIFEST_TOLERANT  0x04u
#define USB_DFU_ATTR_WILL_DETACH        0x08u
#define USB_DFU_DETACH                  0x00u
#define USB_DFU_DNLOAD                  0x01u
#define USB_DFU_UPLOAD                  0x02u
#define USB_DFU_GETSTATUS               0x03u
#define USB_DFU_CLRSTATUS               0x04u
#define USB_DFU_GETSTATE                0x05u
#define USB_DFU_ABORT                   0x06u
#define USB_DFU_STATUS_OK               0x00u
#define USB_DFU_STATE_APP_IDLE          0x00u

/* Microsoft OS 2.0 Descriptors Specification (2015), tables 1-9 */
#define MS_OS_20_DESCRIPTOR_INDEX       0x07u
#define MS_OS_20_SET_HEADER_DESCRIPTOR  0x00u
#define MS_OS_20_SUBSET_HEADER_CONFIGURATION 0x01u
#define MS_OS_20_SUBSET_HEADER_FUNCTION 0x02u
#define MS_OS_20_FEATURE_COMPATBLE_ID   0x03u
#define MS_OS_20_WINDOWS_VERSION        0x06030000u  /* Windows 8.1 and later */

/* CDC ECM 1.2, 6.3 table 11: notifications */
#define USB_CDC_NOTIFY_REQTYPE          0xA1u  /* device-to-host, class, interface */
#define USB_CDC_NOTIFY_NETWORK_CONNECTION 0x00u
#define USB_CDC_NOTIFY_SPEED_CHANGE     0x2Au
#define USB_CDC_NOTIFY_HDR_SIZE         8u

#endif
