/*
 * usbd.h - the USB device core: event slots, ep0 state machine, standard
 * requests (USB 2.0 chapter 9) and dispatch to one class driver.
 *
 * Layer: portable (firmware/usb). Uses udc.h below and a usbd_class_t above.
 * Endpoint ownership: the class opens and closes its endpoints with
 * usbd_ep_open()/usbd_ep_close() (configured(), set_interface()), so the core
 * can forget completions of transfers queued before; whenever the
 * configuration goes away (bus reset, unplug,
 * SET_CONFIGURATION 0 or a repeated SET_CONFIGURATION 1) every endpoint of the
 * configuration descriptor is closed *before* reset() runs (by the driver on
 * bus reset, by the core otherwise), so the class only forgets its state.
 * The class never touches ep0. Nothing depends on SET_ADDRESS having been
 * seen (USB/IP hosts address the device themselves).
 */
#ifndef USBD_H
#define USBD_H

#include <stdbool.h>
#include <stdint.h>
#include "udc.h"

/* USB 2.0, 9.3: the SETUP packet, little-endian on the wire */
typedef struct {
    uint8_t bmRequestType;
    uint8_t bRequest;
    uint16_t wValue;
    uint16_t wIndex;
    uint16_t wLength;
} usb_setup_t;

/* Largest OUT data stage the core buffers for class requests; longer -> STALL */
#ifndef USBD_EP0_BUF_SIZE
#define USBD_EP0_BUF_SIZE 64u
#endif

/* Endpoint numbers 0..USBD_NUM_EP-1 get a completion slot per direction
 * (at most one transfer is in flight per endpoint, udc.h, so a slot cannot
 * overflow); completions on higher numbers are counted in usbd_events_lost(). */
#ifndef USBD_NUM_EP
#define USBD_NUM_EP 4u
#endif

typedef struct {
    /* Bus reset, unplug or SET_CONFIGURATION(0): forget all state, endpoints are closed. */
    void (*reset)(void);
    /* SET_CONFIGURATION(1) accepted: open the always-on endpoints (interrupt IN). */
    void (*configured)(void);
    /* SET_INTERFACE on one of our interfaces, alt already range-checked by the
     * core against the descriptors. false -> STALL, and the class must have
     * left the interface in alt 0 with none of its endpoints open (the core
     * then reports alt 0, so GET_INTERFACE and the state agree). After true the
     * core clears halt and toggle of every endpoint of the new alt setting
     * (USB 2.0 9.1.1.5, 9.4.10) and calls halt_cleared() for each. */
    bool (*set_interface)(uint8_t itf, uint8_t alt);
    /* Class/vendor request addressed to an interface. For IN requests fill
     * buf (room bytes) and return the length; for OUT requests the data stage
     * has already been received into buf (setup->wLength bytes). Return < 0 to
     * STALL. */
    int (*control)(const usb_setup_t *setup, uint8_t *buf, uint16_t room);
    /* A transfer on a non-zero endpoint completed. */
    void (*xfer_done)(uint8_t ep, uint16_t len);
    /* The host cleared ENDPOINT_HALT on one of the class's endpoints (toggle reset done). */
    void (*halt_cleared)(uint8_t ep);
    /* Called at the end of every usbd_task() while configured: retry work that
     * failed earlier (e.g. arming a transfer). May be NULL. */
    void (*poll)(void);
} usbd_class_t;

void usbd_init(const usbd_class_t *cls);  /* calls udc_init() and udc_connect() */
void usbd_task(void);                     /* handle pending events; main loop only */
bool usbd_configured(void);
uint8_t usbd_alt_setting(uint8_t itf);      /* 0 for unknown interfaces */
bool usbd_remote_wakeup_enabled(void);      /* DEVICE_REMOTE_WAKEUP, USB 2.0 9.4.5 */
/* Events the core could not use: completions on endpoint numbers >= USBD_NUM_EP
 * and unknown event types. Completions, SETUPs and resets are never dropped
 * for lack of room (only suspend/resume are coalesced). */
uint32_t usbd_events_lost(void);
/* Free-running count of every driver event reported so far (any type, even
 * ones not used): the main loop compares it to skip passes on wake-ups that
 * brought nothing (main.c). */
uint32_t usbd_event_count(void);
/* No control transfer in progress on ep0 (the last one's status stage is done) */
bool usbd_ep0_idle(void);

/* Wrappers the class uses instead of udc_ep_open()/udc_ep_close(): after the
 * driver call returns, a completion still waiting from before is discarded, so
 * a stale completion is never taken for the new transfer's. */
bool usbd_ep_open(uint8_t ep, udc_ep_type_t type, uint16_t mps);
void usbd_ep_close(uint8_t ep);

#endif
