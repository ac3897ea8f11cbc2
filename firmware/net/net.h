/*
 * net.h - lwIP 2.1.3 (NO_SYS) on an Ethernet link, plus the services
 * (DHCP server, DNS server, HTTP server).
 *
 * Layer: portable (firmware/net). The link is abstract: main.c hands in the
 * CDC-ECM class, the simulator's TAP mode hands in a TAP device, unit tests
 * hand in a fake. The link owns one frame buffer per direction (see ecm.h for
 * the semantics the functions must have).
 */
#ifndef NET_H
#define NET_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    const uint8_t *(*rx_peek)(uint16_t *len);  /* oldest received frame or NULL */
    void (*rx_release)(void);
    uint8_t *(*tx_acquire)(void);              /* free ECM_MAX_SEGMENT buffer or NULL */
    void (*tx_commit)(uint16_t len);
    bool (*link_up)(void);
    /* optional: room for a frame of len bytes, or NULL (NCM packs several
     * frames into one buffer); when set it is used instead of tx_acquire */
    uint8_t *(*tx_acquire_len)(uint16_t len);
} net_link_t;

/* Called with every Ethernet frame crossing the link (pcap in the simulator). */
typedef void (*net_frame_hook_t)(bool tx, const uint8_t *frame, uint16_t len);

void net_init(const net_link_t *link);  /* lwip_init, netif, DHCP/DNS/HTTP servers */
void net_poll(void);                    /* frames in/out, link state, lwIP timers */
uint32_t net_sleeptime_ms(void);        /* time until the next lwIP timer is due */
void net_set_frame_hook(net_frame_hook_t hook);

/* Service entry points, called by net_init() */
void dhcps_init(void);
void dnss_init(void);
void mdns_init(void);                   /* mDNS responder for <name>.local (mdns.c) */
void http_api_init(void);               /* lwIP httpd + our API handlers */

#endif
