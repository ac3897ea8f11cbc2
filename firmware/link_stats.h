/*
 * link_stats.h - counters of the Ethernet link between host and device.
 * The ECM class counts what crosses USB, the netif counts backpressure drops;
 * the app shows them. Single writer per field, all from the main loop.
 * Layer: portable.
 */
#ifndef LINK_STATS_H
#define LINK_STATS_H

#include <stdint.h>

typedef struct {
    uint32_t rx_frames;    /* host -> device frames delivered up */
    uint32_t rx_bytes;
    uint32_t rx_dropped;   /* too long / too short / no room */
    uint32_t rx_errors;
    uint32_t tx_frames;    /* device -> host frames handed to USB */
    uint32_t tx_bytes;
    uint32_t tx_dropped;   /* link down or transmit queue full */
    uint32_t tx_errors;
} link_stats_t;

extern link_stats_t link_stats;

#endif
