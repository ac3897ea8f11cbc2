/*
 * http_api.h - the device's HTTP JSON API on lwIP 2.1.3's httpd.
 *
 * Layer: firmware/net. http_api_init() is called by net_init() after
 * lwip_init() and the netif; it starts httpd on port 80. The rest of the
 * module is lwIP's hook functions (fs_open_custom, httpd_post_*), declared
 * by lwIP's own headers.
 *
 *   GET  /api/status           200 application/json (app_status_json)
 *   GET  /api/mem              200 lwIP pools and heap in use (net_mem.h)
 *   GET  /api/info             200 application/json (http_info_json)
 *   POST /api/led  n=K&state=on|off|toggle   200 {"led":K,"state":S,"leds":[..]}
 *   POST /api/time epoch=SECONDS             200 {"time":"..","epoch":N,"time_set":true}
 *   bad parameters / body > HTTP_API_BODY_MAX     400 {"error":".."}
 *   GET /api/led, GET /api/time   405 (Allow: POST); POST /api/status, /api/info 405
 *   other /api/... paths          404 JSON; other paths: /404.html
 *   response block or POST body slot in use by another connection, or no
 *   heap block for the response: 503
 *   HEAD: the GET header without the body; other methods 501 (http_srv.c)
 */
#ifndef HTTP_API_H
#define HTTP_API_H

#include "net.h"   /* declares http_api_init() */

#define HTTP_API_BODY_MAX   64u    /* longest accepted POST body */
/* one response: 192 bytes reserved for the header + the JSON, whose worst
 * case is /api/status with every counter at 2^32-1 (about 430 bytes plus
 * the members other modules add) or /api/info (HTTP_INFO_JSON_MAX). It is
 * a block of lwIP's heap (MEM_SIZE), taken while one response is made and
 * trimmed to the response's length, not static RAM (http_api.c) */
#define HTTP_API_RESP_MAX   744u   /* 688 + 56 for the iperf member (net/iperf.c) */

#endif
