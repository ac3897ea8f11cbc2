/*
 * tap.h - a Linux TAP interface as the firmware's Ethernet link (net_link_t).
 *
 * Layer: sim (host only). The interface is created/attached here but never
 * configured: addresses and "up" are the caller's (the test's) business.
 */
#ifndef TAP_H
#define TAP_H

#include <stdbool.h>
#include <stdint.h>
#include "net/net.h"

/* 0, or -1 with a message on stderr. */
int tap_open(const char *ifname);
int tap_fd(void);
bool tap_rx_ready(void);         /* false: the rx buffer is full, do not poll the fd */
const net_link_t *tap_link(void);
uint32_t tap_tx_dropped(void);
void tap_close(void);

#endif
