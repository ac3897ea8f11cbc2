/* test_http_api.c - the web page and JSON API (http_api.c + app.c) through
 * our HTTP server (http_srv.c): raw Ethernet/IPv4/TCP frames from a host-side client
 * (tcp_client.c) into the harness netif, the full HTTP response read back,
 * lwIP's pools checked after every exchange. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "app/app.h"
#include "config.h"
#include "fake_board.h"
#include "net/iperf.h"
#include "http_api.h"
#include "lwip/apps/fs.h"
#include "lwip/mem.h"
#include "lwip/stats.h"
#include "link_stats.h"
#include "lwip_harness.h"
#include "net.h"
#include "tcp_client.h"

static uint16_t next_port = 40000;

static int setup(void **state)
{
    (void)state;
    harness_init();
    memset(fake_board_leds, 0, sizeof fake_board_leds);
    fake_board_button = false;
    fake_board_presses = 0;
    app_init();
    http_api_init();
    harness_mark();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    harness_teardown();
    return 0;
}

/* ------------------------------------------------------------ responses */

typedef struct {
    int status;
    char head[1024];     /* status line + headers, NUL-terminated */
    const char *body;    /* into the client's buffer */
    size_t body_len;
} resp_t;

static tcp_client_t client;
static bool check_pools = true;   /* off while a test holds another connection open */

/* Splits a response, checks the framing every response must have: HTTP/1.0
 * status line, Content-Length equal to the body received, then the
 * connection closed by the device. */
static void parse_response(const char *raw, size_t len, resp_t *r)
{
    const char *end = strstr(raw, "\r\n\r\n");
    assert_non_null(end);
    size_t hlen = (size_t)(end - raw) + 2u;
    assert_true(hlen < sizeof r->head);
    memcpy(r->head, raw, hlen);
    r->head[hlen] = 0;
    r->body = end + 4;
    r->body_len = len - (hlen + 2u);
    assert_memory_equal(raw, "HTTP/1.0 ", 9);
    r->status = atoi(raw + 9);
    const char *cl = strstr(r->head, "\r\nContent-Length: ");
    assert_non_null(cl);
    assert_int_equal(strtoul(cl + 18, NULL, 10), r->body_len);
}

static void request(const char *req, resp_t *r)
{
    tcp_client_init(&client, next_port++);
    tcp_client_exchange(&client, req, strlen(req));
    assert_false(client.rst_received);
    parse_response((const char *)client.rx, client.rx_len, r);
    if (check_pools) {
        harness_assert_pools_clean();
    }
}

static void get(const char *path, resp_t *r)
{
    char req[256];
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 192.168.7.1\r\nAccept: */*\r\n\r\n", path);
    request(req, r);
}

static void post(const char *path, const char *body, resp_t *r)
{
    char req[512];
    snprintf(req, sizeof req,
             "POST %s HTTP/1.1\r\nHost: 192.168.7.1\r\n"
             "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %zu\r\n\r\n%s",
             path, strlen(body), body);
    request(req, r);
}

static void assert_header(const resp_t *r, const char *line)
{
    char want[128];
    snprintf(want, sizeof want, "\r\n%s\r\n", line);
    if (strstr(r->head, want) == NULL) {
        fail_msg("header \"%s\" missing in:\n%s", line, r->head);
    }
}

static void assert_body_contains(const resp_t *r, const char *s)
{
    if (strstr(r->body, s) == NULL) {
        fail_msg("\"%s\" not in body: %.*s", s, (int)r->body_len, r->body);
    }
}

/* ------------------------------------------------------------ strict JSON (RFC 8259) */

static const char *js_ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) {
        p++;
    }
    return p;
}

static const char *js_value(const char *p, const char *e, int depth);

static const char *js_string(const char *p, const char *e)
{
    if (p >= e || *p != '"') {
        return NULL;
    }
    for (p++; p < e; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"') {
            return p + 1;
        }
        if (c < 0x20u) {
            return NULL;
        }
        if (c == '\\') {
            if (++p >= e) {
                return NULL;
            }
            if (*p == 'u') {
                for (int i = 0; i < 4; i++) {
                    if (++p >= e || strchr("0123456789abcdefABCDEF", *p) == NULL || *p == 0) {
                        return NULL;
                    }
                }
            } else if (strchr("\"\\/bfnrt", *p) == NULL || *p == 0) {
                return NULL;
            }
        }
    }
    return NULL;
}

static const char *js_number(const char *p, const char *e)
{
    const char *s = p;
    if (p < e && *p == '-') {
        p++;
    }
    if (p < e && *p == '0') {
        p++;
    } else if (p < e && *p >= '1' && *p <= '9') {
        while (p < e && *p >= '0' && *p <= '9') {
            p++;
        }
    } else {
        return NULL;
    }
    if (p < e && *p == '.') {
        if (++p >= e || *p < '0' || *p > '9') {
            return NULL;
        }
        while (p < e && *p >= '0' && *p <= '9') {
            p++;
        }
    }
    return p > s ? p : NULL;
}

static const char *js_value(const char *p, const char *e, int depth)
{
    if (depth > 8 || (p = js_ws(p, e)) >= e) {
        return NULL;
    }
    if (*p == '{' || *p == '[') {
        char close = *p == '{' ? '}' : ']';
        int obj = *p == '{';
        p = js_ws(p + 1, e);
        if (p < e && *p == close) {
            return p + 1;
        }
        for (;;) {
            if (obj) {
                p = js_string(js_ws(p, e), e);
                if (p == NULL || (p = js_ws(p, e)) >= e || *p != ':') {
                    return NULL;
                }
                p++;
            }
            p = js_value(p, e, depth + 1);
            if (p == NULL || (p = js_ws(p, e)) >= e) {
                return NULL;
            }
            if (*p == close) {
                return p + 1;
            }
            if (*p != ',') {
                return NULL;
            }
            p++;
        }
    }
    if (*p == '"') {
        return js_string(p, e);
    }
    if ((size_t)(e - p) >= 4 && (memcmp(p, "true", 4) == 0 || memcmp(p, "null", 4) == 0)) {
        return p + 4;
    }
    if ((size_t)(e - p) >= 5 && memcmp(p, "false", 5) == 0) {
        return p + 5;
    }
    return js_number(p, e);
}

static void assert_json(const resp_t *r)
{
    const char *e = r->body + r->body_len;
    const char *p = js_value(r->body, e, 0);
    if (p == NULL || js_ws(p, e) != e || r->body[0] != '{') {
        fail_msg("not a JSON object: %.*s", (int)r->body_len, r->body);
    }
    assert_header(r, "Content-Type: application/json");
    assert_header(r, "Cache-Control: no-store");
    assert_header(r, "Connection: close");
}

static void test_json_checker_rejects(void **state)
{
    (void)state;
    static const char *bad[] = {"{", "{\"a\":}", "{\"a\":1,}", "{a:1}", "[1 2]", "{\"a\":01}",
                                "{\"a\":\"x\ny\"}", "{\"a\":tru}", "{\"a\":1}x", "{\"a\":\"\\q\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *e = bad[i] + strlen(bad[i]);
        const char *p = js_value(bad[i], e, 0);
        if (p != NULL && js_ws(p, e) == e) {
            fail_msg("accepted %s", bad[i]);
        }
    }
    const char *ok = "{\"a\":[1,-2.5,true,false,null,{}],\"b\":\"\\u00e9\\\"\"}";
    const char *p = js_value(ok, ok + strlen(ok), 0);
    assert_ptr_equal(p, ok + strlen(ok));
}

static void assert_error(const resp_t *r, int status, const char *msg)
{
    char want[96];
    assert_int_equal(r->status, status);
    assert_json(r);
    snprintf(want, sizeof want, "{\"error\":\"%s\"}", msg);
    assert_int_equal(r->body_len, strlen(want));
    assert_memory_equal(r->body, want, r->body_len);
}

static void assert_no_change(void)
{
    for (unsigned i = 0; i < BOARD_LED_COUNT; i++) {
        assert_false(fake_board_leds[i]);
    }
    assert_false(app_time_is_set());
}

/* ------------------------------------------------------------ tests */

static void test_index_page(void **state)
{
    (void)state;
    resp_t r;
    get("/", &r);
    assert_int_equal(r.status, 200);
    assert_header(&r, "Content-Type: text/html");
    /* stored gzip-compressed (web.mk): RFC 1952 member, magic 1f 8b, method
     * 8 (deflate); its trailer's ISIZE is the page's length. What the page
     * shows is the browser test's business (tests/e2e/40-browser.sh). */
    assert_header(&r, "Content-Encoding: gzip");
    assert_true(r.body_len > 1000u);   /* the whole file, over several segments */
    assert_int_equal((uint8_t)r.body[0], 0x1f);
    assert_int_equal((uint8_t)r.body[1], 0x8b);
    assert_int_equal((uint8_t)r.body[2], 8);
    const uint8_t *t = (const uint8_t *)r.body + r.body_len - 4u;
    uint32_t isize = (uint32_t)t[0] | (uint32_t)t[1] << 8 | (uint32_t)t[2] << 16 | (uint32_t)t[3] << 24;
    assert_true(isize > r.body_len);   /* it did compress */
}

static void test_status(void **state)
{
    (void)state;
    resp_t r;
    get("/api/status", &r);
    assert_int_equal(r.status, 200);
    assert_header(&r, "Server: stm32net");
    assert_json(&r);
    assert_memory_equal(r.body, "{\"hostname\":\"stm32net\",\"ip\":\"192.168.7.1\",\"uptime_ms\":", 53);
    assert_body_contains(&r, "\"time\":\"1970-01-01T00:");
    assert_body_contains(&r, "\"time_set\":false");
    assert_body_contains(&r, "\"leds\":[0,0,0,0],\"button\":0,");
    assert_body_contains(&r, "\"link\":{\"rx_frames\":");
    assert_body_contains(&r, "\"tx_dropped\":");
    assert_body_contains(&r, ",\"class\":\"ecm\"},\"iperf\":{\"sessions\":0,\"bytes\":0}}");

    fake_board_button = true;
    get("/api/status?x=1", &r);     /* a query does not change the resource */
    assert_int_equal(r.status, 200);
    assert_json(&r);
    assert_body_contains(&r, "\"button\":1,");
}

static void test_led_on_and_status_shows_it(void **state)
{
    (void)state;
    resp_t r;
    post("/api/led", "n=1&state=on", &r);
    assert_int_equal(r.status, 200);
    assert_json(&r);
    assert_int_equal(r.body_len, strlen("{\"led\":1,\"state\":1,\"leds\":[0,1,0,0]}"));
    assert_memory_equal(r.body, "{\"led\":1,\"state\":1,\"leds\":[0,1,0,0]}", r.body_len);
    assert_true(fake_board_leds[1]);
    assert_false(fake_board_leds[0]);
    get("/api/status", &r);
    assert_json(&r);
    assert_body_contains(&r, "\"leds\":[0,1,0,0]");

    post("/api/led", "state=off&n=1", &r);   /* any order */
    assert_int_equal(r.status, 200);
    assert_false(fake_board_leds[1]);
}

static void test_led_toggle(void **state)
{
    (void)state;
    resp_t r;
    post("/api/led", "n=3&state=toggle", &r);
    assert_int_equal(r.status, 200);
    assert_memory_equal(r.body, "{\"led\":3,\"state\":1,\"leds\":[0,0,0,1]}", r.body_len);
    assert_true(fake_board_leds[3]);
    post("/api/led", "n=3&state=toggle", &r);
    assert_int_equal(r.status, 200);
    assert_memory_equal(r.body, "{\"led\":3,\"state\":0,\"leds\":[0,0,0,0]}", r.body_len);
    assert_false(fake_board_leds[3]);
}

static void test_time_set(void **state)
{
    (void)state;
    resp_t r;
    post("/api/time", "epoch=1700000000", &r);
    assert_int_equal(r.status, 200);
    assert_json(&r);
    const char *want = "{\"time\":\"2023-11-14T22:13:20Z\",\"epoch\":1700000000,\"time_set\":true}";
    assert_int_equal(r.body_len, strlen(want));
    assert_memory_equal(r.body, want, r.body_len);
    assert_true(app_time_is_set());
    /* each exchange lets TIME_WAIT (2 min) pass: the clock runs on */
    get("/api/status", &r);
    assert_json(&r);
    assert_body_contains(&r, "\"time\":\"2023-11-14T22:1");
    assert_body_contains(&r, "\"time_set\":true");
    assert_true(app_time_epoch() > 1700000100u && app_time_epoch() < 1700000400u);
}

static void test_bad_posts_are_400_and_change_nothing(void **state)
{
    (void)state;
    static const struct {
        const char *path, *body, *msg;
    } cases[] = {
        {"/api/led", "n=9&state=on", "bad n"},
        {"/api/led", "n=4&state=on", "bad n"},
        {"/api/led", "n=-1&state=on", "bad n"},
        {"/api/led", "n=&state=on", "bad n"},
        {"/api/led", "n=0001&state=on", "bad n"},
        {"/api/led", "n=1&state=blink", "bad state"},
        {"/api/led", "n=1&state=ON", "bad state"},
        {"/api/led", "n=1&state=on%00", "bad state"},
        {"/api/led", "state=on", "missing n"},
        {"/api/led", "n=1", "missing state"},
        {"/api/led", "n=1&state=on&n=2", "duplicate parameter"},
        {"/api/led", "n=1&state=on&x=1", "unknown parameter"},
        {"/api/led", "n=1&state=on&", "malformed body"},
        {"/api/led", "n=1&&state=on", "malformed body"},
        {"/api/led", "=1", "malformed body"},
        {"/api/led", "garbage", "malformed body"},
        {"/api/led", "", "empty body"},
        {"/api/time", "epoch=x", "bad epoch"},
        {"/api/time", "epoch=", "bad epoch"},
        {"/api/time", "epoch=17e8", "bad epoch"},
        {"/api/time", "epoch=253402300800", "bad epoch"},
        {"/api/time", "epoch=99999999999999999999", "bad epoch"},
        {"/api/time", "epoch=1700000000&epoch=1", "duplicate parameter"},
        {"/api/time", "time=1700000000", "unknown parameter"},
        {"/api/time", "n=1&state=on", "unknown parameter"},
        {"/api/led",
         "n=1&state=on&aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
         "body too long"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        resp_t r;
        post(cases[i].path, cases[i].body, &r);
        if (r.status != 400) {
            fail_msg("case %zu (%s): status %d", i, cases[i].body, r.status);
        }
        assert_error(&r, 400, cases[i].msg);
        assert_no_change();
    }
}

static void test_body_of_exactly_max_is_read(void **state)
{
    (void)state;
    resp_t r;
    char body[HTTP_API_BODY_MAX + 2];
    /* leading zeros make the epoch field as long as needed: 64 bytes in all */
    memset(body, 0, sizeof body);
    strcpy(body, "epoch=");
    size_t pad = HTTP_API_BODY_MAX - strlen("epoch=") - strlen("1700000000");
    memset(body + 6, '0', pad);
    strcpy(body + 6 + pad, "1700000000");
    assert_int_equal(strlen(body), HTTP_API_BODY_MAX);
    post("/api/time", body, &r);
    assert_error(&r, 400, "bad epoch");     /* too many digits, but read and parsed */
    body[HTTP_API_BODY_MAX - 1] = 0;
    strcat(body, "00");
    post("/api/time", body, &r);
    assert_error(&r, 400, "body too long");
    assert_no_change();
}

static void test_get_on_actions_is_405(void **state)
{
    (void)state;
    resp_t r;
    get("/api/led?n=1&state=on", &r);
    assert_error(&r, 405, "use POST");
    assert_header(&r, "Allow: POST");
    assert_true(strncmp(r.head, "HTTP/1.0 405 Method Not Allowed\r\n", 33) == 0);
    get("/api/time?epoch=1700000000", &r);
    assert_error(&r, 405, "use POST");
    assert_header(&r, "Allow: POST");
    assert_no_change();

    post("/api/status", "x=1", &r);
    assert_error(&r, 405, "use GET");
    assert_header(&r, "Allow: GET");

    /* the static page exists too: POST to it is 405, not 404 (RFC 7231 6.5.5) */
    const char *statics[] = { "/", "/index.html", "/?x=1", "/index.html?a=b" };
    for (unsigned i = 0; i < sizeof statics / sizeof statics[0]; i++) {
        post(statics[i], "n=1&state=on", &r);
        assert_error(&r, 405, "use GET");
        assert_header(&r, "Allow: GET");
        assert_true(strncmp(r.head, "HTTP/1.0 405 Method Not Allowed\r\n", 33) == 0);
    }
    assert_no_change();
}

static void test_unknown_paths_are_404(void **state)
{
    (void)state;
    resp_t r;
    get("/nope", &r);
    assert_int_equal(r.status, 404);
    assert_header(&r, "Content-Type: text/html");
    assert_body_contains(&r, "Not Found");
    get("/api/nope", &r);
    assert_error(&r, 404, "not found");
    get("/api/.post", &r);   /* the internal result name holds nothing for a GET */
    assert_error(&r, 404, "not found");
    post("/nope", "n=1&state=on", &r);
    assert_int_equal(r.status, 404);
    assert_body_contains(&r, "Not Found");
    post("/nope/", "n=1&state=on", &r);      /* a directory without an index */
    assert_int_equal(r.status, 404);
    post("/index.htmlx", "n=1&state=on", &r);
    assert_int_equal(r.status, 404);
    post("/api/ledx", "n=1&state=on", &r);
    assert_int_equal(r.status, 404);
    assert_no_change();
}

static void test_other_methods_and_malformed(void **state)
{
    (void)state;
    resp_t r;
    /* HEAD (RFC 7231 4.3.2) is tested in test_http_srv.c: no body to frame */
    request("DELETE /api/led HTTP/1.1\r\nHost: x\r\n\r\n", &r);
    assert_int_equal(r.status, 501);
    /* POST without Content-Length has an empty body (RFC 7230 3.3.3) */
    request("POST /api/led HTTP/1.1\r\nHost: x\r\n\r\nn=1&state=on", &r);
    assert_error(&r, 400, "empty body");
    request("POST /api/led HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\nn=1&state=on", &r);
    assert_int_equal(r.status, 400);
    assert_no_change();
}

static void test_extra_bytes_after_content_length_ignored(void **state)
{
    (void)state;
    resp_t r;
    request("POST /api/led HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nn=2&state=offGARBAGE", &r);
    /* only "n=2&state=" was the body */
    assert_error(&r, 400, "bad state");
    request("POST /api/led HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\nn=2&state=onGARBAGE", &r);
    assert_int_equal(r.status, 200);
    assert_true(fake_board_leds[2]);
}

static void test_body_in_later_segments(void **state)
{
    (void)state;
    resp_t r;
    const char *head = "POST /api/led HTTP/1.1\r\nHost: x\r\nContent-Length: 16\r\n\r\n";
    tcp_client_init(&client, next_port++);
    tcp_client_connect(&client, 80);
    tcp_client_send(&client, head, (uint16_t)strlen(head));
    harness_advance_ms(500);
    assert_false(client.fin_received);
    tcp_client_send(&client, "n=0&sta", 7);
    assert_false(fake_board_leds[0]);
    tcp_client_send(&client, "te=toggle", 9);
    assert_true(tcp_client_wait_fin(&client));
    tcp_client_close(&client);
    parse_response((const char *)client.rx, client.rx_len, &r);
    assert_int_equal(r.status, 200);
    assert_true(fake_board_leds[0]);
    harness_assert_pools_clean();
}

static void test_second_post_while_body_pending_is_503(void **state)
{
    (void)state;
    resp_t r;
    tcp_client_t a;
    const char *head = "POST /api/led HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\n";
    tcp_client_init(&a, next_port++);
    tcp_client_connect(&a, 80);
    tcp_client_send(&a, head, (uint16_t)strlen(head));

    /* another connection meanwhile (kept short: httpd drops a connection
     * that stays silent for ~10 s) */
    tcp_client_t b;
    const char *req = "POST /api/led HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\nn=1&state=on";
    tcp_client_init(&b, next_port++);
    tcp_client_connect(&b, 80);
    tcp_client_send(&b, req, (uint16_t)strlen(req));
    assert_true(tcp_client_wait_fin(&b));
    parse_response((const char *)b.rx, b.rx_len, &r);
    assert_error(&r, 503, "busy");
    assert_header(&r, "Retry-After: 1");
    assert_false(fake_board_leds[1]);

    tcp_client_send(&a, "n=2&state=on", 12);
    assert_true(tcp_client_wait_fin(&a));
    tcp_client_close(&b);
    tcp_client_close(&a);
    parse_response((const char *)a.rx, a.rx_len, &r);
    assert_int_equal(r.status, 200);
    assert_true(fake_board_leds[2]);
    harness_assert_pools_clean();

    post("/api/led", "n=1&state=on", &r);    /* the slot is free again */
    assert_int_equal(r.status, 200);
    assert_true(fake_board_leds[1]);
}

static void test_reset_mid_body_frees_the_slot(void **state)
{
    (void)state;
    resp_t r;
    tcp_client_t a;
    const char *head = "POST /api/led HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\nn=2&";
    tcp_client_init(&a, next_port++);
    tcp_client_connect(&a, 80);
    tcp_client_send(&a, head, (uint16_t)strlen(head));
    tcp_client_abort(&a);                    /* httpd frees it without telling us */
    harness_advance_ms(1000);                /* TCP timer stops when idle */
    harness_assert_pools_clean();
    post("/api/led", "n=1&state=on", &r);
    assert_int_equal(r.status, 200);
    assert_true(fake_board_leds[1]);
    assert_false(fake_board_leds[2]);
}

/* A body owner that vanished (RST): the server tells http_api at once
 * (httpd_post_finished from its error callback), so the slot is free for the
 * next POST right away instead of after HTTP_API_BODY_STALE_MS. */
static void test_abandoned_body_frees_slot_at_once(void **state)
{
    (void)state;
    resp_t r;
    tcp_client_t a;
    const char *head = "POST /api/led HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\n";
    tcp_client_init(&a, next_port++);
    tcp_client_connect(&a, 80);
    tcp_client_send(&a, head, (uint16_t)strlen(head));
    tcp_client_abort(&a);
    post("/api/led", "n=1&state=on", &r);
    assert_int_equal(r.status, 200);
    assert_true(fake_board_leds[1]);
}

static void test_overlong_and_incomplete_requests(void **state)
{
    (void)state;
    resp_t r;
    char big[1200];
    /* a request-target longer than HTTP_SRV_TARGET_MAX, in 2 segments: 414
     * after the first (RFC 7231 6.5.12), the rest is read and dropped */
    memcpy(big, "GET /", 5);
    memset(big + 5, 'a', sizeof big - 5);
    tcp_client_init(&client, next_port++);
    tcp_client_connect(&client, 80);
    tcp_client_send(&client, big, 600);
    tcp_client_send(&client, big + 600, 600);
    assert_true(tcp_client_wait_fin(&client));
    assert_false(client.rst_received);
    tcp_client_close(&client);
    parse_response((const char *)client.rx, client.rx_len, &r);
    assert_int_equal(r.status, 414);
    harness_assert_pools_clean();

    /* no version (HTTP/0.9 is not served): 400 */
    request("GET /\r\n\r\n", &r);
    assert_int_equal(r.status, 400);

    /* a body that never completes: 408 after HTTP_SRV_REQ_TIMEOUT_MS */
    tcp_client_init(&client, next_port++);
    tcp_client_connect(&client, 80);
    const char *part = "POST /api/led HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\nn=1";
    tcp_client_send(&client, part, (uint16_t)strlen(part));
    assert_true(tcp_client_wait_fin(&client));
    tcp_client_close(&client);
    parse_response((const char *)client.rx, client.rx_len, &r);
    assert_int_equal(r.status, 408);
    harness_assert_pools_clean();
    assert_no_change();
    post("/api/led", "n=1&state=on", &r);        /* and the slot was released */
    assert_int_equal(r.status, 200);
}

static void test_directory_paths(void **state)
{
    (void)state;
    resp_t r;
    get("/api/status/", &r);
    assert_int_equal(r.status, 404);
    get("/api/", &r);
    assert_int_equal(r.status, 404);
    get("/index.html", &r);
    assert_int_equal(r.status, 200);
}

/* fs.c's hooks, implemented by http_api.c */
int fs_open_custom(struct fs_file *file, const char *name);
void fs_close_custom(struct fs_file *file);

/* While the one response buffer is held (a response still waiting for room
 * in the TCP send queue), other API requests get the constant 503 and
 * nothing changes; the static page is still served. */
static void test_response_buffer_held_gives_503(void **state)
{
    (void)state;
    resp_t r;
    struct fs_file held;
    memset(&held, 0, sizeof held);
    assert_int_equal(fs_open_custom(&held, "/api/status"), 1);
    assert_true(held.len > 0 && memcmp(held.data, "HTTP/1.0 200 OK\r\n", 17) == 0);
    assert_int_equal(fs_open_custom(&held, "/index.html"), 0);   /* not ours */
    /* the held response is a heap block trimmed to its length (http_api.c) */
    assert_true(lwip_stats.mem.used >= (mem_size_t)held.len &&
                lwip_stats.mem.used <= (mem_size_t)held.len + 32u);   /* + lwIP's block header */
    check_pools = false;   /* that block is in use on purpose until fs_close */

    get("/api/status", &r);
    assert_error(&r, 503, "busy");
    post("/api/led", "n=1&state=on", &r);
    assert_error(&r, 503, "busy");
    assert_no_change();
    get("/", &r);
    assert_int_equal(r.status, 200);

    fs_close_custom(&held);
    check_pools = true;    /* the block is back: the heap is at idle again */
    post("/api/led", "n=1&state=on", &r);
    assert_int_equal(r.status, 200);
    assert_true(fake_board_leds[1]);
}

/* The response is a heap block (http_api.c): when the heap has no
 * HTTP_API_RESP_MAX block free (fragments or other send queues hold it),
 * the answer is the constant 503 and a POST's action does not run; the
 * heap back, the same requests succeed. */
static void test_heap_short_gives_503(void **state)
{
    (void)state;
    resp_t r;
    /* leave less than one response block, but room for the 503's copy */
    void *hog = mem_malloc((mem_size_t)(MEM_SIZE - lwip_stats.mem.used - 600u));
    assert_non_null(hog);
    check_pools = false;   /* the hog is in use on purpose */
    get("/api/status", &r);
    assert_error(&r, 503, "busy");
    post("/api/led", "n=1&state=on", &r);
    assert_error(&r, 503, "busy");
    assert_no_change();
    mem_free(hog);
    check_pools = true;
    get("/api/status", &r);
    assert_int_equal(r.status, 200);
    post("/api/led", "n=1&state=on", &r);
    assert_int_equal(r.status, 200);
    assert_true(fake_board_leds[1]);
}

static void test_many_requests_no_leak(void **state)
{
    (void)state;
    resp_t r;
    for (unsigned i = 0; i < 20; i++) {
        post("/api/led", "n=0&state=toggle", &r);
        assert_int_equal(r.status, 200);
        get("/api/status", &r);
        assert_int_equal(r.status, 200);
        assert_json(&r);
        assert_body_contains(&r, (i & 1u) ? "\"leds\":[0,0,0,0]" : "\"leds\":[1,0,0,0]");
    }
}

static void test_status_worst_case_fits(void **state)
{
    (void)state;
    resp_t r;
    char saved[CONFIG_NAME_MAX];
    memcpy(saved, fw_config.hostname, sizeof saved);
    memset(fw_config.hostname, 'w', CONFIG_NAME_MAX - 1u);   /* longest valid label */
    fw_config.hostname[CONFIG_NAME_MAX - 1u] = 0;
    memcpy(fw_config.ip, (uint8_t[]){192, 168, 7, 1}, 4);
    memset(&link_stats, 0xFF, sizeof link_stats);   /* every counter at 2^32-1 */
    memset(&iperf_stats, 0xFF, sizeof iperf_stats);
    fake_board_button = true;
    fake_board_presses = 0xFFFFFFFFu;   /* app_init saw 0: 2^32-1 presses */
    fake_board_ms = 0xFFFFFFFFu;
    assert_int_equal(app_time_set_epoch(APP_EPOCH_MAX), 0);
    get("/api/status", &r);
    memcpy(fw_config.hostname, saved, sizeof saved);
    memset(&link_stats, 0, sizeof link_stats);
    memset(&iperf_stats, 0, sizeof iperf_stats);
    assert_int_equal(r.status, 200);
    assert_json(&r);
    assert_body_contains(&r, "\"button_presses\":4294967295,");
    assert_body_contains(&r, "\"tx_errors\":4294967295,\"class\":\"ecm\"},");
    assert_body_contains(&r, "\"iperf\":{\"sessions\":4294967295,\"bytes\":4294967295}}");
    /* the mDNS name of the longest hostname (a conflict suffix adds <= 4, mdns_name.h) */
    assert_body_contains(&r, "\"mdns_name\":\"wwwwwwwwwwwwwwwwwwwwwwwwwwwwwww.local\"");
    /* every member is in now (link.class included): at least 40 bytes stay
     * below what HTTP_API_RESP_MAX leaves for the body */
    printf("worst /api/status body: %zu bytes of %u\n", strlen(r.body), HTTP_API_RESP_MAX - 192u);
    assert_true(strlen(r.body) + 40u <= HTTP_API_RESP_MAX - 192u);
}

/* POST /api/bootloader (issue 12): only with confirm=yes; the timing is
 * test_app.c's (app_bootloader_due) */
static void test_bootloader(void **state)
{
    (void)state;
    resp_t r;
    const char *bad[] = {"x=1", "confirm=no", "confirm=yess", "confirm=yes&confirm=yes"};
    get("/api/bootloader", &r);
    assert_int_equal(r.status, 405);
    assert_header(&r, "Allow: POST");
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        post("/api/bootloader", bad[i], &r);
        assert_int_equal(r.status, 400);
        fake_board_ms += 2u * APP_BOOTLOADER_DELAY_MS;
        app_poll();
        assert_false(app_bootloader_due());
    }
    post("/api/bootloader", "confirm=yes", &r);
    assert_int_equal(r.status, 200);
    assert_json(&r);
    assert_body_contains(&r, "{\"bootloader\":true,\"in_ms\":500}");
    fake_board_ms += APP_BOOTLOADER_DELAY_MS;
    app_poll();
    assert_true(app_bootloader_due());
    assert_false(app_bootloader_due());          /* once */
}

static void test_info(void **state)
{
    (void)state;
    resp_t r;
    get("/api/info", &r);
    assert_int_equal(r.status, 200);
    assert_json(&r);
    assert_body_contains(&r, "{\"version\":\"" APP_VERSION "\",\"build\":\"");
    assert_body_contains(&r, ",\"serial\":\"");
    assert_body_contains(&r, ",\"reset\":\"pin\",\"stack_used\":null,\"leases\":[]}");
    post("/api/info", "x=1", &r);
    assert_int_equal(r.status, 405);
    assert_header(&r, "Allow: GET");
}

/* ------------------------------------------------------------ cross-site POSTs */

/* A POST /api/led with extra header lines (each ending in CRLF). */
static void post_with(const char *host, const char *extra, const char *body, resp_t *r)
{
    char req[1400];
    snprintf(req, sizeof req,
             "POST /api/led HTTP/1.1\r\nHost: %s\r\n%s"
             "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %zu\r\n\r\n%s",
             host, extra, strlen(body), body);
    request(req, r);
}

/* The finding: any page in the host's browser could auto-submit a form to
 * the device (no CORS preflight for a form POST). A POST whose Origin is not
 * the device as the request names it (its Host), or that the browser marks
 * Sec-Fetch-Site: cross-site, is 403 and acts on nothing (RFC 6454 7, Fetch
 * Metadata); without Origin (curl, wget) it is served. */
static void test_cross_origin_post_is_403(void **state)
{
    (void)state;
    resp_t r;
    static const char *const refused[] = {
        "Origin: http://evil.example\r\n",
        "Origin: null\r\n",                                  /* opaque origin: sandboxed frame */
        "Origin: https://192.168.7.1\r\n",                   /* another scheme, another origin */
        "Origin: http://192.168.7.1:8080\r\n",               /* another port */
        "Origin: http://192.168.7.10\r\n",                   /* Host is a prefix of it */
        "Origin: http://192.168.7\r\n",                      /* it is a prefix of Host */
        "Origin: http://192.168.7.1/\r\n",                   /* not a serialized origin */
        "Origin: http://192.168.7.1 x\r\n",
        "Origin: http://\r\n",
        "Origin:\r\n",
        "Origin: http://192.168.7.1\r\nOrigin: http://192.168.7.1\r\n",   /* RFC 6454 7.3: one */
        "Sec-Fetch-Site: cross-site\r\n",
        "sec-fetch-site: Cross-Site \r\n",
        "Origin: http://192.168.7.1\r\nSec-Fetch-Site: cross-site\r\n",
    };
    for (unsigned i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        post_with("192.168.7.1", refused[i], "n=1&state=on", &r);
        if (r.status != 403) {
            fail_msg("%s: status %d", refused[i], r.status);
        }
        assert_error(&r, 403, "cross-origin request refused");
        assert_header(&r, "Cache-Control: no-store");
        assert_no_change();                               /* the LED stays off */
    }
    /* the bootloader request of the finding */
    request("POST /api/bootloader HTTP/1.1\r\nHost: 192.168.7.1\r\nOrigin: http://evil.example\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 11\r\n\r\nconfirm=yes", &r);
    assert_error(&r, 403, "cross-origin request refused");
    fake_board_ms += 2u * APP_BOOTLOADER_DELAY_MS;
    app_poll();
    assert_false(app_bootloader_due());
    /* Origin before Host: compared the other way round */
    request("POST /api/time HTTP/1.1\r\nOrigin: http://evil.example\r\nHost: 192.168.7.1\r\n"
            "Content-Length: 8\r\n\r\nepoch=99", &r);
    assert_error(&r, 403, "cross-origin request refused");
    assert_no_change();
    /* HTTP/1.0 without Host: nothing to compare Origin with */
    request("POST /api/led HTTP/1.0\r\nOrigin: http://192.168.7.1\r\nContent-Length: 12\r\n\r\n"
            "n=1&state=on", &r);
    assert_error(&r, 403, "cross-origin request refused");
    assert_no_change();
}

static void test_same_origin_and_originless_posts_are_served(void **state)
{
    (void)state;
    resp_t r;
    struct { const char *host, *extra; } ok[] = {
        { "192.168.7.1", "" },                                            /* curl, wget */
        { "192.168.7.1", "Origin: http://192.168.7.1\r\n" },              /* the page's fetch() */
        { "192.168.7.1", "Origin: http://192.168.7.1\r\nSec-Fetch-Site: same-origin\r\n" },
        { "stm32net.usb", "Origin: http://stm32net.usb\r\n" },
        { "STM32NET.local", "Origin:  HTTP://stm32net.LOCAL \r\n" },      /* no case, OWS */
        { "127.0.0.1:18080", "Origin: http://127.0.0.1:18080\r\n" },      /* a forwarded port */
        { "192.168.7.1", "Sec-Fetch-Site: same-site\r\n" },
        { "192.168.7.1", "Sec-Fetch-Site: none\r\n" },                    /* typed by the user */
    };
    for (unsigned i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        post_with(ok[i].host, ok[i].extra, "n=2&state=toggle", &r);
        if (r.status != 200) {
            fail_msg("Host %s, %s: status %d", ok[i].host, ok[i].extra, r.status);
        }
        assert_true(fake_board_leds[2] == (i % 2u == 0u));
    }
    /* Origin first, then Host */
    request("POST /api/led HTTP/1.1\r\nOrigin: http://192.168.7.1\r\nHost: 192.168.7.1\r\n"
            "Content-Length: 12\r\n\r\nn=3&state=on", &r);
    assert_int_equal(r.status, 200);
    assert_true(fake_board_leds[3]);
    /* GET is safe (RFC 7231 4.2.1) and the same-origin policy hides its answer */
    char req[256];
    snprintf(req, sizeof req, "GET /api/status HTTP/1.1\r\nHost: 192.168.7.1\r\n"
                              "Origin: http://evil.example\r\nSec-Fetch-Site: cross-site\r\n\r\n");
    request(req, &r);
    assert_int_equal(r.status, 200);
}

/* Over-long values are compared within the same few bytes: a Host longer
 * than the kept authority makes a POST with Origin 403 (never an overflow),
 * one without Origin is served; an Origin of ~900 bytes is a plain mismatch. */
static void test_long_origin_and_host_are_bounded(void **state)
{
    (void)state;
    resp_t r;
    char host[200], extra[800];
    memset(host, 'h', sizeof host - 1u);
    host[sizeof host - 1u] = '\0';
    snprintf(extra, sizeof extra, "Origin: http://%s\r\n", host);
    post_with(host, extra, "n=1&state=on", &r);
    assert_error(&r, 403, "cross-origin request refused");
    assert_no_change();
    post_with(host, "", "n=1&state=on", &r);
    assert_int_equal(r.status, 200);
    assert_true(fake_board_leds[1]);
    memset(extra, 'o', sizeof extra);
    memcpy(extra, "Origin: http://192.168.7.1", 26);
    memcpy(extra + sizeof extra - 3u, "\r\n", 3);
    post_with("192.168.7.1", extra, "n=0&state=on", &r);
    assert_error(&r, 403, "cross-origin request refused");
    assert_false(fake_board_leds[0]);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_checker_rejects),
        T(test_index_page),
        T(test_info),
        T(test_bootloader),
        T(test_status),
        T(test_led_on_and_status_shows_it),
        T(test_led_toggle),
        T(test_time_set),
        T(test_bad_posts_are_400_and_change_nothing),
        T(test_body_of_exactly_max_is_read),
        T(test_get_on_actions_is_405),
        T(test_unknown_paths_are_404),
        T(test_other_methods_and_malformed),
        T(test_extra_bytes_after_content_length_ignored),
        T(test_body_in_later_segments),
        T(test_second_post_while_body_pending_is_503),
        T(test_reset_mid_body_frees_the_slot),
        T(test_abandoned_body_frees_slot_at_once),
        T(test_overlong_and_incomplete_requests),
        T(test_directory_paths),
        T(test_response_buffer_held_gives_503),
        T(test_heap_short_gives_503),
        T(test_many_requests_no_leak),
        T(test_status_worst_case_fits),
        T(test_cross_origin_post_is_403),
        T(test_same_origin_and_originless_posts_are_served),
        T(test_long_origin_and_host_are_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
