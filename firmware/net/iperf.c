/*
 * iperf.c - starts lwIP 2.1.3's iperf 2 TCP server (lwiperf, port 5001, the
 * iperf 2 default) and counts what its report callback tells us.
 *
 * Layer: portable (firmware/net). Includes lwIP's public lwiperf API only.
 * Runs only from the main loop (lwIP's callbacks come from net_poll()).
 * The counters live in link_stats.c so the page's JSON links without lwIP.
 * Cost (make size prints it): lwiperf's code, one listening pcb
 * (MEMP_NUM_TCP_PCB_LISTEN), these counters; its session state comes from
 * lwIP's heap (MEM_SIZE) while a test runs, and a session takes one of the
 * MEMP_NUM_TCP_PCB pcbs the web server otherwise uses.
 * Limits: one listener; lwiperf serves one session at a time well, and
 * closes a session idle for LWIPERF_TCP_MAX_IDLE_SEC (10 s), so a client
 * that goes silent does not hold the pcb. A dual/tradeoff test (-d / -r)
 * makes lwiperf connect back to the client, which needs a free pcb too.
 */
#include "lwip/opt.h"
#include "lwip/apps/lwiperf.h"

#include "iperf.h"

#if STM32NET_IPERF
static void *iperf_server;

static void iperf_report(void *arg, enum lwiperf_report_type report_type,
                         const ip_addr_t *local_addr, u16_t local_port,
                         const ip_addr_t *remote_addr, u16_t remote_port,
                         u32_t bytes_transferred, u32_t ms_duration,
                         u32_t bandwidth_kbitpsec)
{
    (void)arg;
    (void)local_addr;
    (void)local_port;
    (void)remote_addr;
    (void)remote_port;
    (void)ms_duration;
    (void)bandwidth_kbitpsec;  /* the client prints its own figure */
    /* an aborted session (client reset, idle timeout, no memory) is not a
     * completed one: a test that sees it counted would be fooled */
    if (report_type == LWIPERF_TCP_DONE_SERVER || report_type == LWIPERF_TCP_DONE_CLIENT) {
        iperf_stats.sessions++;
        iperf_stats.bytes += bytes_transferred;
    }
}
#endif

bool iperf_init(void)
{
#if STM32NET_IPERF
    if (iperf_server == NULL) {
        iperf_server = lwiperf_start_tcp_server_default(iperf_report, NULL);
    }
    return iperf_server != NULL;
#else
    return false;
#endif
}

bool iperf_running(void)
{
#if STM32NET_IPERF
    return iperf_server != NULL;
#else
    return false;
#endif
}
