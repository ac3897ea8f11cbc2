/*
 * main.c - the one main loop, shared by the chip and the simulator.
 *
 * Layer: firmware top. Wires the USB core to the CDC-ECM class and the class
 * to the network stack. The simulator compiles this file with FW_NO_MAIN and
 * calls fw_init()/fw_poll() from its own poll() loop.
 */
#include "main.h"
#include "board.h"
#include "app/app.h"
#include "net/net.h"
#include "usb/ecm.h"
#include "usb/usbd.h"

static const net_link_t ecm_link = {
    .rx_peek = ecm_rx_peek,
    .rx_release = ecm_rx_release,
    .tx_acquire = ecm_tx_acquire,
    .tx_commit = ecm_tx_commit,
    .link_up = ecm_link_up,
};

void fw_init_with_link(const net_link_t *link)
{
    board_init();
    app_init();
    if (link == 0) {
        ecm_init();
        usbd_init(&ecm_class);
        link = &ecm_link;
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
    app_poll();
}

#ifndef FW_NO_MAIN
int main(void)
{
    fw_init();
    for (;;) {
        board_watchdog_feed();   /* only here: a wedged loop must starve the watchdog */
        fw_poll();
        board_idle();
    }
}
#endif
