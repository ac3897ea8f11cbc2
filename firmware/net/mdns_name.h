/*
 * mdns_name.h - the host name the mDNS responder (mdns.c) currently claims
 * on .local: fw_config.hostname, or after a conflict (RFC 6762 9) the next
 * free one, "stm32net-2", "stm32net-3", ...
 *
 * Layer: portable (firmware/net). Pure: includes only <stddef.h>,
 * <stdint.h>, config.h; no lwIP. Kept apart from mdns.c so the app's status
 * page can show the name without linking the network stack.
 * Limits: the suffix runs 2..255, then starts again at 2; a label is at most
 * 31 + 4 = 35 characters (RFC 1035 2.3.4 allows 63).
 */
#ifndef MDNS_NAME_H
#define MDNS_NAME_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* room for "<hostname>-NNN" and its NUL */
#define MDNS_NAME_LABEL_MAX (CONFIG_NAME_MAX + 4u)

/* Back to the configured hostname (no suffix). */
void mdns_name_reset(void);
/* The next candidate after a conflict: no suffix -> -2 -> -3 ... */
void mdns_name_next(void);
/* 0 while the configured name is used, else the suffix (2..255). */
uint8_t mdns_name_suffix(void);
/* The label ("stm32net-2") into buf, NUL-terminated; returns its length,
 * or 0 if it does not fit in room (buf then holds ""). */
size_t mdns_name_label(char *buf, size_t room);

#endif
