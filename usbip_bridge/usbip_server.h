/*
 * usbip_server.h - USB/IP server exporting the one device: connections and
 * the wire format; the URBs of a remote vhci_hcd go to usbip_sched.c, which
 * turns them into packets on a device backend (usbip_backend.h).
 *
 * Layer: usbip_bridge (host only). Uses POSIX sockets and poll(); knows USB
 * (chapter 9 descriptors, control transfers) but nothing of CDC or lwIP.
 * Assumptions: one thread; the caller runs poll() over the descriptors from
 * usbip_server_pollfds(), then usbip_server_handle(), then the firmware
 * (fw_poll) and usbip_server_run() to retry NAKed URBs.
 * Limits (all storage fixed, sized below; nothing allocated at run time): USBIP_MAX_CONN
 * connections, one of them attached (when the table is full, a new
 * connection replaces the oldest one that has not imported); USBIP_MAX_URBS
 * URBs in flight, each of at most USBIP_MAX_TRANSFER bytes - more are left
 * unread in the socket until a slot frees (backpressure); IPv4 only.
 */
#ifndef USBIP_SERVER_H
#define USBIP_SERVER_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

#include "usbip_backend.h"
#include "usbip_proto.h"
#include "usbip_sched.h"  /* USBIP_MAX_URBS, errno values */

/* ---- sizing: the one place the bridge's memory is decided ---- */
#ifndef USBIP_MAX_CONN
#define USBIP_MAX_CONN 4u          /* concurrent TCP connections */
#endif
#ifndef USBIP_MAX_INTF
#define USBIP_MAX_INTF 8u          /* interface records we report */
#endif
#ifndef USBIP_CONFIG_DESC_MAX
#define USBIP_CONFIG_DESC_MAX 512u /* configuration descriptor read at startup */
#endif
#ifndef USBIP_RX_BUF
#define USBIP_RX_BUF (USBIP_HDR_SIZE + USBIP_MAX_TRANSFER)  /* one whole request */
#endif
#ifndef USBIP_TX_BUF
#define USBIP_TX_BUF (4u * (USBIP_HDR_SIZE + USBIP_MAX_TRANSFER))
#endif
#ifndef USBIP_OP_IDLE_MS
#define USBIP_OP_IDLE_MS 5000u     /* a connection that never imports is closed */
#endif
#ifndef USBIP_RX_READS
#define USBIP_RX_READS 4u          /* recv() calls per connection per poll pass */
#endif
/* TCP keepalive (seconds, count): a peer that vanished without FIN is found
 * within IDLE + INTVL * CNT seconds and frees the device. */
#ifndef USBIP_KEEP_IDLE_S
#define USBIP_KEEP_IDLE_S 5
#endif
#ifndef USBIP_KEEP_INTVL_S
#define USBIP_KEEP_INTVL_S 2
#endif
#ifndef USBIP_KEEP_CNT
#define USBIP_KEEP_CNT 3
#endif
#define USBIP_POLLFD_MAX (1u + USBIP_MAX_CONN)


/* One URB as the host controller exchanges it, for an observer such as the
 * usbmon capture (sim/pcap_usb.c): told of each CMD_SUBMIT once accepted and
 * of each completion (RET_SUBMIT queued, or an unlink that cancelled it). */
typedef struct {
    bool submit;              /* true: submission, false: completion */
    uint32_t seqnum;          /* vhci's URB number: pairs the two events */
    uint8_t ep;               /* endpoint number 0..15 */
    bool in;                  /* direction IN (device to host) */
    uint8_t devnum;           /* the device's USB address */
    uint32_t flags;           /* URB transfer_flags as vhci sent them */
    const uint8_t *setup;     /* ep0: the SETUP packet (both events), else NULL */
    int32_t status;           /* completion: 0 or -errno; submission: 0 */
    uint32_t length;          /* submission: buffer length; completion: actual */
    const uint8_t *data;      /* OUT submission / IN completion: the bytes */
    uint32_t data_len;
} usbip_urb_event_t;
typedef void (*usbip_urb_hook_t)(const usbip_urb_event_t *e);

typedef struct {
    const char *busid;        /* e.g. "1-1", at most 31 characters */
    void (*poll)(void);       /* runs the device once (fw_poll, or the emulated chip) */
    bool verbose;             /* log every URB */
    const usbip_backend_t *backend;  /* the device; NULL: usbip_backend_sim (udc_sim) */
    usbip_urb_hook_t urb_hook; /* NULL, or told of every URB (see above) */
} usbip_server_cfg_t;

/* Reads the device and configuration descriptors through the backend (running
 * cfg->poll between packets) and fills the device record. 0 or -1 (logged). */
int usbip_server_init(const usbip_server_cfg_t *cfg);
/* Listens on addr:port (port 0: any free one); *bound gets the real port.
 * 0 or -1 with errno set. */
int usbip_server_listen(struct in_addr addr, uint16_t port, uint16_t *bound);
/* Fills fds (room for USBIP_POLLFD_MAX) and returns how many were used. */
unsigned usbip_server_pollfds(struct pollfd *fds, unsigned room);
void usbip_server_handle(const struct pollfd *fds, unsigned n);
/* Steps the pending URBs; true if any packet moved (run the firmware again
 * soon: it has events to process). */
bool usbip_server_run(void);
bool usbip_server_attached(void);
void usbip_server_shutdown(void);

/* The record as sent (for tests and the start line). */
const usbip_dev_t *usbip_server_device(void);
unsigned usbip_server_interfaces(usbip_intf_t *out, unsigned room);

#endif
