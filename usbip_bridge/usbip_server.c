/*
 * usbip_server.c - USB/IP server for the simulated device (see usbip_server.h).
 *
 * Layer: usbip_bridge (host only). Includes POSIX socket headers, stdio for
 * log lines, usbip_proto.h and udc_sim.h. No dynamic allocation: a fixed table of
 * connections and a fixed pool of URB slots with their buffers.
 *
 * Host-controller duties the bridge takes over (vhci_hcd keeps them local):
 * - vhci_hcd answers SET_ADDRESS and port reset itself, so on IMPORT the bridge
 *   resets the device and addresses it through its own control transfer.
 * - Control URBs run SETUP, data stage (64-byte packets), status stage before
 *   RET_SUBMIT (USB 2.0 8.5.3); STALL -> -EPIPE.
 * - Bulk/interrupt OUT URBs are split into max-packet pieces, with a trailing
 *   ZLP when URB_ZERO_PACKET asks for it; IN URBs collect packets until a
 *   short packet or the URB is full (USB 2.0 5.8.3). A NAK leaves the URB
 *   pending; URBs of one endpoint complete in order; ep0 never waits for bulk.
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

#include "udc_sim.h"
#include "usbip_server.h"

#define LOG_PREFIX "stm32net-sim: usbip: "
#define SIM_BUSNUM 1u
#define SIM_DEVNUM 2u   /* also the USB address the bridge assigns */
#define SIM_DEVID ((SIM_BUSNUM << 16) | SIM_DEVNUM)
#define SYNC_POLLS 200u /* firmware passes allowed for one internal control transfer */

enum { ST_SETUP, ST_DATA, ST_STATUS, ST_BULK };

typedef struct {
    bool used;
    bool done;          /* completed, RET_SUBMIT not queued yet (tx full) */
    uint8_t stage;
    uint8_t epnum;
    uint8_t dir;        /* USBIP_DIR_* */
    uint32_t seqnum;
    uint32_t order;     /* arrival order: URBs of one pipe complete in order */
    uint32_t flags;
    uint16_t tbl;       /* transfer_buffer_length */
    uint16_t dlen;      /* control data stage length */
    uint16_t pos;       /* bytes moved so far */
    int32_t status;
    uint8_t setup[8];
    uint8_t buf[USBIP_MAX_TRANSFER];
} urb_t;

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
static urb_t urbs[USBIP_MAX_URBS];
static urb_t sync_urb;
static uint32_t urb_order;
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

/* ------------------------------------------------------- one URB's packets */

static void urb_finish(urb_t *u, int32_t status)
{
    u->done = true;
    u->status = status;
}

static uint16_t min16(uint32_t a, uint32_t b)
{
    return (uint16_t)(a < b ? a : b);
}

/* USB 2.0 8.5.3: a control read ends with a 0-length OUT, a write or a
 * no-data request with a 0-length IN. */
static bool urb_status_is_out(const urb_t *u)
{
    return (u->setup[0] & 0x80u) != 0u && u->dlen != 0u;
}

static uint16_t urb_bulk_out_mps(const urb_t *u)
{
    uint16_t mps = udc_sim_ep_mps(u->epnum);
    return mps != 0u ? mps : 64u;  /* endpoint not open: the first packet STALLs anyway */
}

/* Offers the fake controller the next packet of u's current stage; *n gets
 * the bytes moved, *out_mps the packet size a bulk OUT packet was cut to.
 * Returns a UDC_SIM_* result (a refused SETUP is STALL). */
static int urb_packet(urb_t *u, uint16_t *n, uint16_t *out_mps)
{
    uint8_t junk[UDC_EP0_MPS];
    *n = 0;
    *out_mps = 0;
    switch (u->stage) {
    case ST_SETUP:
        return udc_sim_setup(u->setup) == UDC_SIM_ACK ? UDC_SIM_ACK : UDC_SIM_STALL;
    case ST_DATA:
        if (u->setup[0] & 0x80u) {
            return udc_sim_in(0, u->buf + u->pos, (uint16_t)(u->dlen - u->pos), n);
        }
        *n = min16(UDC_EP0_MPS, (uint32_t)(u->dlen - u->pos));
        return udc_sim_out(0, u->buf + u->pos, *n);
    case ST_STATUS:
        return urb_status_is_out(u) ? udc_sim_out(0, NULL, 0)
                                    : udc_sim_in(0, junk, sizeof junk, n);
    default: /* ST_BULK */
        if (u->dir == USBIP_DIR_IN) {
            return udc_sim_in(u->epnum, u->buf + u->pos, (uint16_t)(u->tbl - u->pos), n);
        }
        *out_mps = urb_bulk_out_mps(u);
        *n = min16(*out_mps, (uint32_t)(u->tbl - u->pos));
        return udc_sim_out(u->epnum, u->buf + u->pos, *n);
    }
}

/* What an accepted packet (ACK or OVERFLOW, n bytes, already counted in
 * u->pos; out_mps from urb_packet) means for the URB in its current stage. */
static void urb_after_packet(urb_t *u, int r, uint16_t n, uint16_t out_mps)
{
    switch (u->stage) {
    case ST_SETUP:
        u->stage = u->dlen != 0u ? ST_DATA : ST_STATUS;
        break;
    case ST_DATA:
        if (r == UDC_SIM_OVERFLOW) {
            urb_finish(u, -USBIP_EOVERFLOW);
        } else if (n < UDC_EP0_MPS || u->pos == u->dlen) {
            u->stage = ST_STATUS;  /* short packet or all of wLength: USB 2.0 8.5.3.2 */
        }
        break;
    case ST_STATUS: {
        bool read = urb_status_is_out(u);
        if (!read && n != 0u) {
            urb_finish(u, -USBIP_EPROTO);  /* data in a status stage */
        } else if (read && u->pos < u->tbl && (u->flags & USBIP_URB_SHORT_NOT_OK)) {
            urb_finish(u, -USBIP_EREMOTEIO);  /* as Linux HCDs: short read refused */
        } else {
            urb_finish(u, 0);
        }
        break;
    }
    default: /* ST_BULK */
        if (u->dir == USBIP_DIR_IN) {
            uint16_t mps = udc_sim_ep_mps((uint8_t)(UDC_EP_IN | u->epnum));
            if (r == UDC_SIM_OVERFLOW) {
                urb_finish(u, -USBIP_EOVERFLOW);
            } else if (u->pos == u->tbl) {
                urb_finish(u, 0);
            } else if (n < mps) {
                /* Short packet before the URB is full (USB 2.0 5.8.3):
                 * with URB_SHORT_NOT_OK Linux host controllers report
                 * -EREMOTEIO, data kept. */
                urb_finish(u, (u->flags & USBIP_URB_SHORT_NOT_OK) ? -USBIP_EREMOTEIO : 0);
            }
        } else if (n < out_mps ||
                   (u->pos == u->tbl && !(u->flags & USBIP_URB_ZERO_PACKET))) {
            /* A short packet (or ZLP) ends it; a last full packet needs
             * the ZLP only if the URB asked for URB_ZERO_PACKET. */
            urb_finish(u, 0);
        }
        break;
    }
}

/* Moves packets until a NAK or the end; true if any packet moved. NAK: the
 * URB waits (a bulk IN URB is never answered empty); STALL in any stage:
 * -EPIPE, as Linux HCDs report it. */
static bool urb_step(urb_t *u)
{
    bool moved = false;
    while (!u->done) {
        uint16_t n, out_mps;
        int r = urb_packet(u, &n, &out_mps);
        if (r == UDC_SIM_NAK) {
            return moved;
        }
        moved = true;
        if (r == UDC_SIM_STALL) {
            urb_finish(u, -USBIP_EPIPE);
            break;
        }
        if (u->stage == ST_DATA || u->stage == ST_BULK) {
            u->pos = (uint16_t)(u->pos + n);
        }
        urb_after_packet(u, r, n, out_mps);
    }
    return moved;
}

static void urb_init_control(urb_t *u, const uint8_t setup[8], uint16_t room)
{
    memcpy(u->setup, setup, 8);
    uint16_t wlength = (uint16_t)(setup[6] | (setup[7] << 8));
    u->stage = ST_SETUP;
    u->dlen = min16(wlength, room);
    u->pos = 0;
    u->done = false;
    u->status = 0;
}

/* The bridge's own control transfer, run to the end with the firmware
 * polled in between; bounded by SYNC_POLLS passes. Data bytes or -1. */
static int control_sync(const uint8_t setup[8], uint8_t *data, uint16_t len)
{
    urb_t *u = &sync_urb;
    memset(u->setup, 0, sizeof u->setup);
    u->tbl = len;
    urb_init_control(u, setup, len);
    if (!(setup[0] & 0x80u) && u->dlen != 0u) {
        memcpy(u->buf, data, u->dlen);
    }
    for (unsigned i = 0; i < SYNC_POLLS && !u->done; i++) {
        (void)urb_step(u);
        if (!u->done && cfg.poll != NULL) {
            cfg.poll();
        }
    }
    if (!u->done || u->status != 0) {
        return -1;
    }
    if (setup[0] & 0x80u) {
        memcpy(data, u->buf, u->pos);
    }
    return u->pos;
}

static void run_firmware(unsigned times)
{
    for (unsigned i = 0; i < times && cfg.poll != NULL; i++) {
        cfg.poll();
    }
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

    udc_sim_bus_reset();
    run_firmware(2);
    if (control_sync(get_dev, d, sizeof d) != (int)sizeof d || d[0] != 18u || d[1] != 0x01u) {
        fprintf(stderr, LOG_PREFIX "device descriptor unreadable\n");
        return -1;
    }
    if (control_sync(get_cfg, c, 9) != 9 || c[1] != 0x02u) {
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
    if (control_sync(get_cfg, c, total) != (int)total) {
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
        off += blen;
    }
    /* Until someone imports it, nobody is on the cable. */
    udc_sim_unplug();
    run_firmware(2);
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
    memset(urbs, 0, sizeof urbs);
    att = NULL;
    cfg = *c;
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

static void urbs_drop_all(void)
{
    for (unsigned i = 0; i < USBIP_MAX_URBS; i++) {
        urbs[i].used = false;
    }
}

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
        urbs_drop_all();
        att = NULL;
        udc_sim_unplug();
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
static void urb_report(const urb_t *u, bool submit)
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

/* RET_SUBMIT, with the data of an IN URB; false when the tx buffer is full. */
static bool send_ret_submit(urb_t *u)
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
    udc_sim_bus_reset();
    run_firmware(2);
    if (control_sync(set_address, NULL, 0) != 0) {
        return false;
    }
    for (unsigned i = 0; i < 10u && udc_sim_address() != SIM_DEVNUM; i++) {
        run_firmware(1);
    }
    return udc_sim_address() == SIM_DEVNUM;
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
        udc_sim_unplug();
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
    urbs_drop_all();
    fprintf(stderr, LOG_PREFIX "%s attached %s\n", c->peer, cfg.busid);
}

static urb_t *urb_alloc(void)
{
    for (unsigned i = 0; i < USBIP_MAX_URBS; i++) {
        if (!urbs[i].used) {
            memset(&urbs[i], 0, offsetof(urb_t, buf));
            urbs[i].used = true;
            urbs[i].order = urb_order++;
            return &urbs[i];
        }
    }
    return NULL;
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
        for (unsigned i = 0; i < USBIP_MAX_URBS; i++) {
            urb_t *u = &urbs[i];
            if (u->used && u->seqnum == target) {
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
                u->used = false;
                status = -USBIP_ECONNRESET;
                break;
            }
        }
        if (cfg.verbose) {
            fprintf(stderr, LOG_PREFIX "CMD_UNLINK seq=%u of seq=%u\n", h->seqnum, target);
        }
        send_ret_unlink(c, h->seqnum, status);
        return c->fd >= 0 ? CMD_DONE : CMD_CLOSED;
    }
    for (unsigned i = 0; i < USBIP_MAX_URBS; i++) {
        if (urbs[i].used && urbs[i].seqnum == h->seqnum) {
            /* vhci numbers URBs uniquely; a reused seqnum would make two
             * RET_SUBMITs (and unlinks) ambiguous: hostile input. */
            snprintf(why, sizeof why, "CMD_SUBMIT seqnum %u already in flight", h->seqnum);
            conn_close(c, why);
            return CMD_CLOSED;
        }
    }
    urb_t *u = urb_alloc();
    if (u == NULL) {
        return CMD_WAIT;  /* backpressure, not an error: vhci may queue more */
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
    if (u->epnum == 0u) {
        urb_init_control(u, h->u.submit.setup, u->tbl);
        /* The direction of a control URB must agree with its SETUP packet
         * (USB 2.0 9.3.1 bmRequestType bit 7) whenever there is a data stage. */
        if (u->dlen != 0u && ((u->setup[0] >> 7) != u->dir)) {
            urb_finish(u, -USBIP_EINVAL);
        }
    } else {
        u->stage = ST_BULK;
    }
    urb_report(u, true);
    return CMD_DONE;
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

/* URBs of one pipe complete in order (usbnet relies on it); ep0 is one
 * pipe for both directions (USB 2.0 5.5: a control pipe is bidirectional). */
static bool is_pipe_head(const urb_t *u)
{
    for (unsigned i = 0; i < USBIP_MAX_URBS; i++) {
        const urb_t *o = &urbs[i];
        if (o == u || !o->used || o->done) {
            continue;
        }
        bool same = (u->epnum == 0u) ? o->epnum == 0u
                                     : (o->epnum == u->epnum && o->dir == u->dir);
        if (same && (int32_t)(o->order - u->order) < 0) {
            return false;
        }
    }
    return true;
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

/* Steps every URB that heads its pipe, then queues the RET_SUBMITs. */
static bool urbs_run(void)
{
    bool moved = false;
    /* Two passes: a URB that completes in the first lets the next one of
     * its pipe start in the second. */
    for (unsigned pass = 0; pass < 2u; pass++) {
        for (unsigned i = 0; i < USBIP_MAX_URBS; i++) {
            urb_t *u = &urbs[i];
            if (u->used && !u->done && is_pipe_head(u) && urb_step(u)) {
                moved = true;
            }
        }
    }
    /* Completed URBs go back in arrival order while the tx buffer has room. */
    for (;;) {
        urb_t *next = NULL;
        for (unsigned i = 0; i < USBIP_MAX_URBS; i++) {
            urb_t *u = &urbs[i];
            if (u->used && u->done && (next == NULL || (int32_t)(u->order - next->order) < 0)) {
                next = u;
            }
        }
        if (next == NULL || !send_ret_submit(next)) {
            break;
        }
        next->used = false;
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
