/*
 * iperf.h - lwIP's own iperf 2 TCP server (src/apps/lwiperf) on port 5001,
 * started with the other services, and the counters a test or the page reads.
 *
 * Layer: portable (firmware/net). No OS or vendor header.
 * Build switch: STM32NET_IPERF=0 (make IPERF=0) leaves the server out; the
 * counters stay (always zero) so readers need no #if.
 */
#ifndef IPERF_H
#define IPERF_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    uint32_t sessions;   /* lwiperf reports of a completed transfer (DONE_*) */
    uint32_t bytes;      /* payload bytes of those sessions, wraps at 4 GiB */
} iperf_stats_t;

extern iperf_stats_t iperf_stats;

/* Starts the listener; false if lwIP had no memory for it (or the server
 * is compiled out). Call after lwip_init(). */
bool iperf_init(void);
/* true when the server is compiled in and listening */
bool iperf_running(void);

#endif
