/* test_udc_conf_fake.c - the udc.h conformance suite (udc_conformance.c) on
 * the unit tests' fake controller (fake_udc.c), so the fake the core's tests
 * run on keeps the same promises as the real drivers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fake_udc.h"
#include "udc_conformance.h"
#include "usb/usbd.h"

/* fake_udc.c runs the core after each host event unless told to defer; the
 * suite is the core here, so it must never be called */
void usbd_task(void)
{
    fail_msg("usbd_task called with fake_udc_defer_task set");
}

static void power_on(void)
{
    fake_udc_reset();
    fake_udc_defer_task = true;
    udc_init();
    udc_connect();
    fake_udc_bus_reset();
}

static void nothing(void) {}

static udc_conf_hs_t hs(int r)
{
    switch (r) {
    case FAKE_UDC_NAK: return UDC_CONF_NAK;
    case FAKE_UDC_STALL: return UDC_CONF_STALL;
    case FAKE_UDC_ERROR: return UDC_CONF_NONE;   /* endpoint not open */
    default: return UDC_CONF_ACK;
    }
}

static udc_conf_hs_t setup(const uint8_t s[8])
{
    fake_udc_setup_raw(s);
    return UDC_CONF_ACK;
}

static udc_conf_hs_t out(uint8_t n, const uint8_t *d, uint16_t len)
{
    return hs(fake_udc_out(n, d, len));
}

static udc_conf_hs_t in(uint8_t n, uint8_t *buf, uint16_t room, uint16_t *len)
{
    int r = fake_udc_in(n, buf, room);
    *len = r >= 0 ? (uint16_t)r : 0u;
    return hs(r);
}

static int no_pid(uint8_t n, bool is_in)
{
    (void)n;
    (void)is_in;
    return -1;   /* the fake has no data toggles */
}

int main(void)
{
    static const udc_conf_port_t port = {
        .name = "udc_conformance/fake_udc", .power_on = power_on, .bus_reset = fake_udc_bus_reset,
        .pump = nothing, .setup = setup, .out = out, .in = in, .last_pid = no_pid,
    };
    return udc_conformance_run(&port);
}
