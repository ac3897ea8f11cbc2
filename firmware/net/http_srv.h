/*
 * http_srv.h - the device's HTTP/1.x server (RFC 7230/7231) on lwIP's raw
 * TCP API: flash files through lwIP's fs.c (the generated fsdata) and the
 * JSON API of http_api.c (fs_open_custom and the httpd_post_* hooks, whose
 * signatures lwIP's httpd.h declares). It replaces lwIP's httpd.c, which
 * keeps every received segment of a partial request (REQ_QUEUELEN pool
 * pbufs per connection) and has no request timeout (issue 10).
 *
 * Layer: firmware/net. Includes lwIP and stm32net_opt.h only.
 *
 * Behaviour towards clients (README "Slow or stuck clients"):
 *  - every received segment is parsed byte by byte and freed at once: a
 *    connection holds no pbuf while its request head is incomplete, so no
 *    number of slow clients can take the pbuf pool (net.c never waits);
 *  - at most HTTP_SRV_CONN_MAX connections; a new one closes the one that
 *    has been idle longest (no byte received or acknowledged: waiting for
 *    its request, for the client's FIN after our response, or for a client
 *    that stopped reading). Accepted pcbs run at TCP_PRIO_MIN, so when
 *    the shared pcb pool is empty lwIP's tcp_alloc() also frees the longest
 *    idle of them for a new SYN (tcp.c tcp_kill_prio);
 *  - a request (head and body) not complete HTTP_SRV_REQ_TIMEOUT_MS after
 *    the connection opened gets 408 (RFC 7231 6.5.7) and the connection
 *    closes; a request-target longer than HTTP_SRV_TARGET_MAX is 414
 *    (6.5.12), a head over HTTP_SRV_HEAD_MAX is 431 (RFC 6585 5);
 *  - GET, HEAD (the same header, no body: RFC 7231 4.3.2) and POST;
 *    other methods 501; HTTP/1.1 without exactly one Host is 400 (RFC 7230
 *    5.4); absolute-form targets (5.3.2) are served by their path;
 *  - a POST that a browser made for another site's page is 403 and never
 *    reaches http_api: Sec-Fetch-Site "cross-site", or an Origin (RFC 6454)
 *    that is not "http://" + the request's Host; no Origin is served
 *    (curl, wget); see http_srv.c;
 *  - one request per connection (HTTP/1.0 responses, Connection: close).
 *    After the response the server half-closes (FIN) and discards whatever
 *    else the client sends until its FIN or HTTP_SRV_LINGER_MS: no RST
 *    for the unread rest of a request (RFC 7230 6.6).
 */
#ifndef HTTP_SRV_H
#define HTTP_SRV_H

#include "stm32net_opt.h"

#ifndef HTTP_SRV_PORT
#define HTTP_SRV_PORT            80u
#endif
#ifndef HTTP_SRV_CONN_MAX        /* concurrent connections (static slots) */
#define HTTP_SRV_CONN_MAX        3u   /* < MEMP_NUM_TCP_PCB: our choice of whom to close, not lwIP's */
#endif
#ifndef HTTP_SRV_HEAD_MAX        /* request line + header fields, bytes */
#define HTTP_SRV_HEAD_MAX        1024u
#endif
#ifndef HTTP_SRV_TARGET_MAX      /* request-target kept (path + query): our longest */
#define HTTP_SRV_TARGET_MAX      47u /* names are ~12 bytes, cache-busting queries ~16 */
#endif
#ifndef HTTP_SRV_REQ_TIMEOUT_MS  /* whole request, from the connection's start */
#define HTTP_SRV_REQ_TIMEOUT_MS  2000u
#endif
#ifndef HTTP_SRV_LINGER_MS       /* waiting for the client's FIN after our reply */
#define HTTP_SRV_LINGER_MS       2000u
#endif
#ifndef HTTP_SRV_STALL_MS        /* a response the client does not take (zero window) */
#define HTTP_SRV_STALL_MS        10000u
#endif

/* Opens the listening pcb on HTTP_SRV_PORT (called by http_api_init()). */
void http_srv_init(void);
/* Connections currently held (for /api/mem and the tests). */
unsigned http_srv_conn_count(void);

#endif
