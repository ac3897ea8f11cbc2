/*
 * tap.c - TAP interface link for the simulator's --tap mode.
 *
 * Layer: sim (host only). Uses /dev/net/tun (IFF_TAP | IFF_NO_PI: plain
 * Ethernet frames, no packet-info header), a non-blocking fd and one static
 * frame buffer per direction, the same semantics as the ECM class (ecm.h):
 * rx_peek() reads one frame only when the rx buffer is free; tx_commit()
 * writes at once and drops + counts a frame the kernel will not take.
 * Like the ECM class it is the link, so it keeps the link counters
 * (link_stats.h) that the web page and /api/status show.
 * Limits: frames up to ECM_MAX_SEGMENT bytes; longer ones are truncated by
 * read() and dropped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "board.h"
#include "link_stats.h"
#include "stm32net_opt.h"
#include "tap.h"

static int fd = -1;
static int ctl = -1;                   /* socket for SIOCGIFFLAGS */
static char tap_name[IFNAMSIZ];
static uint32_t up_checked_ms;
static bool up_cached;
static uint8_t rx_buf[ECM_MAX_SEGMENT + 1u];  /* +1: detect oversize frames */
static uint16_t rx_len;
static uint8_t tx_buf[ECM_MAX_SEGMENT];
static uint32_t tx_dropped;

int tap_open(const char *ifname)
{
    struct ifreq ifr;
    if (strlen(ifname) >= IFNAMSIZ) {
        fprintf(stderr, "stm32net-sim: --tap: interface name too long\n");
        return -1;
    }
    fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "stm32net-sim: /dev/net/tun: %s\n", strerror(errno));
        return -1;
    }
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    memcpy(ifr.ifr_name, ifname, strlen(ifname));
    memcpy(tap_name, ifname, strlen(ifname) + 1u);
    if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
        fprintf(stderr, "stm32net-sim: TAP %s: %s\n", ifname, strerror(errno));
        close(fd);
        fd = -1;
        return -1;
    }
    return 0;
}

int tap_fd(void)
{
    return fd;
}

bool tap_rx_ready(void)
{
    return rx_len == 0u;
}

static const uint8_t *rx_peek(uint16_t *len)
{
    while (rx_len == 0u && fd >= 0) {
        ssize_t r = read(fd, rx_buf, sizeof rx_buf);
        if (r < 0) {
            return NULL;  /* EAGAIN: nothing waiting */
        }
        /* The kernel sends only through an interface that is up: a frame
         * read is fresher news of the link than the 100 ms cached flag, so
         * an answer to the first frame after "ip link set up" (a DHCP
         * DISCOVER, say) is not dropped as sent on a down link. */
        uint32_t now = board_millis();
        up_cached = true;
        up_checked_ms = now == 0u ? 1u : now;
        if (r >= 14 && (size_t)r <= ECM_MAX_SEGMENT) {
            rx_len = (uint16_t)r;
            link_stats.rx_frames++;
            link_stats.rx_bytes += (uint32_t)r;
        } else {
            link_stats.rx_dropped++;  /* runt or oversize frame: try the next one */
        }
    }
    if (rx_len == 0u) {
        return NULL;
    }
    *len = rx_len;
    return rx_buf;
}

static void rx_release(void)
{
    rx_len = 0;
}

static uint8_t *tx_acquire(void)
{
    return fd >= 0 ? tx_buf : NULL;
}

static void tx_commit(uint16_t len)
{
    if (fd < 0 || len > sizeof tx_buf) {
        tx_dropped++;
        link_stats.tx_dropped++;
        return;
    }
    ssize_t w = write(fd, tx_buf, len);
    if (w != (ssize_t)len) {
        tx_dropped++;  /* EAGAIN: the kernel queue is full; Ethernet may drop */
        link_stats.tx_dropped++;
        return;
    }
    link_stats.tx_frames++;
    link_stats.tx_bytes += len;
}

/* The link is up while the TAP interface is administratively up, the way a
 * cable is plugged in: frames written to a down TAP are refused (EIO), and
 * lwIP announces itself (gratuitous ARP) when the link comes up. Asked of the
 * kernel at most every 100 ms, since net_poll() asks on every pass. */
static bool link_up(void)
{
    if (fd < 0) {
        return false;
    }
    uint32_t now = board_millis();
    if (up_checked_ms != 0u && (uint32_t)(now - up_checked_ms) < 100u) {
        return up_cached;
    }
    up_checked_ms = now == 0u ? 1u : now;
    if (ctl < 0) {
        ctl = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    memcpy(ifr.ifr_name, tap_name, sizeof ifr.ifr_name);
    if (ctl < 0 || ioctl(ctl, SIOCGIFFLAGS, &ifr) != 0) {
        up_cached = true;  /* cannot ask: behave as before, frames may be refused */
    } else {
        up_cached = (ifr.ifr_flags & IFF_UP) != 0;
    }
    return up_cached;
}

static const net_link_t tap_net_link = {
    .rx_peek = rx_peek,
    .rx_release = rx_release,
    .tx_acquire = tx_acquire,
    .tx_commit = tx_commit,
    .link_up = link_up,
};

const net_link_t *tap_link(void)
{
    return &tap_net_link;
}

uint32_t tap_tx_dropped(void)
{
    return tx_dropped;
}

void tap_close(void)
{
    if (fd >= 0) {
        close(fd);
        fd = -1;
    }
    if (ctl >= 0) {
        close(ctl);
        ctl = -1;
    }
}
