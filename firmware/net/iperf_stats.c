/*
 * iperf_stats.c - the iperf server's counters (iperf.h), kept apart from
 * iperf.c so code that only reads them (app.c's /api/status, its unit tests)
 * links without lwIP. Layer: portable (firmware/net). Single writer: iperf.c's
 * report callback, from the main loop.
 */
#include "iperf.h"

iperf_stats_t iperf_stats;
