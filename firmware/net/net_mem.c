/*
 * net_mem.c - lwIP memory in use (see net_mem.h).
 *
 * Layer: firmware/net. Includes lwIP's memp/tcp internals (read only).
 * Walking a free list costs O(pool size) (a dozen entries); it runs only
 * when /api/mem is asked for.
 */
#include "net_mem.h"

#include "lwip/memp.h"
#include "lwip/priv/memp_priv.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/stats.h"

static void net_mem_pool(net_mem_pool_t *out, memp_t type)
{
    const struct memp_desc *d = memp_pools[type];
    uint16_t n = 0;
    for (const struct memp *m = *d->tab; m != NULL && n < d->num; m = m->next) {
        n++;
    }
    out->total = d->num;
    out->used = (uint16_t)(d->num - n);
}

void net_mem_get(net_mem_t *m)
{
    net_mem_pool(&m->pbuf_pool, MEMP_PBUF_POOL);
    net_mem_pool(&m->pbuf_ref, MEMP_PBUF);
    net_mem_pool(&m->tcp_pcb, MEMP_TCP_PCB);
    net_mem_pool(&m->tcp_seg, MEMP_TCP_SEG);
#if IP_REASSEMBLY
    net_mem_pool(&m->reass, MEMP_REASSDATA);
#else
    m->reass.used = m->reass.total = 0;
#endif
    m->tcp_active = 0;
    for (const struct tcp_pcb *p = tcp_active_pcbs; p != NULL && m->tcp_active < 0xffffu; p = p->next) {
        m->tcp_active++;
    }
    m->heap_used = lwip_stats.mem.used;
    m->heap_max = lwip_stats.mem.max;
    m->heap_size = MEM_SIZE;
}
