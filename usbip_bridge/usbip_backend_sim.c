/*
 * usbip_backend_sim.c - usbip_backend.h for the host-built firmware: the
 * packets go to hal_stub/udc_sim.c's virtual bus.
 *
 * Layer: usbip_bridge (host only). Includes usbip_backend.h and udc_sim.h.
 * udc_sim answers SETUP with ACK or STALL (nobody connected) and never with
 * NAK; its OVERFLOW/NAK/STALL values are passed through unchanged.
 */
#include "udc_sim.h"
#include "usbip_backend.h"

static int sim_setup(const uint8_t setup[8])
{
    return udc_sim_setup(setup) == UDC_SIM_ACK ? USBIP_BE_ACK : USBIP_BE_STALL;
}

static int map(int r)
{
    switch (r) {
    case UDC_SIM_ACK:      return USBIP_BE_ACK;
    case UDC_SIM_NAK:      return USBIP_BE_NAK;
    case UDC_SIM_STALL:    return USBIP_BE_STALL;
    case UDC_SIM_OVERFLOW: return USBIP_BE_OVERFLOW;
    default:               return USBIP_BE_ERROR;
    }
}

static int sim_out(uint8_t ep, const uint8_t *data, uint16_t len)
{
    return map(udc_sim_out(ep, data, len));
}

static int sim_in(uint8_t ep, uint8_t *buf, uint16_t room, uint16_t *len)
{
    return map(udc_sim_in(ep, buf, room, len));
}

const usbip_backend_t usbip_backend_sim = {
    .name = "udc_sim",
    .setup = sim_setup,
    .out = sim_out,
    .in = sim_in,
    .bus_reset = udc_sim_bus_reset,
    .unplug = udc_sim_unplug,
    .address = udc_sim_address,
    .ep_mps = udc_sim_ep_mps,
};
