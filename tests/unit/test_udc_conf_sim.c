/* test_udc_conf_sim.c - the udc.h conformance suite (udc_conformance.c) on the
 * simulator's controller (hal_stub/udc_sim.c) through its packet API, the one
 * the USB/IP bridge uses. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "udc_conformance.h"
#include "udc_sim.h"

static void power_on(void)
{
    udc_init();
    udc_connect();
    udc_sim_bus_reset();
}

static void nothing(void) {}

static udc_conf_hs_t hs(int r)
{
    switch (r) {
    case UDC_SIM_ACK: return UDC_CONF_ACK;
    case UDC_SIM_NAK: return UDC_CONF_NAK;
    case UDC_SIM_STALL: return UDC_CONF_STALL;
    default: fail_msg("udc_sim: unexpected result %d", r); return UDC_CONF_NONE;
    }
}

static udc_conf_hs_t setup(const uint8_t s[8])
{
    return hs(udc_sim_setup(s));
}

static udc_conf_hs_t out(uint8_t n, const uint8_t *d, uint16_t len)
{
    return hs(udc_sim_out(n, d, len));
}

static udc_conf_hs_t in(uint8_t n, uint8_t *buf, uint16_t room, uint16_t *len)
{
    return hs(udc_sim_in(n, buf, room, len));
}

static int no_pid(uint8_t n, bool is_in)
{
    (void)n;
    (void)is_in;
    return -1;   /* udc_sim.h: data toggles are not simulated */
}

int main(void)
{
    static const udc_conf_port_t port = {
        .name = "udc_conformance/udc_sim", .power_on = power_on, .bus_reset = udc_sim_bus_reset,
        .pump = nothing, .setup = setup, .out = out, .in = in, .last_pid = no_pid,
    };
    return udc_conformance_run(&port);
}
