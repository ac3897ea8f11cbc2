/* test_pcap_usb.c - the usbmon records of --pcap-usb (sim/pcap_usb.c): the
 * 64-byte header as Linux's binary usbmon interface lays it out
 * (Documentation/usb/usbmon.rst, struct usbmon_packet), transfer types
 * learned from a configuration descriptor, and a file libpcap reads back
 * as LINKTYPE_USB_LINUX_MMAPPED. The e2e kernel test has tshark decode a
 * real capture. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <pcap/pcap.h>

#include "pcap_usb.h"

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static const uint8_t get_dev[8] = {0x80, 0x06, 0x00, 0x01, 0x00, 0x00, 0x12, 0x00};
static const uint8_t get_cfg[8] = {0x80, 0x06, 0x00, 0x02, 0x00, 0x00, 0x40, 0x00};
static const struct timeval ts = {.tv_sec = 1700000000, .tv_usec = 123456};

static int setup(void **state)
{
    (void)state;
    pcap_usb_reset();
    return 0;
}

static void test_control_in_submission_and_completion(void **state)
{
    (void)state;
    uint8_t out[PCAP_USB_HDR_LEN + 64];
    uint8_t desc[18] = {18, 1, 0x00, 0x02, 2, 0, 0, 64, 0x09, 0x12, 0x01, 0x00};
    usbip_urb_event_t e = {.submit = true, .seqnum = 7, .ep = 0, .in = true, .devnum = 2,
                           .flags = 0x200, .setup = get_dev, .length = 18};
    assert_int_equal(pcap_usb_record(&e, &ts, out, sizeof out), PCAP_USB_HDR_LEN);
    assert_true(rd64(out) == 7u);
    assert_int_equal(out[8], 'S');
    assert_int_equal(out[9], 2);        /* control */
    assert_int_equal(out[10], 0x80);    /* ep 0 IN */
    assert_int_equal(out[11], 2);
    assert_int_equal(out[12] | out[13] << 8, 1);   /* bus 1 (little-endian host) */
    assert_int_equal(out[14], 0);       /* setup present */
    assert_int_equal(out[15], '<');     /* IN submission: no data by rule */
    assert_true(rd64(out + 16) == 1700000000u);
    assert_int_equal(rd32(out + 24), 123456);
    assert_int_equal((int32_t)rd32(out + 28), -115);   /* -EINPROGRESS */
    assert_int_equal(rd32(out + 32), 18);
    assert_int_equal(rd32(out + 36), 0);
    assert_memory_equal(out + 40, get_dev, 8);
    assert_int_equal(rd32(out + 56), 0x200);

    e.submit = false;
    e.data = desc;
    e.data_len = 18;
    assert_int_equal(pcap_usb_record(&e, &ts, out, sizeof out), PCAP_USB_HDR_LEN + 18u);
    assert_int_equal(out[8], 'C');
    assert_int_equal(out[14], '-');     /* completions carry no setup */
    assert_int_equal(out[15], 0);
    assert_int_equal((int32_t)rd32(out + 28), 0);
    assert_int_equal(rd32(out + 36), 18);
    assert_memory_equal(out + PCAP_USB_HDR_LEN, desc, 18);
}

static void test_types_learned_from_configuration(void **state)
{
    (void)state;
    uint8_t out[PCAP_USB_HDR_LEN + 64];
    /* config (9) + interface (9) + endpoints 0x81 interrupt, 0x82 bulk, 0x02 bulk */
    uint8_t cfg[9 + 9 + 7 + 7 + 7] = {
        9, 2, 39, 0, 1, 1, 0, 0x80, 50,
        9, 4, 0, 0, 3, 2, 6, 0, 0,
        7, 5, 0x81, 0x03, 16, 0, 16,
        7, 5, 0x82, 0x02, 64, 0, 0,
        7, 5, 0x02, 0x02, 64, 0, 0,
    };
    usbip_urb_event_t e = {.submit = true, .seqnum = 1, .ep = 1, .in = true, .devnum = 2, .length = 16};
    pcap_usb_record(&e, &ts, out, sizeof out);
    assert_int_equal(out[9], 3);        /* not described yet: bulk */

    usbip_urb_event_t c = {.submit = false, .seqnum = 2, .ep = 0, .in = true, .devnum = 2,
                           .setup = get_cfg, .length = sizeof cfg, .data = cfg, .data_len = sizeof cfg};
    pcap_usb_record(&c, &ts, out, sizeof out);

    pcap_usb_record(&e, &ts, out, sizeof out);
    assert_int_equal(out[9], 1);        /* 0x81: interrupt */
    assert_int_equal(out[10], 0x81);
    e.ep = 2;
    pcap_usb_record(&e, &ts, out, sizeof out);
    assert_int_equal(out[9], 3);        /* 0x82: bulk */
    /* an OUT completion carries no data ('>') */
    usbip_urb_event_t o = {.submit = false, .seqnum = 3, .ep = 2, .in = false, .devnum = 2, .length = 60};
    assert_int_equal(pcap_usb_record(&o, &ts, out, sizeof out), PCAP_USB_HDR_LEN);
    assert_int_equal(out[9], 3);
    assert_int_equal(out[10], 0x02);
    assert_int_equal(out[15], '>');
    assert_int_equal(rd32(out + 32), 60);
}

static void test_bad_descriptor_lengths_do_not_overrun(void **state)
{
    (void)state;
    uint8_t out[PCAP_USB_HDR_LEN + 64];
    /* bLength 0, then one that runs past the end: the walk stops */
    uint8_t cfg[12] = {9, 2, 12, 0, 1, 1, 0, 0x80, 50, 0, 5, 0x81};
    usbip_urb_event_t c = {.submit = false, .seqnum = 2, .ep = 0, .in = true, .devnum = 2,
                           .setup = get_cfg, .length = sizeof cfg, .data = cfg, .data_len = sizeof cfg};
    assert_int_equal(pcap_usb_record(&c, &ts, out, sizeof out), PCAP_USB_HDR_LEN + sizeof cfg);
    uint8_t cfg2[10] = {9, 2, 10, 0, 1, 1, 0, 0x80, 50, 40};
    c.data = cfg2;
    c.data_len = sizeof cfg2;
    assert_int_equal(pcap_usb_record(&c, &ts, out, sizeof out), PCAP_USB_HDR_LEN + sizeof cfg2);
    /* room too small: nothing */
    assert_int_equal(pcap_usb_record(&c, &ts, out, PCAP_USB_HDR_LEN + 9u), 0);
}

static void test_file_reads_back_as_linktype_220(void **state)
{
    (void)state;
    char path[] = "/tmp/test_pcap_usb.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(sim_pcap_usb_open(path), 0);
    usbip_urb_event_t e = {.submit = true, .seqnum = 9, .ep = 0, .in = true, .devnum = 2,
                           .setup = get_dev, .length = 18};
    sim_pcap_usb_urb(&e);
    sim_pcap_usb_close();
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(path, err);
    assert_non_null(p);
    assert_int_equal(pcap_datalink(p), 220);
    struct pcap_pkthdr *h;
    const u_char *d;
    assert_int_equal(pcap_next_ex(p, &h, &d), 1);
    assert_int_equal(h->caplen, PCAP_USB_HDR_LEN);
    assert_int_equal(d[8], 'S');
    assert_int_equal(pcap_next_ex(p, &h, &d), -2);   /* exactly one record */
    pcap_close(p);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_control_in_submission_and_completion, setup),
        cmocka_unit_test_setup(test_types_learned_from_configuration, setup),
        cmocka_unit_test_setup(test_bad_descriptor_lengths_do_not_overrun, setup),
        cmocka_unit_test_setup(test_file_reads_back_as_linktype_220, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
