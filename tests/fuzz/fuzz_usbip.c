/*
 * fuzz_usbip.c - libFuzzer target: the USB/IP server (usbip_bridge/
 * usbip_server.c, usbip_proto.c) reading one TCP connection's byte stream
 * (OP_REQ_DEVLIST / OP_REQ_IMPORT, then CMD_SUBMIT / CMD_UNLINK), with the
 * real device behind it: the USB core and the ECM class on udc_sim, as in
 * the simulator. Layer: tests/fuzz (POSIX sockets on 127.0.0.1 only).
 *
 * Input: the bytes a client sends, in up to FUZZ_USBIP_MAX_CHUNKS chunks
 * [u16 len][len bytes]; the server sees one byte stream, the chunks only
 * say where the client pauses until the server has answered what it can
 * (FUZZ_USBIP_SETTLE_ROUNDS passes with no reply) - as vhci waits for a
 * control transfer before it queues bulk URBs. Chunk edges may fall inside
 * a header. Per input: fresh firmware and server state, one connection from
 * 127.0.0.1 to the server's port (one listening socket for the whole run),
 * the chunks written (pumping the server between writes: it reads a bounded
 * amount per pass), our FIN, then the server pumped until it closed the
 * connection or a bound ran out; the client closes with RST (SO_LINGER 0)
 * so a long run does not fill the port range with TIME_WAIT sockets.
 * Oracle: ASan/UBSan, and once the client is gone the server must not hold
 * the connection for ever: after FUZZ_USBIP_DRAIN_ROUNDS passes without
 * progress it must have closed it (an abort here is a stuck connection).
 * The firmware side echoes every frame it receives, so bulk IN URBs get data.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "udc_sim.h"
#include "usb/ecm.h"
#include "usb/usbd.h"
#include "usbip_server.h"

#define FUZZ_USBIP_MAX_LEN      8192u   /* per chunk */
#define FUZZ_USBIP_MAX_CHUNKS   16u
#define FUZZ_USBIP_DRAIN_ROUNDS 400u
#define FUZZ_USBIP_SETTLE_ROUNDS 20u   /* passes with nothing new before our FIN */

static uint16_t port;

static void fw_poll(void)
{
    uint16_t len;
    const uint8_t *f;
    usbd_task();
    while ((f = ecm_rx_peek(&len)) != NULL) {
        uint8_t *t = ecm_tx_acquire();
        if (t != NULL) {
            memcpy(t, f, len);
            ecm_tx_commit(len);
        }
        ecm_rx_release();
    }
    usbd_task();
}

static unsigned pump(void)
{
    struct pollfd fds[USBIP_POLLFD_MAX];
    unsigned n = usbip_server_pollfds(fds, USBIP_POLLFD_MAX);
    if (poll(fds, n, 0) > 0) {
        usbip_server_handle(fds, n);
    }
    fw_poll();
    (void)usbip_server_run();
    return usbip_server_pollfds(fds, USBIP_POLLFD_MAX);
}

static int start_server(void)
{
    /* FUZZ_USBIP_VERBOSE=1: the server logs every URB (to read a reproducer) */
    usbip_server_cfg_t cfg = {.busid = "1-1", .poll = fw_poll, .verbose = getenv("FUZZ_USBIP_VERBOSE") != NULL};
    struct in_addr lo;
    ecm_init();
    usbd_init(&ecm_class);   /* udc_init() + udc_connect() on udc_sim */
    if (usbip_server_init(&cfg) != 0) {
        return -1;
    }
    if (port == 0) {
        inet_pton(AF_INET, "127.0.0.1", &lo);
        if (usbip_server_listen(lo, 0, &port) != 0) {
            return -1;
        }
    }
    return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_common_init();
    if (start_server() != 0) {
        fprintf(stderr, "fuzz_usbip: cannot start the server\n");
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sockaddr_in sa;
    uint8_t sink[4096];
    if (start_server() != 0) {
        abort();
    }
    int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c < 0) {
        abort();
    }
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    /* Non-blocking from the start: libFuzzer's SIGALRM (its -timeout check)
     * interrupts a blocking connect() with EINTR; the connection then goes on
     * in the background, so wait for it with poll() instead. */
    (void)fcntl(c, F_SETFL, O_NONBLOCK);
    if (connect(c, (struct sockaddr *)&sa, sizeof sa) != 0) {
        int e = errno, soerr = 0;
        socklen_t sl = sizeof soerr;
        struct pollfd pc = {.fd = c, .events = POLLOUT};
        int pr;
        if (e != EINPROGRESS && e != EINTR) {
            perror("fuzz_usbip: connect");
            abort();
        }
        do {
            pr = poll(&pc, 1, 5000);
        } while (pr < 0 && errno == EINTR);
        if (pr != 1 || getsockopt(c, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 || soerr != 0) {
            fprintf(stderr, "fuzz_usbip: connect to 127.0.0.1:%u failed\n", port);
            abort();
        }
    }

    /* Each chunk written (the server reads bounded amounts per pass), its
     * replies read so neither side blocks on a full buffer, until quiet. */
    fuzz_in_t in;
    fuzz_in_init(&in, data, size);
    int gone = 0;
    for (unsigned k = 0; k <= FUZZ_USBIP_MAX_CHUNKS && !gone; k++) {
        uint16_t len = 0;
        const uint8_t *chunk = NULL;
        int last = k == FUZZ_USBIP_MAX_CHUNKS || !fuzz_in_more(&in);
        if (!last) {
            chunk = fuzz_record(&in, FUZZ_USBIP_MAX_LEN, &len);
        } else {
            shutdown(c, SHUT_WR);   /* the client is done: our FIN */
        }
        size_t sent = 0;
        unsigned idle = 0;
        while (idle < (last ? FUZZ_USBIP_DRAIN_ROUNDS : FUZZ_USBIP_SETTLE_ROUNDS)) {
            int progress = 0;
            if (sent < len) {
                ssize_t w = send(c, chunk + sent, len - sent, MSG_NOSIGNAL);
                if (w > 0) {
                    sent += (size_t)w;
                    progress = 1;
                } else if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                    gone = 1;   /* the server closed on us: it may */
                    break;
                }
            }
            unsigned open_fds = pump();
            ssize_t r = recv(c, sink, sizeof sink, 0);
            if (r > 0) {
                progress = 1;
            } else if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
                if (open_fds <= 1u) {
                    gone = 1;   /* the server closed the connection */
                    break;
                }
            }
            idle = progress ? 0 : idle + 1;
        }
        if (last) {
            break;
        }
    }
    struct linger lg = {1, 0};
    (void)setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(c);
    /* The peer is gone (FIN, then RST): the server has to let go of it. */
    unsigned open_fds = 2;
    for (unsigned k = 0; k < FUZZ_USBIP_DRAIN_ROUNDS && open_fds > 1u; k++) {
        open_fds = pump();
    }
    if (open_fds > 1u) {
        fprintf(stderr, "fuzz_usbip: the server still holds the connection after the client left\n");
        abort();
    }
    udc_sim_unplug();
    return 0;
}
