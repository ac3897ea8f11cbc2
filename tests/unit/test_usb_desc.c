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
    assert_int_equal(c[4], 2);           /* bNumInterfaces */
    assert_int_equal(c[5], 1);           /* bConfigurationValue */
    assert_int_equal(c[7] & 0x80, 0x80); /* reserved bit set */
    assert_true(c[8] > 0 && c[8] <= 250);

    int itf_descs = 0, eps_in_itf = 0, want_eps = 0, cur_itf = -1, cur_alt = -1;
    int fd_seen[3] = {-1, -1, -1};  /* header, union, ethernet: position */
    int pos = 0, total_eps = 0;
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
            } else {
                assert_int_equal(cur_itf, 1);
                assert_int_equal(d[5], 0x0A);
                assert_int_equal(want_eps, cur_alt == 0 ? 0 : 2);
            }
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
    assert_int_equal(itf_descs, 3);
    assert_int_equal(total_eps, 3);
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
    assert_int_equal(usb_desc_alt_count(2), 0);
    const uint8_t alt0[2] = {0, 0}, alt1[2] = {0, 1};
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_device_descriptor, init),
        cmocka_unit_test_setup(test_config_descriptor_walk, init),
        cmocka_unit_test_setup(test_lookups_follow_descriptor, init),
        cmocka_unit_test_setup(test_strings, init),
        cmocka_unit_test_setup(test_mac_string, init),
    };
    return cmocka_run_group_tests_name("usb_desc", tests, NULL, NULL);
}
