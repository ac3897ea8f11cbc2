/*
 * http_srv.c - HTTP/1.x server on lwIP 2.1.3's raw TCP API (see http_srv.h
 * for what clients get).
 *
 * Layer: firmware/net. Includes lwIP (tcp, fs, the httpd_post_* prototypes
 * of httpd.h) and <string.h>; no heap of its own: HTTP_SRV_CONN_MAX static
 * slots. Runs only from the main loop (lwIP callbacks).
 *
 * Why a streaming parser: the head is never stored. The request line's
 * method and target and the header fields we act on (Host, Content-Length,
 * Transfer-Encoding, Origin, Sec-Fetch-Site) are recognised one byte at a
 * time, so
 * a head of any segmentation up to HTTP_SRV_HEAD_MAX costs the same few
 * bytes per connection, and each pbuf is freed as soon as it was read
 * (tcp_recved at once: the window stays open, which is fine because
 * nothing is buffered). The POST body goes straight to
 * httpd_post_receive_data() (http_api.c copies what it accepts).
 *
 * Sending: fs files are in flash and are written by reference; http_api's
 * responses live in one heap block (fs file is_custom_file) and are copied
 * into the send queue (TCP_WRITE_FLAG_COPY), so it can be freed once the
 * file is closed. Our own error replies (408, 414, 431, ...) are made on the
 * stack and copied; 400/404/501 use the pages in firmware/app/web.
 *
 * Limits: one request per connection; no chunked request bodies (501, RFC
 * 7230 3.3.1); obs-fold lines are refused with 400 (RFC 7230 3.2.4).
 *
 * Cross-site POSTs (CSRF): any page open in the host's browser can make it
 * submit an HTML form to http://192.168.7.1/api/... - a "simple" request
 * that needs no CORS preflight (Fetch standard, CORS protocol), so the
 * same-origin policy does not stop it from acting (it only hides the
 * answer). Browsers name the page that caused a request in Origin (RFC 6454
 * 7: scheme "://" host [":" port], or "null" for opaque origins) and, in
 * Fetch Metadata (W3C "Fetch Metadata Request Headers" 2.4), say how it
 * relates to the target in Sec-Fetch-Site. A POST is refused with 403 and
 * never reaches http_api (so it changes nothing) when Sec-Fetch-Site is
 * "cross-site", or when Origin is present and is not "http://" + this
 * request's own Host (host[:port], compared without case, RFC 3986 3.2.2):
 * our origin is whatever name the browser used for us (192.168.7.1,
 * stm32net.usb, stm32net.local, a forwarded port). "null", a second Origin,
 * or one we cannot compare (no Host, a Host longer than
 * HTTP_SRV_AUTHORITY_MAX) is refused too. A request without Origin (curl,
 * busybox wget, scripts: no ambient browser credentials to abuse) is served
 * as before; the page's own fetch() calls carry our own origin.
 * Not covered: DNS rebinding (a name the attacker controls resolving to us
 * makes Origin and Host agree) - that needs a Host allow-list.
 */
#include "http_srv.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "lwip/apps/fs.h"
#include "lwip/apps/httpd.h"   /* httpd_post_begin/receive_data/finished */
#include "lwip/pbuf.h"
#include "lwip/sys.h"
#include "lwip/tcp.h"

typedef enum {
    HS_FREE = 0,
    HS_HEAD,      /* reading the request line and header fields */
    HS_BODY,      /* POST body going to http_api */
    HS_SEND,      /* response being queued */
    HS_LINGER,    /* FIN sent; discarding input until the client's FIN */
} http_srv_state_t;

typedef enum {     /* where the parser is inside the head */
    HP_METHOD = 0,
    HP_TARGET_START,
    HP_SCHEME,     /* absolute-form: "http://" */
    HP_AUTHORITY,
    HP_TARGET,
    HP_VERSION,
    HP_LINE_LF,    /* CR seen: LF must follow */
    HP_NAME,       /* header field name (or the empty line) */
    HP_VALUE,
    HP_HEAD_LF,    /* CR of the empty line seen */
} http_srv_parse_t;

typedef enum { HM_NONE = 0, HM_GET, HM_HEAD, HM_POST } http_srv_method_t;

/* The header fields we act on, lower case (field names are case-
 * insensitive, RFC 7230 3.2). Bit i of name_match = still matches names[i]. */
static const char *const http_srv_names[] = { "host", "content-length", "transfer-encoding",
                                               "origin", "sec-fetch-site" };
#define HTTP_SRV_NAME_HOST   0u
#define HTTP_SRV_NAME_CL     1u
#define HTTP_SRV_NAME_TE     2u
#define HTTP_SRV_NAME_ORIGIN 3u
#define HTTP_SRV_NAME_SFS    4u
#define HTTP_SRV_NAMES       5u
#define HTTP_SRV_NAMES_ALL   ((uint8_t)((1u << HTTP_SRV_NAMES) - 1u))

/* Host and Origin are compared byte by byte: the authority of whichever of
 * the two comes first is kept (lower case) in authority[], the other one's
 * is compared with it as it arrives. 44 bytes hold a 31-character hostname
 * (CONFIG_NAME_MAX) + ".local" + ":65535"; a longer Host only means that a
 * POST carrying Origin is refused. */
#define HTTP_SRV_AUTHORITY_MAX 44u

typedef enum {     /* what the current Host/Origin value does with authority[] */
    HA_IGNORE = 0, /* a repeated field: the request is refused anyway */
    HA_STORE,
    HA_COMPARE,
} http_srv_auth_role_t;

typedef struct {
    struct tcp_pcb *pcb;
    uint8_t state;         /* http_srv_state_t */
    uint8_t parse;         /* http_srv_parse_t */
    uint8_t method;        /* http_srv_method_t */
    uint8_t name_match;    /* bit mask over http_srv_names */
    uint8_t field;         /* header being read: index or 0xff */
    uint8_t hosts;         /* Host fields seen */
    uint8_t minor;         /* HTTP/1.x */
    bool has_cl, has_te, cl_digits, peer_fin, file_open;
    uint8_t origins;       /* Origin fields seen */
    bool cross_site;       /* Sec-Fetch-Site: cross-site */
    uint8_t auth_owner;    /* field whose authority is in authority[]: index or 0 = none yet */
    uint8_t auth_len;
    bool auth_bad;         /* the kept value is unusable (too long, malformed) */
    bool auth_same;        /* Host and Origin name the same authority */
    uint8_t val_role;      /* http_srv_auth_role_t of the value being read */
    bool val_ws, val_bad;  /* the value being read: OWS seen after it began; mismatch */
    char authority[HTTP_SRV_AUTHORITY_MAX];
    uint16_t head_len;     /* bytes of head read */
    uint16_t pos;          /* position inside the current token */
    uint32_t body_left;    /* Content-Length while parsing, then what is left */
    uint32_t since_ms;     /* connection accepted */
    uint32_t last_ms;      /* last progress (data in, data acked) */
    struct fs_file file;
    uint32_t send_pos, send_end;
    char target[HTTP_SRV_TARGET_MAX + 1u + 10u];  /* + "index.html" */
} http_srv_conn_t;

static http_srv_conn_t http_srv_conns[HTTP_SRV_CONN_MAX];
static struct tcp_pcb *http_srv_listen;
/* httpd_post_* write the URI of their response here; used only inside one
 * call, so one buffer serves every connection */
static char http_srv_resp_uri[LWIP_HTTPD_POST_MAX_RESPONSE_URI_LEN + 1u];

static err_t http_srv_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err);

/* ------------------------------------------------------------ slots */

static void http_srv_release(http_srv_conn_t *c)
{
    if (c->state == HS_BODY) {
        /* tells http_api the body will not complete: its slot is free again
         * and the incomplete body is never acted on */
        http_srv_resp_uri[0] = '\0';
        httpd_post_finished(c, http_srv_resp_uri, (u16_t)sizeof http_srv_resp_uri);
    }
    if (c->file_open) {
        fs_close(&c->file);
        c->file_open = false;
    }
    if (c->pcb != NULL) {
        tcp_arg(c->pcb, NULL);
        tcp_recv(c->pcb, NULL);
        tcp_sent(c->pcb, NULL);
        tcp_err(c->pcb, NULL);
        tcp_poll(c->pcb, NULL, 0);
    }
    memset(c, 0, sizeof *c);
}

/* Closes (FIN) or, when lwIP cannot, aborts. Returns what a callback of
 * this pcb must return. */
static err_t http_srv_close(http_srv_conn_t *c)
{
    struct tcp_pcb *pcb = c->pcb;
    http_srv_release(c);
    if (tcp_close(pcb) != ERR_OK) {
        tcp_abort(pcb);
        return ERR_ABRT;
    }
    return ERR_OK;
}

static err_t http_srv_abort(http_srv_conn_t *c)
{
    struct tcp_pcb *pcb = c->pcb;
    http_srv_release(c);
    tcp_abort(pcb);
    return ERR_ABRT;
}

unsigned http_srv_conn_count(void)
{
    unsigned n = 0;
    for (unsigned i = 0; i < HTTP_SRV_CONN_MAX; i++) {
        n += http_srv_conns[i].state != HS_FREE;
    }
    return n;
}

/* ------------------------------------------------------------ sending */

/* Everything queued: half-close. The client's FIN (or HTTP_SRV_LINGER_MS)
 * ends it; until then its data is read and dropped, so lwIP never answers
 * unread data with RST (RFC 7230 6.6 "lingering close"). */
static err_t http_srv_done(http_srv_conn_t *c)
{
    if (c->file_open) {
        fs_close(&c->file);
        c->file_open = false;
    }
    if (c->peer_fin) {
        return http_srv_close(c);
    }
    if (tcp_shutdown(c->pcb, 0, 1) != ERR_OK) {
        return http_srv_abort(c);
    }
    c->state = HS_LINGER;
    c->last_ms = sys_now();
    return ERR_OK;
}

/* Queues as much of the open file as the send buffer takes. */
static err_t http_srv_send(http_srv_conn_t *c)
{
    u8_t copy = c->file.is_custom_file ? TCP_WRITE_FLAG_COPY : 0u;
    while (c->send_pos < c->send_end) {
        uint32_t n = c->send_end - c->send_pos;
        u16_t room = tcp_sndbuf(c->pcb);
        if (n > room) {
            n = room;
        }
        if (n == 0u) {
            break;
        }
        u8_t more = (c->send_pos + n < c->send_end) ? TCP_WRITE_FLAG_MORE : 0u;
        err_t e = tcp_write(c->pcb, c->file.data + c->send_pos, (u16_t)n, (u8_t)(copy | more));
        if (e == ERR_MEM && n > TCP_MSS) {
            /* segment queue or heap short: one segment may still fit */
            n = TCP_MSS;
            e = tcp_write(c->pcb, c->file.data + c->send_pos, (u16_t)n,
                          (u8_t)(copy | TCP_WRITE_FLAG_MORE));
        }
        if (e == ERR_MEM) {
            break;               /* the next sent or poll callback goes on */
        }
        if (e != ERR_OK) {
            return http_srv_abort(c);
        }
        c->send_pos += n;
    }
    (void)tcp_output(c->pcb);
    if (c->send_pos >= c->send_end) {
        return http_srv_done(c);
    }
    return ERR_OK;
}

static const char *http_srv_reason(unsigned code)
{
    switch (code) {
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 408: return "Request Timeout";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 501: return "Not Implemented";
    case 505: return "HTTP Version Not Supported";
    default: return "Internal Server Error";
    }
}

static char *http_srv_put(char *d, const char *s)
{
    size_t n = strlen(s);
    memcpy(d, s, n);
    return d + n;
}

static char *http_srv_put_u(char *d, unsigned v)
{
    char tmp[10];
    unsigned n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0u);
    while (n > 0u) {
        *d++ = tmp[--n];
    }
    return d;
}

/* Starts sending fs file `name` (its header included, as makefsdata and
 * http_api.c make them); HEAD gets only the header. */
static bool http_srv_open(http_srv_conn_t *c, const char *name)
{
    if (fs_open(&c->file, name) != ERR_OK) {
        return false;
    }
    c->file_open = true;
    c->send_pos = 0;
    c->send_end = (uint32_t)(c->file.len > 0 ? c->file.len : 0);
    if (c->method == HM_HEAD) {
        /* the header ends at the first empty line (RFC 7230 3) */
        for (uint32_t i = 0; i + 3u < c->send_end; i++) {
            if (memcmp(c->file.data + i, "\r\n\r\n", 4) == 0) {
                c->send_end = i + 4u;
                break;
            }
        }
    }
    c->state = HS_SEND;
    return true;
}

/* An error reply: the page in firmware/app/web if there is one
 * ("/400.html"), else a short text made here. */
static err_t http_srv_error(http_srv_conn_t *c, unsigned code)
{
    char name[10];
    char *e = http_srv_put(name, "/");
    e = http_srv_put_u(e, code);
    (void)http_srv_put(e, ".html");
    name[9] = '\0';
    if (c->file_open) {
        fs_close(&c->file);
        c->file_open = false;
    }
    if (http_srv_open(c, name)) {
        return http_srv_send(c);
    }
    const char *reason = http_srv_reason(code);
    char buf[192];
    char *d = http_srv_put(buf, "HTTP/1.0 ");
    d = http_srv_put_u(d, code);
    d = http_srv_put(d, " ");
    d = http_srv_put(d, reason);
    d = http_srv_put(d, "\r\nServer: " HTTPD_SERVER_AGENT "\r\nContent-Type: text/plain\r\n"
                        "Content-Length: ");
    d = http_srv_put_u(d, (unsigned)strlen(reason) + 5u);
    d = http_srv_put(d, "\r\nConnection: close\r\n\r\n");
    if (c->method != HM_HEAD) {
        d = http_srv_put_u(d, code);
        d = http_srv_put(d, " ");
        d = http_srv_put(d, reason);
        d = http_srv_put(d, "\n");
    }
    c->state = HS_SEND;
    /* a fresh connection's send buffer (TCP_SND_BUF) holds it whole */
    if (tcp_write(c->pcb, buf, (u16_t)(d - buf), TCP_WRITE_FLAG_COPY) != ERR_OK) {
        return http_srv_abort(c);
    }
    (void)tcp_output(c->pcb);
    return http_srv_done(c);
}

/* One byte (not CR/LF) of a Host, Origin or Sec-Fetch-Site value. None of
 * the three contains whitespace: leading and trailing OWS are skipped (RFC
 * 7230 3.2.4), whitespace inside makes the value a mismatch. c->pos counts
 * the value's bytes; the head's limit bounds it. */
static void http_srv_value_byte(http_srv_conn_t *c, char ch)
{
    if (ch == ' ' || ch == '\t') {
        c->val_ws = c->pos != 0u;
        return;
    }
    if (c->val_ws) {
        c->val_bad = true;
    }
    char lc = (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : ch;
    uint16_t i = c->pos;
    if (c->pos < 0xffffu) {
        c->pos++;
    }
    if (c->field == HTTP_SRV_NAME_SFS) {
        static const char cross[] = "cross-site";   /* Fetch Metadata 2.4 */
        if (i >= sizeof cross - 1u || cross[i] != lc) {
            c->val_bad = true;
        }
        return;
    }
    if (c->field == HTTP_SRV_NAME_ORIGIN) {
        /* our only scheme: RFC 6454 4, an origin includes it */
        static const char scheme[] = "http://";
        if (i < sizeof scheme - 1u) {
            if (scheme[i] != lc) {
                c->val_bad = true;
            }
            return;
        }
        i = (uint16_t)(i - (sizeof scheme - 1u));
    }
    if (c->val_role == HA_STORE) {
        if (i < HTTP_SRV_AUTHORITY_MAX) {
            c->authority[i] = lc;
            c->auth_len = (uint8_t)(i + 1u);
        } else {
            c->val_bad = true;
        }
    } else if (c->val_role == HA_COMPARE) {
        if (i >= c->auth_len || c->authority[i] != lc) {
            c->val_bad = true;
        }
    }
}

/* The end of a field value (its CR or LF). */
static void http_srv_value_end(http_srv_conn_t *c)
{
    if (c->field == HTTP_SRV_NAME_SFS) {
        if (!c->val_bad && c->pos == 10u) {
            c->cross_site = true;
        }
        return;
    }
    if (c->field != HTTP_SRV_NAME_HOST && c->field != HTTP_SRV_NAME_ORIGIN) {
        return;
    }
    /* the authority's length: the whole Host value, Origin's after "http://" */
    uint16_t skip = c->field == HTTP_SRV_NAME_ORIGIN ? 7u : 0u;
    bool bad = c->val_bad || c->pos <= skip;
    if (c->val_role == HA_STORE) {
        c->auth_bad = bad;
    } else if (c->val_role == HA_COMPARE) {
        c->auth_same = !bad && !c->auth_bad && c->pos - skip == c->auth_len;
    }
}

/* A POST the browser made for another site's page: see the file header. */
static bool http_srv_cross_origin(const http_srv_conn_t *c)
{
    if (c->cross_site) {
        return true;
    }
    return c->origins != 0u && !(c->origins == 1u && c->hosts == 1u && c->auth_same);
}

/* 403 (RFC 7231 6.5.3) for a cross-origin POST, JSON like http_api's
 * errors. A constant in flash, queued by reference. */
#define HTTP_SRV_403_BODY "{\"error\":\"cross-origin request refused\"}"
#define HTTP_SRV_403_LEN  40
#define HTTP_SRV_STR_(x)  #x
#define HTTP_SRV_STR(x)   HTTP_SRV_STR_(x)
static const char http_srv_403[] =
    "HTTP/1.0 403 Forbidden\r\nServer: " HTTPD_SERVER_AGENT "\r\n"
    "Content-Type: application/json\r\nCache-Control: no-store\r\n"
    "Content-Length: " HTTP_SRV_STR(HTTP_SRV_403_LEN) "\r\nConnection: close\r\n\r\n"
    HTTP_SRV_403_BODY;
_Static_assert(sizeof HTTP_SRV_403_BODY - 1u == HTTP_SRV_403_LEN, "403 Content-Length");

static err_t http_srv_forbidden(http_srv_conn_t *c)
{
    c->state = HS_SEND;
    /* a fresh connection's send buffer (TCP_SND_BUF) holds it whole */
    if (tcp_write(c->pcb, http_srv_403, (u16_t)(sizeof http_srv_403 - 1u), 0) != ERR_OK) {
        return http_srv_abort(c);
    }
    (void)tcp_output(c->pcb);
    return http_srv_done(c);
}

/* ------------------------------------------------------------ requests */

static err_t http_srv_serve_get(http_srv_conn_t *c)
{
    char *t = c->target;
    t[strcspn(t, "?")] = '\0';     /* the query names no file (RFC 3986 3.4) */
    size_t n = strlen(t);
    if (n > 0u && t[n - 1u] == '/' && strncmp(t, "/api/", 5) != 0) {
        memcpy(t + n, "index.html", 11);   /* room reserved in target[] */
    }
    if (http_srv_open(c, t)) {
        return http_srv_send(c);
    }
    return http_srv_error(c, 404);
}

/* http_api's answer to a POST: the URI it named, else 404. */
static err_t http_srv_post_response(http_srv_conn_t *c)
{
    if (http_srv_resp_uri[0] != '\0' && http_srv_open(c, http_srv_resp_uri)) {
        return http_srv_send(c);
    }
    return http_srv_error(c, 404);
}

static err_t http_srv_body_done(http_srv_conn_t *c)
{
    http_srv_resp_uri[0] = '\0';
    c->state = HS_SEND;   /* http_api has been told: no release call */
    httpd_post_finished(c, http_srv_resp_uri, (u16_t)sizeof http_srv_resp_uri);
    return http_srv_post_response(c);
}

/* The head is complete: check it as RFC 7230 asks, then answer or read the body. */
static err_t http_srv_head_done(http_srv_conn_t *c)
{
    if (c->hosts > 1u || (c->minor >= 1u && c->hosts == 0u)) {
        return http_srv_error(c, 400);            /* RFC 7230 5.4 */
    }
    if (c->has_te) {
        return http_srv_error(c, 501);            /* RFC 7230 3.3.1 */
    }
    if (c->has_cl && !c->cl_digits) {
        return http_srv_error(c, 400);            /* RFC 7230 3.3.2: 1*DIGIT */
    }
    if (c->method != HM_POST) {
        return http_srv_serve_get(c);
    }
    if (http_srv_cross_origin(c)) {
        return http_srv_forbidden(c);             /* before http_api sees it */
    }
    u8_t auto_wnd = 1;
    uint32_t cl = c->has_cl ? c->body_left : 0u;  /* RFC 7230 3.3.3 rule 6 */
    http_srv_resp_uri[0] = '\0';
    if (httpd_post_begin(c, c->target, "", 0, (int)(cl > 0x7fffu ? 0x7fffu : cl), http_srv_resp_uri,
                         (u16_t)sizeof http_srv_resp_uri, &auto_wnd) != ERR_OK) {
        c->state = HS_SEND;
        return http_srv_post_response(c);
    }
    c->state = HS_BODY;
    c->body_left = cl;
    if (cl == 0u) {
        return http_srv_body_done(c);
    }
    return ERR_OK;
}

static bool http_srv_tchar(char ch)
{
    /* RFC 7230 3.2.6 token characters */
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

/* Feeds one byte of the head. Returns 0 to go on, 1 when the head is
 * complete, or an HTTP status code to answer with. */
static unsigned http_srv_parse(http_srv_conn_t *c, char ch)
{
    if (++c->head_len > HTTP_SRV_HEAD_MAX) {
        return c->parse < HP_NAME ? 414u : 431u;
    }
    switch ((http_srv_parse_t)c->parse) {
    case HP_METHOD:
        if (c->pos == 0u && (ch == '\r' || ch == '\n')) {
            return 0;                            /* empty lines first: RFC 7230 3.5 */
        }
        if (ch == ' ') {
            static const char *const m[] = { "GET", "HEAD", "POST" };
            c->target[c->pos] = '\0';
            for (unsigned i = 0; i < 3u; i++) {
                if (strcmp(c->target, m[i]) == 0) {
                    c->method = (uint8_t)(HM_GET + i);
                }
            }
            if (c->pos == 0u) {
                return 400u;
            }
            if (c->method == HM_NONE) {
                return 501u;                     /* RFC 7231 4.1 */
            }
            c->pos = 0;
            c->parse = HP_TARGET_START;
            return 0;
        }
        if (!http_srv_tchar(ch)) {
            return 400u;
        }
        if (c->pos >= 8u) {
            return 501u;                         /* longer than any method we know */
        }
        c->target[c->pos++] = ch;
        return 0;
    case HP_TARGET_START:
        c->pos = 0;
        if (ch == '/') {
            c->target[c->pos++] = ch;
            c->parse = HP_TARGET;
            return 0;
        }
        if (ch == 'h' || ch == 'H') {            /* absolute-form, RFC 7230 5.3.2 */
            c->pos = 1;
            c->parse = HP_SCHEME;
            return 0;
        }
        return 400u;
    case HP_SCHEME: {
        static const char scheme[] = "http://";
        char lc = (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : ch;
        if (c->pos < 4u ? lc != scheme[c->pos] : ch != scheme[c->pos]) {
            return 400u;
        }
        if (++c->pos == 7u) {
            c->parse = HP_AUTHORITY;
        }
        return 0;
    }
    case HP_AUTHORITY:
        /* the authority (our own name or address) is not needed to find
         * the resource: we serve one origin */
        if (ch == '/') {
            c->pos = 0;
            c->target[c->pos++] = ch;
            c->parse = HP_TARGET;
        } else if (ch == ' ') {
            memcpy(c->target, "/", 2);           /* empty path is "/" (RFC 7230 2.7.3) */
            c->parse = HP_VERSION;
            c->pos = 0;
        } else if ((unsigned char)ch <= 0x20u || (unsigned char)ch >= 0x7fu) {
            return 400u;
        }
        return 0;
    case HP_TARGET:
        if (ch == ' ') {
            c->target[c->pos] = '\0';
            c->pos = 0;
            c->parse = HP_VERSION;
            return 0;
        }
        if ((unsigned char)ch <= 0x20u || (unsigned char)ch >= 0x7fu) {
            return 400u;                         /* RFC 3986: no CTL, SP or 8-bit */
        }
        if (c->pos >= HTTP_SRV_TARGET_MAX) {
            return 414u;                         /* RFC 7231 6.5.12, answered at once */
        }
        c->target[c->pos++] = ch;
        return 0;
    case HP_VERSION: {
        static const char v[] = "HTTP/1.";
        if (c->pos < 7u) {
            if (ch != v[c->pos]) {
                return (c->pos == 5u && ch >= '2' && ch <= '9') ? 505u : 400u;
            }
            c->pos++;
            return 0;
        }
        if (c->pos == 7u) {
            if (ch < '0' || ch > '9') {
                return 400u;
            }
            c->minor = (uint8_t)(ch - '0');
            c->pos++;
            return 0;
        }
        if (ch == '\r') {
            c->parse = HP_LINE_LF;
            return 0;
        }
        if (ch == '\n') {                        /* bare LF: RFC 7230 3.5 */
            c->parse = HP_NAME;
            c->pos = 0;
            c->name_match = HTTP_SRV_NAMES_ALL;
            return 0;
        }
        return 400u;
    }
    case HP_LINE_LF:
        if (ch != '\n') {
            return 400u;
        }
        c->parse = HP_NAME;
        c->pos = 0;
        c->name_match = HTTP_SRV_NAMES_ALL;
        return 0;
    case HP_NAME:
        if (c->pos == 0u && (ch == '\r' || ch == '\n')) {
            if (ch == '\n') {
                return 1u;
            }
            c->parse = HP_HEAD_LF;
            return 0;
        }
        if (ch == ':') {
            c->field = 0xffu;
            for (unsigned i = 0; i < HTTP_SRV_NAMES; i++) {
                if ((c->name_match & (1u << i)) && strlen(http_srv_names[i]) == c->pos) {
                    c->field = (uint8_t)i;
                }
            }
            if (c->pos == 0u) {
                return 400u;
            }
            if (c->field == HTTP_SRV_NAME_HOST) {
                c->hosts++;
            } else if (c->field == HTTP_SRV_NAME_CL) {
                if (c->has_cl) {
                    return 400u;                 /* RFC 7230 3.3.2: one length */
                }
                c->has_cl = true;
            } else if (c->field == HTTP_SRV_NAME_TE) {
                c->has_te = true;
            } else if (c->field == HTTP_SRV_NAME_ORIGIN) {
                c->origins++;
            }
            c->val_ws = c->val_bad = false;
            c->val_role = HA_IGNORE;
            if (c->field == HTTP_SRV_NAME_HOST || c->field == HTTP_SRV_NAME_ORIGIN) {
                if (c->auth_owner == 0u) {
                    c->auth_owner = (uint8_t)(c->field + 1u);
                    c->val_role = HA_STORE;
                } else if (c->auth_owner != c->field + 1u) {
                    c->val_role = HA_COMPARE;
                }
            }
            c->parse = HP_VALUE;
            c->pos = 0;
            return 0;
        }
        if (!http_srv_tchar(ch)) {
            return 400u;                         /* also obs-fold: SP at line start */
        }
        {
            char lc = (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : ch;
            for (unsigned i = 0; i < HTTP_SRV_NAMES; i++) {
                const char *nm = http_srv_names[i];
                if (c->pos >= strlen(nm) || nm[c->pos] != lc) {
                    c->name_match &= (uint8_t)~(1u << i);
                }
            }
        }
        if (c->pos < 0xffffu) {
            c->pos++;
        }
        return 0;
    case HP_VALUE:
        if (ch == '\r' || ch == '\n') {
            http_srv_value_end(c);
            if (ch == '\r') {
                c->parse = HP_LINE_LF;
            } else {
                c->parse = HP_NAME;
                c->pos = 0;
                c->name_match = HTTP_SRV_NAMES_ALL;
            }
            return 0;
        }
        if (c->field == HTTP_SRV_NAME_CL) {
            if (ch == ' ' || ch == '\t') {
                if (c->cl_digits) {
                    c->pos = 1;                  /* trailing OWS: no digit after it */
                }
                return 0;
            }
            if (ch < '0' || ch > '9' || c->pos != 0u) {
                return 400u;
            }
            c->cl_digits = true;
            c->body_left = c->body_left * 10u + (uint32_t)(ch - '0');
            if (c->body_left > 0xfffffu) {
                c->body_left = 0xfffffu;         /* "too long" is all http_api needs to know */
            }
        } else if (c->field == HTTP_SRV_NAME_HOST || c->field == HTTP_SRV_NAME_ORIGIN ||
                   c->field == HTTP_SRV_NAME_SFS) {
            http_srv_value_byte(c, ch);
        }
        return 0;
    case HP_HEAD_LF:
        return ch == '\n' ? 1u : 400u;
    }
    return 400u;
}

/* ------------------------------------------------------------ callbacks */

static err_t http_srv_body(http_srv_conn_t *c, struct pbuf *p)
{
    if (p == NULL || p->tot_len == 0u) {
        if (p != NULL) {
            pbuf_free(p);
        }
        return ERR_OK;
    }
    if (p->tot_len > c->body_left) {
        /* bytes past Content-Length are not this body (RFC 7230 3.3.3) */
        pbuf_realloc(p, (u16_t)c->body_left);
    }
    c->body_left -= p->tot_len;
    (void)httpd_post_receive_data(c, p);   /* frees p */
    if (c->body_left == 0u) {
        return http_srv_body_done(c);
    }
    return ERR_OK;
}

static err_t http_srv_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    http_srv_conn_t *c = arg;
    if (c == NULL) {
        if (p != NULL) {
            tcp_recved(pcb, p->tot_len);
            pbuf_free(p);
        }
        return ERR_OK;
    }
    if (p == NULL || err != ERR_OK) {
        if (p != NULL) {
            pbuf_free(p);
        }
        /* the client's FIN */
        c->peer_fin = true;
        if (c->state == HS_SEND) {
            return ERR_OK;       /* a half-closing client still gets its answer */
        }
        return http_srv_close(c);
    }
    tcp_recved(pcb, p->tot_len);
    c->last_ms = sys_now();
    if (c->state == HS_BODY) {
        return http_srv_body(c, p);
    }
    if (c->state != HS_HEAD) {
        pbuf_free(p);            /* after the response: discarded */
        return ERR_OK;
    }
    u16_t used = 0;
    unsigned r = 0;
    for (struct pbuf *q = p; q != NULL && r == 0u; q = q->next) {
        const char *d = q->payload;
        for (u16_t i = 0; i < q->len && r == 0u; i++) {
            r = http_srv_parse(c, d[i]);
            used++;
        }
    }
    if (r == 0u) {
        pbuf_free(p);
        return ERR_OK;
    }
    if (r != 1u) {
        pbuf_free(p);
        return http_srv_error(c, r);
    }
    struct pbuf *rest = pbuf_free_header(p, used);
    err_t e = http_srv_head_done(c);
    if (rest != NULL) {
        if (e == ERR_OK && c->state == HS_BODY) {
            return http_srv_body(c, rest);
        }
        pbuf_free(rest);
    }
    return e;
}

static err_t http_srv_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
    http_srv_conn_t *c = arg;
    (void)pcb;
    (void)len;
    if (c == NULL) {
        return ERR_OK;
    }
    c->last_ms = sys_now();
    if (c->state == HS_SEND) {
        return http_srv_send(c);
    }
    return ERR_OK;
}

static err_t http_srv_poll(void *arg, struct tcp_pcb *pcb)
{
    http_srv_conn_t *c = arg;
    if (c == NULL) {
        tcp_abort(pcb);          /* ours once, forgotten: should not happen */
        return ERR_ABRT;
    }
    uint32_t now = sys_now();
    switch ((http_srv_state_t)c->state) {
    case HS_HEAD:
    case HS_BODY:
        if (now - c->since_ms >= HTTP_SRV_REQ_TIMEOUT_MS) {
            if (c->state == HS_BODY) {
                http_srv_resp_uri[0] = '\0';
                httpd_post_finished(c, http_srv_resp_uri, (u16_t)sizeof http_srv_resp_uri);
                c->state = HS_SEND;
            }
            return http_srv_error(c, 408);
        }
        return ERR_OK;
    case HS_SEND:
        if (now - c->last_ms >= HTTP_SRV_STALL_MS) {
            return http_srv_abort(c);
        }
        return http_srv_send(c);
    case HS_LINGER:
        if (now - c->last_ms >= HTTP_SRV_LINGER_MS) {
            return http_srv_close(c);
        }
        return ERR_OK;
    default:
        return ERR_OK;
    }
}

static void http_srv_err(void *arg, err_t err)
{
    http_srv_conn_t *c = arg;
    (void)err;
    if (c != NULL) {
        c->pcb = NULL;           /* lwIP has freed it */
        http_srv_release(c);
    }
}

static err_t http_srv_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
    (void)arg;
    if (err != ERR_OK || pcb == NULL) {
        return ERR_VAL;
    }
    http_srv_conn_t *c = NULL, *idle = NULL;
    for (unsigned i = 0; i < HTTP_SRV_CONN_MAX; i++) {
        http_srv_conn_t *k = &http_srv_conns[i];
        if (k->state == HS_FREE) {
            c = k;
            break;
        }
        /* idle = longest without progress: no byte in, none acked. A
         * transfer that moves refreshes last_ms every round trip; one whose
         * client stopped reading (zero window) does not, and may go too */
        if (idle == NULL || (int32_t)(k->last_ms - idle->last_ms) < 0) {
            idle = k;
        }
    }
    if (c == NULL && idle != NULL) {
        /* a new connection always gets the page: the longest idle one goes */
        c = idle;
        (void)http_srv_abort(idle);
    }
    memset(c, 0, sizeof *c);
    c->pcb = pcb;
    c->state = HS_HEAD;
    c->since_ms = c->last_ms = sys_now();
    tcp_setprio(pcb, TCP_PRIO_MIN);
    tcp_arg(pcb, c);
    tcp_recv(pcb, http_srv_recv);
    tcp_sent(pcb, http_srv_sent);
    tcp_err(pcb, http_srv_err);
    tcp_poll(pcb, http_srv_poll, 1);   /* every TCP_SLOW_INTERVAL (500 ms) */
    return ERR_OK;
}

void http_srv_init(void)
{
    for (unsigned i = 0; i < HTTP_SRV_CONN_MAX; i++) {
        memset(&http_srv_conns[i], 0, sizeof http_srv_conns[i]);
    }
    struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_V4);
    LWIP_ASSERT("http_srv pcb", pcb != NULL);
    tcp_setprio(pcb, TCP_PRIO_NORMAL);
    if (tcp_bind(pcb, IP_ANY_TYPE, HTTP_SRV_PORT) != ERR_OK) {
        tcp_abort(pcb);
        return;
    }
    http_srv_listen = tcp_listen(pcb);
    LWIP_ASSERT("http_srv listen", http_srv_listen != NULL);
    tcp_accept(http_srv_listen, http_srv_accept);
}
