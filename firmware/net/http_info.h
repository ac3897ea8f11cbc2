/*
 * http_info.h - the body of GET /api/info: what changes rarely and so is not
 * worth sending with every /api/status poll (the page reads it every few
 * seconds): firmware version and build, serial number, last reset cause and
 * the DHCP leases.
 *
 *   {"version":"0.1.0","build":"g1234abc","serial":"...","reset":"power-on",
 *    "stack_used":812, "leases":[{"mac":"02:..","ip":"192.168.7.2","left_s":86100}, ...]}
 *
 * Layer: firmware/net (it reads the DHCP server's table). Includes app.h.
 * Limits: the worst case (DHCPS_POOL_SIZE bound leases, longest build id and
 * reset cause) is HTTP_INFO_JSON_MAX bytes; the unit test holds it to that.
 */
#ifndef HTTP_INFO_H
#define HTTP_INFO_H

#include <stddef.h>
#include "app/app.h"

/* 4 leases of at most 72 bytes + 160 for the fixed members and brackets +
 * 48 for the recovery members (fault_pc, stack_used: app.c); a bound, not a
 * buffer: the document is written into http_api.c's response body room */
#define HTTP_INFO_JSON_MAX 496u

/* Length written (a NUL follows) or 0 if it does not fit in room. */
size_t http_info_json(char *buf, size_t room);

#endif
