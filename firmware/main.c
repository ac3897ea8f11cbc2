/*
 * main.c - the one main loop, shared by the chip and the simulator.
 *
 * Layer: firmware top. Picks the USB class (CDC-ECM or CDC-NCM), wires the
 * USB core to it and the class to the network stack. The simulator compiles
 * this file with FW_NO_MAIN and calls fw_init()/fw_poll() from its own poll()
 * loop.
 * Class selection, once per start-up: config_usb_class (the build-time
 * STM32NET_USB_CLASS, or the simulator's --class), and the user button held
 * while the board powers up (is plugged in) selects the other class until the
 * next power-up (board_other_class(): the chip keeps the choice across the
 * resets that keep RAM), so a Windows 10 user gets NCM without rebuilding. After fw_init()
 * config_usb_class names the active class (/api/status shows it).
 */
#include "main.h"
#include "board.h"
#include "config.h"
#include "app/app.h"
#include "net/net.h"
#include "usb/dfu_rt.h"
#include "usb/ecm.h"
#include "usb/ncm.h"
#include "usb/udc.h"
#include "usb/usb_desc.h"
#include "usb/usbd.h"

static const net_link_t ecm_link = {
    .rx_peek = ecm_rx_peek,
    .rx_release = ecm_rx_release,
    .tx_acquire = ecm_tx_acquire,
    .tx_commit = ecm_tx_commit,
    .link_up = ecm_link_up,
};

static const net_link_t ncm_link = {
    .rx_peek = ncm_rx_peek,
    .rx_release = ncm_rx_release,
    .tx_acquire = ncm_tx_acquire,
    .tx_commit = ncm_tx_commit,
    .link_up = ncm_link_up,
    .tx_acquire_len = ncm_tx_acquire_len,
};

void fw_init_with_link(const net_link_t *link)
{
    board_init();
    app_init();
    if (link == 0) {
        bool ncm = config_usb_class == CONFIG_CLASS_NCM;
        if (board_other_class()) {
            ncm = !ncm;  /* held at plug-in: the other class until the next power-up */
        }
        config_usb_class = ncm ? CONFIG_CLASS_NCM : CONFIG_CLASS_ECM;
        usb_desc_select(ncm ? USB_DESC_NCM : USB_DESC_ECM);
        dfu_rt_init();
        if (ncm) {
            ncm_init();
            usbd_init(&ncm_class);
            link = &ncm_link;
        } else {
            ecm_init();
            usbd_init(&ecm_class);
            link = &ecm_link;
        }
    } else {
        config_usb_class = CONFIG_CLASS_TAP;
    }
    net_init(link);
}

void fw_init(void)
{
    fw_init_with_link(0);
}

void fw_poll(void)
{
    usbd_task();
    net_poll();
    if (config_usb_class == CONFIG_CLASS_NCM) {
        /* the frames of this pass leave together, in one NTB */
        ncm_tx_flush();
    }
    app_poll();
    if (dfu_rt_detach_due() || app_bootloader_due()) {
        /* DFU_DETACH answered (status stage done), or POST /api/bootloader
         * answered: leave the bus, then the ROM bootloader enumerates as
         * 0483:df11 (DFU 1.1 5.1, WillDetach) */
        udc_disconnect();
        board_enter_bootloader();
    }
}

#ifndef FW_NO_MAIN
/* What can give a pass work: a USB driver event (completion, SETUP, reset)
 * or a SysTick millisecond (lwIP timers, debounce, uptime, the watchdog).
 * Both only count up, so their sum changes whenever either does. */
static uint32_t fw_wake_events(void)
{
    return usbd_event_count() + board_millis();
}

/* The USB interrupt also fires for every 64-byte packet inside a transfer,
 * which the driver handles entirely in the ISR (23 per 1514-byte frame); a
 * full pass on each such wake-up cost ~60 % of the CPU per TCP segment
 * (make bench MODE=chip, prof_* lines). So a pass runs when an event came
 * since the previous pass began, plus one follow-up pass after it for work a
 * pass left for the next (e.g. NET_RX_BURST); wake-ups after that sleep on.
 * Work left beyond the follow-up waits at most 1 ms: every tick is an event. */
int main(void)
{
    fw_init();
    uint32_t done = fw_wake_events() - 1u;   /* the first pass runs */
    bool follow_up = false;
    for (;;) {
        uint32_t ev = fw_wake_events();
        if (ev != done) {
            follow_up = true;
        } else if (follow_up) {
            follow_up = false;
        } else {
            board_idle();
            continue;
        }
        done = ev;
        board_watchdog_feed();   /* only here: a wedged loop must starve the watchdog */
        fw_poll();
        if (fw_wake_events() == ev) {
            board_idle();        /* else an event came during the pass: go on at once */
        }
    }
}
#endif
