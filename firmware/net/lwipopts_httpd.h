/*
 * lwipopts_httpd.h - lwIP httpd options for our web page and JSON API.
 * Included by lwipopts.h. Layer: firmware/net.
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
#define LWIP_HTTPD_DYNAMIC_HEADERS      0
#endif
#define LWIP_HTTPD_DYNAMIC_FILE_READ    0
#define LWIP_HTTPD_FILE_STATE           0
#define LWIP_HTTPD_SUPPORT_11_KEEPALIVE 0
#define LWIP_HTTPD_ABORT_ON_CLOSE_MEM_ERROR 1

#endif
