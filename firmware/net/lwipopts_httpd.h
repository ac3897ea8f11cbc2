/*
 * lwipopts_httpd.h - lwIP 2.1.3 HTTP-app options for what we still use of
 * src/apps/http: fs.c (the generated fsdata files), the httpd_post_* hook
 * prototypes of httpd.h (implemented by http_api.c, called by our server
 * http_srv.c) and the host tool makefsdata. lwIP's httpd.c itself is not
 * built (issue 10: it kept pool pbufs per partial request and had no
 * request timeout; see http_srv.h).
 * Included by lwipopts.h (and by makefsdata, which defines LWIP_HTTPD_SSI
 * and LWIP_HTTPD_DYNAMIC_HEADERS itself first).
 *
 * Layer: firmware/net.
 */
#ifndef STM32NET_LWIPOPTS_HTTPD_H
#define STM32NET_LWIPOPTS_HTTPD_H

#define HTTPD_FSDATA_FILE               "fsdata_stm32net.c"  /* generated from firmware/app/web */
#define HTTPD_SERVER_AGENT              "stm32net"           /* Server: header of our responses */
#define LWIP_HTTPD_CGI                  0
/* makefsdata (a host tool built from lwIP) sets these two itself first */
#ifndef LWIP_HTTPD_SSI
#define LWIP_HTTPD_SSI                  0
#endif
#ifndef LWIP_HTTPD_DYNAMIC_HEADERS
#define LWIP_HTTPD_DYNAMIC_HEADERS      0   /* every file carries its header */
#endif
#define LWIP_HTTPD_SUPPORT_POST         1   /* declares the httpd_post_* hooks */
#define LWIP_HTTPD_CUSTOM_FILES         1   /* /api/... answered by http_api.c */
#define LWIP_HTTPD_DYNAMIC_FILE_READ    0
#define LWIP_HTTPD_FILE_STATE           0

/* http_api.c looks up flash file names up to this length (+ the index
 * names); http_srv.c gives the POST hooks a response-URI buffer of
 * LWIP_HTTPD_POST_MAX_RESPONSE_URI_LEN + 1 ("/api/.post", "/api/.busy"). */
#define LWIP_HTTPD_MAX_REQUEST_URI_LEN        31
#define LWIP_HTTPD_POST_MAX_RESPONSE_URI_LEN  31

#endif
