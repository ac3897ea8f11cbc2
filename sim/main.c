/*
 * main.c - the stm32net simulator process: command line, one poll() loop,
 * signals. Runs the unchanged firmware (fw_init/fw_poll) on the fake USB
 * controller exported over USB/IP, or (--tap) straight on a Linux TAP device.
 *
 * Layer: sim (host only). May use any POSIX/Linux header.
 * Assumptions: one thread. Each loop pass: poll() (timeout = lwIP's next timer,
 * at most SIM_POLL_MAX_MS, 0 while URBs are moving, with --pace fs at most
 * until the next 1 ms frame a waiting URB may use), socket/TAP work,
 * fw_poll(), then the bridge retries NAKed URBs.
 * --chip ELF runs the flashed image itself on the emulated STM32F072
 * (sim/chip) behind the same USB/IP bridge instead of the host-built firmware.
 * Exit status: 0 after SIGINT/SIGTERM or a DFU_DETACH / POST /api/bootloader
 * (the chip would enter its ROM bootloader - with --chip it does, up to the
 * stub ROM's reset code: the simulator unplugs and stops, unless
 * --after-detach replug), 2 for a bad command line (one message
 * on stderr; also --tap combined with the USB/IP-only --listen/--busid/--class
 * or with --chip, --class with --chip, or an ELF that cannot be loaded), 1 when
 * the environment fails (port in use, no /dev/net/tun, --pcap file not
 * writable), 3 when the emulated chip faulted (the report is on stderr).
 */
#define _GNU_SOURCE /* ppoll: --pace wakes at the next 1 ms frame, finer than poll()'s ms */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "board.h"
#include "board_host.h"
#include "chip_backend.h"
#include "chip_sim.h"
#include "config.h"
#include "ident.h"
#include "main.h"
#include "net/net.h"
#include "pcap.h"
#include "pcap_usb.h"
#include "tap.h"
#include "udc_sim.h"
#include "usbip_server.h"

#define SIM_VERSION "0.1.0"
#define SIM_POLL_MAX_MS 100
#define SIM_SERIAL_MAX 64u

static volatile sig_atomic_t stop_signal;
/* SIGUSR1s received: only the handler writes it (it is not re-entered for
 * its own signal), the loop counts up to it, so each delivered one is a press */
static volatile sig_atomic_t button_signal;

static void on_stop(int sig)
{
    stop_signal = sig;
}

static void on_button(int sig)
{
    (void)sig;
    button_signal = (sig_atomic_t)(button_signal + 1);
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: stm32net-sim [options]\n"
            "Runs the stm32net firmware as a Linux process. By default it exports the\n"
            "simulated USB CDC-ECM (or --class ncm: CDC-NCM) device over USB/IP.\n"
            "\n"
            "  --listen ADDR:PORT  USB/IP address (default 127.0.0.1:3240; port 0 = any free)\n"
            "  --busid ID          exported bus id (default 1-1)\n"
            "  --class ecm|ncm     USB class: CDC-ECM (default) or CDC-NCM\n"
            "  --after-detach exit|replug  after a DFU detach or POST /api/bootloader: stop\n"
            "                      (default), or plug the application in again after 1 s\n"
            "  --tap IFNAME        no USB: attach the firmware to TAP interface IFNAME\n"
            "  --chip [ELF]        run the flashed image ELF (make firmware) on the emulated\n"
            "                      STM32F072 instead of the host-built firmware (default:\n"
            "                      $STM32NET_CHIP_ELF, else build/firmware/stm32net.elf)\n"
            "  --pcap FILE         write every Ethernet frame of the link to FILE (pcap)\n"
            "  --pcap-usb FILE     write every USB/IP URB (submission and completion) to FILE\n"
            "                      as Linux usbmon records (pcap linktype 220, for Wireshark)\n"
            "  --ip A.B.C.D        the device's address (default 192.168.7.1)\n"
            "  --hostname NAME     the device's DNS name (default stm32net)\n"
            "  --zone NAME         its DNS zone and DHCP domain (default usb)\n"
            "  --serial STR        unique ID source: changes serial number and MACs\n"
            "  --pace fs|none      fs: move USB packets on the full-speed bus schedule (1 ms\n"
            "                      frames, at most 19 bulk packets of 64 bytes per frame for\n"
            "                      both directions, control first, the interrupt endpoint\n"
            "                      polled at its bInterval), for throughput figures; none\n"
            "                      (default): as fast as the device answers\n"
            "  --verbose           log every URB\n"
            "  --version           print the version and exit\n"
            "  --help              this text\n"
            "--listen, --busid and --class apply to USB/IP only: with --tap they are an error.\n"
            "SIGINT/SIGTERM stop it (exit 0); SIGUSR1 presses the user button once\n"
            "(kill -USR1 PID; signals sent faster than it runs may merge into one).\n"
            "A DFU_DETACH (dfu-util -e) unplugs it and stops it (exit 0), where the chip\n"
            "would enter its ROM bootloader (--after-detach replug: it comes back instead).\n"
            "Exit status: 2 for a bad command line; 1 when the environment fails at run\n"
            "time (address in use, no /dev/net/tun, --pcap FILE cannot be written, nor\n"
            "--pcap-usb FILE); 3 when the emulated chip (--chip) faulted.\n");
}

static void bad(const char *fmt, const char *arg)
{
    fprintf(stderr, "stm32net-sim: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (see --help)\n");
    exit(2);
}

/* Decimal only, no sign, no spaces: strtoul would accept " +12". */
static bool parse_port(const char *s, uint16_t *port)
{
    unsigned long v = 0;
    if (*s == '\0' || strlen(s) > 5u) {
        return false;
    }
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9') {
            return false;
        }
        v = v * 10u + (unsigned long)(*s - '0');
    }
    if (v > 65535u) {
        return false;
    }
    *port = (uint16_t)v;
    return true;
}

static bool parse_listen(const char *s, struct in_addr *addr, uint16_t *port)
{
    char host[INET_ADDRSTRLEN];
    const char *colon = strrchr(s, ':');
    if (colon == NULL || (size_t)(colon - s) >= sizeof host || colon == s) {
        return false;
    }
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    return inet_pton(AF_INET, host, addr) == 1 && parse_port(colon + 1, port);
}

/* A device address must be a plain unicast host address (RFC 1122 3.2.1.3):
 * not 0/8, not loopback, not multicast/reserved. */
static bool parse_ip(const char *s, uint8_t ip[4])
{
    struct in_addr a;
    if (inet_pton(AF_INET, s, &a) != 1) {
        return false;
    }
    memcpy(ip, &a.s_addr, 4);  /* network order = a.b.c.d */
    return ip[0] != 0u && ip[0] != 127u && ip[0] < 224u && ip[3] != 0u && ip[3] != 255u;
}

static bool text_ok(const char *s, size_t max, const char *extra)
{
    size_t n = strlen(s);
    if (n == 0u || n > max) {
        return false;
    }
    for (; *s != '\0'; s++) {
        char c = *s;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  (extra != NULL && strchr(extra, c) != NULL);
        if (!ok) {
            return false;
        }
    }
    return true;
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;  /* no SA_RESTART: poll() returns EINTR */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_button;
    sigaction(SIGUSR1, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
}

/* --after-detach replug: what a user sees when the ROM bootloader is left
 * without an image: the cable is out (every USB/IP connection closes), and a
 * second later the application is there again to be attached. The host
 * build keeps the firmware's network state (a real chip would start afresh:
 * not modelled); the emulated chip (chip) does start afresh: it is reset and
 * runs its image from the vector table again. */
static int sim_replug(bool usb, bool chip, const usbip_server_cfg_t *cfg, struct in_addr addr,
                      uint16_t port)
{
    struct timespec one_s = {1, 0};
    if (usb) {
        usbip_server_shutdown();
    }
    fprintf(stderr, "stm32net-sim: unplugged; back in 1 s (--after-detach replug)\n");
    (void)nanosleep(&one_s, NULL);
    if (chip) {
        if (chip_sim_restart() != 0) {
            errno = EIO;
            return -1;
        }
    } else {
        board_host_bootloader_clear();
        if (!usb) {
            return 0;
        }
        udc_connect();  /* the application's pull-up, as after its reset */
    }
    if (usbip_server_init(cfg) != 0 || usbip_server_listen(addr, port, NULL) != 0) {
        return -1;
    }
    fprintf(stderr, "stm32net-sim: replugged, exporting again on port %u\n", (unsigned)port);
    return 0;
}

static void sim_fw_poll(void)
{
    fw_poll();
}

int main(int argc, char **argv)
{
    enum { O_LISTEN = 256, O_BUSID, O_TAP, O_CHIP, O_PCAP, O_IP, O_HOSTNAME, O_ZONE, O_SERIAL,
           O_VERBOSE, O_VERSION, O_HELP, O_PCAP_USB, O_CLASS, O_AFTER_DETACH, O_PACE };
    static const struct option opts[] = {
        {"listen", required_argument, NULL, O_LISTEN},
        {"busid", required_argument, NULL, O_BUSID},
        {"class", required_argument, NULL, O_CLASS},
        {"after-detach", required_argument, NULL, O_AFTER_DETACH},
        {"tap", required_argument, NULL, O_TAP},
        {"chip", optional_argument, NULL, O_CHIP},
        {"pcap", required_argument, NULL, O_PCAP},
        {"pcap-usb", required_argument, NULL, O_PCAP_USB},
        {"ip", required_argument, NULL, O_IP},
        {"hostname", required_argument, NULL, O_HOSTNAME},
        {"zone", required_argument, NULL, O_ZONE},
        {"serial", required_argument, NULL, O_SERIAL},
        {"pace", required_argument, NULL, O_PACE},
        {"verbose", no_argument, NULL, O_VERBOSE},
        {"version", no_argument, NULL, O_VERSION},
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0},
    };
    struct in_addr listen_addr;
    uint16_t listen_port = 3240;
    const char *busid = "1-1";
    const char *tap = NULL;
    const char *chip = NULL;
    const char *pcap = NULL;
    const char *pcap_usb = NULL;
    const char *serial = NULL;
    bool verbose = false;
    bool replug = false;     /* --after-detach replug */
    usbip_pace_t pace = USBIP_PACE_NONE;
    bool usbip_opt = false;  /* --listen or --busid given */
    const char *class_opt = NULL;
    int o;

    inet_pton(AF_INET, "127.0.0.1", &listen_addr);
    opterr = 0;  /* our own one-line messages */
    while ((o = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (o) {
        case O_LISTEN:
            if (!parse_listen(optarg, &listen_addr, &listen_port)) {
                bad("--listen '%s': expected IPv4-ADDRESS:PORT, e.g. 127.0.0.1:3240", optarg);
            }
            usbip_opt = true;
            break;
        case O_BUSID:
            if (!text_ok(optarg, USBIP_BUSID_SIZE - 1u, "-.:_")) {
                bad("--busid '%s': 1..31 characters of [A-Za-z0-9-.:_]", optarg);
            }
            busid = optarg;
            usbip_opt = true;
            break;
        case O_AFTER_DETACH:
            if (strcmp(optarg, "exit") == 0 || strcmp(optarg, "replug") == 0) {
                replug = optarg[0] == 'r';
            } else {
                bad("--after-detach '%s': expected exit or replug", optarg);
            }
            break;
        case O_CLASS:
            if (strcmp(optarg, "ecm") == 0) {
                config_usb_class = CONFIG_CLASS_ECM;
            } else if (strcmp(optarg, "ncm") == 0) {
                config_usb_class = CONFIG_CLASS_NCM;
            } else {
                bad("--class '%s': expected ecm or ncm", optarg);
            }
            class_opt = optarg;
            break;
        case O_TAP:
            if (!text_ok(optarg, 15u, "-._")) {
                bad("--tap '%s': an interface name of 1..15 characters [A-Za-z0-9-._]", optarg);
            }
            tap = optarg;
            break;
        case O_CHIP:
            /* --chip ELF, --chip=ELF, or a bare --chip: $STM32NET_CHIP_ELF or
             * build/firmware/stm32net.elf (the Docker image sets the variable) */
            if (optarg == NULL && optind < argc && argv[optind][0] != '-') {
                optarg = argv[optind++];
            }
            if (optarg == NULL) {
                optarg = getenv("STM32NET_CHIP_ELF");
            }
            chip = optarg != NULL ? optarg : "build/firmware/stm32net.elf";
            if (chip[0] == '\0') {
                bad("--chip '%s': needs the firmware ELF (build/firmware/stm32net.elf)", chip);
            }
            break;
        case O_PCAP:
            if (optarg[0] == '\0') {
                bad("--pcap '%s': needs a file name", optarg);
            }
            pcap = optarg;
            break;
        case O_PCAP_USB:
            if (optarg[0] == '\0') {
                bad("--pcap-usb '%s': needs a file name", optarg);
            }
            pcap_usb = optarg;
            break;
        case O_IP:
            if (!parse_ip(optarg, fw_config.ip)) {
                bad("--ip '%s': expected a unicast IPv4 address A.B.C.D", optarg);
            }
            break;
        case O_HOSTNAME:
            if (!config_label_ok(optarg)) {
                bad("--hostname '%s': 1..31 letters, digits or '-', not starting/ending in '-'",
                    optarg);
            }
            memcpy(fw_config.hostname, optarg, strlen(optarg) + 1u);
            break;
        case O_ZONE:
            if (!config_label_ok(optarg)) {
                bad("--zone '%s': 1..31 letters, digits or '-', not starting/ending in '-'", optarg);
            }
            memcpy(fw_config.zone, optarg, strlen(optarg) + 1u);
            break;
        case O_SERIAL:
            if (!text_ok(optarg, SIM_SERIAL_MAX, "-._:")) {
                bad("--serial '%s': 1..64 characters of [A-Za-z0-9-._:]", optarg);
            }
            serial = optarg;
            break;
        case O_PACE:
            if (strcmp(optarg, "fs") == 0) {
                pace = USBIP_PACE_FS;
            } else if (strcmp(optarg, "none") == 0) {
                pace = USBIP_PACE_NONE;
            } else {
                bad("--pace '%s': expected fs (full-speed bus schedule) or none", optarg);
            }
            break;
        case O_VERBOSE:
            verbose = true;
            break;
        case O_VERSION:
            printf("stm32net-sim " SIM_VERSION "\n");
            return 0;
        case O_HELP:
            usage(stdout);
            return 0;
        case ':':
            /* every option with a value is long-only: argv[optind - 1] is it */
            bad("option '%s' needs a value", argv[optind - 1]);
            break;
        default: {
            /* A short option ("-xy") leaves optind on the same word, so
             * argv[optind - 1] would name the previous one: use optopt. */
            char shortopt[3] = {'-', '?', '\0'};
            if (optopt > 0 && optopt < 256) {
                shortopt[1] = (optopt > 0x20 && optopt < 0x7F) ? (char)optopt : '?';
                bad("unknown option '%s'", shortopt);
            }
            bad("unknown option '%s'", argv[optind - 1]);
            break;
        }
        }
    }
    if (optind < argc) {
        bad("unexpected argument '%s'", argv[optind]);
    }
    if (tap != NULL && pcap_usb != NULL) {
        bad("--pcap-usb '%s': there is no USB in TAP mode (--pcap captures the frames)", pcap_usb);
    }
    if (tap != NULL && pace != USBIP_PACE_NONE) {
        bad("--pace '%s': there is no USB bus to pace in TAP mode", "fs");
    }
    if (tap != NULL && usbip_opt) {
        bad("--tap '%s': --listen and --busid apply to USB/IP only, not to TAP mode", tap);
    }

    if (tap != NULL && class_opt != NULL) {
        bad("--class '%s': TAP mode has no USB class", class_opt);
    }
    if (tap != NULL && chip != NULL) {
        bad("--tap '%s': the emulated chip (--chip) has only its USB link", tap);
    }
    if (chip != NULL && class_opt != NULL) {
        bad("--class '%s': the emulated chip runs its image's class (make firmware USB_CLASS=...)",
            class_opt);
    }

    install_signals();
    board_host_set_serial(serial);
    board_host_set_log(false);  /* the start line must be the first line on stdout */
    if (pcap != NULL && sim_pcap_open(pcap) != 0) {
        return 1;
    }
    if (pcap_usb != NULL && sim_pcap_usb_open(pcap_usb) != 0) {
        sim_pcap_close();
        return 1;
    }

    usbip_server_cfg_t cfg;
    uint16_t bound = 0;
    memset(&cfg, 0, sizeof cfg);
    char ipstr[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, fw_config.ip, ipstr, sizeof ipstr);
    if (tap != NULL) {
        if (tap_open(tap) != 0) {
            sim_pcap_close();
            sim_pcap_usb_close();
            return 1;
        }
        fw_init_with_link(tap_link());
        printf("stm32net-sim: TAP %s up, device %s\n", tap, ipstr);
    } else {
        char addr[INET_ADDRSTRLEN];
        cfg = (usbip_server_cfg_t){.busid = busid, .poll = sim_fw_poll, .verbose = verbose,
                                   .urb_hook = pcap_usb != NULL ? sim_pcap_usb_urb : NULL};
        if (chip != NULL) {
            uint8_t uid[BOARD_UID_LEN];
            board_unique_id(uid);  /* the same ID (and so MACs, serial) as the host build */
            int cr = chip_sim_open(chip, uid, verbose);
            if (cr != 0) {
                sim_pcap_close();
                sim_pcap_usb_close();
                return cr == -1 ? 2 : 3;
            }
            cfg.backend = &chip_backend;
            cfg.poll = chip_backend_poll;
            if (pcap != NULL) {
                chip_backend_set_frame_hook(sim_pcap_frame);
            }
        } else {
            fw_init();
        }
        if (usbip_server_init(&cfg) != 0) {
            fprintf(stderr, "stm32net-sim: the firmware's USB device did not enumerate\n");
            if (chip != NULL && chip_sim_faulted()) {
                chip_sim_report();
            }
            sim_pcap_close();
            sim_pcap_usb_close();
            return chip != NULL && chip_sim_faulted() ? 3 : 1;
        }
        usbip_sched_set_pace(pace, NULL);
        if (pace == USBIP_PACE_FS) {
            fprintf(stderr, "stm32net-sim: --pace fs: USB packets on the full-speed frame schedule "
                            "(1 ms frames, at most 19 bulk packets of 64 bytes each)\n");
        }
        inet_ntop(AF_INET, &listen_addr, addr, sizeof addr);
        if ((ntohl(listen_addr.s_addr) >> 24) != 127u) {
            fprintf(stderr, "stm32net-sim: WARNING: listening on %s, not loopback: USB/IP has "
                            "no authentication, anyone who reaches this port can attach\n",
                    addr);
        }
        if (usbip_server_listen(listen_addr, listen_port, &bound) != 0) {
            fprintf(stderr, "stm32net-sim: cannot listen on %s:%u: %s\n", addr,
                    (unsigned)listen_port, strerror(errno));
            sim_pcap_close();
            sim_pcap_usb_close();
            return 1;
        }
        inet_ntop(AF_INET, &listen_addr, addr, sizeof addr);
        /* 0.0.0.0 is where we listen, not an address to connect to: the
         * hint names loopback, which a wildcard bind always includes. */
        const char *remote = listen_addr.s_addr == htonl(INADDR_ANY) ? "127.0.0.1" : addr;
        if (bound == 3240u) {
            printf("stm32net-sim: exporting %s on %s:%u (attach: usbip attach -r %s -b %s)\n",
                   busid, addr, (unsigned)bound, remote, busid);
        } else {
            printf("stm32net-sim: exporting %s on %s:%u (attach: usbip --tcp-port %u attach -r "
                   "%s -b %s)\n",
                   busid, addr, (unsigned)bound, (unsigned)bound, remote, busid);
        }
    }
    {
        /* The identity a host will see: tests compare it with what the kernel reports. */
        uint8_t hm[6], dm[6];
        char serial[IDENT_SERIAL_LEN + 1u];
        ident_host_mac(hm);
        ident_device_mac(dm);
        ident_serial(serial);
        printf("stm32net-sim: device %s (%s.%s), serial %s, host MAC "
               "%02x:%02x:%02x:%02x:%02x:%02x, device MAC %02x:%02x:%02x:%02x:%02x:%02x\n",
               ipstr, fw_config.hostname, fw_config.zone, serial, hm[0], hm[1], hm[2], hm[3],
               hm[4], hm[5], dm[0], dm[1], dm[2], dm[3], dm[4], dm[5]);
    }
    fflush(stdout);
    board_host_set_log(true);
    if (pcap != NULL && chip == NULL) {
        net_set_frame_hook(sim_pcap_frame);
    }

    bool busy = false;
    bool chip_detached = false;  /* --chip: the image entered the ROM bootloader */
    sig_atomic_t buttons_seen = 0;
    while (!stop_signal) {
        struct pollfd fds[USBIP_POLLFD_MAX + 1u];
        unsigned n = 0;
        if (tap == NULL) {
            n = usbip_server_pollfds(fds, USBIP_POLLFD_MAX);
        } else if (tap_rx_ready()) {
            fds[n].fd = tap_fd();
            fds[n].events = POLLIN;
            fds[n].revents = 0;
            n++;
        }
        uint32_t sleep = chip != NULL ? (uint32_t)chip_sim_timeout_ms(SIM_POLL_MAX_MS)
                                      : net_sleeptime_ms();
        int timeout = busy ? 0 : (sleep < SIM_POLL_MAX_MS ? (int)sleep : SIM_POLL_MAX_MS);
        struct timespec ts = {timeout / 1000, (long)(timeout % 1000) * 1000000L};
        int32_t pace_us = tap == NULL ? usbip_sched_wait_us() : -1;
        if (pace_us >= 0 && (int64_t)pace_us < (int64_t)timeout * 1000) {
            ts.tv_sec = 0;  /* --pace: wake when the next frame gives bus time */
            ts.tv_nsec = (long)pace_us * 1000L;
        }
        int r = ppoll(fds, n, &ts, NULL);
        if (r < 0 && errno != EINTR) {
            fprintf(stderr, "stm32net-sim: poll: %s\n", strerror(errno));
            break;
        }
        if (stop_signal) {
            break;
        }
        while (buttons_seen != button_signal) {
            buttons_seen = (sig_atomic_t)(buttons_seen + 1);
            if (chip != NULL) {
                chip_sim_press_button();
            } else {
                board_host_press_button();
            }
        }
        if (r > 0 && tap == NULL) {
            usbip_server_handle(fds, n);
        }
        if (chip != NULL) {
            int st = chip_sim_step();
            if (st < 0) {
                chip_sim_report();
                break;
            }
            if (st == 2) {  /* the chip entered its ROM bootloader: as a DFU detach */
                if (!replug) {
                    chip_detached = true;
                    break;  /* the cable is pulled (USB/IP connections close), exit 0 */
                }
                if (sim_replug(true, true, &cfg, listen_addr, bound) != 0) {
                    fprintf(stderr, "stm32net-sim: replug failed: %s\n", strerror(errno));
                    return chip_sim_faulted() ? 3 : 1;
                }
                busy = true;
                continue;
            }
            bool moved = usbip_server_run();
            busy = moved || st > 0;
            continue;
        }
        uint32_t before = udc_sim_activity();
        fw_poll();
        if (board_host_bootloader_requested()) {
            if (!replug) {
                break;  /* the cable is pulled (USB/IP connections close), exit 0 */
            }
            if (sim_replug(tap == NULL, false, &cfg, listen_addr, bound) != 0) {
                fprintf(stderr, "stm32net-sim: replug failed: %s\n", strerror(errno));
                return 1;
            }
            continue;
        }
        bool moved = tap == NULL && usbip_server_run();
        busy = moved || udc_sim_activity() != before;
    }

    if (tap == NULL) {
        usbip_server_shutdown();
        if (chip != NULL) {
            chip_sim_close();
        }
    } else {
        tap_close();
    }
    sim_pcap_close();
    sim_pcap_usb_close();
    if (board_host_bootloader_requested() || chip_detached) {
        fprintf(stderr, "stm32net-sim: stopped (DFU detach)\n");
        return 0;
    }
    bool chip_fault = chip != NULL && chip_sim_faulted();
    fprintf(stderr, "stm32net-sim: stopped (%s)\n", stop_signal == SIGINT ? "SIGINT" :
                                                    stop_signal == SIGTERM ? "SIGTERM" :
                                                    chip_fault ? "chip fault" : "error");
    return chip_fault ? 3 : stop_signal ? 0 : 1;
}
