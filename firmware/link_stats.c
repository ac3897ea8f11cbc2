/* link_stats.c - storage of the link counters (see link_stats.h). Layer: portable. */
#include "link_stats.h"

link_stats_t link_stats;
