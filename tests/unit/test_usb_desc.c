/* test_usb_desc.c - the descriptors (usb_desc.c) parsed the way a host does:
 * lengths, counts, functional descriptor order, strings, MAC string. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "fake_board.h"
#include "ident.h"
#include "stm32net_opt.h"
#include "usb/usb_desc.h"
#include "usb/usb_ids.h"
#include "usb/usb_std.h"

static int init(void **state)
{
    (void)state;
    fake_board_reset();
    usb_desc_select(USB_DESC_ECM);
    usb_desc_init();
    return 0;
}

static int init_ncm(void **state)
{
    (void)state;
    fake_board_reset();
    usb_desc_select(USB_DESC_NCM);
    usb_desc_init();
    return 0;
}

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t le32(const uint8_t *p) { return le16(p) | ((uint32_t)le16(p + 2) << 16); }

static void test_device_descriptor(void **state)
{
    (void)state;
    uint16_t len = 0;
    const uint8_t *d = usb_desc_device(&len);
    assert_int_equal(len, 18);
    assert_int_equal(d[0], 18);
    assert_int_equal(d[1], USB_DT_DEVICE);
    assert_int_equal(le16(d + 2), 0x0200);
    assert_int_equal(d[4], 0x02);  /* CDC at device level */
    assert_int_equal(d[5], 0);
    assert_int_equal(d[6], 0);
    assert_int_equal(d[7], 64);
    assert_int_equal(le16(d + 8), 0x1209);
    assert_int_equal(le16(d + 10), 0x0001);
    assert_int_equal(le16(d + 12), USBD_BCD_DEVICE);
    assert_int_equal(d[14], USB_STR_MANUFACTURER);
    assert_int_equal(d[15], USB_STR_PRODUCT);
    assert_int_equal(d[16], USB_STR_SERIAL);
    assert_int_equal(d[17], 1);
}

/* DFU 1.1 4.1.3 runtime functional descriptor, as dfu-util reads it */
static void check_dfu_functional(const uint8_t *d)
{
    assert_int_equal(d[0], 9);
    assert_int_equal(d[1], 0x21);
    assert_true(d[2] & 0x08);                 /* WillDetach: we leave the bus ourselves */
    assert_true(le16(d + 3) > 0);             /* wDetachTimeOut */
    assert_true(le16(d + 5) >= 64);           /* wTransferSize */
    assert_int_equal(le16(d + 7), 0x0110);    /* bcdDFUVersion */
}

/* interface 2: DFU runtime FE/01/01, no endpoints, named by a string */
static void check_dfu_interface(const uint8_t *d)
{
    assert_int_equal(d[0], 9);
    assert_int_equal(d[2], USB_ITF_DFU);
    assert_int_equal(d[3], 0);
    assert_int_equal(d[4], 0);
    assert_int_equal(d[5], 0xFE);
    assert_int_equal(d[6], 0x01);
    assert_int_equal(d[7], 0x01);
    assert_int_equal(d[8], USB_STR_DFU);
    uint16_t sl = 0;
    const uint8_t *str = usb_desc_string(USB_STR_DFU, &sl);
    assert_non_null(str);
    assert_true(sl > 2);
    assert_int_equal(str[2], 's');
}

/* Walk the configuration as Linux' usb_parse_configuration() does */
static void test_config_descriptor_walk(void **state)
{
    (void)state;
    uint16_t len = 0;
    const uint8_t *c = usb_desc_config(&len);
    assert_int_equal(len, USB_DESC_CONFIG_TOTAL);
    assert_int_equal(c[0], 9);
    assert_int_equal(c[1], USB_DT_CONFIGURATION);
    assert_int_equal(le16(c + 2), len);
    assert_int_equal(c[4], 3);           /* bNumInterfaces: ECM's two + DFU */
    assert_int_equal(c[5], 1);           /* bConfigurationValue */
    assert_int_equal(c[7] & 0x80, 0x80); /* reserved bit set */
    assert_true(c[8] > 0 && c[8] <= 250);

    int itf_descs = 0, eps_in_itf = 0, want_eps = 0, cur_itf = -1, cur_alt = -1;
    int fd_seen[3] = {-1, -1, -1};  /* header, union, ethernet: position */
    int pos = 0, total_eps = 0, dfu_fd = 0;
    uint8_t alt1_eps[2] = {0};
    uint16_t off = 9;
    while (off < len) {
        const uint8_t *d = c + off;
        assert_true(d[0] >= 2);
        assert_true(off + d[0] <= len);
        switch (d[1]) {
        case USB_DT_INTERFACE:
            assert_int_equal(d[0], 9);
            assert_int_equal(eps_in_itf, want_eps);  /* previous interface complete */
            itf_descs++;
            cur_itf = d[2];
            cur_alt = d[3];
            want_eps = d[4];
            eps_in_itf = 0;
            if (cur_itf == 0) {
                assert_int_equal(d[5], 0x02);
                assert_int_equal(d[6], 0x06);
                assert_int_equal(d[7], 0x00);
                assert_int_equal(cur_alt, 0);
                assert_int_equal(want_eps, 1);
            } else if (cur_itf == 1) {
                assert_int_equal(d[5], 0x0A);
                assert_int_equal(want_eps, cur_alt == 0 ? 0 : 2);
            } else {
                check_dfu_interface(d);
            }
            break;
        case 0x21:  /* DFU functional, right after the DFU interface */
            assert_int_equal(cur_itf, USB_ITF_DFU);
            check_dfu_functional(d);
            dfu_fd++;
            break;
        case USB_DT_CS_INTERFACE:
            assert_int_equal(cur_itf, 0);
            assert_int_equal(eps_in_itf, 0);  /* functional descriptors before the endpoint */
            if (d[2] == USB_CDC_FD_HEADER) {
                assert_int_equal(d[0], 5);
                assert_int_equal(le16(d + 3), 0x0120);
                fd_seen[0] = pos;
            } else if (d[2] == USB_CDC_FD_UNION) {
                assert_int_equal(d[0], 5);
                assert_int_equal(d[3], 0);
                assert_int_equal(d[4], 1);
                fd_seen[1] = pos;
            } else if (d[2] == USB_CDC_FD_ETHERNET) {
                assert_int_equal(d[0], 13);
                assert_int_equal(d[3], USB_STR_MAC);
                assert_int_equal(le32(d + 4), 0);      /* bmEthernetStatistics */
                assert_int_equal(le16(d + 8), 1514);   /* wMaxSegmentSize */
                assert_int_equal(le16(d + 10), 0);     /* wNumberMCFilters */
                assert_int_equal(d[12], 0);            /* bNumberPowerFilters */
                fd_seen[2] = pos;
            } else {
                fail_msg("unexpected functional descriptor 0x%02x", d[2]);
            }
            break;
        case USB_DT_ENDPOINT:
            assert_int_equal(d[0], 7);
            eps_in_itf++;
            total_eps++;
            if (cur_itf == 0) {
                assert_int_equal(d[2], 0x81);
                assert_int_equal(d[3], USB_EP_ATT_INTERRUPT);
                assert_int_equal(le16(d + 4), 16);
                assert_true(d[6] >= 1);
            } else {
                assert_int_equal(cur_alt, 1);
                assert_int_equal(d[3], USB_EP_ATT_BULK);
                assert_int_equal(le16(d + 4), 64);
                alt1_eps[eps_in_itf - 1] = d[2];
            }
            break;
        default:
            fail_msg("unexpected descriptor type 0x%02x", d[1]);
        }
        pos++;
        off = (uint16_t)(off + d[0]);
    }
    assert_int_equal(off, len);
    assert_int_equal(eps_in_itf, want_eps);
    assert_int_equal(itf_descs, 4);
    assert_int_equal(total_eps, 3);
    assert_int_equal(dfu_fd, 1);
    /* Header first, then Union, then Ethernet (CDC 1.2 5.2.3) */
    assert_true(fd_seen[0] >= 0 && fd_seen[0] < fd_seen[1] && fd_seen[1] < fd_seen[2]);
    assert_int_equal(fd_seen[0], 1);  /* right after interface 0 */
    assert_int_equal(alt1_eps[0], 0x02);
    assert_int_equal(alt1_eps[1], 0x82);
}

static void test_lookups_follow_descriptor(void **state)
{
    (void)state;
    assert_int_equal(usb_desc_alt_count(USB_ITF_COMM), 1);
    assert_int_equal(usb_desc_alt_count(USB_ITF_DATA), 2);
    assert_int_equal(usb_desc_alt_count(USB_ITF_DFU), 1);
    assert_int_equal(usb_desc_alt_count(3), 0);
    const uint8_t alt0[3] = {0, 0, 0}, alt1[3] = {0, 1, 0};
    assert_true(usb_desc_ep_exists(0x81, alt0));
    assert_false(usb_desc_ep_exists(0x02, alt0));
    assert_false(usb_desc_ep_exists(0x82, alt0));
    assert_true(usb_desc_ep_exists(0x02, alt1));
    assert_true(usb_desc_ep_exists(0x82, alt1));
    assert_false(usb_desc_ep_exists(0x01, alt1));
    assert_false(usb_desc_ep_exists(0x83, alt1));
    assert_true(usb_desc_ep_exists(0x82, NULL));
    assert_false(usb_desc_ep_exists(0x03, NULL));
    /* which interface an endpoint belongs to (SET_INTERFACE resets those) */
    assert_int_equal(usb_desc_ep_interface(0x81, alt0), USB_ITF_COMM);
    assert_int_equal(usb_desc_ep_interface(0x81, alt1), USB_ITF_COMM);
    assert_int_equal(usb_desc_ep_interface(0x02, alt1), USB_ITF_DATA);
    assert_int_equal(usb_desc_ep_interface(0x82, alt1), USB_ITF_DATA);
    assert_int_equal(usb_desc_ep_interface(0x02, alt0), -1);
    assert_int_equal(usb_desc_ep_interface(0x82, NULL), USB_ITF_DATA);
    assert_int_equal(usb_desc_ep_interface(0x01, NULL), -1);
}

static void test_strings(void **state)
{
    (void)state;
    uint16_t len = 0;
    const uint8_t *s = usb_desc_string(0, &len);
    assert_non_null(s);
    assert_int_equal(len, 4);
    assert_int_equal(s[0], 4);
    assert_int_equal(s[1], USB_DT_STRING);
    assert_int_equal(le16(s + 2), 0x0409);
    for (uint8_t i = 1; i < USB_STR_COUNT; i++) {
        s = usb_desc_string(i, &len);
        assert_non_null(s);
        assert_int_equal(s[0], len);
        assert_int_equal(s[1], USB_DT_STRING);
        assert_int_equal(len % 2, 0);
        for (uint16_t k = 2; k < len; k += 2) {
            assert_true(s[k] >= 0x20 && s[k] < 0x7F);  /* printable ASCII in UTF-16LE */
            assert_int_equal(s[k + 1], 0);
        }
    }
    assert_null(usb_desc_string(USB_STR_COUNT, &len));
    assert_null(usb_desc_string(0xFF, &len));

    s = usb_desc_string(USB_STR_SERIAL, &len);
    char serial[IDENT_SERIAL_LEN + 1];
    ident_serial(serial);
    assert_int_equal(len, 2 + 2 * IDENT_SERIAL_LEN);
    for (unsigned k = 0; k < IDENT_SERIAL_LEN; k++) {
        assert_int_equal(s[2 + 2 * k], serial[k]);
    }
    s = usb_desc_string(USB_STR_PRODUCT, &len);
    assert_int_equal(len, 2 + 2 * strlen(USBD_PRODUCT));
    assert_int_equal(s[2], USBD_PRODUCT[0]);
}

static void test_mac_string(void **state)
{
    (void)state;
    uint16_t len = 0;
    const uint8_t *s = usb_desc_string(USB_STR_MAC, &len);
    assert_non_null(s);
    assert_int_equal(len, 26);
    /* CDC ECM 1.2 5.4: 12 hex digits, most significant first; parse it */
    uint8_t mac[6] = {0};
    for (unsigned k = 0; k < 12; k++) {
        uint8_t ch = s[2 + 2 * k];
        assert_int_equal(s[3 + 2 * k], 0);
        unsigned v;
        if (ch >= '0' && ch <= '9') {
            v = ch - '0';
        } else if (ch >= 'A' && ch <= 'F') {
            v = ch - 'A' + 10;
        } else {
            fail_msg("not an uppercase hex digit: 0x%02x", ch);
            return;
        }
        mac[k / 2] = (uint8_t)((mac[k / 2] << 4) | v);
    }
    uint8_t host[6], dev[6];
    ident_host_mac(host);
    ident_device_mac(dev);
    assert_memory_equal(mac, host, 6);
    assert_memory_not_equal(mac, dev, 6);
    assert_int_equal(mac[0] & 0x01, 0);  /* unicast */
    /* a different board gets a different string after init */
    fake_board_uid[0] ^= 0x55;
    usb_desc_init();
    const uint8_t *s2 = usb_desc_string(USB_STR_MAC, &len);
    uint8_t copy[26];
    memcpy(copy, s2, sizeof copy);
    fake_board_uid[0] ^= 0x55;
    usb_desc_init();
    assert_memory_not_equal(copy, usb_desc_string(USB_STR_MAC, &len), 26);
}

/* ---------------------------------------------------------------- NCM */

static void test_ncm_device_descriptor(void **state)
{
    (void)state;
    uint16_t len = 0;
    const uint8_t *d = usb_desc_device(&len);
    assert_int_equal(usb_desc_selected(), USB_DESC_NCM);
    assert_int_equal(len, 18);
    assert_int_equal(le16(d + 2), 0x0201);  /* a BOS exists (USB 3.2 9.6.2) */
    /* IAD device class EF/02/01: class 00 with an IAD is Code 10 on Windows 11 24H2 */
    assert_int_equal(d[4], 0xEF);
    assert_int_equal(d[5], 0x02);
    assert_int_equal(d[6], 0x01);
    assert_int_equal(d[7], 64);
    assert_int_equal(le16(d + 8), 0x1209);
    assert_int_equal(le16(d + 10), 0x0001);
}

typedef struct {
    int iad, itf_comm, itf_data_alt0, itf_data_alt1;  /* offsets, -1 = not seen */
    int comm_eps, data0_eps, data1_eps;
    int header, uni, ether, ncmfd;                    /* offsets of the FDs */
    int ether_len, ncm_len, ncm_eps_mps;
    int bulk_in, bulk_out;
    int fd_before_header;
    int itf_dfu, dfu_fd;
} ncm_walk_t;

/* One pass over the configuration as usbcore + cdc_ncm + UsbNcm see it */
static ncm_walk_t walk_ncm(const uint8_t *c, uint16_t len)
{
    ncm_walk_t w;
    memset(&w, 0xFF, sizeof w);
    w.comm_eps = w.data0_eps = w.data1_eps = 0;
    w.fd_before_header = 0;
    int *eps = NULL;
    for (uint16_t off = 0; off < len;) {
        const uint8_t *d = c + off;
        assert_true(d[0] >= 2);               /* usbcore: a bLength < 2 ends parsing */
        assert_true(off + d[0] <= len);       /* never beyond wTotalLength */
        if (d[1] == USB_DT_IAD) {
            w.iad = off;
        } else if (d[1] == USB_DT_INTERFACE) {
            if (d[2] == USB_ITF_COMM) {
                w.itf_comm = off;
                eps = &w.comm_eps;
            } else if (d[2] == USB_ITF_DATA && d[3] == 0) {
                w.itf_data_alt0 = off;
                eps = &w.data0_eps;
            } else if (d[2] == USB_ITF_DATA && d[3] == 1) {
                w.itf_data_alt1 = off;
                eps = &w.data1_eps;
            } else if (d[2] == USB_ITF_DFU) {
                w.itf_dfu = off;
                check_dfu_interface(d);
                eps = NULL;  /* no endpoints may follow */
            } else {
                fail_msg("unexpected interface %u alt %u", d[2], d[3]);
            }
            assert_int_equal(d[0], 9);
        } else if (d[1] == 0x21) {
            assert_int_equal(w.itf_dfu + 9, off);  /* right after the DFU interface */
            check_dfu_functional(d);
            w.dfu_fd = off;
        } else if (d[1] == USB_DT_CS_INTERFACE) {
            assert_true(eps == &w.comm_eps);  /* functional descriptors belong to interface 0 */
            if (d[2] == USB_CDC_FD_HEADER) {
                w.header = off;
            } else if (w.header < 0) {
                w.fd_before_header = 1;
            }
            if (d[2] == USB_CDC_FD_UNION) {
                w.uni = off;
            } else if (d[2] == USB_CDC_FD_ETHERNET) {
                w.ether = off;
                w.ether_len = d[0];
            } else if (d[2] == USB_CDC_FD_NCM) {
                w.ncmfd = off;
                w.ncm_len = d[0];
            }
        } else if (d[1] == USB_DT_ENDPOINT) {
            assert_non_null(eps);
            assert_int_equal(d[0], 7);
            (*eps)++;
            if (eps == &w.comm_eps) {
                assert_int_equal(d[3], USB_EP_ATT_INTERRUPT);
                assert_true(d[2] & 0x80);
                w.ncm_eps_mps = le16(d + 4);
            } else if (eps == &w.data1_eps) {
                assert_int_equal(d[3], USB_EP_ATT_BULK);
                assert_int_equal(le16(d + 4), 64);
                if (d[2] & 0x80) {
                    w.bulk_in = d[2];
                } else {
                    w.bulk_out = d[2];
                }
            }
        }
        off = (uint16_t)(off + d[0]);
    }
    return w;
}

/* Windows UsbNcm (device.cpp) and Linux cdc_ncm_bind_common() rules */
static void test_ncm_config_as_hosts_check_it(void **state)
{
    (void)state;
    uint16_t len = 0;
    const uint8_t *c = usb_desc_config(&len);
    assert_int_equal(len, USB_DESC_CONFIG_TOTAL_NCM);
    assert_int_equal(le16(c + 2), len);
    assert_int_equal(c[4], 3);
    ncm_walk_t w = walk_ncm(c, len);
    assert_true(w.itf_dfu > w.itf_data_alt1 && w.dfu_fd > w.itf_dfu);

    /* IAD right before interface 0, covering 0..1 (not the DFU interface), class 02/0D/00 */
    assert_true(w.iad >= 0 && w.iad + 8 == w.itf_comm);
    assert_int_equal(c[w.iad], 8);
    assert_int_equal(c[w.iad + 2], USB_ITF_COMM);
    assert_int_equal(c[w.iad + 3], 2);
    assert_int_equal(c[w.iad + 4], 0x02);
    assert_int_equal(c[w.iad + 5], 0x0D);
    assert_int_equal(c[w.iad + 6], 0x00);
    /* control interface 02/0D/00 with exactly one endpoint (UsbNcm) */
    assert_int_equal(c[w.itf_comm + 4], 1);
    assert_int_equal(w.comm_eps, 1);
    assert_int_equal(c[w.itf_comm + 5], 0x02);
    assert_int_equal(c[w.itf_comm + 6], 0x0D);
    assert_int_equal(c[w.itf_comm + 7], 0x00);
    /* notifications fit one transfer: 16-byte speed change, wMaxPacketSize 64 */
    assert_int_equal(w.ncm_eps_mps, 64);
    /* Header first, then Union 0 -> 1 (cdc_ncm needs the Union or an IAD) */
    assert_true(w.header >= 0 && w.header == w.itf_comm + 9);
    assert_int_equal(w.fd_before_header, 0);
    assert_true(w.uni > 0);
    assert_int_equal(c[w.uni], 5);
    assert_int_equal(c[w.uni + 3], USB_ITF_COMM);
    assert_int_equal(c[w.uni + 4], USB_ITF_DATA);
    /* Ethernet FD exactly 13 bytes, NCM FD exactly 6 (UsbNcm's size checks) */
    assert_int_equal(w.ether_len, 13);
    assert_int_equal(w.ncm_len, 6);
    assert_int_equal(le16(c + w.ether + 8), 1514);       /* wMaxSegmentSize -> MTU 1500 */
    assert_int_equal(c[w.ether + 3], USB_STR_MAC);        /* iMACAddress */
    assert_int_equal(le16(c + w.ncmfd + 3), 0x0100);      /* bcdNcmVersion */
    uint8_t caps = c[w.ncmfd + 5];
    assert_true(caps & 0x01);         /* D0 SetEthernetPacketFilter (macOS) */
    assert_false(caps & 0x08);        /* D3 off: Linux sends no Get/SetMaxDatagramSize */
    assert_false(caps & 0x10);        /* D4 off: no SET_CRC_MODE */
    assert_false(caps & 0x20);        /* D5 off: 4-byte NTB input size form */
    /* data interface 0A/00/01 with exactly two alt settings: 0 empty, 1 bulk pair */
    assert_true(w.itf_data_alt0 > 0 && w.itf_data_alt1 > w.itf_data_alt0);
    for (int alt = 0; alt < 2; alt++) {
        int o = alt == 0 ? w.itf_data_alt0 : w.itf_data_alt1;
        assert_int_equal(c[o + 5], 0x0A);
        assert_int_equal(c[o + 6], 0x00);
        assert_int_equal(c[o + 7], 0x01);
    }
    assert_int_equal(usb_desc_alt_count(USB_ITF_DATA), 2);
    assert_int_equal(usb_desc_alt_count(USB_ITF_COMM), 1);
    assert_int_equal(c[w.itf_data_alt0 + 4], 0);
    assert_int_equal(w.data0_eps, 0);
    assert_int_equal(c[w.itf_data_alt1 + 4], 2);
    assert_int_equal(w.data1_eps, 2);
    assert_int_equal(w.bulk_in, USB_EP_DATA_IN);
    assert_int_equal(w.bulk_out, USB_EP_DATA_OUT);
    /* the MAC string is there as in ECM mode */
    uint16_t sl = 0;
    assert_non_null(usb_desc_string(USB_STR_MAC, &sl));
    assert_int_equal(sl, 2 + 2 * 12);
    /* the product string names the class */
    const uint8_t *p = usb_desc_string(USB_STR_PRODUCT, &sl);
    assert_non_null(p);
    assert_int_equal(p[2 + 2 * 13], 'N');
}

/* BOS (USB 3.2 9.6.2) with the MS OS 2.0 platform capability (MS OS 2.0 table 4) */
static void test_ncm_bos(void **state)
{
    (void)state;
    uint16_t len = 0, setlen = 0;
    const uint8_t *b = usb_desc_bos(&len);
    assert_non_null(b);
    assert_non_null(usb_desc_msos20(&setlen));
    assert_int_equal(len, USB_DESC_BOS_TOTAL);
    assert_int_equal(b[0], 5);
    assert_int_equal(b[1], USB_DT_BOS);
    assert_int_equal(le16(b + 2), len);
    assert_int_equal(b[4], 1);  /* bNumDeviceCaps */
    const uint8_t *p = b + 5;
    assert_int_equal(p[0], 28);
    assert_int_equal(5 + p[0], len);
    assert_int_equal(p[1], USB_DT_DEVICE_CAPABILITY);
    assert_int_equal(p[2], 0x05);  /* PLATFORM */
    assert_int_equal(p[3], 0);
    const uint8_t uuid[16] = {0xDF, 0x60, 0xDD, 0xD8, 0x89, 0x45, 0xC7, 0x4C,
                              0x9C, 0xD2, 0x65, 0x9D, 0x9E, 0x64, 0x8A, 0x9F};
    assert_memory_equal(p + 4, uuid, 16);
    assert_int_equal(le32(p + 20), 0x06030000u);
    assert_int_equal(le16(p + 24), setlen);
    assert_int_equal(p[26], USB_MS_VENDOR_CODE);
    assert_int_equal(p[27], 0);
}

/* The MS OS 2.0 set walked as Windows does (spec 9.22): each header's
 * length is its own size, each subset length covers exactly its features */
static void test_ncm_msos20_set_walk(void **state)
{
    (void)state;
    uint16_t len = 0, clen = 0;
    const uint8_t *s = usb_desc_msos20(&len);
    const uint8_t *c = usb_desc_config(&clen);
    assert_non_null(s);
    assert_int_equal(len, USB_DESC_MSOS20_TOTAL);
    assert_int_equal(le16(s), 10);
    assert_int_equal(le16(s + 2), 0);          /* MS_OS_20_SET_HEADER_DESCRIPTOR */
    assert_int_equal(le32(s + 4), 0x06030000u);
    assert_int_equal(le16(s + 8), len);
    int compat = 0, func_first = -1, funcs = 0, ncm_first = -1;
    uint16_t off = 10, func_end = 0;
    while (off < len) {
        assert_true(off + 4u <= len);
        uint16_t l = le16(s + off), t = le16(s + off + 2);
        assert_true(l >= 4 && off + l <= len);
        if (t == 1) {  /* configuration subset: index 0, covers the rest */
            assert_int_equal(l, 8);
            assert_int_equal(s[off + 4], 0);
            assert_int_equal(off + le16(s + off + 6), len);
        } else if (t == 2) {  /* function subset: bFirstInterface, its features follow */
            assert_int_equal(l, 8);
            assert_true(off >= func_end);  /* the previous subset is complete */
            func_first = s[off + 4];
            func_end = (uint16_t)(off + le16(s + off + 6));
            assert_true(func_end <= len);
            funcs++;
        } else if (t == 3) {  /* compatible ID inside its function subset */
            assert_true(func_first >= 0);
            assert_true(off + l <= func_end);
            assert_int_equal(l, 20);
            const uint8_t zero[8] = {0};
            if (func_first == USB_ITF_DFU) {
                /* WinUSB for dfu-util/libusb on Windows */
                assert_memory_equal(s + off + 4, "WINUSB\0\0", 8);
            } else {
                assert_memory_equal(s + off + 4, "WINNCM\0\0", 8);
                ncm_first = func_first;
            }
            assert_memory_equal(s + off + 12, zero, 8);
            compat++;
        } else {
            fail_msg("unexpected MS OS 2.0 descriptor type %u", t);
        }
        off = (uint16_t)(off + l);
    }
    assert_int_equal(off, len);
    assert_int_equal(off, func_end);
    assert_int_equal(funcs, 2);
    assert_int_equal(compat, 2);
    /* WINNCM's function starts at the NCM control interface (02/0D); the
     * last one is the DFU interface (tinyusb #550: a wrong one breaks binding) */
    ncm_walk_t w = walk_ncm(c, clen);
    assert_int_equal(ncm_first, c[w.itf_comm + 2]);
    assert_int_equal(func_first, c[w.itf_dfu + 2]);
}

static void test_ecm_has_no_bos(void **state)
{
    (void)state;
    uint16_t len = 0;
    assert_null(usb_desc_bos(&len));
    assert_null(usb_desc_msos20(&len));
    const uint8_t *d = usb_desc_device(&len);
    assert_int_equal(le16(d + 2), 0x0200);
    usb_desc_select((usb_desc_class_t)7);  /* anything unknown falls back to ECM */
    assert_int_equal(usb_desc_selected(), USB_DESC_ECM);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_device_descriptor, init),
        cmocka_unit_test_setup(test_config_descriptor_walk, init),
        cmocka_unit_test_setup(test_lookups_follow_descriptor, init),
        cmocka_unit_test_setup(test_strings, init),
        cmocka_unit_test_setup(test_mac_string, init),
        cmocka_unit_test_setup(test_ncm_device_descriptor, init_ncm),
        cmocka_unit_test_setup(test_ncm_config_as_hosts_check_it, init_ncm),
        cmocka_unit_test_setup(test_ncm_bos, init_ncm),
        cmocka_unit_test_setup(test_ncm_msos20_set_walk, init_ncm),
        cmocka_unit_test_setup(test_ecm_has_no_bos, init),
    };
    return cmocka_run_group_tests_name("usb_desc", tests, NULL, NULL);
}
