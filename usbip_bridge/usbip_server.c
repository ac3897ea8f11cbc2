/*
 * usbip_server.c - USB/IP server for the one exported device: connections and
 * the wire format (see usbip_server.h).
 *
 * Layer: usbip_bridge (host only). Includes POSIX socket headers, stdio for
 * log lines, usbip_proto.h and usbip_sched.h (the URB-to-packet scheduler,
 * which plays the host controller on the device backend). No dynamic
 * allocation: a fixed table of connections; URB slots live in usbip_sched.c.
 *
 * Host-controller duties: vhci_hcd answers SET_ADDRESS and port reset
 * itself, so on IMPORT the server resets the device and addresses it through
 * its own control transfer (USB 2.0 9.1.2, 9.4.6); turning URBs into packets
 * is usbip_sched.c's job. A URB is submitted in urb_submit() and completes in
 * send_ret_submit() (or is cancelled by CMD_UNLINK): the URB hook sees both.
 * Untrusted input: every byte from the socket goes through usbip_proto's
 * checks; anything malformed (or a CMD_SUBMIT reusing a seqnum in flight)
 * closes that connection with one log line.
 * Fairness and backpressure: at most USBIP_RX_READS recv() calls per
 * connection per poll pass, replies flushed after each; a connection is not
 * read (no POLLIN) while all URB slots are taken or its transmit buffer is
 * more than half full - the unread bytes wait in the socket (TCP flow
 * control pushes back on the peer), so a reply never finds the buffer full.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "usbip_server.h"

#define LOG_PREFIX "stm32net-sim: usbip: "
#define SIM_BUSNUM 1u
#define SIM_DEVNUM 2u   /* also the USB address the bridge assigns */
#define SIM_DEVID ((SIM_BUSNUM << 16) | SIM_DEVNUM)

typedef struct {
    int fd;             /* -1: free */
    bool imported;
    bool close_after_flush;
    bool rx_eof;        /* the peer half-closed: nothing more to read */
    bool rx_wait;       /* a complete message waits for a URB slot / tx room */
    uint32_t serial;    /* accept order: the oldest idle one is dropped first */
    uint32_t since_ms;
    size_t rx_len;
    size_t tx_len;
    char peer[48];
    uint8_t rx[USBIP_RX_BUF];
    uint8_t tx[USBIP_TX_BUF];
} conn_t;

static usbip_server_cfg_t cfg;
static int listen_fd = -1;
static conn_t conns[USBIP_MAX_CONN];
static conn_t *att;                 /* the importing connection, or NULL */
static uint32_t conn_serial;
static usbip_dev_t dev;
static usbip_intf_t intfs[USBIP_MAX_INTF];
static unsigned n_intf;

static uint32_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

/* --------------------------------------------------------- device record */

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

/* USB 2.0 9.6.1/9.6.3/9.6.5: the record's fields come from the device's own
 * device and configuration descriptors, read the way a host would. */
static int read_descriptors(void)
{
    uint8_t d[18];
    static uint8_t c[USBIP_CONFIG_DESC_MAX];
    const uint8_t get_dev[8] = {0x80, 0x06, 0x00, 0x01, 0x00, 0x00, sizeof d, 0x00};
    uint8_t get_cfg[8] = {0x80, 0x06, 0x00, 0x02, 0x00, 0x00, 9, 0x00};

    cfg.backend->bus_reset();
    usbip_sched_run_device(2);
    if (usbip_sched_control_sync(get_dev, d, sizeof d) != (int)sizeof d || d[0] != 18u || d[1] != 0x01u) {
        fprintf(stderr, LOG_PREFIX "device descriptor unreadable\n");
        return -1;
    }
    if (usbip_sched_control_sync(get_cfg, c, 9) != 9 || c[1] != 0x02u) {
        fprintf(stderr, LOG_PREFIX "configuration descriptor unreadable\n");
        return -1;
    }
    uint16_t total = le16(c + 2);
    if (total < 9u || total > sizeof c) {
        fprintf(stderr, LOG_PREFIX "configuration descriptor length %u unsupported\n", total);
        return -1;
    }
    get_cfg[6] = (uint8_t)total;
    get_cfg[7] = (uint8_t)(total >> 8);
    if (usbip_sched_control_sync(get_cfg, c, total) != (int)total) {
        fprintf(stderr, LOG_PREFIX "configuration descriptor unreadable\n");
        return -1;
    }

    memset(&dev, 0, sizeof dev);
    snprintf(dev.path, sizeof dev.path, "/sys/devices/platform/stm32net-sim/usb%u/%s",
             SIM_BUSNUM, cfg.busid);
    memcpy(dev.busid, cfg.busid, strlen(cfg.busid));
    dev.busnum = SIM_BUSNUM;
    dev.devnum = SIM_DEVNUM;
    dev.speed = USBIP_SPEED_FULL;
    dev.idVendor = le16(d + 8);
    dev.idProduct = le16(d + 10);
    dev.bcdDevice = le16(d + 12);
    dev.bDeviceClass = d[4];
    dev.bDeviceSubClass = d[5];
    dev.bDeviceProtocol = d[6];
    dev.bNumConfigurations = d[17];
    dev.bNumInterfaces = c[4];
    dev.bConfigurationValue = c[5];
    if (dev.bNumInterfaces > USBIP_MAX_INTF) {
        fprintf(stderr, LOG_PREFIX "%u interfaces, at most %u supported\n", dev.bNumInterfaces,
                USBIP_MAX_INTF);
        return -1;
    }
    /* One record per interface: the class triple of its alternate setting 0. */
    memset(intfs, 0, sizeof intfs);
    n_intf = dev.bNumInterfaces;
    for (unsigned off = 0; off + 2u <= total;) {
        uint8_t blen = c[off], type = c[off + 1u];
        if (blen < 2u || off + blen > total) {
            fprintf(stderr, LOG_PREFIX "configuration descriptor malformed at %u\n", off);
            return -1;
        }
        if (type == 0x04u && blen >= 9u && c[off + 3u] == 0u && c[off + 2u] < n_intf) {
            usbip_intf_t *i = &intfs[c[off + 2u]];
            i->bInterfaceClass = c[off + 5u];
            i->bInterfaceSubClass = c[off + 6u];
            i->bInterfaceProtocol = c[off + 7u];
        }
        if (type == 0x05u && blen >= 7u) {
            /* USB 2.0 9.6.6: the packet size a host controller uses */
            usbip_sched_set_mps(c[off + 2u], (uint16_t)(le16(c + off + 4u) & 0x07FFu));
            /* the transfer type and the polling period, for the paced schedule */
            usbip_sched_set_ep(c[off + 2u], c[off + 3u], c[off + 6u]);
        }
        off += blen;
    }
    /* Until someone imports it, nobody is on the cable. */
    cfg.backend->unplug();
    usbip_sched_run_device(2);
    return 0;
}

const usbip_dev_t *usbip_server_device(void)
{
    return &dev;
}

unsigned usbip_server_interfaces(usbip_intf_t *out, unsigned room)
{
    unsigned n = n_intf < room ? n_intf : room;
    memcpy(out, intfs, n * sizeof *out);
    return n_intf;
}

int usbip_server_init(const usbip_server_cfg_t *c)
{
    memset(conns, 0, sizeof conns);
    for (unsigned i = 0; i < USBIP_MAX_CONN; i++) {
        conns[i].fd = -1;
    }
    att = NULL;
    cfg = *c;
    if (cfg.backend == NULL) {
        cfg.backend = &usbip_backend_sim;
    }
    usbip_sched_init(cfg.backend, cfg.poll);
    if (cfg.busid == NULL || cfg.busid[0] == '\0' || strlen(cfg.busid) >= USBIP_BUSID_SIZE) {
        fprintf(stderr, LOG_PREFIX "bad busid\n");
        return -1;
    }
    return read_descriptors();
}

int usbip_server_listen(struct in_addr addr, uint16_t port, uint16_t *bound)
{
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr = addr;
    sa.sin_port = htons(port);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 8) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &sl) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    if (bound != NULL) {
        *bound = ntohs(sa.sin_port);
    }
    listen_fd = fd;
    return 0;
}

/* ------------------------------------------------------------ connections */

/* Per-connection protocol state of a fresh (or closed) slot: not imported,
 * nothing buffered. */
static void conn_reset(conn_t *c)
{
    c->imported = false;
    c->close_after_flush = false;
    c->rx_eof = false;
    c->rx_wait = false;
    c->rx_len = 0;
    c->tx_len = 0;
}

static void conn_close(conn_t *c, const char *why)
{
    if (c->fd < 0) {
        return;
    }
    if (why != NULL) {
        fprintf(stderr, LOG_PREFIX "%s: closing: %s\n", c->peer, why);
    }
    close(c->fd);
    c->fd = -1;
    if (c == att) {
        /* The cable is gone: the firmware sees it, and the next IMPORT starts
         * from a bus reset again. */
        usbip_sched_drop_all();
        att = NULL;
        cfg.backend->unplug();
        if (cfg.verbose) {
            fprintf(stderr, LOG_PREFIX "%s detached\n", c->peer);
        }
    }
    conn_reset(c);
}

/* After send()/recv() returned < 0: true to try again (EINTR); otherwise
 * false, and the connection is closed unless the socket merely had nothing
 * to do (EAGAIN on the non-blocking socket). */
static bool conn_io_retry(conn_t *c)
{
    if (errno == EINTR) {
        return true;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
        conn_close(c, strerror(errno));
    }
    return false;
}

static void conn_flush(conn_t *c)
{
    while (c->fd >= 0 && c->tx_len > 0u) {
        ssize_t w = send(c->fd, c->tx, c->tx_len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0) {
            if (conn_io_retry(c)) {
                continue;
            }
            return;
        }
        memmove(c->tx, c->tx + w, c->tx_len - (size_t)w);
        c->tx_len -= (size_t)w;
    }
    if (c->fd >= 0 && c->tx_len == 0u && c->close_after_flush) {
        conn_close(c, NULL);
    }
}

static uint8_t *tx_reserve(conn_t *c, size_t n)
{
    if (USBIP_TX_BUF - c->tx_len < n) {
        return NULL;
    }
    uint8_t *p = c->tx + c->tx_len;
    c->tx_len += n;
    return p;
}

/* Tells cfg.urb_hook (if any) of a submission or a completion of u. */
static void urb_report(const usbip_urb_t *u, bool submit)
{
    bool in = u->dir == USBIP_DIR_IN;
    usbip_urb_event_t e = {
        .submit = submit, .seqnum = u->seqnum, .ep = u->epnum, .in = in,
        .devnum = SIM_DEVNUM, .flags = u->flags, .setup = u->epnum == 0u ? u->setup : NULL,
        .status = submit ? 0 : u->status, .length = submit ? u->tbl : u->pos, .data = u->buf,
        .data_len = submit ? (in ? 0u : u->tbl) : (in ? u->pos : 0u),
    };
    if (cfg.urb_hook != NULL) {
        cfg.urb_hook(&e);
    }
}

/* The one place a URB completes: its RET_SUBMIT (with the data of an IN
 * URB) is queued and the hook told; false when the tx buffer is full (it is
 * retried). */
static bool send_ret_submit(usbip_urb_t *u)
{
    uint32_t data = u->dir == USBIP_DIR_IN ? u->pos : 0u;
    uint8_t *p = tx_reserve(att, USBIP_HDR_SIZE + data);
    if (p == NULL) {
        return false;
    }
    usbip_hdr_t h;
    memset(&h, 0, sizeof h);
    h.command = USBIP_RET_SUBMIT;
    h.seqnum = u->seqnum;  /* devid, direction, ep: 0 in replies */
    h.u.ret_submit.status = u->status;
    h.u.ret_submit.actual_length = u->pos;
    h.u.ret_submit.number_of_packets = 0;
    (void)usbip_pack_hdr(p, USBIP_HDR_SIZE, &h);
    memcpy(p + USBIP_HDR_SIZE, u->buf, data);
    urb_report(u, false);
    if (cfg.verbose) {
        fprintf(stderr, LOG_PREFIX "RET_SUBMIT seq=%u ep=%u%s status=%d actual=%u\n",
                u->seqnum, u->epnum, u->dir == USBIP_DIR_IN ? "in" : "out", (int)u->status,
                (unsigned)u->pos);
    }
    return true;
}

static void send_ret_unlink(conn_t *c, uint32_t seqnum, int32_t status)
{
    uint8_t *p = tx_reserve(c, USBIP_HDR_SIZE);
    if (p == NULL) {
        /* Unreachable: commands are parsed only while the buffer is at most
         * half full, and one command adds at most one header. */
        conn_close(c, "transmit buffer full");
        return;
    }
    usbip_hdr_t h;
    memset(&h, 0, sizeof h);
    h.command = USBIP_RET_UNLINK;
    h.seqnum = seqnum;
    h.u.ret_unlink.status = status;
    (void)usbip_pack_hdr(p, USBIP_HDR_SIZE, &h);
    if (cfg.verbose) {
        fprintf(stderr, LOG_PREFIX "RET_UNLINK seq=%u status=%d\n", seqnum, (int)status);
    }
}

static bool busid_is_ours(const uint8_t busid[USBIP_BUSID_SIZE])
{
    size_t n = strlen(cfg.busid);
    return memcmp(busid, cfg.busid, n) == 0 && busid[n] == 0u;
}

static void op_reply(conn_t *c, uint16_t code, uint32_t status)
{
    usbip_op_hdr_t h = {.version = USBIP_VERSION, .code = code, .status = status};
    uint8_t *p = tx_reserve(c, USBIP_OP_HDR_SIZE);
    if (p != NULL) {
        (void)usbip_pack_op_hdr(p, USBIP_OP_HDR_SIZE, &h);
    }
}

/* IMPORT: the host's vhci does port reset and SET_ADDRESS locally, so the
 * bridge does both to the device itself (USB 2.0 9.1.2, 9.4.6). */
static bool device_attach(void)
{
    const uint8_t set_address[8] = {0x00, 0x05, SIM_DEVNUM, 0x00, 0x00, 0x00, 0x00, 0x00};
    cfg.backend->bus_reset();
    usbip_sched_run_device(2);
    if (usbip_sched_control_sync(set_address, NULL, 0) != 0) {
        return false;
    }
    for (unsigned i = 0; i < 10u && cfg.backend->address() != SIM_DEVNUM; i++) {
        usbip_sched_run_device(1);
    }
    return cfg.backend->address() == SIM_DEVNUM;
}

static void handle_op(conn_t *c, const usbip_op_req_t *req)
{
    if (req->code == USBIP_OP_REQ_DEVLIST) {
        /* OP_REP_DEVLIST: header, number of devices, the record, then exactly
         * bNumInterfaces interface records. */
        uint8_t *p = tx_reserve(c, USBIP_OP_HDR_SIZE + 4u + USBIP_DEV_SIZE + n_intf * USBIP_INTF_SIZE);
        if (p == NULL) {
            conn_close(c, "transmit buffer full");
            return;
        }
        usbip_op_hdr_t h = {.version = USBIP_VERSION, .code = USBIP_OP_REP_DEVLIST, .status = 0};
        p += usbip_pack_op_hdr(p, USBIP_OP_HDR_SIZE, &h);
        p[0] = 0; p[1] = 0; p[2] = 0; p[3] = 1;
        p += 4;
        p += usbip_pack_dev(p, USBIP_DEV_SIZE, &dev);
        for (unsigned i = 0; i < n_intf; i++) {
            p += usbip_pack_intf(p, USBIP_INTF_SIZE, &intfs[i]);
        }
        c->close_after_flush = true;  /* as usbipd: one request per connection */
        fprintf(stderr, LOG_PREFIX "%s: device list sent\n", c->peer);
        return;
    }
    /* IMPORT */
    if (!busid_is_ours(req->busid)) {
        op_reply(c, USBIP_OP_REP_IMPORT, USBIP_ST_NA);
        c->close_after_flush = true;
        fprintf(stderr, LOG_PREFIX "%s: import of an unknown busid refused\n", c->peer);
        return;
    }
    if (att != NULL) {
        op_reply(c, USBIP_OP_REP_IMPORT, USBIP_ST_DEV_BUSY);
        c->close_after_flush = true;
        fprintf(stderr, LOG_PREFIX "%s: import refused: already attached by %s\n", c->peer,
                att->peer);
        return;
    }
    if (!device_attach()) {
        cfg.backend->unplug();
        op_reply(c, USBIP_OP_REP_IMPORT, USBIP_ST_DEV_ERR);
        c->close_after_flush = true;
        fprintf(stderr, LOG_PREFIX "%s: import failed: device did not take its address\n",
                c->peer);
        return;
    }
    uint8_t *p = tx_reserve(c, USBIP_OP_HDR_SIZE + USBIP_DEV_SIZE);
    if (p == NULL) {
        conn_close(c, "transmit buffer full");
        return;
    }
    usbip_op_hdr_t h = {.version = USBIP_VERSION, .code = USBIP_OP_REP_IMPORT, .status = 0};
    usbip_dev_t d = dev;
    memcpy(d.busid, req->busid, USBIP_BUSID_SIZE);  /* echoed byte for byte */
    p += usbip_pack_op_hdr(p, USBIP_OP_HDR_SIZE, &h);
    (void)usbip_pack_dev(p, USBIP_DEV_SIZE, &d);
    c->imported = true;
    att = c;
    usbip_sched_drop_all();
    fprintf(stderr, LOG_PREFIX "%s attached %s\n", c->peer, cfg.busid);
}

/* The one place a URB is submitted: a slot from the scheduler, filled from
 * CMD_SUBMIT and started. False when no slot is free (backpressure, not an
 * error: vhci may queue more; the message waits in the receive buffer). */
static bool urb_submit(const usbip_hdr_t *h, const uint8_t *data)
{
    usbip_urb_t *u = usbip_sched_alloc();
    if (u == NULL) {
        return false;
    }
    u->seqnum = h->seqnum;
    u->epnum = (uint8_t)h->ep;
    u->dir = (uint8_t)h->direction;
    u->flags = h->u.submit.transfer_flags;
    u->tbl = (uint16_t)h->u.submit.transfer_buffer_length;  /* <= USBIP_MAX_TRANSFER */
    if (data != NULL) {
        memcpy(u->buf, data, u->tbl);
    }
    if (cfg.verbose) {
        fprintf(stderr, LOG_PREFIX "CMD_SUBMIT seq=%u ep=%u%s len=%u flags=0x%x\n", u->seqnum,
                u->epnum, u->dir == USBIP_DIR_IN ? "in" : "out", (unsigned)u->tbl,
                (unsigned)u->flags);
    }
    usbip_sched_start(u, h->u.submit.setup);
    urb_report(u, true);
    return true;
}

enum { CMD_DONE, CMD_CLOSED, CMD_WAIT };

/* CMD_DONE, CMD_CLOSED (the connection was closed) or CMD_WAIT (no URB slot
 * free: the message stays unparsed until one frees). */
static int handle_cmd(conn_t *c, const usbip_hdr_t *h, const uint8_t *data)
{
    char why[96];
    if (h->devid != SIM_DEVID) {
        snprintf(why, sizeof why, "devid 0x%08x is not ours (0x%08x)", h->devid, SIM_DEVID);
        conn_close(c, why);
        return CMD_CLOSED;
    }
    if (h->command == USBIP_CMD_UNLINK) {
        uint32_t target = h->u.unlink.unlink_seqnum;
        int32_t status = 0;  /* unknown or already given back: nothing to undo */
        usbip_urb_t *u = usbip_sched_find(target);
        if (u != NULL) {
            /* Still ours (pending, or done but RET_SUBMIT not queued): it
             * is cancelled and never gets a RET_SUBMIT. Bytes it already
             * moved are lost with it: an OUT URB may have handed part of
             * a frame to the device, an IN URB may have taken packets the
             * device will not send again. Real host controllers behave
             * the same (an unlinked URB's packets were ACKed on the bus,
             * USB 2.0 8.6.4 keeps no way to take them back), and the
             * upper layers (usbnet) treat the frame as lost. */
            u->status = -USBIP_ECONNRESET;
            urb_report(u, false);
            usbip_sched_release(u);
            status = -USBIP_ECONNRESET;
        }
        if (cfg.verbose) {
            fprintf(stderr, LOG_PREFIX "CMD_UNLINK seq=%u of seq=%u\n", h->seqnum, target);
        }
        send_ret_unlink(c, h->seqnum, status);
        return c->fd >= 0 ? CMD_DONE : CMD_CLOSED;
    }
    if (usbip_sched_find(h->seqnum) != NULL) {
        /* vhci numbers URBs uniquely; a reused seqnum would make two
         * RET_SUBMITs (and unlinks) ambiguous: hostile input. */
        snprintf(why, sizeof why, "CMD_SUBMIT seqnum %u already in flight", h->seqnum);
        conn_close(c, why);
        return CMD_CLOSED;
    }
    return urb_submit(h, data) ? CMD_DONE : CMD_WAIT;
}

/* Parses and executes the complete messages in c->rx, stopping (rx_wait)
 * when a URB slot or transmit room is missing. */
static void conn_process(conn_t *c)
{
    size_t off = 0;
    c->rx_wait = false;
    while (c->fd >= 0 && off < c->rx_len) {
        int n;
        char why[96];
        if (c->tx_len > USBIP_TX_BUF / 2u && !c->close_after_flush) {
            c->rx_wait = true;  /* replies pile up: let the peer read first */
            break;
        }
        if (!c->imported) {
            usbip_op_req_t req;
            if (c->close_after_flush) {
                off = c->rx_len;  /* one request per connection; ignore the rest */
                break;
            }
            n = usbip_parse_op_req(c->rx + off, c->rx_len - off, &req);
            if (n > 0) {
                off += (size_t)n;
                handle_op(c, &req);
                continue;
            }
        } else {
            usbip_hdr_t h;
            const uint8_t *data;
            n = usbip_parse_cmd(c->rx + off, c->rx_len - off, &h, &data);
            if (n > 0) {
                int r = handle_cmd(c, &h, data);
                if (r == CMD_CLOSED) {
                    return;
                }
                if (r == CMD_WAIT) {
                    c->rx_wait = true;
                    break;
                }
                off += (size_t)n;
                continue;
            }
        }
        if (n == 0) {
            break;  /* the rest of the message has not arrived yet */
        }
        snprintf(why, sizeof why, "malformed %s: %s", c->imported ? "command" : "request",
                 usbip_strerror(n));
        conn_close(c, why);
        return;
    }
    if (c->fd >= 0 && off > 0u) {
        memmove(c->rx, c->rx + off, c->rx_len - off);
        c->rx_len -= off;
    }
}

/* Whether to read (and poll for POLLIN): not after the peer half-closed or
 * the one request was answered, not while a message waits for a URB slot,
 * not while the transmit buffer is more than half full. */
static bool conn_can_read(const conn_t *c)
{
    return c->fd >= 0 && !c->close_after_flush && !c->rx_eof && !c->rx_wait &&
           c->tx_len <= USBIP_TX_BUF / 2u;
}

static void conn_read(conn_t *c)
{
    /* Bounded per poll pass so one fast sender cannot starve the firmware,
     * its timers and the other connections. */
    for (unsigned i = 0; i < USBIP_RX_READS && conn_can_read(c); i++) {
        size_t room = USBIP_RX_BUF - c->rx_len;
        if (room == 0u) {
            /* cannot happen: every valid message fits; be safe anyway */
            conn_close(c, "receive buffer full");
            return;
        }
        ssize_t r = recv(c->fd, c->rx + c->rx_len, room, MSG_DONTWAIT);
        if (r == 0) {
            if (c->tx_len > 0u || c->close_after_flush) {
                /* Half-close (shutdown(SHUT_WR)) after a request: the peer
                 * still reads, so the answer goes out before the close. */
                c->rx_eof = true;
                c->close_after_flush = true;
                conn_flush(c);
            } else {
                conn_close(c, c->imported ? "peer closed the connection" : NULL);
            }
            return;
        }
        if (r < 0) {
            if (conn_io_retry(c)) {
                continue;
            }
            return;
        }
        c->rx_len += (size_t)r;
        conn_process(c);
        conn_flush(c);
    }
}

/* The oldest connection that has not imported: dropped to make room, so idle
 * or stuck clients cannot lock out an attach. NULL if there is none. */
static conn_t *conn_oldest_idle(void)
{
    conn_t *o = NULL;
    for (unsigned i = 0; i < USBIP_MAX_CONN; i++) {
        conn_t *c = &conns[i];
        if (c->fd >= 0 && !c->imported &&
            (o == NULL || (int32_t)(c->serial - o->serial) < 0)) {
            o = c;
        }
    }
    return o;
}

static void accept_new(void)
{
    for (;;) {
        struct sockaddr_in sa;
        socklen_t sl = sizeof sa;
        int fd = accept(listen_fd, (struct sockaddr *)&sa, &sl);
        if (fd < 0) {
            return;  /* EAGAIN or a transient error: poll tells us again */
        }
        if (fcntl(fd, F_SETFL, O_NONBLOCK) != 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
            close(fd);
            continue;
        }
        char peer[48];
        char ip[INET_ADDRSTRLEN] = "?";
        (void)inet_ntop(AF_INET, &sa.sin_addr, ip, sizeof ip);
        snprintf(peer, sizeof peer, "%s:%u", ip, (unsigned)ntohs(sa.sin_port));
        conn_t *c = NULL;
        for (unsigned i = 0; i < USBIP_MAX_CONN; i++) {
            if (conns[i].fd < 0) {
                c = &conns[i];
                break;
            }
        }
        if (c == NULL) {
            c = conn_oldest_idle();
            if (c == NULL) {
                fprintf(stderr, LOG_PREFIX "%s: refused: %u connections open\n", peer,
                        USBIP_MAX_CONN);
                close(fd);
                continue;
            }
            conn_close(c, "dropped: connection table full, a new client arrived");
        }
        int one = 1;
        int idle = USBIP_KEEP_IDLE_S, intvl = USBIP_KEEP_INTVL_S, cnt = USBIP_KEEP_CNT;
        /* URBs are small and latency-bound: no Nagle delay. */
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        /* A client that vanishes without FIN (VM killed, cable pulled) would
         * keep the device attached forever: keepalive probes (RFC 1122
         * 4.2.3.6) find it within seconds and the read error closes it. */
        (void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
        (void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
        (void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
        (void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
        c->fd = fd;
        c->serial = conn_serial++;
        conn_reset(c);
        c->since_ms = now_ms();
        memcpy(c->peer, peer, sizeof c->peer);
        if (cfg.verbose) {
            fprintf(stderr, LOG_PREFIX "%s connected\n", peer);
        }
    }
}

unsigned usbip_server_pollfds(struct pollfd *fds, unsigned room)
{
    unsigned n = 0;
    if (listen_fd >= 0 && n < room) {
        fds[n].fd = listen_fd;
        fds[n].events = POLLIN;
        fds[n].revents = 0;
        n++;
    }
    for (unsigned i = 0; i < USBIP_MAX_CONN && n < room; i++) {
        conn_t *c = &conns[i];
        if (c->fd < 0) {
            continue;
        }
        fds[n].fd = c->fd;
        fds[n].events = (short)((c->tx_len > 0u ? POLLOUT : 0) |
                                (conn_can_read(c) ? POLLIN : 0));
        fds[n].revents = 0;
        n++;
    }
    return n;
}

static conn_t *conn_of_fd(int fd)
{
    for (unsigned i = 0; i < USBIP_MAX_CONN; i++) {
        if (conns[i].fd == fd && fd >= 0) {
            return &conns[i];
        }
    }
    return NULL;
}

void usbip_server_handle(const struct pollfd *fds, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        if (fds[i].revents == 0) {
            continue;
        }
        if (fds[i].fd == listen_fd) {
            accept_new();
            continue;
        }
        conn_t *c = conn_of_fd(fds[i].fd);
        if (c == NULL) {
            continue;
        }
        if (fds[i].revents & POLLOUT) {
            conn_flush(c);
        }
        if (c->fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP | POLLERR))) {
            if (conn_can_read(c)) {
                conn_read(c);  /* sees the EOF or the error itself */
            } else if (fds[i].revents & (POLLHUP | POLLERR)) {
                /* Not reading, and the peer is gone both ways: nothing left
                 * to deliver, and poll would report it again at once. */
                conn_flush(c);
                conn_close(c, "peer gone");
            }
        }
        if (c->fd >= 0 && c->tx_len > 0u) {
            conn_flush(c);
        }
    }
}

static bool urbs_run(void);

bool usbip_server_run(void)
{
    bool moved = false;
    uint32_t now = now_ms();
    for (unsigned i = 0; i < USBIP_MAX_CONN; i++) {
        conn_t *c = &conns[i];
        if (c->fd >= 0 && !c->imported && (uint32_t)(now - c->since_ms) > USBIP_OP_IDLE_MS) {
            conn_close(c, "no request in time");
        }
    }
    if (att != NULL) {
        moved = urbs_run();
    }
    /* Messages left waiting for a URB slot or transmit room go on now. */
    for (unsigned i = 0; i < USBIP_MAX_CONN; i++) {
        conn_t *c = &conns[i];
        if (c->fd >= 0 && c->rx_wait) {
            conn_process(c);
            conn_flush(c);
        }
    }
    return moved;
}

/* Steps the URBs, then queues the RET_SUBMITs of the completed ones. */
static bool urbs_run(void)
{
    bool moved = usbip_sched_step();
    /* Completed URBs go back in arrival order while the tx buffer has room. */
    for (;;) {
        usbip_urb_t *next = usbip_sched_next_done();
        if (next == NULL || !send_ret_submit(next)) {
            break;
        }
        usbip_sched_release(next);
    }
    if (att != NULL && att->tx_len > 0u) {
        conn_flush(att);
    }
    return moved;
}

bool usbip_server_attached(void)
{
    return att != NULL;
}

void usbip_server_shutdown(void)
{
    for (unsigned i = 0; i < USBIP_MAX_CONN; i++) {
        if (conns[i].fd >= 0) {
            conn_flush(&conns[i]);
            conn_close(&conns[i], NULL);
        }
    }
    if (listen_fd >= 0) {
        close(listen_fd);
        listen_fd = -1;
    }
}
