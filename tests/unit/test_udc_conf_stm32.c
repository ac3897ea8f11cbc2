/* test_udc_conf_stm32.c - the udc.h conformance suite (udc_conformance.c) on
 * the chip driver (port/stm32f072/udc_stm32.c) driving the USB FS register
 * model (sim/chip/usbfs.c via usbfs_hooks.c): host tokens change the model's registers, pump()
 * takes the USB interrupt the way the CPU would. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "usbfs_hooks.h"
#include "udc_conformance.h"
#include "usb/udc.h"

void USB_IRQHandler(void);

static int pid_seen[2][8];   /* [IN?][endpoint number] */

static void pump(void)
{
    /* bounded: a handler that never clears its flag fails the test */
    for (unsigned i = 0; i < 4u && usbfs_hooks_irq_pending(); i++) {
        USB_IRQHandler();
    }
    assert_false(usbfs_hooks_irq_pending());
}

static void power_on(void)
{
    usbfs_hooks_reset();
    for (unsigned n = 0; n < 8u; n++) {
        pid_seen[0][n] = pid_seen[1][n] = -1;
    }
    udc_init();
    udc_connect();
    usbfs_hooks_bus_reset();
}

static udc_conf_hs_t hs(usbfs_result_t r)
{
    static const udc_conf_hs_t map[] = {
        [USBFS_ACK] = UDC_CONF_ACK, [USBFS_NAK] = UDC_CONF_NAK,
        [USBFS_STALL] = UDC_CONF_STALL, [USBFS_TIMEOUT] = UDC_CONF_NONE,
    };
    return map[r];
}

static udc_conf_hs_t setup(const uint8_t s[8])
{
    return hs(usbfs_hooks_setup(s));
}

static udc_conf_hs_t out(uint8_t n, const uint8_t *d, uint16_t len)
{
    unsigned pid = 0;
    usbfs_result_t r = usbfs_hooks_out(n, d, len, &pid);
    if (r == USBFS_ACK) {
        pid_seen[0][n & 7u] = (int)pid;
    }
    return hs(r);
}

static udc_conf_hs_t in(uint8_t n, uint8_t *buf, uint16_t room, uint16_t *len)
{
    unsigned pid = 0;
    usbfs_result_t r = usbfs_hooks_in(n, buf, room, len, &pid);
    if (r == USBFS_ACK) {
        pid_seen[1][n & 7u] = (int)pid;
    }
    return hs(r);
}

static int last_pid(uint8_t n, bool is_in)
{
    return pid_seen[is_in ? 1 : 0][n & 7u];
}

int main(void)
{
    static const udc_conf_port_t port = {
        .name = "udc_conformance/udc_stm32+usbfs", .power_on = power_on,
        .bus_reset = usbfs_hooks_bus_reset, .pump = pump, .setup = setup, .out = out, .in = in,
        .last_pid = last_pid,
    };
    return udc_conformance_run(&port);
}
