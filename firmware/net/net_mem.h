/*
 * net_mem.h - how much of lwIP's memory is in use right now, for
 * GET /api/mem (http_api.c) and the tests that check a burst of slow or
 * hostile clients left nothing behind (issue 10).
 *
 * Layer: firmware/net. Reads lwIP's pools by walking their free lists (no
 * MEMP_STATS needed, so no RAM for statistics) and the heap's use from
 * lwIP's MEM_STATS (lwipopts.h keeps just that one statistic on).
 */
#ifndef NET_MEM_H
#define NET_MEM_H

#include <stdint.h>

typedef struct {
    uint16_t used;
    uint16_t total;
} net_mem_pool_t;

typedef struct {
    net_mem_pool_t pbuf_pool;   /* PBUF_POOL: received frames */
    net_mem_pool_t pbuf_ref;    /* PBUF_ROM/REF: flash data being sent */
    net_mem_pool_t tcp_pcb;     /* all TCP pcbs (active + TIME_WAIT) */
    net_mem_pool_t tcp_seg;
    net_mem_pool_t reass;       /* IP datagrams being reassembled */
    uint16_t tcp_active;        /* pcbs neither listening nor in TIME_WAIT */
    uint32_t heap_used;         /* lwIP heap bytes in use */
    uint32_t heap_max;          /* the most ever in use */
    uint32_t heap_size;         /* MEM_SIZE */
} net_mem_t;

void net_mem_get(net_mem_t *m);

#endif
