/* test_http_srv.c - the HTTP server (http_srv.c) as clients speak to it and
 * as slow or hostile clients treat it: HEAD, Host, absolute-form, request
 * heads however segmented, 408/414/431/501/505, the lingering close after an
 * error, the connection limit, and - issue 10 - that stalled connections
 * hold no pool pbuf. Raw frames through the lwIP harness (tcp_client.c),
 * pools checked after every exchange. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "app/app.h"
#include "fake_board.h"
#include "http_api.h"
#include "http_srv.h"
#include "lwip/memp.h"
#include "lwip/stats.h"
#include "lwip_harness.h"
#include "tcp_client.h"

static uint16_t next_port = 41000;
static tcp_client_t cl;

static int setup(void **state)
{
    (void)state;
    harness_init();
    memset(fake_board_leds, 0, sizeof fake_board_leds);
    app_init();
    http_api_init();
    harness_mark();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    harness_teardown();
    assert_int_equal(http_srv_conn_count(), 0);   /* every slot given back */
    return 0;
}

static int status_of(const tcp_client_t *c)
{
    assert_true(c->rx_len > 12);
    assert_memory_equal(c->rx, "HTTP/1.0 ", 9);
    return atoi((const char *)c->rx + 9);
}

/* connect, send req in pieces of `seg` bytes, wait for FIN, close */
static int exchange(const char *req, size_t seg)
{
    size_t len = strlen(req);
    tcp_client_init(&cl, next_port++);
    tcp_client_connect(&cl, 80);
    for (size_t off = 0; off < len; off += seg) {
        size_t n = len - off < seg ? len - off : seg;
        tcp_client_send(&cl, req + off, (uint16_t)n);
        tcp_client_pump(&cl);
    }
    assert_true(tcp_client_wait_fin(&cl));
    assert_false(cl.rst_received);
    tcp_client_close(&cl);
    harness_assert_pools_clean();
    return status_of(&cl);
}

static const char *body_of(const tcp_client_t *c)
{
    const char *e = strstr((const char *)c->rx, "\r\n\r\n");
    assert_non_null(e);
    return e + 4;
}

/* the whole body arrived: as many bytes as Content-Length says (the page
 * is stored gzip-compressed, so its text cannot be searched) */
static bool body_complete(const tcp_client_t *c)
{
    const char *b = body_of(c);
    const char *h = strstr((const char *)c->rx, "\r\nContent-Length: ");
    return h != NULL && h < b &&
           strtoul(h + 18, NULL, 10) == c->rx_len - (size_t)(b - (const char *)c->rx);
}

static unsigned pool_used(void)
{
    return lwip_stats.memp[MEMP_PBUF_POOL]->used;
}

/* ------------------------------------------------------------ RFC 7230/7231 */

static void test_head_is_get_without_body(void **state)
{
    (void)state;
    const char *paths[] = { "/", "/api/status", "/nope" };
    for (unsigned i = 0; i < 3; i++) {
        char req[128];
        snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", paths[i]);
        int gs = exchange(req, 1000);
        char ghead[1024];
        size_t ghl = (size_t)(body_of(&cl) - (const char *)cl.rx);
        assert_true(ghl < sizeof ghead);
        memcpy(ghead, cl.rx, ghl);
        size_t gbody = cl.rx_len - ghl;
        snprintf(req, sizeof req, "HEAD %s HTTP/1.1\r\nHost: x\r\n\r\n", paths[i]);
        int hs = exchange(req, 1000);
        assert_int_equal(hs, gs);
        assert_int_equal(cl.rx_len, ghl);              /* no body (RFC 7231 4.3.2) */
        const char *cl_hdr = strstr((const char *)cl.rx, "Content-Length: ");
        assert_non_null(cl_hdr);
        assert_int_equal(strtoul(cl_hdr + 16, NULL, 10), gbody);   /* the GET's length */
        if (i != 1) {
            assert_memory_equal(cl.rx, ghead, ghl);     /* the same header */
        }
    }
}

static void test_host_rules(void **state)
{
    (void)state;
    /* RFC 7230 5.4: HTTP/1.1 needs exactly one Host; HTTP/1.0 may omit it */
    assert_int_equal(exchange("GET /api/status HTTP/1.1\r\nAccept: */*\r\n\r\n", 1000), 400);
    assert_int_equal(exchange("GET /api/status HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 1000), 400);
    assert_int_equal(exchange("GET /api/status HTTP/1.0\r\n\r\n", 1000), 200);
    assert_int_equal(exchange("GET /api/status HTTP/1.1\r\nhOsT: 192.168.7.1\r\n\r\n", 1000), 200);
    /* a field name that only starts like Host is not Host */
    assert_int_equal(exchange("GET /api/status HTTP/1.1\r\nHostx: a\r\n\r\n", 1000), 400);
}

static void test_absolute_form_is_served(void **state)
{
    (void)state;
    assert_int_equal(exchange("GET http://192.168.7.1/api/status HTTP/1.1\r\nHost: 192.168.7.1\r\n\r\n",
                              1000), 200);
    assert_true(strstr(body_of(&cl), "\"uptime_ms\"") != NULL || body_of(&cl)[0] == '{');
    assert_int_equal(exchange("GET HTTP://stm32net.local HTTP/1.1\r\nHost: x\r\n\r\n", 1000), 200);
    assert_true(body_complete(&cl));
    assert_non_null(strstr((const char *)cl.rx, "Content-Type: text/html"));   /* the page */
    assert_int_equal(exchange("GET ftp://x/ HTTP/1.1\r\nHost: x\r\n\r\n", 1000), 400);
}

/* A head of ~1 KB (cookies) in any segmentation, even one byte per segment. */
static void test_long_head_any_segmentation(void **state)
{
    (void)state;
    char req[HTTP_SRV_HEAD_MAX + 64];
    int n = snprintf(req, sizeof req, "GET /api/status HTTP/1.1\r\nHost: 192.168.7.1\r\nCookie: ");
    while (n < (int)HTTP_SRV_HEAD_MAX - 4) {
        req[n++] = 'c';
    }
    memcpy(req + n, "\r\n\r\n", 5);
    assert_int_equal(strlen(req), HTTP_SRV_HEAD_MAX);
    static const size_t segs[] = { 1000, 614, 307, 100, 7, 2, 1 };
    for (unsigned i = 0; i < sizeof segs / sizeof segs[0]; i++) {
        assert_int_equal(exchange(req, segs[i]), 200);
    }
    /* the case: a 614-byte GET in two segments */
    req[614 - 4] = '\0';
    strcat(req, "\r\n\r\n");
    assert_int_equal(strlen(req), 614);
    assert_int_equal(exchange(req, 400), 200);
    /* bare LF line ends are accepted (RFC 7230 3.5) */
    assert_int_equal(exchange("GET /api/status HTTP/1.1\nHost: x\n\n", 5), 200);
}

static void test_oversized_heads(void **state)
{
    (void)state;
    char req[HTTP_SRV_HEAD_MAX + 64];
    /* header block one byte over the limit: 431 (RFC 6585 5) */
    int n = snprintf(req, sizeof req, "GET / HTTP/1.1\r\nHost: x\r\nCookie: ");
    while (n < (int)HTTP_SRV_HEAD_MAX - 3) {
        req[n++] = 'c';
    }
    memcpy(req + n, "\r\n\r\n", 5);
    assert_int_equal(strlen(req), HTTP_SRV_HEAD_MAX + 1);
    assert_int_equal(exchange(req, 500), 431);
    /* a target one byte over HTTP_SRV_TARGET_MAX: 414 (RFC 7231 6.5.12) */
    char t[HTTP_SRV_TARGET_MAX + 2];
    memset(t, 'a', sizeof t - 1);
    t[0] = '/';
    t[sizeof t - 1] = '\0';
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", t);
    assert_int_equal(exchange(req, 1000), 414);
    t[sizeof t - 2] = '\0';     /* exactly the limit: looked up, 404 */
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", t);
    assert_int_equal(exchange(req, 1000), 404);
}

static void test_methods_versions_codings(void **state)
{
    (void)state;
    assert_int_equal(exchange("PUT / HTTP/1.1\r\nHost: x\r\n\r\n", 1000), 501);
    assert_int_equal(exchange("get / HTTP/1.1\r\nHost: x\r\n\r\n", 1000), 501);  /* case-sensitive */
    assert_int_equal(exchange("GET / HTTP/2.0\r\nHost: x\r\n\r\n", 1000), 505);
    assert_int_equal(exchange("GET / HTTQ/1.1\r\nHost: x\r\n\r\n", 1000), 400);
    assert_int_equal(exchange("GET / HTTP/1.1\r\n Host: x\r\n\r\n", 1000), 400);  /* obs-fold */
    assert_int_equal(exchange("POST /api/led HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                              "5\r\nn=1&s\r\n0\r\n\r\n", 1000), 501);
    assert_int_equal(exchange("POST /api/led HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
                              "Content-Length: 1\r\n\r\nx", 1000), 400);
    assert_int_equal(exchange("\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", 1000), 200);  /* RFC 7230 3.5 */
}

/* The Origin / Sec-Fetch-Site check (cross-site POSTs, see http_srv.c) is
 * byte-wise like the rest of the head: the same answer in any segmentation,
 * Origin before or after Host. */
static void test_origin_check_any_segmentation(void **state)
{
    (void)state;
    static const size_t segs[] = { 1000, 13, 2, 1 };
    for (unsigned i = 0; i < sizeof segs / sizeof segs[0]; i++) {
        assert_int_equal(exchange("POST /api/led HTTP/1.1\r\nHost: 192.168.7.1\r\n"
                                  "Origin: http://evil.example\r\nContent-Length: 12\r\n\r\n"
                                  "n=1&state=on", segs[i]), 403);
        assert_non_null(strstr((const char *)cl.rx, "Content-Type: application/json"));
        assert_false(fake_board_leds[1]);
        assert_int_equal(exchange("POST /api/led HTTP/1.1\r\nOrigin: http://192.168.7.1\r\n"
                                  "Host: 192.168.7.1\r\nContent-Length: 12\r\n\r\n"
                                  "n=1&state=on", segs[i]), 200);
        assert_true(fake_board_leds[1]);
        assert_int_equal(exchange("POST /api/led HTTP/1.1\r\nHost: 192.168.7.1\r\n"
                                  "Sec-Fetch-Site: cross-site\r\nContent-Length: 13\r\n\r\n"
                                  "n=1&state=off", segs[i]), 403);
        assert_true(fake_board_leds[1]);
        assert_int_equal(exchange("POST /api/led HTTP/1.1\r\nHost: 192.168.7.1\r\n"
                                  "Content-Length: 13\r\n\r\nn=1&state=off", segs[i]), 200);
        assert_false(fake_board_leds[1]);
    }
}

/* After an error reply the client may go on sending the rest of its
 * request: it is read and dropped, the device's FIN comes after the reply,
 * and no RST (RFC 7230 6.6). */
static void test_graceful_close_after_error(void **state)
{
    (void)state;
    char junk[500];
    memset(junk, 'j', sizeof junk);
    tcp_client_init(&cl, next_port++);
    tcp_client_connect(&cl, 80);
    tcp_client_send(&cl, "BREW / HTTP/1.1\r\n", 17);
    tcp_client_pump(&cl);
    for (unsigned i = 0; i < 4; i++) {
        tcp_client_send(&cl, junk, sizeof junk);
        tcp_client_pump(&cl);
    }
    assert_true(tcp_client_wait_fin(&cl));
    assert_false(cl.rst_received);
    tcp_client_send(&cl, junk, 10);     /* still more after the device's FIN */
    tcp_client_pump(&cl);
    assert_false(cl.rst_received);
    tcp_client_close(&cl);
    assert_false(cl.rst_received);
    assert_int_equal(status_of(&cl), 501);
    harness_assert_pools_clean();
}

/* ------------------------------------------------------------ slow clients */

static void test_incomplete_request_gets_408(void **state)
{
    (void)state;
    tcp_client_init(&cl, next_port++);
    tcp_client_connect(&cl, 80);
    tcp_client_send(&cl, "GET / HTTP/1.1\r\n", 16);
    harness_advance_ms(HTTP_SRV_REQ_TIMEOUT_MS - 600u);
    tcp_client_pump(&cl);
    assert_false(cl.fin_received);      /* not before the timeout */
    assert_int_equal(cl.rx_len, 0);
    assert_true(tcp_client_wait_fin(&cl));
    tcp_client_close(&cl);
    assert_int_equal(status_of(&cl), 408);
    assert_false(cl.rst_received);
    harness_assert_pools_clean();
}

/* Issue 10: 8 connections each holding half a request hold no pool pbuf;
 * the newest always gets through (the longest idle ones are closed), a
 * complete request from another socket is answered at once, and when the
 * stalled clients are gone the pools and heap are back at idle. */
static void test_stalled_clients_hold_nothing(void **state)
{
    (void)state;
    static tcp_client_t stalled[8];
    for (unsigned i = 0; i < 8; i++) {
        tcp_client_init(&stalled[i], next_port++);
        tcp_client_connect(&stalled[i], 80);    /* every SYN gets its SYN+ACK */
        tcp_client_send(&stalled[i], "GET / HTTP/1.1\r\n", 16);
        tcp_client_pump(&stalled[i]);
        assert_false(stalled[i].rst_received);
        assert_int_equal(pool_used(), 0);       /* nothing kept per connection */
        harness_advance_ms(10);
    }
    assert_true(http_srv_conn_count() <= HTTP_SRV_CONN_MAX);
    /* a complete request on another socket, answered without any timer */
    tcp_client_init(&cl, next_port++);
    tcp_client_connect(&cl, 80);
    const char *req = "GET /api/status HTTP/1.1\r\nHost: 192.168.7.1\r\n\r\n";
    tcp_client_send(&cl, req, (uint16_t)strlen(req));
    for (unsigned i = 0; i < 8 && !cl.fin_received; i++) {
        tcp_client_pump(&cl);
    }
    assert_true(cl.fin_received);
    assert_int_equal(status_of(&cl), 200);
    tcp_client_close(&cl);
    /* the oldest stalled ones were closed to make room: they get RST now */
    tcp_client_send(&stalled[0], "Host: x\r\n\r\n", 11);
    tcp_client_pump(&stalled[0]);
    assert_true(stalled[0].rst_received);
    /* the rest go away */
    for (unsigned i = 1; i < 8; i++) {
        tcp_client_abort(&stalled[i]);
    }
    harness_advance_ms(1000);
    assert_int_equal(http_srv_conn_count(), 0);
    harness_assert_pools_clean();
    /* what the e2e tests read: idle levels, seen from one request */
    assert_int_equal(exchange("GET /api/mem HTTP/1.0\r\n\r\n", 1000), 200);
    const char *b = body_of(&cl);
    assert_non_null(strstr(b, "\"pbuf_pool\":{\"used\":0,"));
    assert_non_null(strstr(b, "\"pbuf_ref\":{\"used\":0,"));
    assert_non_null(strstr(b, "\"tcp_seg\":{\"used\":0,"));
    assert_non_null(strstr(b, "\"tcp_active\":1,\"http_conns\":1,"));
    assert_non_null(strstr(b, "\"heap\":{\"used\":0,"));
    assert_int_equal(exchange("POST /api/mem HTTP/1.0\r\nContent-Length: 1\r\n\r\nx", 1000), 405);
}

/* When all slots hold stalled requests, a new connection closes the one
 * that has been idle longest, not the most recent. */
static void test_limit_closes_longest_idle(void **state)
{
    (void)state;
    static tcp_client_t c[HTTP_SRV_CONN_MAX + 1];
    for (unsigned i = 0; i < HTTP_SRV_CONN_MAX; i++) {
        tcp_client_init(&c[i], next_port++);
        tcp_client_connect(&c[i], 80);
        tcp_client_send(&c[i], "GET", 3);
        harness_advance_ms(100);
    }
    /* c[0] speaks again: c[1] is now the longest idle */
    tcp_client_send(&c[0], " /", 2);
    harness_advance_ms(100);
    assert_int_equal(http_srv_conn_count(), HTTP_SRV_CONN_MAX);
    tcp_client_init(&c[HTTP_SRV_CONN_MAX], next_port++);
    tcp_client_connect(&c[HTTP_SRV_CONN_MAX], 80);
    assert_int_equal(http_srv_conn_count(), HTTP_SRV_CONN_MAX);
    for (unsigned i = 0; i < HTTP_SRV_CONN_MAX; i++) {
        tcp_client_send(&c[i], "x", 1);
        tcp_client_pump(&c[i]);
        assert_int_equal(c[i].rst_received, i == 1);
    }
    for (unsigned i = 0; i <= HTTP_SRV_CONN_MAX; i++) {
        if (!c[i].rst_received) {
            tcp_client_abort(&c[i]);
        }
    }
    harness_advance_ms(500);
    harness_assert_pools_clean();
}

/* Clients that ask for the page and then stop reading (window 0) hold
 * sending slots; a new connection still gets the page: the one that made no
 * progress longest is closed for it. */
static void test_stuck_readers_do_not_lock_out(void **state)
{
    (void)state;
    static tcp_client_t c[HTTP_SRV_CONN_MAX];
    const char *req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    for (unsigned i = 0; i < HTTP_SRV_CONN_MAX; i++) {
        tcp_client_init(&c[i], next_port++);
        c[i].wnd = 0;
        tcp_client_connect(&c[i], 80);
        tcp_client_send(&c[i], req, (uint16_t)strlen(req));
        harness_advance_ms(100);
    }
    assert_int_equal(http_srv_conn_count(), HTTP_SRV_CONN_MAX);
    /* no timer runs from here on: the stuck ones are not timed out */
    tcp_client_init(&cl, next_port++);
    tcp_client_connect(&cl, 80);
    tcp_client_send(&cl, req, (uint16_t)strlen(req));
    for (unsigned i = 0; i < 30 && !cl.fin_received; i++) {
        tcp_client_pump(&cl);
    }
    assert_true(cl.fin_received);
    assert_int_equal(status_of(&cl), 200);
    assert_true(body_complete(&cl));
    tcp_client_segment(&c[0], 0x10, NULL, 0);
    tcp_client_pump(&c[0]);
    assert_true(c[0].rst_received);            /* the longest stuck one went */
    tcp_client_segment(&c[1], 0x10, NULL, 0);
    tcp_client_pump(&c[1]);
    assert_false(c[1].rst_received);           /* the others are still there */
    tcp_client_close(&cl);
    for (unsigned i = 1; i < HTTP_SRV_CONN_MAX; i++) {
        tcp_client_abort(&c[i]);
    }
    harness_advance_ms(500);
    harness_assert_pools_clean();
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_head_is_get_without_body),
        T(test_host_rules),
        T(test_absolute_form_is_served),
        T(test_long_head_any_segmentation),
        T(test_oversized_heads),
        T(test_methods_versions_codings),
        T(test_graceful_close_after_error),
        T(test_origin_check_any_segmentation),
        T(test_incomplete_request_gets_408),
        T(test_stalled_clients_hold_nothing),
        T(test_limit_closes_longest_idle),
        T(test_stuck_readers_do_not_lock_out),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
