/* test_lwip_patches.c - regression tests for our lwIP 2.1.3 patches
 * (scripts/lwip-patches/, applied by scripts/fetch-lwip.sh): the frames that
 * triggered each remote denial of service, replayed through the whole stack
 * (lwip_harness netif, tcp_client on the host side). Without the patch the
 * first test leaks a PBUF_POOL buffer (the pool check fails), the second
 * halts in LWIP_ASSERT("mss_local is too small") (board_panic -> abort).
 * Layer: tests/unit. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "http_api.h"
#include "lwip/memp.h"
#include "lwip/stats.h"
#include "lwip/tcp.h"
#include "lwip_harness.h"
#include "tcp_client.h"

#define F_PSH 0x08u
#define F_ACK 0x10u

static int setup(void **state)
{
    (void)state;
    harness_init();
    harness_mark();
    return 0;
}

/* ------------------------------------------------ 0001: close in sent */

/* A server the way lwIP's httpd is written: on accept it queues as much of a
 * response as the send buffer takes, the rest from the sent callback, and
 * closes from the sent callback once all is queued (httpd: http_sent ->
 * http_send -> http_eof -> tcp_close). */
static char resp[3 * TCP_MSS];
static size_t resp_pos;
static bool closed_in_sent;

static void app_write(struct tcp_pcb *pcb)
{
    while (resp_pos < sizeof resp) {
        u16_t n = (u16_t)LWIP_MIN(sizeof resp - resp_pos, tcp_sndbuf(pcb));
        if (n == 0 || tcp_write(pcb, resp + resp_pos, n, 0) != ERR_OK) {
            break;
        }
        resp_pos += n;
    }
    tcp_output(pcb);
}

static err_t app_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
    (void)arg;
    (void)len;
    app_write(pcb);
    if (resp_pos == sizeof resp && !closed_in_sent) {
        closed_in_sent = true;
        tcp_arg(pcb, NULL);
        tcp_sent(pcb, NULL);
        tcp_recv(pcb, NULL);
        if (tcp_close(pcb) != ERR_OK) {
            tcp_abort(pcb);
            return ERR_ABRT;
        }
    }
    return ERR_OK;
}

static err_t app_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    (void)arg;
    (void)err;
    if (p != NULL) {
        tcp_recved(pcb, p->tot_len);
        pbuf_free(p);
    }
    return ERR_OK;
}

static err_t app_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
    (void)arg;
    (void)err;
    tcp_sent(pcb, app_sent);
    tcp_recv(pcb, app_recv);
    app_write(pcb);
    return ERR_OK;
}

static void test_close_in_sent_frees_data(void **state)
{
    (void)state;
    memset(resp, 'r', sizeof resp);
    resp_pos = 0;
    closed_in_sent = false;
    struct tcp_pcb *l = tcp_new();
    assert_non_null(l);
    assert_int_equal(tcp_bind(l, IP_ANY_TYPE, 8080), ERR_OK);
    l = tcp_listen(l);
    assert_non_null(l);
    tcp_accept(l, app_accept);
    harness_mark();

    static tcp_client_t c;
    tcp_client_init(&c, 42000);
    tcp_client_connect(&c, 8080);      /* accept queued TCP_SND_BUF bytes */
    assert_true(tcp_client_take(&c) > 0);
    assert_true(resp_pos < sizeof resp);
    /* the ACK that opens room for the rest carries one data byte */
    tcp_client_segment(&c, F_PSH | F_ACK, "x", 1);
    assert_true(closed_in_sent);
    tcp_client_take(&c);
    assert_true(c.rst_received);       /* lwIP's answer to unread data */
    harness_advance_ms(500);
    /* the "x" segment's pool pbuf is back (without patch 0001: used == 1) */
    assert_int_equal(lwip_stats.memp[MEMP_PBUF_POOL]->used, 0);
    tcp_close(l);
    harness_mark();
}

/* ------------------------------------------------ 0002: mss_local shrinks */

/* Against our own HTTP server, which also writes more from its sent
 * callback: SYN with window 0, GET with window 0, the device's window probe
 * acked with window 40. mss_local becomes 20 while a full-MSS segment is
 * queued; the next tcp_write must cope (without patch 0002: board_panic). */
static void test_shrinking_mss_local(void **state)
{
    (void)state;
    http_api_init();
    harness_mark();
    static tcp_client_t c;
    tcp_client_init(&c, 42001);
    c.wnd = 0;
    tcp_client_connect(&c, 80);
    const char *req = "GET / HTTP/1.0\r\n\r\n";
    tcp_client_segment(&c, F_PSH | F_ACK, req, (uint16_t)strlen(req));
    /* the device queued the page but may send only window probes */
    unsigned probes = 0;
    for (unsigned i = 0; i < 100 && probes == 0; i++) {
        harness_advance_ms(100);
        probes = tcp_client_take(&c);
    }
    assert_true(probes > 0);
    assert_true(c.rx_len >= 1 && c.rx_len <= 2);   /* one byte per probe */
    c.wnd = 40;
    tcp_client_segment(&c, F_ACK, NULL, 0);       /* acks the probe byte, window 40 */
    /* the device goes on in window-sized pieces instead of halting */
    for (unsigned i = 0; i < 40 && !c.rst_received; i++) {
        if (!tcp_client_pump(&c)) {
            harness_advance_ms(250);
        }
    }
    assert_false(c.rst_received);
    assert_true(c.rx_len > 40);
    /* the client opens its window: the rest of the page follows */
    c.wnd = 8192;
    tcp_client_segment(&c, F_ACK, NULL, 0);
    assert_true(tcp_client_wait_fin(&c));
    assert_false(c.rst_received);
    assert_memory_equal(c.rx, "HTTP/1.0 200 OK\r\n", 17);
    /* the whole page: as many body bytes as Content-Length says */
    const char *body = strstr((const char *)c.rx, "\r\n\r\n");
    const char *cl = strstr((const char *)c.rx, "\r\nContent-Length: ");
    assert_non_null(body);
    assert_non_null(cl);
    assert_int_equal(strtoul(cl + 18, NULL, 10), c.rx_len - (size_t)(body + 4 - (const char *)c.rx));
    tcp_client_close(&c);
    harness_assert_pools_clean();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_close_in_sent_frees_data, setup, harness_cmocka_teardown),
        cmocka_unit_test_setup_teardown(test_shrinking_mss_local, setup, harness_cmocka_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
