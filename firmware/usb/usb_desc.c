/*
 * usb_desc.c - descriptors of the stm32net device: CDC-ECM or CDC-NCM.
 *
 * Layer: portable (firmware/usb); includes usb_std.h, usb_ids.h, ident.h,
 * stm32net_opt.h and <stddef.h> only.
 * Choices: bDeviceClass 0x02 (CDC at device level, no IAD): a CDC 1.2 device
 * with one function is bound by Linux cdc_ether (it matches the interface
 * 02/06/00) and by macOS's CDC-ECM driver alike. Full speed only, so no
 * device qualifier (USB 2.0 9.6.2). Bus powered, 100 mA, no remote wakeup
 * capability advertised (the controller boundary cannot signal resume).
 * NCM mode: bDeviceClass EF/02/01 with an IAD over the two interfaces (an IAD
 * under class 00 gives Code 10 on Windows 11 24H2), bcdUSB 0x0201 so Windows
 * asks for the BOS and, through it, the MS OS 2.0 set with compatible ID
 * WINNCM (Windows 10 binds its NCM driver only through that; Windows 11,
 * macOS and Linux cdc_ncm bind the class 02/0D/00 anyway).
 * Limits: manufacturer/product/DFU strings are compile-time ASCII kept in
 * flash (<= 126 chars, checked at compile time); string descriptors ignore the LANGID in wIndex
 * because only one language (0x0409) is offered.
 */
#include <stddef.h>

#include "usb_desc.h"
#include "usb_std.h"
#include "ident.h"
#include "stm32net_opt.h"

#define LE16(v) (uint8_t)((v) & 0xFFu), (uint8_t)(((v) >> 8) & 0xFFu)

/* Interface 2 of both configurations: DFU 1.1 runtime (4.1), no endpoints;
 * dfu-util finds it by FE/01/01 and reads the functional descriptor after it
 * (4.1.3): WillDetach (we leave the bus ourselves), Can{Dnload,Upload} as the
 * ROM bootloader can. USB_DESC_DFU_TOTAL bytes. */
#define USB_DESC_DFU_RT                                                                  \
    USB_DT_INTERFACE_SIZE, USB_DT_INTERFACE, USB_ITF_DFU, 0, 0,                          \
    USB_CLASS_APP_SPECIFIC, USB_DFU_SUBCLASS, USB_DFU_PROTOCOL_RUNTIME, USB_STR_DFU,     \
    USB_DFU_FD_SIZE, USB_DT_DFU_FUNCTIONAL,                                              \
    USB_DFU_ATTR_WILL_DETACH | USB_DFU_ATTR_CAN_UPLOAD | USB_DFU_ATTR_CAN_DNLOAD,        \
    LE16(USB_DFU_DETACH_TIMEOUT_MS), LE16(USB_DFU_TRANSFER_SIZE), LE16(USB_DFU_BCD)
_Static_assert(USB_DESC_DFU_TOTAL == USB_DT_INTERFACE_SIZE + USB_DFU_FD_SIZE, "DFU descriptor size");

/* USB 2.0, 9.6.1 table 9-8 */
static const uint8_t dev_desc[USB_DT_DEVICE_SIZE] = {
    USB_DT_DEVICE_SIZE, USB_DT_DEVICE,
    LE16(0x0200u),                  /* bcdUSB 2.0 (full speed) */
    USB_CLASS_CDC, 0x00, 0x00,      /* class at device level: CDC 1.2, 3.3 */
    64,                             /* bMaxPacketSize0 = UDC_EP0_MPS */
    LE16(USBD_VID), LE16(USBD_PID), LE16(USBD_BCD_DEVICE),
    USB_STR_MANUFACTURER, USB_STR_PRODUCT, USB_STR_SERIAL,
    1,                              /* bNumConfigurations */
};

/* NCM: bcdUSB 2.01 (a 2.0 device with a BOS, USB 2.0 LPM ECN / USB 3.2
 * 9.6.2), class from the IAD (USB IAD ECN: EF/02/01) */
static const uint8_t dev_desc_ncm[USB_DT_DEVICE_SIZE] = {
    USB_DT_DEVICE_SIZE, USB_DT_DEVICE,
    LE16(0x0201u),
    USB_CLASS_MISC, USB_MISC_SUBCLASS_COMMON, USB_MISC_PROTOCOL_IAD,
    64,
    LE16(USBD_VID), LE16(USBD_PID), LE16(USBD_BCD_DEVICE),
    USB_STR_MANUFACTURER, USB_STR_PRODUCT, USB_STR_SERIAL,
    1,
};

/* USB 2.0 9.6.3..9.6.6; CDC 1.2 5.2.3; CDC ECM 1.2 5.4 (table 3) */
static const uint8_t cfg_desc[USB_DESC_CONFIG_TOTAL] = {
    /* configuration */
    USB_DT_CONFIGURATION_SIZE, USB_DT_CONFIGURATION, LE16(USB_DESC_CONFIG_TOTAL),
    USB_NUM_INTERFACES, USB_CONFIG_VALUE, 0, USB_CONFIG_ATT_ONE, 50 /* x 2 mA */,

    /* interface 0: communication, ECM (CDC 1.2 4.3, 4.4; ECM 1.2 3.1) */
    USB_DT_INTERFACE_SIZE, USB_DT_INTERFACE, USB_ITF_COMM, 0, 1,
    USB_CLASS_CDC, USB_CDC_SUBCLASS_ECM, USB_CDC_PROTOCOL_NONE, 0,
    /* Header FD first, CDC 1.2 5.2.3 */
    USB_CDC_FD_HEADER_SIZE, USB_DT_CS_INTERFACE, USB_CDC_FD_HEADER, LE16(USB_CDC_BCD),
    /* Union FD: master = communication, slave = data (CDC 1.2 5.2.3.2) */
    USB_CDC_FD_UNION_SIZE, USB_DT_CS_INTERFACE, USB_CDC_FD_UNION, USB_ITF_COMM, USB_ITF_DATA,
    /* Ethernet Networking FD (ECM 1.2 5.4): no statistics, no MC or power filters */
    USB_CDC_FD_ETHERNET_SIZE, USB_DT_CS_INTERFACE, USB_CDC_FD_ETHERNET, USB_STR_MAC,
    0, 0, 0, 0, LE16(ECM_MAX_SEGMENT), LE16(0), 0,
    /* notification endpoint (ECM 1.2 3.1) */
    USB_DT_ENDPOINT_SIZE, USB_DT_ENDPOINT, USB_EP_NOTIFY, USB_EP_ATT_INTERRUPT,
    LE16(USB_EP_NOTIFY_MPS), USB_EP_NOTIFY_INTERVAL,

    /* interface 1 alt 0: no endpoints, so the host can reset the data path (ECM 1.2 3.3) */
    USB_DT_INTERFACE_SIZE, USB_DT_INTERFACE, USB_ITF_DATA, 0, 0,
    USB_CLASS_CDC_DATA, 0, 0, 0,
    /* interface 1 alt 1: the bulk pair */
    USB_DT_INTERFACE_SIZE, USB_DT_INTERFACE, USB_ITF_DATA, 1, 2,
    USB_CLASS_CDC_DATA, 0, 0, 0,
    USB_DT_ENDPOINT_SIZE, USB_DT_ENDPOINT, USB_EP_DATA_OUT, USB_EP_ATT_BULK,
    LE16(USB_EP_DATA_MPS), 0,
    USB_DT_ENDPOINT_SIZE, USB_DT_ENDPOINT, USB_EP_DATA_IN, USB_EP_ATT_BULK,
    LE16(USB_EP_DATA_MPS), 0,
    USB_DESC_DFU_RT,
};

/* CDC NCM 1.0 5 (table 5-1 shows the same layout): IAD, communication
 * interface 02/0D/00 with exactly one endpoint and Header, Union, Ethernet
 * (13 B) and NCM (6 B) functional descriptors - the sizes Windows' UsbNcm
 * insists on; data interface 0A/00/01 with exactly two alternate settings. */
static const uint8_t cfg_desc_ncm[USB_DESC_CONFIG_TOTAL_NCM] = {
    USB_DT_CONFIGURATION_SIZE, USB_DT_CONFIGURATION, LE16(USB_DESC_CONFIG_TOTAL_NCM),
    USB_NUM_INTERFACES, USB_CONFIG_VALUE, 0, USB_CONFIG_ATT_ONE, 50 /* x 2 mA */,

    /* IAD: interfaces 0..1 are one function (class of the first interface);
     * the DFU interface after them is a function of its own */
    USB_DT_IAD_SIZE, USB_DT_IAD, USB_ITF_COMM, USB_NET_INTERFACES,
    USB_CLASS_CDC, USB_CDC_SUBCLASS_NCM, USB_CDC_PROTOCOL_NONE, 0,

    /* interface 0: communication, NCM (CDC NCM 1.0 4.1) */
    USB_DT_INTERFACE_SIZE, USB_DT_INTERFACE, USB_ITF_COMM, 0, 1,
    USB_CLASS_CDC, USB_CDC_SUBCLASS_NCM, USB_CDC_PROTOCOL_NONE, 0,
    USB_CDC_FD_HEADER_SIZE, USB_DT_CS_INTERFACE, USB_CDC_FD_HEADER, LE16(USB_CDC_BCD),
    USB_CDC_FD_UNION_SIZE, USB_DT_CS_INTERFACE, USB_CDC_FD_UNION, USB_ITF_COMM, USB_ITF_DATA,
    /* Ethernet Networking FD (ECM 1.2 5.4; NCM 1.0 5.2: required too) */
    USB_CDC_FD_ETHERNET_SIZE, USB_DT_CS_INTERFACE, USB_CDC_FD_ETHERNET, USB_STR_MAC,
    0, 0, 0, 0, LE16(ECM_MAX_SEGMENT), LE16(0), 0,
    /* NCM FD (NCM 1.0 5.2.1 table 5-2): bmNetworkCapabilities D0 =
     * SetEthernetPacketFilter (macOS needs it, or it drops the interface on
     * some attaches); no NetAddress, no encapsulated commands, no
     * Get/SetMaxDatagramSize, no CRC mode, 4-byte NTB input size form */
    USB_CDC_FD_NCM_SIZE, USB_DT_CS_INTERFACE, USB_CDC_FD_NCM, LE16(USB_NCM_BCD), 0x01,
    USB_DT_ENDPOINT_SIZE, USB_DT_ENDPOINT, USB_EP_NOTIFY, USB_EP_ATT_INTERRUPT,
    LE16(USB_EP_NOTIFY_MPS_NCM), USB_EP_NOTIFY_INTERVAL,

    /* interface 1 alt 0: no endpoints (NCM 1.0 5.3: the host resets the function with it) */
    USB_DT_INTERFACE_SIZE, USB_DT_INTERFACE, USB_ITF_DATA, 0, 0,
    USB_CLASS_CDC_DATA, 0, USB_CDC_DATA_PROTOCOL_NTB, 0,
    /* interface 1 alt 1: the bulk pair */
    USB_DT_INTERFACE_SIZE, USB_DT_INTERFACE, USB_ITF_DATA, 1, 2,
    USB_CLASS_CDC_DATA, 0, USB_CDC_DATA_PROTOCOL_NTB, 0,
    USB_DT_ENDPOINT_SIZE, USB_DT_ENDPOINT, USB_EP_DATA_OUT, USB_EP_ATT_BULK,
    LE16(USB_EP_DATA_MPS), 0,
    USB_DT_ENDPOINT_SIZE, USB_DT_ENDPOINT, USB_EP_DATA_IN, USB_EP_ATT_BULK,
    LE16(USB_EP_DATA_MPS), 0,
    USB_DESC_DFU_RT,
};

#define LE32(v) LE16((v) & 0xFFFFu), LE16(((v) >> 16) & 0xFFFFu)

/* USB 3.2 9.6.2 BOS with one platform capability (9.6.2.4): the MS OS 2.0
 * descriptor platform capability (MS OS 2.0 spec table 4; UUID
 * {D8DD60DF-4589-4CC7-9CD2-659D9E648A9F} in its little-endian byte order) */
static const uint8_t bos_desc[USB_DESC_BOS_TOTAL] = {
    USB_DT_BOS_SIZE, USB_DT_BOS, LE16(USB_DESC_BOS_TOTAL), 1,
    28, USB_DT_DEVICE_CAPABILITY, USB_DC_PLATFORM, 0 /* bReserved */,
    0xDF, 0x60, 0xDD, 0xD8, 0x89, 0x45, 0xC7, 0x4C,
    0x9C, 0xD2, 0x65, 0x9D, 0x9E, 0x64, 0x8A, 0x9F,
    LE32(MS_OS_20_WINDOWS_VERSION), LE16(USB_DESC_MSOS20_TOTAL),
    USB_MS_VENDOR_CODE, 0 /* bAltEnumCode: no alternate enumeration */,
};

/* MS OS 2.0 descriptor set (spec 9.22 tables 10-14): header, configuration
 * subset (index 0), a function subset from the NCM communication interface
 * with compatible ID WINNCM (the ID the in-box UsbNcm.inf matches), and one
 * for the DFU interface with WINUSB, so dfu-util (libusb) opens it on Windows
 * without an extra driver */
#define MSOS20_FUNCTION_TOTAL (8u + 20u)
#define MSOS20_CONFIG_TOTAL (8u + 2u * MSOS20_FUNCTION_TOTAL)
_Static_assert(USB_DESC_MSOS20_TOTAL == 10u + MSOS20_CONFIG_TOTAL, "MS OS 2.0 set length");
static const uint8_t msos20_desc[USB_DESC_MSOS20_TOTAL] = {
    LE16(10), LE16(MS_OS_20_SET_HEADER_DESCRIPTOR), LE32(MS_OS_20_WINDOWS_VERSION),
    LE16(USB_DESC_MSOS20_TOTAL),
    LE16(8), LE16(MS_OS_20_SUBSET_HEADER_CONFIGURATION), 0 /* configuration index */, 0,
    LE16(MSOS20_CONFIG_TOTAL),
    LE16(8), LE16(MS_OS_20_SUBSET_HEADER_FUNCTION), USB_ITF_COMM, 0, LE16(MSOS20_FUNCTION_TOTAL),
    LE16(20), LE16(MS_OS_20_FEATURE_COMPATBLE_ID),
    'W', 'I', 'N', 'N', 'C', 'M', 0, 0,   /* CompatibleID */
    0, 0, 0, 0, 0, 0, 0, 0,               /* SubCompatibleID */
    LE16(8), LE16(MS_OS_20_SUBSET_HEADER_FUNCTION), USB_ITF_DFU, 0, LE16(MSOS20_FUNCTION_TOTAL),
    LE16(20), LE16(MS_OS_20_FEATURE_COMPATBLE_ID),
    'W', 'I', 'N', 'U', 'S', 'B', 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0,
};

static usb_desc_class_t desc_class = USB_DESC_ECM;

/* The active configuration descriptor and its length */
static const uint8_t *cfg_active(uint16_t *len)
{
    if (desc_class == USB_DESC_NCM) {
        *len = (uint16_t)sizeof cfg_desc_ncm;
        return cfg_desc_ncm;
    }
    *len = (uint16_t)sizeof cfg_desc;
    return cfg_desc;
}

void usb_desc_select(usb_desc_class_t cls)
{
    desc_class = cls == USB_DESC_NCM ? USB_DESC_NCM : USB_DESC_ECM;
}

usb_desc_class_t usb_desc_selected(void)
{
    return desc_class;
}

/* USB 2.0, 9.6.7: string 0 lists the supported LANGIDs */
static const uint8_t str0_desc[4] = {4, USB_DT_STRING, LE16(USB_LANGID_EN_US)};

#define STR_DESC_SIZE(nchars) (2u + 2u * (nchars))
_Static_assert(sizeof(USBD_MANUFACTURER) - 1u <= 126u, "manufacturer string too long");
_Static_assert(sizeof(USBD_PRODUCT) - 1u <= 126u, "product string too long");
_Static_assert(sizeof(USBD_PRODUCT_NCM) - 1u <= 126u, "NCM product string too long");

/* Compile-time strings stay in flash: the descriptor with bString from a u""
 * literal (UTF-16, C11 6.4.5), little-endian on both targets as USB wants it
 * (USB 2.0 9.6.7; bString is not NUL terminated: the array has no room for it) */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "u\"\" strings are not UTF-16LE here");
#define STR_CONST(name, text)                                                    \
    static const struct {                                                        \
        uint8_t bLength;                                                         \
        uint8_t bDescriptorType;                                                 \
        uint16_t bString[sizeof(u"" text) / 2u - 1u];                            \
    } name = {(uint8_t)sizeof(u"" text), USB_DT_STRING, u"" text}
STR_CONST(str_manuf, USBD_MANUFACTURER);
STR_CONST(str_product, USBD_PRODUCT);
STR_CONST(str_product_ncm, USBD_PRODUCT_NCM);
STR_CONST(str_dfu, "stm32net DFU runtime");
_Static_assert(sizeof str_manuf == STR_DESC_SIZE(sizeof(USBD_MANUFACTURER) - 1u), "string layout");

/* Run-time strings (from ident.h) are built once in RAM */
static uint8_t str_serial[STR_DESC_SIZE(IDENT_SERIAL_LEN)];
static uint8_t str_mac[STR_DESC_SIZE(12u)];

/* ASCII -> UTF-16LE string descriptor (USB 2.0 9.6.7, bString is not NUL terminated) */
static void build_string(uint8_t *out, const char *ascii, uint8_t nchars)
{
    out[0] = (uint8_t)STR_DESC_SIZE(nchars);
    out[1] = USB_DT_STRING;
    for (uint8_t i = 0; i < nchars; i++) {
        out[2u + 2u * i] = (uint8_t)ascii[i];
        out[3u + 2u * i] = 0;
    }
}

void usb_desc_init(void)
{
    char buf[IDENT_SERIAL_LEN + 1u];

    ident_serial(buf);
    build_string(str_serial, buf, (uint8_t)IDENT_SERIAL_LEN);
    /* CDC ECM 1.2 5.4: iMACAddress is 12 hex digits, the host's MAC, not ours */
    ident_host_mac_string(buf);
    build_string(str_mac, buf, 12u);
}

const uint8_t *usb_desc_device(uint16_t *len)
{
    if (desc_class == USB_DESC_NCM) {
        *len = (uint16_t)sizeof dev_desc_ncm;
        return dev_desc_ncm;
    }
    *len = (uint16_t)sizeof dev_desc;
    return dev_desc;
}

const uint8_t *usb_desc_config(uint16_t *len)
{
    return cfg_active(len);
}

const uint8_t *usb_desc_bos(uint16_t *len)
{
    if (desc_class != USB_DESC_NCM) {
        return NULL;
    }
    *len = (uint16_t)sizeof bos_desc;
    return bos_desc;
}

const uint8_t *usb_desc_msos20(uint16_t *len)
{
    if (desc_class != USB_DESC_NCM) {
        return NULL;
    }
    *len = (uint16_t)sizeof msos20_desc;
    return msos20_desc;
}

const uint8_t *usb_desc_string(uint8_t index, uint16_t *len)
{
    const uint8_t *d;

    switch (index) {
    case USB_STR_LANGID: d = str0_desc; break;
    case USB_STR_MANUFACTURER: d = &str_manuf.bLength; break;
    case USB_STR_PRODUCT:
        d = desc_class == USB_DESC_NCM ? &str_product_ncm.bLength : &str_product.bLength;
        break;
    case USB_STR_SERIAL: d = str_serial; break;
    case USB_STR_MAC: d = str_mac; break;
    case USB_STR_DFU: d = &str_dfu.bLength; break;
    default: return NULL;
    }
    if (d[0] < 2u) {
        return NULL;  /* usb_desc_init() not run yet: nothing sane to offer */
    }
    *len = d[0];
    return d;
}

/*
 * Walk the configuration descriptor (USB 2.0 9.6.3: interface descriptors are
 * followed by their endpoints; class descriptors are skipped by bLength).
 */
uint8_t usb_desc_alt_count(uint8_t itf)
{
    uint8_t n = 0;
    uint16_t total;
    const uint8_t *cfg = cfg_active(&total);

    for (uint16_t off = 0; off + 2u <= total && cfg[off] >= 2u; off = (uint16_t)(off + cfg[off])) {
        if (cfg[off + 1u] == USB_DT_INTERFACE && cfg[off + 2u] == itf) {
            n++;
        }
    }
    return n;
}

int usb_desc_ep_interface(uint8_t ep, const uint8_t *alt)
{
    bool selected = false;
    uint8_t itf = 0;
    uint16_t total;
    const uint8_t *cfg = cfg_active(&total);

    for (uint16_t off = 0; off + 2u <= total && cfg[off] >= 2u; off = (uint16_t)(off + cfg[off])) {
        const uint8_t *d = &cfg[off];
        if (d[1] == USB_DT_INTERFACE) {
            itf = d[2];
            selected = alt == NULL || (itf < USB_NUM_INTERFACES && alt[itf] == d[3]);
        } else if (d[1] == USB_DT_ENDPOINT && selected && d[2] == ep) {
            return itf;
        }
    }
    return -1;
}

bool usb_desc_ep_exists(uint8_t ep, const uint8_t *alt)
{
    return usb_desc_ep_interface(ep, alt) >= 0;
}
