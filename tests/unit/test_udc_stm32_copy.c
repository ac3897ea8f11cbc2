/* test_udc_stm32_copy.c - the chip driver's packet-memory copy loops
 * (udc_stm32_pma_read / _write in port/stm32f072/udc_stm32.c: a half-word
 * path for 2-aligned RAM buffers, a byte path otherwise) moved every byte,
 * in order, and nothing more: bulk OUT and IN transfers of every length
 * 0..130 (1..3 packets, odd and even) into and out of buffers at offsets
 * 0..3, checked byte for byte against what the model's host sent or got,
 * with guard bytes around the RAM buffer. The model (sim/chip/usbfs.c via
 * usbfs_hooks.c) refuses any packet-memory access the peripheral does not
 * take (RM0091 30.6). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "usbfs_hooks.h"
#include "usb/udc.h"

void USB_IRQHandler(void);

static unsigned done_n;
static udc_event_t done_ev;

void udc_event_cb(const udc_event_t *e)
{
    if (e->type == UDC_EVT_XFER_DONE) {
        done_n++;
        done_ev = *e;
    }
}

static void pump(void)
{
    for (unsigned i = 0; i < 4u && usbfs_hooks_irq_pending(); i++) {
        USB_IRQHandler();
    }
    assert_false(usbfs_hooks_irq_pending());
}

static int setup_fn(void **state)
{
    (void)state;
    usbfs_hooks_reset();
    udc_init();
    udc_connect();
    usbfs_hooks_bus_reset();
    pump();
    assert_true(udc_ep_open(0x01, UDC_EP_BULK, 64));
    assert_true(udc_ep_open(0x81, UDC_EP_BULK, 64));
    return 0;
}

static uint8_t pattern(unsigned i, unsigned len, unsigned off)
{
    return (uint8_t)(i * 7u + len * 13u + off * 31u + 1u);
}

static void test_out_every_length_and_offset(void **state)
{
    (void)state;
    _Alignas(4) uint8_t ram[4 + 130 + 4];
    uint8_t host[130];
    for (unsigned off = 0; off < 4u; off++) {
        for (unsigned len = 0; len <= 130u; len++) {
            for (unsigned i = 0; i < len; i++) {
                host[i] = pattern(i, len, off);
            }
            memset(ram, 0xA5, sizeof ram);
            unsigned before = done_n;
            /* room for len + 1 so every transfer ends on its short packet
             * (a 64 or 128 byte one ends on the ZLP the host sends) */
            assert_true(udc_ep_xfer(0x01, ram + off, (uint16_t)(len + 1u)));
            unsigned sent = 0, pid = 0;
            do {
                unsigned n = len - sent < 64u ? len - sent : 64u;
                assert_int_equal(usbfs_hooks_out(1, host + sent, (uint16_t)n, &pid), USBFS_ACK);
                pump();
                sent += n;
                if (n < 64u) {
                    break;
                }
            } while (1);
            assert_int_equal(done_n, before + 1u);
            assert_int_equal(done_ev.len, len);
            assert_memory_equal(ram + off, host, len);
            for (unsigned i = 0; i < off; i++) {
                assert_int_equal(ram[i], 0xA5);
            }
            for (unsigned i = off + len; i < sizeof ram; i++) {
                if (ram[i] != 0xA5) {
                    fail_msg("offset %u length %u: byte %u past the data written", off, len, i);
                }
            }
        }
    }
}

static void test_in_every_length_and_offset(void **state)
{
    (void)state;
    _Alignas(4) uint8_t ram[4 + 130];
    uint8_t got[130 + 64];
    for (unsigned off = 0; off < 4u; off++) {
        for (unsigned len = 0; len <= 130u; len++) {
            for (unsigned i = 0; i < len; i++) {
                ram[off + i] = pattern(i, len, off);
            }
            unsigned before = done_n;
            assert_true(udc_ep_xfer(0x81, ram + off, (uint16_t)len));
            unsigned have = 0, pid = 0;
            uint16_t n = 0;
            do {
                memset(got + have, 0x5A, 64);
                assert_int_equal(usbfs_hooks_in(1, got + have, 64, &n, &pid), USBFS_ACK);
                pump();
                have += n;
            } while (n == 64u && have < len);
            assert_int_equal(have, len);
            assert_int_equal(done_n, before + 1u);
            assert_int_equal(done_ev.len, len);
            assert_memory_equal(got, ram + off, len);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_out_every_length_and_offset, setup_fn),
        cmocka_unit_test_setup(test_in_every_length_and_offset, setup_fn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
