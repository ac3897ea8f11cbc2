/*
 * usbfs.c - the STM32F072 USB FS device peripheral model (see usbfs.h).
 *
 * Layer: sim/chip, standalone (stdint/stdbool/string only, no Unicorn).
 * Rules, each with its RM0091 section (chapter 30; RM0008 ch. 23 has the same
 * peripheral and sometimes says it more plainly):
 *  - EPnR write (30.6.2): CTR_RX/CTR_TX are rc_w0 (0 clears, 1 keeps);
 *    DTOG_RX/TX and STAT_RX/TX toggle (1 flips); SETUP is read-only; EA,
 *    EP_KIND, EP_TYPE are plain.
 *  - Endpoint matching (30.5.2): a token's endpoint number is compared with
 *    the EA field of every EPnR; the lowest-numbered match answers, none
 *    means no answer.
 *  - OUT with STAT_RX VALID (30.5.2 "OUT and SETUP transactions"): data to
 *    ADDRn_RX, COUNTn_RX's count field updated, CTR_RX set, DTOG_RX flipped,
 *    STAT_RX to NAK. NAK/STALL answer as named, DISABLED does not answer.
 *    A DATA PID that does not match DTOG_RX is a retransmission: ACKed and
 *    dropped (USB 2.0 8.6.3). SETUP is cleared by an OUT only when CTR_RX
 *    was 0: "kept frozen while CTR_RX is at 1" (30.6.2, SETUP bit), so the
 *    CPU still learns that its pending reception was a SETUP. On a control
 *    endpoint with EP_KIND
 *    (STATUS_OUT) an OUT with data is answered STALL (30.6.2 EP_KIND).
 *  - SETUP (30.5.2 "Control transfers"): accepted on a CONTROL endpoint in
 *    any STAT_RX state but DISABLED, like an OUT, and then DTOG_TX = 1,
 *    DTOG_RX = 1 (RX set to 0 for the DATA0 SETUP, flipped by the
 *    reception), and both STAT_RX and STAT_TX go to NAK, SETUP bit set. A
 *    SETUP arriving while CTR_RX is still set is discarded without a
 *    handshake, so the host sends it again.
 *  - IN with STAT_TX VALID (30.5.2 "IN transactions"): COUNTn_TX bytes from
 *    ADDRn_TX with PID DATA<DTOG_TX>; on the host's ACK CTR_TX set, DTOG_TX
 *    flipped, STAT_TX to NAK.
 *  - Buffer descriptor table (30.6.3): at BTABLE (8-byte aligned), per EPnR
 *    n: ADDRn_TX, COUNTn_TX, ADDRn_RX, COUNTn_RX (16 bits each, in packet
 *    memory). COUNTn_RX: BL_SIZE[15], NUM_BLOCK[14:10] give the buffer size
 *    (2 * NUM_BLOCK bytes, or 32 * (NUM_BLOCK + 1) with BL_SIZE), COUNT[9:0]
 *    is written by the peripheral. A packet larger than its buffer is not
 *    stored and gets no handshake (assumption: the text we used does not say
 *    what the silicon answers; a correct host never sends more than wMaxPacketSize).
 *  - ISTR (30.6.1): bits 14..7 rc_w0; CTR is set while any EPnR has CTR_RX or
 *    CTR_TX; EP_ID/DIR name the lowest-numbered such EPnR, DIR = 1 when its
 *    CTR_RX is set.
 *  - CNTR: reset value FRES | PDWN; setting FRES resets the USB core (as a
 *    bus reset: EPnR and DADDR cleared, RESET flag) and holds it there; with
 *    PDWN or FRES set the host sees nothing.
 *  - USB reset from the host (30.4.2): all EPnR cleared (endpoints
 *    disabled), DADDR = 0 (EF cleared: the device answers nothing until
 *    software enables it), ISTR.RESET set.
 *  - DADDR (30.6.1): the device answers a token only when EF is set and ADD
 *    equals the token's address.
 *  - ISTR.RESET (30.6.1, RM0008 23.5.2 word for word): "reception and
 *    transmission are disabled until the RESET bit is cleared": while
 *    software has not cleared RESET, no token gets an answer.
 *  - FNR: FN counts SOFs, LCK after two consecutive SOFs, RXDP = 1 while
 *    attached (idle J state of a full-speed bus).
 *  - BCDR: DPPU (bit 15) is the D+ pull-up: no pull-up, no device on the bus.
 */
#include <string.h>

#include "usbfs.h"

#define CNTR_WRITABLE 0xFFBFu     /* bit 6 reserved */
#define ISTR_RCW0 0x7F80u         /* PMAOVR..L1REQ */
#define EPR_TOGGLE (USBFS_EPR_STAT_TX | USBFS_EPR_DTOG_TX | USBFS_EPR_STAT_RX | USBFS_EPR_DTOG_RX)
#define EPR_PLAIN (USBFS_EPR_EA | USBFS_EPR_EP_KIND | USBFS_EPR_EP_TYPE)
#define EPR_RCW0 (USBFS_EPR_CTR_RX | USBFS_EPR_CTR_TX)
#define COUNT_Msk 0x03FFu

static unsigned stat_rx(uint16_t epr)
{
    return (epr & USBFS_EPR_STAT_RX) >> 12;
}

static unsigned stat_tx(uint16_t epr)
{
    return (epr & USBFS_EPR_STAT_TX) >> 4;
}

static unsigned ep_type(uint16_t epr)
{
    return (epr & USBFS_EPR_EP_TYPE) >> 9;
}

static uint16_t set_stat_rx(uint16_t epr, unsigned s)
{
    return (uint16_t)((epr & ~USBFS_EPR_STAT_RX) | (s << 12));
}

static uint16_t set_stat_tx(uint16_t epr, unsigned s)
{
    return (uint16_t)((epr & ~USBFS_EPR_STAT_TX) | (s << 4));
}

static uint16_t pma16(const usbfs_t *u, uint32_t off)
{
    off &= USBFS_PMA_SIZE - 2u;
    return (uint16_t)(u->pma[off] | (u->pma[off + 1u] << 8));
}

static void pma16_set(usbfs_t *u, uint32_t off, uint16_t v)
{
    off &= USBFS_PMA_SIZE - 2u;
    u->pma[off] = (uint8_t)v;
    u->pma[off + 1u] = (uint8_t)(v >> 8);
}

/* BTABLE entries of EPnR n */
static uint32_t bt(const usbfs_t *u, unsigned n, unsigned field)
{
    return (uint32_t)(u->btable & 0xFFF8u) + 8u * n + 2u * field;
}
enum { BT_ADDR_TX, BT_COUNT_TX, BT_ADDR_RX, BT_COUNT_RX };

uint16_t usbfs_rx_buf_size(uint16_t count_rx)
{
    unsigned nb = (count_rx >> 10) & 0x1Fu;
    return (uint16_t)((count_rx & 0x8000u) ? 32u * (nb + 1u) : 2u * nb);
}

void usbfs_reset(usbfs_t *u)
{
    memset(u->epr, 0, sizeof u->epr);
    u->cntr = USBFS_CNTR_FRES | USBFS_CNTR_PDWN;
    u->istr_flags = 0;
    u->fnr = 0;
    u->daddr = 0;
    u->btable = 0;
    u->lpmcsr = 0;
    u->bcdr = 0;
    u->sof_count = 0;
}

/* what a USB reset does to the core (30.4.2); also FRES */
static void core_reset(usbfs_t *u)
{
    memset(u->epr, 0, sizeof u->epr);
    u->daddr = 0;
    u->istr_flags |= USBFS_ISTR_RESET;
    u->sof_count = 0;
    u->fnr = 0;
}

bool usbfs_attached(const usbfs_t *u)
{
    return (u->bcdr & USBFS_BCDR_DPPU) != 0u &&
           (u->cntr & (USBFS_CNTR_PDWN | USBFS_CNTR_FRES)) == 0u;
}

uint16_t usbfs_istr(const usbfs_t *u)
{
    uint16_t v = (uint16_t)(u->istr_flags & ISTR_RCW0);
    for (unsigned n = 0; n < USBFS_NUM_EPR; n++) {
        if (u->epr[n] & EPR_RCW0) {
            v |= USBFS_ISTR_CTR | (uint16_t)n;
            if (u->epr[n] & USBFS_EPR_CTR_RX) {
                v |= USBFS_ISTR_DIR;
            }
            break;
        }
    }
    return v;
}

bool usbfs_irq(const usbfs_t *u)
{
    /* CNTR bits 15..8 mask ISTR bits 15..8 one to one; L1REQM is bit 7 */
    return (usbfs_istr(u) & u->cntr & 0xFF80u) != 0u;
}

static uint16_t fnr_value(const usbfs_t *u)
{
    uint16_t v = u->fnr & 0x07FFu;
    if (u->sof_count >= 2u) {
        v |= 1u << 13;  /* LCK */
    }
    if (usbfs_attached(u)) {
        v |= 1u << 15;  /* RXDP: J state */
    }
    return v;
}

bool usbfs_reg_read(usbfs_t *u, uint32_t off, unsigned size, uint32_t *val)
{
    if ((size != 2u && size != 4u) || (off & 3u) != 0u) {
        return false;
    }
    if (off < USBFS_EPR(USBFS_NUM_EPR)) {
        *val = u->epr[off / 4u];
        return true;
    }
    switch (off) {
    case USBFS_CNTR:   *val = u->cntr; return true;
    case USBFS_ISTR:   *val = usbfs_istr(u); return true;
    case USBFS_FNR:    *val = fnr_value(u); return true;
    case USBFS_DADDR:  *val = u->daddr; return true;
    case USBFS_BTABLE: *val = u->btable; return true;
    case USBFS_LPMCSR: *val = u->lpmcsr; return true;
    case USBFS_BCDR:   *val = u->bcdr; return true;
    default:           return false;
    }
}

bool usbfs_reg_write(usbfs_t *u, uint32_t off, unsigned size, uint32_t val)
{
    uint16_t v = (uint16_t)val;
    if ((size != 2u && size != 4u) || (off & 3u) != 0u) {
        return false;
    }
    u->writes++;
    if (off < USBFS_EPR(USBFS_NUM_EPR)) {
        uint16_t *e = &u->epr[off / 4u];
        uint16_t o = *e;
        *e = (uint16_t)((v & EPR_PLAIN) | ((o ^ v) & EPR_TOGGLE) | (o & v & EPR_RCW0) |
                        (o & USBFS_EPR_SETUP));
        return true;
    }
    switch (off) {
    case USBFS_CNTR: {
        bool fres_rise = (v & USBFS_CNTR_FRES) && !(u->cntr & USBFS_CNTR_FRES);
        u->cntr = v & CNTR_WRITABLE;
        if (fres_rise) {
            core_reset(u);
        }
        return true;
    }
    case USBFS_ISTR:
        u->istr_flags &= (uint16_t)(v | ~ISTR_RCW0);
        return true;
    case USBFS_FNR:
        return true;  /* read-only */
    case USBFS_DADDR:
        u->daddr = v & 0x00FFu;
        return true;
    case USBFS_BTABLE:
        u->btable = v & 0xFFF8u;
        return true;
    case USBFS_LPMCSR:
        u->lpmcsr = v & 0x0003u;  /* LPMEN, LPMACK; REMWAKE/BESL read-only */
        return true;
    case USBFS_BCDR:
        u->bcdr = v & (USBFS_BCDR_DPPU | 0x000Fu);  /* status bits 4..7 read 0 */
        return true;
    default:
        return false;
    }
}

bool usbfs_pma_read(const usbfs_t *u, uint32_t off, unsigned size, uint32_t *val)
{
    if (off >= USBFS_PMA_SIZE || (size != 1u && size != 2u) || (off & (size - 1u)) != 0u) {
        return false;
    }
    *val = size == 1u ? u->pma[off] : pma16(u, off);
    return true;
}

bool usbfs_pma_write(usbfs_t *u, uint32_t off, unsigned size, uint32_t val)
{
    if (off >= USBFS_PMA_SIZE || (size != 1u && size != 2u) || (off & (size - 1u)) != 0u) {
        return false;
    }
    u->writes++;
    if (size == 1u) {
        u->pma[off] = (uint8_t)val;
    } else {
        pma16_set(u, off, (uint16_t)val);
    }
    return true;
}

/* ---------------------------------------------------------------- host side */

void usbfs_host_bus_reset(usbfs_t *u)
{
    if (usbfs_attached(u)) {
        core_reset(u);
    }
}

void usbfs_host_sof(usbfs_t *u)
{
    if (!usbfs_attached(u)) {
        return;
    }
    u->fnr = (uint16_t)((u->fnr + 1u) & 0x07FFu);
    u->sof_count++;
    u->istr_flags |= USBFS_ISTR_SOF;
}

/* EPnR answering (addr, ep), or -1 when the token is not for us */
static int match(const usbfs_t *u, uint8_t addr, uint8_t ep)
{
    if (!usbfs_attached(u) || !(u->daddr & USBFS_DADDR_EF) || (u->daddr & 0x7Fu) != addr ||
        (u->istr_flags & USBFS_ISTR_RESET)) {
        return -1;
    }
    for (unsigned n = 0; n < USBFS_NUM_EPR; n++) {
        if ((u->epr[n] & USBFS_EPR_EA) == (ep & 0x0Fu)) {
            return (int)n;
        }
    }
    return -1;
}

static bool mode_supported(usbfs_t *u, uint16_t epr)
{
    unsigned t = ep_type(epr);
    if (t == USBFS_TYPE_ISO || (t == USBFS_TYPE_BULK && (epr & USBFS_EPR_EP_KIND))) {
        u->unsupported++;  /* isochronous / double-buffered bulk: not modelled */
        return false;
    }
    return true;
}

/* The EPnR that takes an OUT/IN token with its STAT (RX/TX) VALID in *n, or
 * *n = -1 and the answer: none (no match, DISABLED, unmodelled mode), STALL
 * or NAK (30.5.2). */
static usbfs_result_t token(usbfs_t *u, uint8_t addr, uint8_t ep, bool in, int *n)
{
    *n = -1;
    int m = match(u, addr, ep);
    if (m < 0 || !mode_supported(u, u->epr[m])) {
        return USBFS_TIMEOUT;
    }
    switch (in ? stat_tx(u->epr[m]) : stat_rx(u->epr[m])) {
    case USBFS_STAT_DISABLED: return USBFS_TIMEOUT;
    case USBFS_STAT_STALL:    return USBFS_STALL;
    case USBFS_STAT_NAK:      return USBFS_NAK;
    default:                  *n = m; return USBFS_ACK;
    }
}

/* Stores a received packet in EPnR n's receive buffer; false if it does not fit. */
static bool rx_store(usbfs_t *u, unsigned n, const uint8_t *data, uint16_t len)
{
    uint16_t count = pma16(u, bt(u, n, BT_COUNT_RX));
    uint32_t addr = pma16(u, bt(u, n, BT_ADDR_RX)) & 0xFFFEu;
    if (len > usbfs_rx_buf_size(count) || addr + len > USBFS_PMA_SIZE) {
        return false;
    }
    if (len != 0u) {
        memcpy(&u->pma[addr], data, len);
    }
    pma16_set(u, bt(u, n, BT_COUNT_RX), (uint16_t)((count & ~COUNT_Msk) | len));
    return true;
}

usbfs_result_t usbfs_host_setup(usbfs_t *u, uint8_t addr, const uint8_t setup[8])
{
    int n = match(u, addr, 0);
    if (n < 0) {
        return USBFS_TIMEOUT;
    }
    uint16_t e = u->epr[n];
    if (ep_type(e) != USBFS_TYPE_CONTROL || stat_rx(e) == USBFS_STAT_DISABLED ||
        (e & USBFS_EPR_CTR_RX)) {
        return USBFS_TIMEOUT;
    }
    if (!rx_store(u, (unsigned)n, setup, 8)) {
        return USBFS_TIMEOUT;
    }
    e = set_stat_tx(set_stat_rx(e, USBFS_STAT_NAK), USBFS_STAT_NAK);
    e |= USBFS_EPR_CTR_RX | USBFS_EPR_SETUP | USBFS_EPR_DTOG_TX | USBFS_EPR_DTOG_RX;
    u->epr[n] = e;
    return USBFS_ACK;
}

usbfs_result_t usbfs_host_out(usbfs_t *u, uint8_t addr, uint8_t ep, bool data1,
                              const uint8_t *data, uint16_t len)
{
    int n;
    usbfs_result_t r = token(u, addr, ep, false, &n);
    if (n < 0) {
        return r;
    }
    uint16_t e = u->epr[n];
    if (ep_type(e) == USBFS_TYPE_CONTROL && (e & USBFS_EPR_EP_KIND) && len != 0u) {
        return USBFS_STALL;  /* STATUS_OUT: only a zero-length status OUT is expected */
    }
    if (data1 != ((e & USBFS_EPR_DTOG_RX) != 0u)) {
        return USBFS_ACK;  /* retransmission of a packet we already have: dropped */
    }
    if (!rx_store(u, (unsigned)n, data, len)) {
        return USBFS_TIMEOUT;
    }
    e = set_stat_rx(e, USBFS_STAT_NAK);
    e ^= USBFS_EPR_DTOG_RX;
    if (!(e & USBFS_EPR_CTR_RX)) {
        e &= (uint16_t)~USBFS_EPR_SETUP;  /* frozen while CTR_RX is 1 (30.6.2 SETUP) */
    }
    e |= USBFS_EPR_CTR_RX;
    u->epr[n] = e;
    return USBFS_ACK;
}

usbfs_result_t usbfs_host_in(usbfs_t *u, uint8_t addr, uint8_t ep, uint8_t *buf, uint16_t room,
                             uint16_t *len, bool *data1)
{
    *len = 0;
    *data1 = false;
    int n;
    usbfs_result_t r = token(u, addr, ep, true, &n);
    if (n < 0) {
        return r;
    }
    uint16_t e = u->epr[n];
    uint16_t count = pma16(u, bt(u, (unsigned)n, BT_COUNT_TX)) & COUNT_Msk;
    uint32_t a = pma16(u, bt(u, (unsigned)n, BT_ADDR_TX)) & 0xFFFEu;
    if (a + count > USBFS_PMA_SIZE) {
        return USBFS_TIMEOUT;  /* the peripheral would read past its memory: treat as no answer */
    }
    if (count > room) {
        memcpy(buf, &u->pma[a], room);
        *len = room;
        return USBFS_OVERFLOW;
    }
    if (count != 0u) {
        memcpy(buf, &u->pma[a], count);
    }
    *len = count;
    *data1 = (e & USBFS_EPR_DTOG_TX) != 0u;
    e = set_stat_tx(e, USBFS_STAT_NAK);
    e ^= USBFS_EPR_DTOG_TX;
    e |= USBFS_EPR_CTR_TX;
    u->epr[n] = e;
    return USBFS_ACK;
}
