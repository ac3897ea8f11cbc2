/*
 * usb_desc.c - descriptors of the stm32net CDC-ECM device.
 *
 * Layer: portable (firmware/usb); includes usb_std.h, usb_ids.h, ident.h,
 * stm32net_opt.h and <stddef.h> only.
 * Choices: bDeviceClass 0x02 (CDC at device level, no IAD): a CDC 1.2 device
 * with one function is bound by Linux cdc_ether (it matches the interface
 * 02/06/00) and by macOS's CDC-ECM driver alike. Full speed only, so no
 * device qualifier (USB 2.0 9.6.2). Bus powered, 100 mA, no remote wakeup
 * capability advertised (the controller boundary cannot signal resume).
 * Limits: manufacturer/product strings are compile-time ASCII (<= 126 chars,
 * checked at compile time); string descriptors ignore the LANGID in wIndex
 * because only one language (0x0409) is offered.
 */
#include <stddef.h>

#include "usb_desc.h"
#include "usb_std.h"
#include "ident.h"
#include "stm32net_opt.h"

#define LE16(v) (uint8_t)((v) & 0xFFu), (uint8_t)(((v) >> 8) & 0xFFu)

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
};

/* USB 2.0, 9.6.7: string 0 lists the supported LANGIDs */
static const uint8_t str0_desc[4] = {4, USB_DT_STRING, LE16(USB_LANGID_EN_US)};

#define STR_DESC_SIZE(nchars) (2u + 2u * (nchars))
_Static_assert(sizeof(USBD_MANUFACTURER) - 1u <= 126u, "manufacturer string too long");
_Static_assert(sizeof(USBD_PRODUCT) - 1u <= 126u, "product string too long");

static uint8_t str_manuf[STR_DESC_SIZE(sizeof(USBD_MANUFACTURER) - 1u)];
static uint8_t str_product[STR_DESC_SIZE(sizeof(USBD_PRODUCT) - 1u)];
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

    build_string(str_manuf, USBD_MANUFACTURER, (uint8_t)(sizeof(USBD_MANUFACTURER) - 1u));
    build_string(str_product, USBD_PRODUCT, (uint8_t)(sizeof(USBD_PRODUCT) - 1u));
    ident_serial(buf);
    build_string(str_serial, buf, (uint8_t)IDENT_SERIAL_LEN);
    /* CDC ECM 1.2 5.4: iMACAddress is 12 hex digits, the host's MAC, not ours */
    ident_host_mac_string(buf);
    build_string(str_mac, buf, 12u);
}

const uint8_t *usb_desc_device(uint16_t *len)
{
    *len = (uint16_t)sizeof dev_desc;
    return dev_desc;
}

const uint8_t *usb_desc_config(uint16_t *len)
{
    *len = (uint16_t)sizeof cfg_desc;
    return cfg_desc;
}

const uint8_t *usb_desc_string(uint8_t index, uint16_t *len)
{
    const uint8_t *d;

    switch (index) {
    case USB_STR_LANGID: d = str0_desc; break;
    case USB_STR_MANUFACTURER: d = str_manuf; break;
    case USB_STR_PRODUCT: d = str_product; break;
    case USB_STR_SERIAL: d = str_serial; break;
    case USB_STR_MAC: d = str_mac; break;
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

    for (uint16_t off = 0; off + 2u <= sizeof cfg_desc && cfg_desc[off] >= 2u;
         off = (uint16_t)(off + cfg_desc[off])) {
        if (cfg_desc[off + 1u] == USB_DT_INTERFACE && cfg_desc[off + 2u] == itf) {
            n++;
        }
    }
    return n;
}

int usb_desc_ep_interface(uint8_t ep, const uint8_t *alt)
{
    bool selected = false;
    uint8_t itf = 0;

    for (uint16_t off = 0; off + 2u <= sizeof cfg_desc && cfg_desc[off] >= 2u;
         off = (uint16_t)(off + cfg_desc[off])) {
        const uint8_t *d = &cfg_desc[off];
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
