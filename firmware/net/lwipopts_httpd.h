/*
 * lwipopts_httpd.h - lwIP 2.1.3 httpd options for our web page and JSON API.
 * Included by lwipopts.h (and by the host tool makefsdata, which defines
 * LWIP_HTTPD_SSI and LWIP_HTTPD_DYNAMIC_HEADERS itself first).
 *
 * Layer: firmware/net. RAM budget for httpd's static buffers: the request
 * copy buffer (LWIP_HTTPD_MAX_REQ_LENGTH + 1) and the URI buffer
 * (LWIP_HTTPD_URI_BUF_LEN + 1), plus http_api.c's response and body buffers.
 * Per connection httpd takes one struct http_state (~60 bytes) from the lwIP
 * heap.
 * Limit: a request whose header is longer than LWIP_HTTPD_MAX_REQ_LENGTH and
 * arrives in more than one TCP segment gets 400; one that fits into one
 * segment (TCP_MSS 536) is parsed in place, whatever its length.
 */
#ifndef STM32NET_LWIPOPTS_HTTPD_H
#define STM32NET_LWIPOPTS_HTTPD_H

#define HTTPD_FSDATA_FILE               "fsdata_stm32net.c"  /* generated from firmware/app/web */
#define HTTPD_SERVER_AGENT              "stm32net"
#define LWIP_HTTPD_CGI                  0
/* makefsdata (a host tool built from lwIP) sets these two itself first */
#ifndef LWIP_HTTPD_SSI
#define LWIP_HTTPD_SSI                  0
#endif
#define LWIP_HTTPD_SUPPORT_POST         1
#define LWIP_HTTPD_CUSTOM_FILES         1   /* /api/... answered by http_api.c */
#ifndef LWIP_HTTPD_DYNAMIC_HEADERS
#define LWIP_HTTPD_DYNAMIC_HEADERS      0   /* every file carries its header */
#endif
#define LWIP_HTTPD_DYNAMIC_FILE_READ    0
#define LWIP_HTTPD_FILE_STATE           0
#define LWIP_HTTPD_SUPPORT_11_KEEPALIVE 0   /* HTTP/1.0, one request per connection */
#define LWIP_HTTPD_ABORT_ON_CLOSE_MEM_ERROR 1

/* Answer malformed requests with /400.html and methods other than GET/POST
 * (HEAD, PUT, ...) with /501.html instead of silently closing (RFC 7231
 * 6.5.1, 6.6.2). Both are small static pages in firmware/app/web. */
#define LWIP_HTTPD_SUPPORT_EXTSTATUS    1
#define LWIP_HTTPD_SUPPORT_V09          0   /* no HTTP/0.9 clients to serve */

/* Requests split over several segments are copied into one static buffer;
 * browsers' requests are ~300..500 bytes (one segment). At most 2 segments
 * are queued per connection: each holds a pbuf of the small PBUF_POOL. */
#define LWIP_HTTPD_SUPPORT_REQUESTLIST  1
#define LWIP_HTTPD_MAX_REQ_LENGTH       511
#define LWIP_HTTPD_REQ_BUFSIZE          LWIP_HTTPD_MAX_REQ_LENGTH
#define LWIP_HTTPD_REQ_QUEUELEN         2

/* The URI buffer holds directory-index names ("/index.html") and the
 * POST response URIs of http_api.c ("/api/.post"): 32 bytes suffice. */
#define LWIP_HTTPD_MAX_REQUEST_URI_LEN        31
#define LWIP_HTTPD_POST_MAX_RESPONSE_URI_LEN  31

/* http_api.c's responses live in one RAM buffer that the next request
 * reuses, so httpd must copy them into the TCP send queue (fsdata files are
 * in flash and are still sent by reference). Expanded inside httpd.c, where
 * struct http_state and TCP_WRITE_FLAG_COPY are known. */
#define HTTP_IS_DATA_VOLATILE(hs) \
    ((((hs)->handle != NULL) && (hs)->handle->is_custom_file) ? TCP_WRITE_FLAG_COPY : 0)

#endif
