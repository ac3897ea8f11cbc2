/* test_udc_sim.c - what is particular to the simulator's controller
 * (hal_stub/udc_sim.c): its activity counter, OVERFLOW for a host buffer too
 * small, STALL for packets larger than mps or to endpoints that are not open,
 * unplug / not connected, the address and mps queries the bridge uses. The
 * udc.h behaviour itself is the conformance suite's (test_udc_conf_sim). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "udc_sim.h"

#define MAX_EVENTS 16
static udc_event_t events[MAX_EVENTS];
static unsigned n_events;

void udc_event_cb(const udc_event_t *ev)
{
    assert_true(n_events < MAX_EVENTS);
    events[n_events++] = *ev;
}

static int setup_fn(void **state)
{
    (void)state;
    udc_init();
    udc_connect();
    udc_sim_bus_reset();
    n_events = 0;
    memset(events, 0, sizeof events);
    return 0;
}

static void test_bus_reset_event_and_ep0(void **state)
{
    (void)state;
    udc_set_address(5);
    assert_true(udc_ep_open(0x81, UDC_EP_INTERRUPT, 16));
    udc_sim_bus_reset();
    assert_int_equal(n_events, 1);
    assert_int_equal(events[0].type, UDC_EVT_BUS_RESET);
    assert_int_equal(udc_sim_address(), 0);
    assert_int_equal(udc_sim_ep_mps(0x81), 0);   /* closed by the reset */
    assert_int_equal(udc_sim_ep_mps(0x80), 64);  /* ep0 open with 64 */
    assert_int_equal(udc_sim_ep_mps(0x00), 64);
}

static void test_in_split_full_then_short(void **state)
{
    (void)state;
    uint8_t data[150], buf[64];
    uint16_t len;
    for (unsigned i = 0; i < sizeof data; i++) {
        data[i] = (uint8_t)i;
    }
    assert_true(udc_ep_open(0x82, UDC_EP_BULK, 64));
    uint32_t act = udc_sim_activity();
    assert_true(udc_ep_xfer(0x82, data, sizeof data));
    assert_int_not_equal(udc_sim_activity(), act);
    assert_false(udc_ep_xfer(0x82, data, 1));  /* one transfer at a time */

    assert_int_equal(udc_sim_in(2, buf, 64, &len), UDC_SIM_ACK);
    assert_int_equal(len, 64);
    assert_memory_equal(buf, data, 64);
    assert_int_equal(n_events, 0);
    assert_int_equal(udc_sim_in(2, buf, 64, &len), UDC_SIM_ACK);
    assert_int_equal(len, 64);
    assert_memory_equal(buf, data + 64, 64);
    assert_int_equal(udc_sim_in(2, buf, 64, &len), UDC_SIM_ACK);
    assert_int_equal(len, 22);
    assert_memory_equal(buf, data + 128, 22);
    assert_int_equal(n_events, 1);
    assert_int_equal(events[0].type, UDC_EVT_XFER_DONE);
    assert_int_equal(events[0].ep, 0x82);
    assert_int_equal(events[0].len, 150);
    /* done: the next packet is NAKed again */
    assert_int_equal(udc_sim_in(2, buf, 64, &len), UDC_SIM_NAK);
}

static void test_in_small_mps_and_overflow(void **state)
{
    (void)state;
    uint8_t data[16] = {0xA1, 0x00}, buf[8];
    uint16_t len;
    assert_true(udc_ep_open(0x81, UDC_EP_INTERRUPT, 16));
    assert_true(udc_ep_xfer(0x81, data, 16));
    assert_int_equal(udc_sim_in(1, buf, 8, &len), UDC_SIM_OVERFLOW);
    assert_int_equal(len, 8);
    assert_memory_equal(buf, data, 8);
    assert_int_equal(n_events, 1);  /* the packet went out anyway */
}

static void test_out_completes_on_length_and_zlp(void **state)
{
    (void)state;
    uint8_t rx[128], pkt[64] = {3};
    assert_true(udc_ep_open(0x02, UDC_EP_BULK, 64));
    assert_true(udc_ep_xfer(0x02, rx, 128));
    assert_int_equal(udc_sim_out(2, pkt, 64), UDC_SIM_ACK);
    assert_int_equal(udc_sim_out(2, pkt, 64), UDC_SIM_ACK);
    assert_int_equal(n_events, 1);
    assert_int_equal(events[0].len, 128);
    /* a ZLP ends a transfer at once (short packet) */
    assert_true(udc_ep_xfer(0x02, rx, 128));
    assert_int_equal(udc_sim_out(2, 0, 0), UDC_SIM_ACK);
    assert_int_equal(n_events, 2);
    assert_int_equal(events[1].len, 0);
    /* a packet larger than mps is a protocol error */
    assert_true(udc_ep_xfer(0x02, rx, 128));
    uint8_t big[65] = {0};
    assert_int_equal(udc_sim_out(2, big, 65), UDC_SIM_STALL);
}

static void test_stall_and_clear(void **state)
{
    (void)state;
    uint8_t rx[64], buf[64];
    uint16_t len;
    assert_true(udc_ep_open(0x02, UDC_EP_BULK, 64));
    assert_true(udc_ep_xfer(0x02, rx, 64));
    udc_ep_stall(0x02);
    assert_true(udc_ep_is_stalled(0x02));
    assert_int_equal(udc_sim_out(2, buf, 64), UDC_SIM_STALL);
    udc_ep_clear_stall(0x02);
    assert_false(udc_ep_is_stalled(0x02));
    assert_int_equal(udc_sim_out(2, buf, 1), UDC_SIM_ACK);
    assert_int_equal(n_events, 1);
    /* endpoint not open -> STALL */
    assert_int_equal(udc_sim_in(3, buf, 64, &len), UDC_SIM_STALL);
    assert_int_equal(udc_sim_out(3, buf, 1), UDC_SIM_STALL);
}

static void test_unplug_and_not_connected(void **state)
{
    (void)state;
    const uint8_t s[8] = {0};
    uint8_t buf[8];
    uint16_t len;
    udc_sim_unplug();
    assert_int_equal(n_events, 1);
    assert_int_equal(events[0].type, UDC_EVT_UNPLUGGED);
    assert_int_equal(udc_sim_setup(s), UDC_SIM_STALL);
    assert_int_equal(udc_sim_in(0, buf, 8, &len), UDC_SIM_STALL);
    udc_sim_bus_reset();
    assert_int_equal(udc_sim_setup(s), UDC_SIM_ACK);
    udc_disconnect();
    assert_false(udc_sim_connected());
    assert_int_equal(udc_sim_setup(s), UDC_SIM_STALL);
}

static void test_open_rejects_bad_endpoints(void **state)
{
    (void)state;
    assert_false(udc_ep_open(0x09, UDC_EP_BULK, 64));  /* beyond 8 endpoints */
    assert_false(udc_ep_open(0x02, UDC_EP_BULK, 0));
    assert_false(udc_ep_open(0x02, UDC_EP_BULK, 65));
    assert_false(udc_ep_xfer(0x03, (uint8_t *)"x", 1)); /* not open */
    assert_true(udc_ep_open(0x02, UDC_EP_BULK, 64));
    assert_false(udc_ep_xfer(0x02, 0, 5));
    udc_set_address(0x85);
    assert_int_equal(udc_sim_address(), 0x05);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_bus_reset_event_and_ep0, setup_fn),
        cmocka_unit_test_setup(test_in_split_full_then_short, setup_fn),
        cmocka_unit_test_setup(test_in_small_mps_and_overflow, setup_fn),
        cmocka_unit_test_setup(test_out_completes_on_length_and_zlp, setup_fn),
        cmocka_unit_test_setup(test_stall_and_clear, setup_fn),
        cmocka_unit_test_setup(test_unplug_and_not_connected, setup_fn),
        cmocka_unit_test_setup(test_open_rejects_bad_endpoints, setup_fn),
    };
    return cmocka_run_group_tests_name("udc_sim", tests, NULL, NULL);
}
