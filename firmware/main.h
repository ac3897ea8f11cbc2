/*
 * main.h - entry points of the shared main loop (see main.c).
 * Layer: firmware top.
 */
#ifndef MAIN_H
#define MAIN_H

#include "net/net.h"

void fw_init(void);                              /* USB link, class from fw_config */
void fw_init_with_link(const net_link_t *link);  /* another link, e.g. TAP; NULL = USB */
void fw_poll(void);                              /* one pass; never blocks */

#endif
