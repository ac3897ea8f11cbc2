/* link_stats.c - storage of the link counters (see link_stats.h) and of the
 * iperf server's (net/iperf.h): every program that shows the counters (the
 * page's /api/status, its tests, fuzzers) links this file, so they link
 * without lwIP's iperf code. Layer: portable. */
#include "link_stats.h"
#include "net/iperf.h"

link_stats_t link_stats;
iperf_stats_t iperf_stats;
