/*
 * http_api.c - the JSON API (see http_api.h) behind our HTTP server (http_srv.c).
 *
 * Layer: firmware/net. Includes lwIP headers, app/app.h and <string.h> only;
 * no heap, no printf family.
 *
 * How it sits on the server (http_srv.c, which calls lwIP's fs.c and the
 * httpd_post_* hooks with the signatures of lwIP's httpd.h):
 *  - GET: the server calls fs_open(uri) and fs.c asks fs_open_custom() first. For
 *    /api/... we produce the whole response - status line, headers, JSON -
 *    flagged FS_FILE_FLAGS_HEADER_INCLUDED, which is how any status code
 *    (405, 404, 503) can be returned. Other paths fall through to the flash
 *    files (fsdata) and /404.html.
 *  - POST: httpd_post_begin() sees the URI and Content-Length and accepts or
 *    rejects; httpd_post_receive_data() collects the body (bounded);
 *    httpd_post_finished() acts on it and writes the response, then points
 *    the server's response_uri at HTTP_API_RESULT_URI, which it opens right
 *    away through fs_open_custom(). The server only reaches fs_open_custom with
 *    /api/led, /api/time or /api/bootloader for a GET, so those answer 405
 *    there. A POST to
 *    /api/status or to a flash file (/, /index.html) is 405 "Allow: GET"
 *    made in httpd_post_begin(); a POST to a path nothing serves is 404.
 *
 * RAM: one response at a time, in a block of lwIP's heap (not a static
 * buffer: a response lives only from the fs_open that makes it until the
 * fs_close after the server copied it into the TCP send queue, usually one
 * call, so 688 static bytes idled almost always). The block is taken at
 * HTTP_API_RESP_MAX, the document written into it, then trimmed to its
 * length (mem_trim), and freed in fs_close_custom(). Plus one POST body
 * buffer (HTTP_API_BODY_MAX + 1) for all connections. Should a second
 * request arrive while the response is still held (e.g. the first did not
 * fit into the send queue yet), while another POST body is still arriving,
 * or when the heap has no HTTP_API_RESP_MAX block free (IP fragments or
 * other connections' send queues hold it), it gets a constant 503 with
 * Retry-After (RFC 7231 6.6.4, 7.1.3) and no state changes: a POST's action
 * runs only after its response block was taken.
 *
 * Untrusted input: the request URI and the POST body. Bodies are
 * application/x-www-form-urlencoded (HTML 5 "URL-encoded form data") with
 * only the keys listed per endpoint, each once, values of a fixed syntax;
 * anything else is 400 with a JSON error. Percent-escapes are not decoded:
 * no valid value needs one. HEAD gets the GET response's header from
 * http_srv.c; other methods its 501.
 */
#include "http_api.h"
#include "http_info.h"
#include "http_srv.h"
#include "net_mem.h"
#include "app/app.h"

#include "lwip/apps/fs.h"
#include "lwip/apps/httpd.h"
#include "lwip/mem.h"
#include "lwip/pbuf.h"

#include <string.h>

/* fs.c's hooks for LWIP_HTTPD_CUSTOM_FILES (declared there, not in a header) */
int fs_open_custom(struct fs_file *file, const char *name);
void fs_close_custom(struct fs_file *file);

#define HTTP_API_RESULT_URI  "/api/.post"   /* the prepared POST response */
#define HTTP_API_BUSY_URI    "/api/.busy"   /* the constant 503 */
#define HTTP_API_HDR_MAX     192u           /* room reserved for the header */
/* http_srv.c ends a request after HTTP_SRV_REQ_TIMEOUT_MS (2 s) and tells us
 * (httpd_post_finished), also when the peer resets it. A body owner older
 * than this is therefore gone whatever happened, and its slot may be taken
 * over (a safety net: the server always tells us). */
#define HTTP_API_BODY_STALE_MS 15000u

typedef enum {
    HTTP_API_NONE = 0,
    HTTP_API_STATUS,
    HTTP_API_INFO,
    HTTP_API_LED,
    HTTP_API_TIME,
    HTTP_API_MEM,
    HTTP_API_BOOTLOADER,
} http_api_target_t;

static char *http_api_resp;         /* heap block; non-NULL = held by an open file or a ready result */
static uint16_t http_api_resp_len;
static bool http_api_result_ready;  /* a POST result waits for its fs_open */

static void *http_api_body_owner;   /* the connection whose body we collect */
static char http_api_body[HTTP_API_BODY_MAX + 1];
static uint16_t http_api_body_len;
static uint16_t http_api_body_want; /* its Content-Length */
static uint64_t http_api_body_since; /* app_uptime_ms() at httpd_post_begin */
static http_api_target_t http_api_body_target;

static const char http_api_busy[] =
    "HTTP/1.0 503 Service Unavailable\r\n"
    "Server: " HTTPD_SERVER_AGENT "\r\n"
    "Content-Type: application/json\r\n"
    "Cache-Control: no-store\r\n"
    "Retry-After: 1\r\n"
    "Content-Length: 16\r\n"
    "Connection: close\r\n"
    "\r\n"
    "{\"error\":\"busy\"}";

/* ------------------------------------------------------------ responses */

/* Takes the response block; false when one is held or the heap is short
 * (the caller answers the constant 503). */
static bool http_api_resp_take(void)
{
    if (http_api_resp != NULL) {
        return false;
    }
    http_api_resp = mem_malloc(HTTP_API_RESP_MAX);
    http_api_resp_len = 0;
    return http_api_resp != NULL;
}

static void http_api_resp_release(void)
{
    if (http_api_resp != NULL) {
        mem_free(http_api_resp);
        http_api_resp = NULL;
    }
}

static const char *http_api_reason(unsigned status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    default: return "Internal Server Error";
    }
}

/* The JSON body is written at http_api_resp + HTTP_API_HDR_MAX first (so its
 * length is known), then the header goes in front of it. */
static void http_api_body_start(app_buf_t *b)
{
    app_buf_init(b, http_api_resp + HTTP_API_HDR_MAX, HTTP_API_RESP_MAX - HTTP_API_HDR_MAX);
}

/* HTTP/1.0 response (RFC 1945 6, 10.4 Content-Length) with RFC 7231's 405
 * Allow header (6.5.5) when allow != NULL. Connection: close because we
 * never keep connections alive. */
static void http_api_finish(unsigned status, const char *allow, const app_buf_t *body)
{
    app_buf_t h;
    size_t blen = app_buf_end(body);

    if (blen == 0u) {
        /* cannot happen with the fixed sizes; still answer, never overflow */
        status = 500;
    }
    app_buf_init(&h, http_api_resp, HTTP_API_HDR_MAX);
    app_buf_str(&h, "HTTP/1.0 ");
    app_buf_u64(&h, status);
    app_buf_char(&h, ' ');
    app_buf_str(&h, http_api_reason(status));
    app_buf_str(&h, "\r\nServer: " HTTPD_SERVER_AGENT
                    "\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n");
    if (allow != NULL) {
        app_buf_str(&h, "Allow: ");
        app_buf_str(&h, allow);
        app_buf_str(&h, "\r\n");
    }
    app_buf_str(&h, "Content-Length: ");
    app_buf_u64(&h, blen);
    app_buf_str(&h, "\r\nConnection: close\r\n\r\n");
    size_t hlen = app_buf_end(&h);
    /* the header strings are fixed: HTTP_API_HDR_MAX covers the longest */
    LWIP_ASSERT("http_api header fits", hlen != 0u);
    memmove(http_api_resp + hlen, http_api_resp + HTTP_API_HDR_MAX, blen);
    http_api_resp_len = (uint16_t)(hlen + blen);
    /* give the unused tail back; lwIP's mem_trim shrinks in place */
    http_api_resp = mem_trim(http_api_resp, http_api_resp_len);
}

static void http_api_error(unsigned status, const char *allow, const char *msg)
{
    app_buf_t b;
    http_api_body_start(&b);
    app_buf_str(&b, "{\"error\":");
    app_buf_json_str(&b, msg, HTTP_API_RESP_MAX);
    app_buf_char(&b, '}');
    http_api_finish(status, allow, &b);
}

/* 200 with the document a JSON writer (app_status_json, http_info_json)
 * makes; its 0 for "did not fit" becomes the 500 of http_api_finish. */
static void http_api_document(size_t (*write)(char *buf, size_t room))
{
    app_buf_t b;
    http_api_body_start(&b);
    b.len = write(b.buf, b.room);
    b.overflow = (b.len == 0u);
    http_api_finish(200, NULL, &b);
}

static void http_api_pool(app_buf_t *b, const char *name, const net_mem_pool_t *p, bool comma)
{
    app_buf_str(b, "\"");
    app_buf_str(b, name);
    app_buf_str(b, "\":{\"used\":");
    app_buf_u64(b, p->used);
    app_buf_str(b, ",\"total\":");
    app_buf_u64(b, p->total);
    app_buf_str(b, comma ? "}," : "}");
}

/* GET /api/mem: lwIP's pools and heap as this request sees them (its own
 * pcb is one of tcp_active and one of http_conns; m was read before its
 * response block was taken, so heap.used is the heap it found), so a test
 * can check that clients that went away left nothing behind (issue 10). */
static void http_api_mem(const net_mem_t *mp)
{
    net_mem_t m = *mp;
    app_buf_t b;
    http_api_body_start(&b);
    app_buf_char(&b, '{');
    http_api_pool(&b, "pbuf_pool", &m.pbuf_pool, true);
    http_api_pool(&b, "pbuf_ref", &m.pbuf_ref, true);
    http_api_pool(&b, "tcp_pcb", &m.tcp_pcb, true);
    http_api_pool(&b, "tcp_seg", &m.tcp_seg, true);
    http_api_pool(&b, "reass", &m.reass, true);
    app_buf_str(&b, "\"tcp_active\":");
    app_buf_u64(&b, m.tcp_active);
    app_buf_str(&b, ",\"http_conns\":");
    app_buf_u64(&b, http_srv_conn_count());
    app_buf_str(&b, ",\"heap\":{\"used\":");
    app_buf_u64(&b, m.heap_used);
    app_buf_str(&b, ",\"max\":");
    app_buf_u64(&b, m.heap_max);
    app_buf_str(&b, ",\"size\":");
    app_buf_u64(&b, m.heap_size);
    app_buf_str(&b, "}}");
    http_api_finish(200, NULL, &b);
}

/* Copy a URI into the server's response_uri buffer (room includes the NUL). */
static bool http_api_set_uri(char *dst, u16_t room, const char *uri)
{
    size_t n = strlen(uri);
    if (dst == NULL || room == 0u || n >= room) {
        return false;   /* the server then answers 404 */
    }
    memcpy(dst, uri, n + 1u);
    return true;
}

/* A POST result is in http_api_resp: hand it to the server's next fs_open. */
static void http_api_post_result(char *response_uri, u16_t room)
{
    if (http_api_set_uri(response_uri, room, HTTP_API_RESULT_URI)) {
        http_api_result_ready = true;
    } else {
        http_api_resp_release();        /* nobody will open it */
    }
}

/* ------------------------------------------------------------ GET side */

static void http_api_serve(struct fs_file *file, const char *data, int len, bool ram)
{
    file->data = data;
    file->len = len;
    file->index = len;      /* everything is in memory: fs_bytes_left() = 0 */
    file->pextension = ram ? (fs_file_extension *)http_api_resp : NULL;
    file->flags = FS_FILE_FLAGS_HEADER_INCLUDED;
}

static http_api_target_t http_api_match(const char *uri)
{
    /* the query part (RFC 3986 3.4) is not part of the resource name */
    size_t n = strcspn(uri, "?");
    if (n == 11u && memcmp(uri, "/api/status", 11) == 0) {
        return HTTP_API_STATUS;
    }
    if (n == 9u && memcmp(uri, "/api/info", 9) == 0) {
        return HTTP_API_INFO;
    }
    if (n == 8u && memcmp(uri, "/api/led", 8) == 0) {
        return HTTP_API_LED;
    }
    if (n == 9u && memcmp(uri, "/api/time", 9) == 0) {
        return HTTP_API_TIME;
    }
    if (n == 8u && memcmp(uri, "/api/mem", 8) == 0) {
        return HTTP_API_MEM;
    }
    if (n == 15u && memcmp(uri, "/api/bootloader", 15) == 0) {
        return HTTP_API_BOOTLOADER;
    }
    return HTTP_API_NONE;
}

int fs_open_custom(struct fs_file *file, const char *name)
{
    if (file == NULL || name == NULL || strncmp(name, "/api/", 5) != 0) {
        return 0;   /* flash files, /404.html, /400.html, /501.html */
    }
    if (strcmp(name, HTTP_API_BUSY_URI) == 0) {
        http_api_serve(file, http_api_busy, (int)(sizeof http_api_busy - 1u), false);
        return 1;
    }
    if (strcmp(name, HTTP_API_RESULT_URI) == 0 && http_api_result_ready) {
        /* ownership of the buffer passes to this file until fs_close */
        http_api_result_ready = false;
        http_api_serve(file, http_api_resp, http_api_resp_len, true);
        return 1;
    }
    http_api_target_t target = http_api_match(name);
    net_mem_t m;
    if (target == HTTP_API_MEM) {
        net_mem_get(&m);    /* before this response's own block */
    }
    if (!http_api_resp_take()) {
        http_api_serve(file, http_api_busy, (int)(sizeof http_api_busy - 1u), false);
        return 1;
    }
    switch (target) {
    case HTTP_API_STATUS:
        http_api_document(app_status_json);
        break;
    case HTTP_API_INFO:
        http_api_document(http_info_json);
        break;
    case HTTP_API_MEM:
        http_api_mem(&m);
        break;
    case HTTP_API_LED:
    case HTTP_API_TIME:
    case HTTP_API_BOOTLOADER:
        /* actions change state only on POST (RFC 7231 4.2.1: GET is safe) */
        http_api_error(405, "POST", "use POST");
        break;
    default:
        http_api_error(404, NULL, "not found");
        break;
    }
    http_api_serve(file, http_api_resp, http_api_resp_len, true);
    return 1;
}

void fs_close_custom(struct fs_file *file)
{
    if (file != NULL && file->pextension != NULL &&
        file->pextension == (fs_file_extension *)http_api_resp) {
        file->pextension = NULL;
        http_api_resp_release();
    }
}

/* ------------------------------------------------------------ POST side */

/* Does uri (query cut off) name a flash file that a GET would serve? Mirrors
 * http_srv.c's lookup: a path ending in '/' means its index.html. /api/... is not
 * looked up here: fs_open() would ask fs_open_custom(), which answers for
 * every /api/ name. A path too long for the buffer is longer than any
 * fsdata name, so it does not exist. */
static bool http_api_static_exists(const char *uri)
{
    static const char *const dflt[] = { "index.html" };
    char name[LWIP_HTTPD_MAX_REQUEST_URI_LEN + 16u];
    size_t n = strcspn(uri, "?");
    if (n == 0u || n >= sizeof name || strncmp(uri, "/api/", 5) == 0) {
        return false;
    }
    memcpy(name, uri, n);
    name[n] = '\0';
    bool dir = name[n - 1u] == '/';
    for (unsigned k = 0; k < (dir ? sizeof dflt / sizeof dflt[0] : 1u); k++) {
        if (dir) {
            size_t d = strlen(dflt[k]);
            if (n + d >= sizeof name) {
                continue;
            }
            memcpy(name + n, dflt[k], d + 1u);
        }
        struct fs_file f;
        if (fs_open(&f, name) == ERR_OK) {
            fs_close(&f);
            return true;
        }
    }
    return false;
}

err_t httpd_post_begin(void *connection, const char *uri, const char *http_request,
                       u16_t http_request_len, int content_len, char *response_uri,
                       u16_t response_uri_len, u8_t *post_auto_wnd)
{
    LWIP_UNUSED_ARG(http_request);
    LWIP_UNUSED_ARG(http_request_len);
    LWIP_UNUSED_ARG(post_auto_wnd);     /* http_srv.c opens the window itself */

    http_api_target_t target = http_api_match(uri);
    bool is_static = false;
    if (target == HTTP_API_NONE) {
        /* RFC 7231 6.5.5: a resource that exists but takes no POST is 405
         * with Allow, not 404; only a path nothing answers stays 404
         * (response_uri stays empty: the server sends /404.html). */
        is_static = http_api_static_exists(uri);
        if (!is_static) {
            return ERR_ARG;
        }
    }
    if (http_api_body_owner != NULL && http_api_body_owner != connection &&
        app_uptime_ms() - http_api_body_since < HTTP_API_BODY_STALE_MS) {
        (void)http_api_set_uri(response_uri, response_uri_len, HTTP_API_BUSY_URI);
        return ERR_ARG;
    }
    /* (the same connection cannot begin a second body while its first is
     * still arriving, so an owner equal to connection is a freed one whose
     * memory was reused) */
    http_api_body_owner = NULL;
    if (!http_api_resp_take()) {
        (void)http_api_set_uri(response_uri, response_uri_len, HTTP_API_BUSY_URI);
        return ERR_ARG;
    }
    if (target == HTTP_API_STATUS || target == HTTP_API_INFO || target == HTTP_API_MEM || is_static) {
        http_api_error(405, "GET", "use GET");
        http_api_post_result(response_uri, response_uri_len);
        return ERR_ARG;
    }
    if (content_len < 0 || content_len > (int)HTTP_API_BODY_MAX) {
        /* refused before reading it: the body never enters RAM */
        http_api_error(400, NULL, "body too long");
        http_api_post_result(response_uri, response_uri_len);
        return ERR_ARG;
    }
    http_api_resp_release();        /* taken again when the result is made */
    http_api_body_owner = connection;
    http_api_body_since = app_uptime_ms();
    http_api_body_len = 0;
    http_api_body_want = (uint16_t)content_len;
    http_api_body_target = target;
    return ERR_OK;
}

err_t httpd_post_receive_data(void *connection, struct pbuf *p)
{
    if (p == NULL) {
        return ERR_OK;
    }
    if (connection == http_api_body_owner) {
        /* bytes past Content-Length are not part of this body (RFC 7230
         * 3.3.3): never copy more than was announced and checked */
        uint16_t n = (uint16_t)(http_api_body_want - http_api_body_len);
        if (p->tot_len < n) {
            n = p->tot_len;
        }
        http_api_body_len = (uint16_t)(http_api_body_len +
                                       pbuf_copy_partial(p, http_api_body + http_api_body_len, n, 0));
    }
    pbuf_free(p);
    return ERR_OK;
}

/* One "key=value" field list, keys from a fixed set, each at most once. */
typedef struct {
    const char *key;
    const char *val;
    uint16_t len;
    bool seen;
} http_api_field_t;

static const char *http_api_parse_form(const char *s, uint16_t len, http_api_field_t *f, unsigned nf)
{
    uint16_t i = 0;
    if (len == 0u) {
        return "empty body";
    }
    while (i <= len) {
        uint16_t start = i, eq = 0xffffu;
        while (i < len && s[i] != '&') {
            if (s[i] == '=' && eq == 0xffffu) {
                eq = i;
            }
            i++;
        }
        if (eq == 0xffffu || eq == start) {
            return "malformed body";
        }
        unsigned k;
        for (k = 0; k < nf; k++) {
            size_t kl = strlen(f[k].key);
            if (kl == (size_t)(eq - start) && memcmp(s + start, f[k].key, kl) == 0) {
                break;
            }
        }
        if (k == nf) {
            return "unknown parameter";
        }
        if (f[k].seen) {
            return "duplicate parameter";
        }
        f[k].seen = true;
        f[k].val = s + eq + 1;
        f[k].len = (uint16_t)(i - eq - 1);
        i++;    /* past '&' (or past the end, which ends the loop) */
    }
    return NULL;
}

/* Decimal digits only, 1..max_digits of them, value <= max. */
static bool http_api_parse_uint(const char *s, uint16_t len, unsigned max_digits, uint64_t max,
                                uint64_t *out)
{
    uint64_t v = 0;
    if (len == 0u || len > max_digits) {
        return false;
    }
    for (uint16_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        v = v * 10u + (uint64_t)(s[i] - '0');
    }
    if (v > max) {
        return false;
    }
    *out = v;
    return true;
}

static bool http_api_eq(const http_api_field_t *f, const char *word)
{
    size_t n = strlen(word);
    return f->len == n && memcmp(f->val, word, n) == 0;
}

static void http_api_do_led(void)
{
    http_api_field_t f[2] = {{.key = "n"}, {.key = "state"}};
    const char *err = http_api_parse_form(http_api_body, http_api_body_len, f, 2);
    uint64_t n = 0;
    app_led_action_t action;
    app_buf_t b;

    if (err != NULL) {
        http_api_error(400, NULL, err);
        return;
    }
    if (!f[0].seen) {
        http_api_error(400, NULL, "missing n");
        return;
    }
    if (!f[1].seen) {
        http_api_error(400, NULL, "missing state");
        return;
    }
    if (!http_api_parse_uint(f[0].val, f[0].len, 3, APP_LED_COUNT - 1u, &n)) {
        http_api_error(400, NULL, "bad n");
        return;
    }
    if (http_api_eq(&f[1], "on")) {
        action = APP_LED_ON;
    } else if (http_api_eq(&f[1], "off")) {
        action = APP_LED_OFF;
    } else if (http_api_eq(&f[1], "toggle")) {
        action = APP_LED_TOGGLE;
    } else {
        http_api_error(400, NULL, "bad state");
        return;
    }
    if (app_led_set((unsigned)n, action) != 0) {
        http_api_error(400, NULL, "bad n");
        return;
    }
    http_api_body_start(&b);
    app_buf_str(&b, "{\"led\":");
    app_buf_u64(&b, n);
    app_buf_str(&b, ",\"state\":");
    app_buf_char(&b, app_led_get((unsigned)n) ? '1' : '0');
    app_buf_str(&b, ",\"leds\":");
    char leds[2u * APP_LED_COUNT + 2u];
    if (app_leds_json(leds, sizeof leds) == 0u) {
        b.overflow = true;
    }
    app_buf_str(&b, leds);
    app_buf_char(&b, '}');
    http_api_finish(200, NULL, &b);
}

static void http_api_do_time(void)
{
    http_api_field_t f[1] = {{.key = "epoch"}};
    const char *err = http_api_parse_form(http_api_body, http_api_body_len, f, 1);
    uint64_t epoch = 0;
    char iso[APP_ISO8601_LEN + 1];
    app_buf_t b;

    if (err != NULL) {
        http_api_error(400, NULL, err);
        return;
    }
    if (!f[0].seen) {
        http_api_error(400, NULL, "missing epoch");
        return;
    }
    /* 12 digits reach APP_EPOCH_MAX (year 9999) */
    if (!http_api_parse_uint(f[0].val, f[0].len, 12, APP_EPOCH_MAX, &epoch) ||
        app_time_set_epoch(epoch) != 0) {
        http_api_error(400, NULL, "bad epoch");
        return;
    }
    app_time_iso8601(iso);
    http_api_body_start(&b);
    app_buf_str(&b, "{\"time\":\"");
    app_buf_str(&b, iso);
    app_buf_str(&b, "\",\"epoch\":");
    app_buf_u64(&b, app_time_epoch());
    app_buf_str(&b, ",\"time_set\":true}");
    http_api_finish(200, NULL, &b);
}

/* POST /api/bootloader, body confirm=yes (the page asks the user first): the
 * answer goes out, then the main loop enters the ROM DFU bootloader (issue 12;
 * the same path as a DFU_DETACH) */
static void http_api_do_bootloader(void)
{
    http_api_field_t f[1] = {{.key = "confirm"}};
    const char *err = http_api_parse_form(http_api_body, http_api_body_len, f, 1);
    app_buf_t b;

    if (err != NULL) {
        http_api_error(400, NULL, err);
        return;
    }
    if (!f[0].seen || !http_api_eq(&f[0], "yes")) {
        http_api_error(400, NULL, "confirm=yes required");
        return;
    }
    app_bootloader_request();
    http_api_body_start(&b);
    app_buf_str(&b, "{\"bootloader\":true,\"in_ms\":");
    app_buf_u64(&b, APP_BOOTLOADER_DELAY_MS);
    app_buf_char(&b, '}');
    http_api_finish(200, NULL, &b);
}

void httpd_post_finished(void *connection, char *response_uri, u16_t response_uri_len)
{
    if (connection != http_api_body_owner || connection == NULL) {
        return;     /* not ours: the server sends /404.html */
    }
    http_api_body_owner = NULL;
    if (http_api_body_len != http_api_body_want) {
        /* the server calls this also when the connection ends early: an
         * incomplete body is never acted on */
        return;
    }
    if (!http_api_resp_take()) {
        /* before the action: a 503 changes nothing */
        (void)http_api_set_uri(response_uri, response_uri_len, HTTP_API_BUSY_URI);
        return;
    }
    http_api_body[http_api_body_len] = '\0';
    if (http_api_body_target == HTTP_API_LED) {
        http_api_do_led();
    } else if (http_api_body_target == HTTP_API_BOOTLOADER) {
        http_api_do_bootloader();
    } else {
        http_api_do_time();
    }
    http_api_post_result(response_uri, response_uri_len);
}

/* ------------------------------------------------------------ init */

void http_api_init(void)
{
    /* a block of an earlier start (unit tests restart us; lwIP's heap
     * lives on, lwip_init() runs once) goes back to the heap */
    http_api_resp_release();
    http_api_resp_len = 0;
    http_api_result_ready = false;
    http_api_body_owner = NULL;
    http_api_body_len = 0;
    http_api_body_want = 0;
    http_api_body_since = 0;
    http_api_body_target = HTTP_API_NONE;
    http_srv_init();
}
