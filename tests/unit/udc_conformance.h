/*
 * udc_conformance.h - one suite for every implementation of firmware/usb/udc.h.
 *
 * Layer: tests/unit. The suite (udc_conformance.c) plays the device core from
 * above (udc_*() calls, udc_event_cb() collecting events) and the host from
 * below through a small port of operations; an implementation joins by giving
 * that port (test_udc_conf_<name>.c) and linking its controller:
 *   fake_udc.c (unit tests' fake), hal_stub/udc_sim.c (simulator), and
 *   port/stm32f072/udc_stm32.c on the USB FS peripheral model the emulated
 *   chip runs (sim/chip/usbfs.c, through the STM32NET_UNIT_TEST register
 *   hooks in tests/unit/usbfs_hooks.c).
 * Host operations only change the bus side; pump() lets the controller react
 * (the chip: take the pending USB interrupt; others: nothing), and the suite
 * calls it after every host operation.
 * Bus answers a port reports: ACK, NAK, STALL, or NONE (no handshake: the
 * endpoint does not exist / is disabled; USB 2.0 8.4.6 "no response").
 * Data toggles are checked only where the port can see them (pid != NULL).
 */
#ifndef UDC_CONFORMANCE_H
#define UDC_CONFORMANCE_H

#include <stdbool.h>
#include <stdint.h>

typedef enum {
    UDC_CONF_ACK = 0,
    UDC_CONF_NAK,
    UDC_CONF_STALL,
    UDC_CONF_NONE,
} udc_conf_hs_t;

typedef struct {
    const char *name;
    /* A fresh controller: udc_init(), udc_connect(), then the host's bus
     * reset; events from before are the suite's to clear. */
    void (*power_on)(void);
    void (*bus_reset)(void);
    void (*pump)(void);
    udc_conf_hs_t (*setup)(const uint8_t s[8]);
    /* One OUT packet to endpoint number epnum (len <= its max packet size). */
    udc_conf_hs_t (*out)(uint8_t epnum, const uint8_t *data, uint16_t len);
    /* One IN token to endpoint number epnum: the packet into buf (room >= 64). */
    udc_conf_hs_t (*in)(uint8_t epnum, uint8_t *buf, uint16_t room, uint16_t *len);
    /* DATA0/DATA1 of the last OUT/IN packet moved on epnum, or -1 if the
     * implementation does not model toggles. */
    int (*last_pid)(uint8_t epnum, bool in);
} udc_conf_port_t;

/* Runs every test of the suite against the port; returns the failure count. */
int udc_conformance_run(const udc_conf_port_t *port);

#endif
