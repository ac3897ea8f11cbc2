/*
 * chip_bench.c - `make bench`'s figures for the flashed image on the emulated
 * STM32F072: exact instruction counts and a cycle estimate (see chip.h) for
 * reset to the main loop, an enumeration, ICMP echo of 64/590/1514-byte
 * frames, one HTTP GET / (with the cycles per sent 1460-byte TCP segment),
 * 32 full TCP segments into lwiperf (cycles per received one) and the stack
 * high-water mark.
 *   build/chip-bench ELF STACK_RESERVE_BYTES
 * Output: one line per figure, "chip <metric> <value> <unit>", nothing else on
 * stdout (errors on stderr, exit 1), so runs can be compared. The profile
 * lines "chip prof_<case>_<function> <cycles> cycles <insns> insns <share>%"
 * name the costliest functions (self cost) per ICMP echo of 64 bytes and per
 * received / sent 1460-byte TCP segment.
 *
 * Layer: tooling (host only). Runs the chip in virtual time (deterministic:
 * the same ELF gives the same numbers) and plays the host itself through the
 * bridge's scheduler (control transfers) and the chip backend (bulk packets);
 * no kernel, no sockets. The enumeration is the request sequence Linux's
 * usbcore and cdc_ether send (USB 2.0 9.4; CDC ECM 1.2 6.2.4), not a capture.
 * Limits: every wait is bounded; IPv4 only; one TCP connection, no loss.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chip.h"
#include "chip_backend.h"
#include "usbip_sched.h"

#define SPIN_MAX 20000u          /* chip passes allowed while waiting for one frame */
#define FRAME_MAX 1600u

static uint8_t host_mac[6], dev_mac[6];
static const uint8_t host_ip[4] = {192, 168, 7, 2}, dev_ip[4] = {192, 168, 7, 1};
static uint8_t ep_in, ep_out;    /* bulk endpoints of the CDC data interface */
static uint8_t cfg_desc[512];
static uint16_t cfg_len;

static void die(const char *what)
{
    fprintf(stderr, "chip-bench: %s\n", what);
    if (chip_faulted()) {
        chip_fault_report(stderr);
    }
    exit(1);
}

/* One chip run. Virtual time jumps to the next timed event (a SysTick ms)
 * only when the chip was already asleep and the host still found nothing
 * to do: a host on the bus sends the next packet as soon as the endpoint
 * is armed again (19 per ms at full speed), not a millisecond later, so a
 * frame's 24 packets must not cost 24 ticks of the firmware's main loop. */
static bool chip_asleep;

static void host_acted(void)
{
    chip_asleep = false;
}

static void step(void)
{
    if (chip_asleep) {
        chip_advance_idle();
    }
    chip_state_t s = chip_run(200000);
    if (s == CHIP_FAULT) {
        die("chip fault");
    }
    chip_asleep = s == CHIP_IDLE;
}

static void poll_fn(void)
{
    step();
}

static void metric(const char *name, uint64_t v, const char *unit)
{
    printf("chip %s %llu %s\n", name, (unsigned long long)v, unit);
}

typedef struct {
    uint64_t insns, cycles;
} mark_t;

static mark_t mark(void)
{
    return (mark_t){chip_stats()->instructions, chip_stats()->cycles};
}

static void report(const char *name, mark_t m)
{
    char n[96];
    snprintf(n, sizeof n, "%s_insns", name);
    metric(n, chip_stats()->instructions - m.insns, "instructions");
    snprintf(n, sizeof n, "%s_cycles", name);
    metric(n, chip_stats()->cycles - m.cycles, "cycles");
}

/* ------------------------------------------------ per-function profile */
/* Self cost (instructions, cycles) of each function of the ELF's symbol
 * table (STT_FUNC with a size; ELF32 layout of the System V ABI), summed
 * from the chip's executed blocks: a block is charged to the function its
 * first instruction lies in (a block never spans a branch, so a function's
 * blocks are its own). Exception entry/return cycles belong to no block and
 * show as "[exceptions]". The ELF is untrusted input: every offset checked;
 * a file without a usable symbol table gives no profile, not an error. */
#define PROF_SYMS 4096u
#define PROF_TOP 12u    /* functions printed per case */
#define PROF_FILE (4u * 1024u * 1024u)
typedef struct {
    uint32_t lo, hi;  /* [lo, hi) without the Thumb bit */
    char name[40];
} prof_sym_t;
static prof_sym_t prof_sym[PROF_SYMS];
static unsigned prof_n;
typedef struct {
    uint64_t insns[PROF_SYMS + 1u], cycles[PROF_SYMS + 1u];  /* [prof_n]: outside any function */
} prof_t;
static prof_t prof_now;

static uint32_t rd32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int prof_cmp(const void *a, const void *b)
{
    const prof_sym_t *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static void prof_load(const char *path)
{
    static uint8_t file[PROF_FILE];
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        return;
    }
    size_t n = fread(file, 1, sizeof file, fp);
    fclose(fp);
    if (n < 52u) {
        return;
    }
    uint32_t shoff = rd32le(file + 32);
    unsigned shentsize = (unsigned)(file[46] | file[47] << 8), shnum = (unsigned)(file[48] | file[49] << 8);
    if (shentsize < 40u || shoff > n || (uint64_t)shnum * shentsize > n - shoff) {
        return;
    }
    for (unsigned i = 0; i < shnum; i++) {
        const uint8_t *sh = file + shoff + (size_t)i * shentsize;
        if (rd32le(sh + 4) != 2u) {
            continue;  /* SHT_SYMTAB */
        }
        uint32_t off = rd32le(sh + 16), size = rd32le(sh + 20), link = rd32le(sh + 24);
        if (off > n || size > n - off || link >= shnum) {
            return;
        }
        const uint8_t *str = file + shoff + (size_t)link * shentsize;
        uint32_t soff = rd32le(str + 16), ssize = rd32le(str + 20);
        if (soff > n || ssize > n - soff) {
            return;
        }
        for (uint32_t k = 0; k + 16u <= size && prof_n < PROF_SYMS; k += 16u) {
            const uint8_t *sym = file + off + k;
            uint32_t name = rd32le(sym), value = rd32le(sym + 4) & ~1u, sz = rd32le(sym + 8);
            if ((sym[12] & 0x0Fu) != 2u || sz == 0u || name >= ssize) {
                continue;  /* STT_FUNC with a size only */
            }
            prof_sym_t *d = &prof_sym[prof_n++];
            d->lo = value;
            d->hi = value + sz;
            snprintf(d->name, sizeof d->name, "%.*s", (int)strnlen((const char *)file + soff + name,
                     ssize - name), (const char *)file + soff + name);
        }
        qsort(prof_sym, prof_n, sizeof prof_sym[0], prof_cmp);
        return;
    }
}

static void prof_block(uint32_t addr, uint32_t insns, uint32_t cycles)
{
    unsigned lo = 0, hi = prof_n, at = prof_n;
    addr &= ~1u;
    if (addr < CHIP_SRAM_BASE && addr >= CHIP_FLASH_BASE) {
        while (lo < hi) {  /* last symbol starting at or below addr */
            unsigned mid = (lo + hi) / 2u;
            if (prof_sym[mid].lo <= addr) {
                lo = mid + 1u;
            } else {
                hi = mid;
            }
        }
        if (lo > 0u && addr < prof_sym[lo - 1u].hi) {
            at = lo - 1u;
        }
    }
    prof_now.insns[at] += insns;
    prof_now.cycles[at] += cycles;
}

/* prints the `top` costliest functions between snapshots a and b, over
 * `per` units (segments), as "chip prof_<tag>_<function> <cycles> cycles
 * <insns> insns <share>%" */
static void prof_print(const char *tag, const prof_t *a, const prof_t *b, mark_t ma, mark_t mb,
                       unsigned per, unsigned top)
{
    static bool used[PROF_SYMS + 1u];
    uint64_t total = mb.cycles - ma.cycles, inblocks = 0;
    if (prof_n == 0u || per == 0u || total == 0u) {
        return;
    }
    memset(used, 0, sizeof used);
    for (unsigned i = 0; i <= prof_n; i++) {
        inblocks += b->cycles[i] - a->cycles[i];
    }
    for (unsigned r = 0; r < top; r++) {
        unsigned best = PROF_SYMS + 1u;
        uint64_t bc = 0;
        for (unsigned i = 0; i <= prof_n; i++) {
            uint64_t c = b->cycles[i] - a->cycles[i];
            if (!used[i] && c > bc) {
                bc = c;
                best = i;
            }
        }
        if (best > prof_n) {
            break;
        }
        used[best] = true;
        printf("chip prof_%s_%s %llu cycles %llu insns %.1f%%\n", tag,
               best == prof_n ? "[other]" : prof_sym[best].name, (unsigned long long)(bc / per),
               (unsigned long long)((b->insns[best] - a->insns[best]) / per), 100.0 * (double)bc / (double)total);
    }
    uint64_t exc = total > inblocks ? total - inblocks : 0u;
    printf("chip prof_%s_[exceptions] %llu cycles 0 insns %.1f%%\n", tag, (unsigned long long)(exc / per),
           100.0 * (double)exc / (double)total);
}

static int ctl(uint8_t type, uint8_t req, uint16_t value, uint16_t index, uint8_t *data,
               uint16_t len)
{
    uint8_t s[8] = {type, req, (uint8_t)value, (uint8_t)(value >> 8), (uint8_t)index,
                    (uint8_t)(index >> 8), (uint8_t)len, (uint8_t)(len >> 8)};
    return usbip_sched_control_sync(s, data, len);
}

static int hexval(uint16_t c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10
         : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Linux's order (hub_port_init, usb_new_device, cdc_ether's bind) */
static void enumerate(void)
{
    uint8_t d[255];
    chip_backend.bus_reset();
    step();
    if (ctl(0x80, 6, 0x0100, 0, d, 64) < 8) {
        die("GET_DESCRIPTOR(device, 64) failed");
    }
    chip_backend.bus_reset();
    step();
    if (ctl(0x00, 5, 2, 0, NULL, 0) != 0) {
        die("SET_ADDRESS failed");
    }
    step();
    if (ctl(0x80, 6, 0x0100, 0, d, 18) != 18) {
        die("GET_DESCRIPTOR(device) failed");
    }
    uint8_t iman = d[14], iprod = d[15], iser = d[16];
    if (ctl(0x80, 6, 0x0200, 0, cfg_desc, 9) != 9) {
        die("GET_DESCRIPTOR(config, 9) failed");
    }
    cfg_len = (uint16_t)(cfg_desc[2] | (cfg_desc[3] << 8));
    if (cfg_len > sizeof cfg_desc || ctl(0x80, 6, 0x0200, 0, cfg_desc, cfg_len) != cfg_len) {
        die("GET_DESCRIPTOR(config) failed");
    }
    (void)ctl(0x80, 6, 0x0300, 0, d, 255);
    uint8_t idx[3] = {iprod, iman, iser};
    for (unsigned i = 0; i < 3u; i++) {
        if (idx[i] != 0u) {
            (void)ctl(0x80, 6, (uint16_t)(0x0300 | idx[i]), 0x0409, d, 255);
        }
    }
    if (ctl(0x00, 9, cfg_desc[5], 0, NULL, 0) != 0) {
        die("SET_CONFIGURATION failed");
    }
    /* the ECM functional descriptor's iMACAddress, the data interface, its endpoints */
    uint8_t imac = 0, data_if = 0xFF, cur_if = 0, cur_alt = 0, cur_class = 0;
    for (unsigned off = 0; off + 2u <= cfg_len && cfg_desc[off] >= 2u; off += cfg_desc[off]) {
        const uint8_t *p = &cfg_desc[off];
        if (p[1] == 0x24u && p[2] == 0x0Fu) {
            imac = p[3];
        } else if (p[1] == 0x04u) {
            cur_if = p[2];
            cur_alt = p[3];
            cur_class = p[5];
            if (cur_class == 0x0Au && cur_alt == 1u) {
                data_if = cur_if;
            }
        } else if (p[1] == 0x05u) {
            usbip_sched_set_mps(p[2], (uint16_t)((p[4] | (p[5] << 8)) & 0x7FF));
            if (cur_class == 0x0Au && cur_alt == 1u && (p[3] & 3u) == 2u) {
                if (p[2] & 0x80u) {
                    ep_in = p[2] & 0x0Fu;
                } else {
                    ep_out = p[2] & 0x0Fu;
                }
            }
        }
    }
    if (imac == 0u || data_if == 0xFFu || ep_in == 0u || ep_out == 0u) {
        die("no CDC-ECM data interface in the configuration");
    }
    int n = ctl(0x80, 6, (uint16_t)(0x0300 | imac), 0x0409, d, 255);
    if (n < 26) {
        die("iMACAddress string unreadable");
    }
    for (unsigned i = 0; i < 6u; i++) {
        int hi = hexval(d[2 + 4 * i]), lo = hexval(d[4 + 4 * i]);
        if (hi < 0 || lo < 0) {
            die("iMACAddress is not 12 hex digits");
        }
        host_mac[i] = (uint8_t)(hi << 4 | lo);
    }
    if (ctl(0x01, 11, 1, data_if, NULL, 0) != 0) {
        die("SET_INTERFACE(data, 1) failed");
    }
    /* SET_ETHERNET_PACKET_FILTER: directed | broadcast | all multicast */
    (void)ctl(0x21, 0x43, 0x000E, cfg_desc[9 + 2], NULL, 0);
}

/* ------------------------------------------------------------- frames */

static void send_frame(const uint8_t *f, uint16_t len)
{
    uint16_t off = 0;
    for (;;) {
    uint16_t n = (uint16_t)(len - off < 64 ? len - off : 64);
        unsigned spins = 0;
        int r;
        while ((r = chip_backend.out(ep_out, f + off, n)) == USBIP_BE_NAK) {
            if (++spins > SPIN_MAX) {
                die("bulk OUT NAKed for too long");
            }
            step();
        }
        if (r != USBIP_BE_ACK) {
            die("bulk OUT refused");
        }
        host_acted();
        off = (uint16_t)(off + n);
        if (n < 64u) {
            return;  /* short packet (or ZLP) ended the frame */
        }
        /* off == len after a full packet: the loop sends the ZLP next */
    }
}

/* next frame from the device (ECM: ends with a short packet); 0 if none came */
static uint16_t recv_frame(uint8_t *f)
{
    uint16_t len = 0;
    for (unsigned spins = 0; spins < SPIN_MAX; spins++) {
        uint16_t n = 0;
        int r = chip_backend.in(ep_in, f + len, (uint16_t)(FRAME_MAX - len), &n);
        if (r == USBIP_BE_NAK) {
            step();
            continue;
        }
        if (r != USBIP_BE_ACK) {
            die("bulk IN failed");
        }
        host_acted();
        len = (uint16_t)(len + n);
        if (n < 64u) {
            return len;
        }
    }
    return 0;
}

static uint16_t csum(const uint8_t *p, size_t n, uint32_t sum)
{
    for (size_t i = 0; i + 1u < n; i += 2u) {
        sum += (uint32_t)(p[i] << 8 | p[i + 1u]);
    }
    if (n & 1u) {
        sum += (uint32_t)(p[n - 1u] << 8);
    }
    while (sum >> 16) {
        sum = (sum & 0xFFFFu) + (sum >> 16);
    }
    return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static size_t eth_ip(uint8_t *f, uint8_t proto, uint16_t ip_len)
{
    memcpy(f, dev_mac, 6);
    memcpy(f + 6, host_mac, 6);
    put16(f + 12, 0x0800);
    uint8_t *ip = f + 14;
    memset(ip, 0, 20);
    ip[0] = 0x45;
    put16(ip + 2, ip_len);
    ip[8] = 64;
    ip[9] = proto;
    memcpy(ip + 12, host_ip, 4);
    memcpy(ip + 16, dev_ip, 4);
    put16(ip + 10, csum(ip, 20, 0));
    return 34;
}

static void arp(void)
{
    uint8_t f[FRAME_MAX];
    memset(f, 0xFF, 6);
    memcpy(f + 6, host_mac, 6);
    put16(f + 12, 0x0806);
    const uint8_t hdr[8] = {0, 1, 8, 0, 6, 4, 0, 1};
    memcpy(f + 14, hdr, 8);
    memcpy(f + 22, host_mac, 6);
    memcpy(f + 28, host_ip, 4);
    memset(f + 32, 0, 6);
    memcpy(f + 38, dev_ip, 4);
    send_frame(f, 42);
    for (unsigned i = 0; i < 50u; i++) {
        uint16_t n = recv_frame(f);
        if (n >= 42u && f[12] == 0x08 && f[13] == 0x06 && f[21] == 2) {
            memcpy(dev_mac, f + 22, 6);
            return;
        }
    }
    die("no ARP reply");
}

static void echo(uint16_t frame_len, uint16_t seq)
{
    uint8_t f[FRAME_MAX];
    size_t h = eth_ip(f, 1, (uint16_t)(frame_len - 14u));
    uint8_t *icmp = f + h;
    size_t icmp_len = frame_len - h;
    memset(icmp, 0, icmp_len);
    icmp[0] = 8;
    put16(icmp + 4, 0x5354);
    put16(icmp + 6, seq);
    for (size_t i = 8; i < icmp_len; i++) {
        icmp[i] = (uint8_t)i;
    }
    put16(icmp + 2, csum(icmp, icmp_len, 0));
    send_frame(f, frame_len);
    for (unsigned i = 0; i < 50u; i++) {
        uint16_t n = recv_frame(f);
        if (n == frame_len && f[23] == 1 && f[34] == 0 && (f[40] << 8 | f[41]) == seq) {
            return;
        }
    }
    die("no echo reply");
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* one TCP segment host -> device; mss: add the MSS option (SYN only) */
static void tcp_out(uint8_t *f, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
                    uint8_t flags, const uint8_t *data, uint16_t dlen, bool mss)
{
    uint16_t thl = mss ? 24u : 20u;
    size_t h = eth_ip(f, 6, (uint16_t)(20u + thl + dlen));
    uint8_t *t = f + h;
    memset(t, 0, thl);
    put16(t, sport);
    put16(t + 2, dport);
    put32(t + 4, seq);
    put32(t + 8, ack);
    t[12] = (uint8_t)((thl / 4u) << 4);
    t[13] = flags;
    put16(t + 14, 8192);
    if (mss) {
        t[20] = 2; t[21] = 4;    /* kind 2, length 4 (RFC 9293 3.2) */
        put16(t + 22, 1460);
    }
    if (dlen != 0u) {
        memcpy(t + thl, data, dlen);
    }
    uint8_t ph[12];
    memcpy(ph, host_ip, 4);
    memcpy(ph + 4, dev_ip, 4);
    ph[8] = 0; ph[9] = 6;
    put16(ph + 10, (uint16_t)(thl + dlen));
    uint16_t c0 = (uint16_t)~csum(ph, 12, 0);
    put16(t + 16, csum(t, thl + dlen, c0));
    send_frame(f, (uint16_t)(h + thl + dlen));
}

/* a TCP segment device -> host for dport; false if f is something else */
static bool tcp_in(const uint8_t *f, uint16_t n, uint16_t dport, uint32_t *seq, uint32_t *ack,
                   uint8_t *flags, uint16_t *wnd, uint32_t *dlen)
{
    if (n < 54u || f[12] != 0x08 || f[13] != 0x00 || f[23] != 6) {
        return false;
    }
    const uint8_t *ip = f + 14;
    unsigned ihl = (ip[0] & 0x0Fu) * 4u;
    uint16_t tot = (uint16_t)(ip[2] << 8 | ip[3]);
    const uint8_t *t = ip + ihl;
    unsigned thl = (t[12] >> 4) * 4u;
    if ((t[2] << 8 | t[3]) != dport || tot < ihl + thl) {
        return false;
    }
    *seq = get32(t + 4);
    *ack = get32(t + 8);
    *flags = t[13];
    *wnd = (uint16_t)(t[14] << 8 | t[15]);
    *dlen = tot - ihl - thl;
    return true;
}

/* steady-state marks of http_get's full 1460-byte segments (device tx) */
static mark_t tx_first, tx_last;
static uint32_t tx_segs;
static prof_t prof_tx_first, prof_tx_last, prof_a;

/* Device rx: a hand-driven connection to lwiperf (port 5001) that sends
 * full 1460-byte segments inside the device's advertised window. The
 * payload is zeros, so the first 24 bytes read as an iperf 2 header without
 * HEADER_VERSION1: lwiperf only counts (no connect-back). Returns the cycles
 * of `segs` segments after a warm-up, each received, checksummed, delivered
 * to lwiperf and freed, with the device's ACKs sent. No loss is modelled:
 * a segment the device dropped (empty pool) would stall this and end it with
 * an error, which is what we want to know. */
static uint64_t tcp_rx_bench(unsigned segs, uint64_t *insns)
{
    static uint8_t f[FRAME_MAX], data[1460];
    uint32_t snd = 70000, rcv = 0, acked, seq, ack, dlen;
    uint16_t wnd = 0;
    uint8_t fl;
    const unsigned warm = 8u;
    tcp_out(f, 40001, 5001, snd, 0, 0x02, NULL, 0, true);   /* SYN, MSS 1460 */
    snd++;
    bool up = false;
    for (unsigned i = 0; i < 50u && !up; i++) {
        uint16_t n = recv_frame(f);
        if (tcp_in(f, n, 40001, &seq, &ack, &fl, &wnd, &dlen) && (fl & 0x12u) == 0x12u && ack == snd) {
            rcv = seq + 1u;
            up = true;
        }
    }
    if (!up) {
        die("iperf connection: no SYN-ACK");
    }
    tcp_out(f, 40001, 5001, snd, rcv, 0x10, NULL, 0, false);
    acked = snd;
    mark_t m = mark();
    for (unsigned i = 0; i < warm + segs; i++) {
        if (i == warm) {
            m = mark();
            prof_a = prof_now;
        }
        /* wait for room in the device's window (RFC 9293 3.8.6) */
        for (unsigned tries = 0; snd + 1460u - acked > wnd; tries++) {
            if (tries > 50u) {
                die("iperf rx: the device's window did not open (segment dropped?)");
            }
            uint16_t n = recv_frame(f);
            if (tcp_in(f, n, 40001, &seq, &ack, &fl, &wnd, &dlen) && (fl & 0x10u) &&
                (int32_t)(ack - acked) >= 0) {
                acked = ack;
            }
        }
        tcp_out(f, 40001, 5001, snd, rcv, 0x10, data, 1460, false);
        snd += 1460u;
    }
    /* everything acknowledged (a delayed ACK may come from the timer) */
    for (unsigned tries = 0; acked != snd; tries++) {
        if (tries > 50u) {
            die("iperf rx: the last segments were not acknowledged");
        }
        uint16_t n = recv_frame(f);
        if (tcp_in(f, n, 40001, &seq, &ack, &fl, &wnd, &dlen) && (fl & 0x10u) &&
            (int32_t)(ack - acked) >= 0) {
            acked = ack;
        }
    }
    uint64_t cycles = chip_stats()->cycles - m.cycles;
    *insns = chip_stats()->instructions - m.insns;
    prof_print("rx", &prof_a, &prof_now, m, mark(), segs, PROF_TOP);
    /* close: our FIN, then the device's FIN acknowledged */
    tcp_out(f, 40001, 5001, snd, rcv, 0x11, NULL, 0, false);
    snd++;
    for (unsigned i = 0; i < 50u; i++) {
        uint16_t n = recv_frame(f);
        if (tcp_in(f, n, 40001, &seq, &ack, &fl, &wnd, &dlen) && (fl & 0x01u)) {
            tcp_out(f, 40001, 5001, snd, seq + dlen + 1u, 0x10, NULL, 0, false);
            break;
        }
    }
    for (unsigned i = 0; i < 20u; i++) {
        step();
    }
    return cycles;
}

/* one HTTP/1.0 GET / over a hand-driven TCP connection */
static uint32_t http_get(void)
{
    uint8_t f[FRAME_MAX];
    uint32_t iss = 1000, snd = iss, rcv = 0, body = 0;
    const char *req = "GET / HTTP/1.0\r\nHost: 192.168.7.1\r\n\r\n";
    enum { SYN_SENT, ESTAB, DONE } st = SYN_SENT;
    bool sent_req = false;
    /* tcp(flags, payload) */
#define TCP_SEND(flags, data, dlen)                                                         \
    do {                                                                                    \
        size_t h_ = eth_ip(f, 6, (uint16_t)(20u + 20u + (dlen)));                           \
        uint8_t *t_ = f + h_;                                                               \
        memset(t_, 0, 20);                                                                  \
        put16(t_, 40000);                                                                   \
        put16(t_ + 2, 80);                                                                  \
        t_[4] = (uint8_t)(snd >> 24); t_[5] = (uint8_t)(snd >> 16);                         \
        t_[6] = (uint8_t)(snd >> 8); t_[7] = (uint8_t)snd;                                  \
        t_[8] = (uint8_t)(rcv >> 24); t_[9] = (uint8_t)(rcv >> 16);                         \
        t_[10] = (uint8_t)(rcv >> 8); t_[11] = (uint8_t)rcv;                                \
        t_[12] = 0x50;                                                                      \
        t_[13] = (uint8_t)(flags);                                                          \
        put16(t_ + 14, 8192);                                                               \
        memcpy(t_ + 20, (data), (dlen));                                                    \
        uint8_t ph_[12];                                                                    \
        memcpy(ph_, host_ip, 4);                                                            \
        memcpy(ph_ + 4, dev_ip, 4);                                                         \
        ph_[8] = 0; ph_[9] = 6;                                                             \
        put16(ph_ + 10, (uint16_t)(20u + (dlen)));                                          \
        uint16_t c0_ = (uint16_t)~csum(ph_, 12, 0);                                         \
        put16(t_ + 16, csum(t_, 20u + (dlen), c0_));                                        \
        send_frame(f, (uint16_t)(h_ + 20u + (dlen)));                                       \
    } while (0)
    /* SYN with MSS 1460 (RFC 9293 3.7.1), as Linux's cdc_ether host sends */
    tcp_out(f, 40000, 80, snd, 0, 0x02, NULL, 0, true);
    snd++;
    for (unsigned i = 0; i < 400u && st != DONE; i++) {
        uint16_t n = recv_frame(f);
        if (n < 54u || f[12] != 0x08 || f[13] != 0x00 || f[23] != 6) {
            continue;
        }
        const uint8_t *ip = f + 14;
        unsigned ihl = (ip[0] & 0x0Fu) * 4u;
        uint16_t tot = (uint16_t)(ip[2] << 8 | ip[3]);
        const uint8_t *t = ip + ihl;
        unsigned thl = (t[12] >> 4) * 4u;
        uint32_t seq = (uint32_t)t[4] << 24 | (uint32_t)t[5] << 16 | (uint32_t)t[6] << 8 | t[7];
        uint8_t fl = t[13];
        uint32_t dlen = tot - ihl - thl;
        if (st == SYN_SENT && (fl & 0x12u) == 0x12u) {
            rcv = seq + 1u;
            st = ESTAB;
            TCP_SEND(0x18, req, strlen(req));  /* ACK + PSH with the request */
            snd += (uint32_t)strlen(req);
            sent_req = true;
            continue;
        }
        if (st != ESTAB || !sent_req) {
            continue;
        }
        if (seq == rcv) {
            rcv += dlen;
            body += dlen;
            if (dlen == 1460u) {
                /* steady state between full segments: one segment made,
                 * checksummed, framed and sent, plus our ACK taken in */
                if (tx_segs++ == 0u) {
                    tx_first = mark();
                    prof_tx_first = prof_now;
                }
                tx_last = mark();
                prof_tx_last = prof_now;
            }
            if (fl & 0x01u) {
                rcv++;  /* FIN */
                TCP_SEND(0x11, "", 0u);  /* FIN + ACK */
                snd++;
                st = DONE;
                break;
            }
        }
        if (dlen != 0u) {
            TCP_SEND(0x10, "", 0u);  /* ACK what we have */
        }
    }
#undef TCP_SEND
    if (st != DONE) {
        die("HTTP GET / did not complete");
    }
    for (unsigned i = 0; i < 20u; i++) {
        step();  /* the final ACK reaches lwIP */
    }
    return body;
}

int main(int argc, char **argv)
{
    char err[256];
    if (argc != 3) {
        fprintf(stderr, "usage: chip-bench FIRMWARE.elf STACK_RESERVE_BYTES\n");
        return 2;
    }
    unsigned long reserve = strtoul(argv[2], NULL, 10);
    if (chip_open(argv[1], CHIP_TIME_VIRTUAL, NULL, err, sizeof err) != 0) {
        fprintf(stderr, "chip-bench: %s\n", err);
        return 2;
    }
    uint32_t sp0 = 0;
    (void)chip_read_mem(CHIP_FLASH_BASE, &sp0, 4);
    usbip_sched_init(&chip_backend, poll_fn);
    prof_load(argv[1]);
    chip_set_block_observer(prof_block);

    mark_t m = mark();
    for (unsigned i = 0; i < 100u && chip_run(100000) != CHIP_IDLE; i++) {
        if (chip_faulted()) {
            die("chip fault during boot");
        }
    }
    report("reset_to_main_loop", m);

    m = mark();
    enumerate();
    report("enumeration", m);

    for (unsigned i = 0; i < 50u; i++) {
        step();  /* let the link come up */
    }
    arp();
    static const uint16_t sizes[3] = {64, 590, 1514};
    uint64_t cyc1514 = 0;
    for (unsigned i = 0; i < 3u; i++) {
        char name[32];
        snprintf(name, sizeof name, "icmp_echo_%u", sizes[i]);
        echo(sizes[i], (uint16_t)(100u + i));  /* warm: ARP cache, pools */
        m = mark();
        prof_a = prof_now;
        echo(sizes[i], (uint16_t)(200u + i));
        report(name, m);
        if (sizes[i] == 64u) {
            prof_print("icmp64", &prof_a, &prof_now, m, mark(), 1u, PROF_TOP);
        }
        if (sizes[i] == 1514u) {
            cyc1514 = chip_stats()->cycles - m.cycles;
        }
    }
    if (cyc1514 != 0u) {
        /* one echo = a 1514-byte frame received and one sent */
        uint64_t fps = 48000000u / cyc1514;
        metric("echo_1514_per_s_at_48mhz", fps, "frames/s");
        metric("echo_1514_cpu_limit_kbit_s", fps * 1514u * 8u / 1000u, "kbit/s");
        metric("fs_bulk_bus_limit_kbit_s", 9728, "kbit/s");
    }

    m = mark();
    uint32_t body = http_get();
    report("http_get", m);
    metric("http_get_bytes", body, "bytes");

    /* issue 13: what one full TCP segment costs the CPU each way, and the
     * TCP payload rate at which a 48 MHz M0 would do nothing else */
    if (tx_segs >= 2u) {
        uint64_t c = (tx_last.cycles - tx_first.cycles) / (tx_segs - 1u);
        uint64_t i = (tx_last.insns - tx_first.insns) / (tx_segs - 1u);
        metric("tcp_tx_1460_insns_per_segment", i, "instructions");
        metric("tcp_tx_1460_cycles_per_segment", c, "cycles");
        metric("tcp_tx_cpu_limit_kbit_s", c ? 48000000ull * 1460u * 8u / c / 1000u : 0u, "kbit/s");
        prof_print("tx", &prof_tx_first, &prof_tx_last, tx_first, tx_last, tx_segs - 1u, PROF_TOP);
    } else {
        fprintf(stderr, "chip-bench: GET / sent fewer than 2 full segments: no tx figure\n");
    }
    const unsigned rx_segs = 32u;
    uint64_t rx_insns = 0;
    uint64_t rx_cycles = tcp_rx_bench(rx_segs, &rx_insns);
    metric("tcp_rx_1460_insns_per_segment", rx_insns / rx_segs, "instructions");
    metric("tcp_rx_1460_cycles_per_segment", rx_cycles / rx_segs, "cycles");
    metric("tcp_rx_cpu_limit_kbit_s", rx_cycles ? 48000000ull * 1460u * 8u * rx_segs / rx_cycles / 1000u : 0u,
           "kbit/s");

    uint32_t low = chip_stats()->lowest_sp;
    printf("chip stack_lowest_sp 0x%08x address\n", (unsigned)low);
    metric("stack_peak", sp0 - low, "bytes");
    metric("stack_reserve", reserve, "bytes");
    metric("stack_headroom", reserve > (sp0 - low) ? reserve - (sp0 - low) : 0u, "bytes");
    chip_close();
    return 0;
}
