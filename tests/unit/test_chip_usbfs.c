/*
 * test_chip_usbfs.c - the STM32F072 USB FS register model (sim/chip/usbfs.c),
 * one test per rule of RM0091 chapter 30 as usbfs.c's header lists them:
 * EPnR write semantics, ISTR, CNTR, BTABLE/COUNTn_RX sizes, access widths,
 * what SETUP / OUT / IN do to CTR, SETUP, DTOG and STAT, bus reset, DADDR,
 * FNR, BCDR.
 *
 * Layer: unit test (host). Links usbfs.c only; drives it from both sides.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "usbfs.h"

static usbfs_t u;

static uint16_t rd(uint32_t off)
{
    uint32_t v = 0;
    assert_true(usbfs_reg_read(&u, off, 2, &v));
    return (uint16_t)v;
}

static void wr(uint32_t off, uint16_t v)
{
    assert_true(usbfs_reg_write(&u, off, 2, v));
}

static void pma_wr16(uint32_t off, uint16_t v)
{
    assert_true(usbfs_pma_write(&u, off, 2, v));
}

static uint16_t pma_rd16(uint32_t off)
{
    uint32_t v = 0;
    assert_true(usbfs_pma_read(&u, off, 2, &v));
    return (uint16_t)v;
}

/* sets EPnR n's STAT_RX / STAT_TX / DTOGs to the wanted values the way
 * software must: toggle bits written as XOR, CTR written 1 (keep) */
static void epr_set(unsigned n, uint16_t plain, unsigned stat_rx, unsigned stat_tx, bool dtog_rx,
                    bool dtog_tx)
{
    uint16_t cur = rd(USBFS_EPR(n));
    uint16_t want = (uint16_t)((stat_rx << 12) | (stat_tx << 4) | (dtog_rx ? USBFS_EPR_DTOG_RX : 0u) |
                               (dtog_tx ? USBFS_EPR_DTOG_TX : 0u));
    uint16_t tog = (uint16_t)((cur ^ want) & 0x7070u);
    wr(USBFS_EPR(n), (uint16_t)(plain | tog | USBFS_EPR_CTR_RX | USBFS_EPR_CTR_TX));
}

/* attached, address 5, ep0 control (TX buffer 0x40, RX 0x80 with 64 bytes),
 * EPnR 1: endpoint 2 bulk (TX 0xC0, RX 0x100, 64 bytes) */
static int setup_dev(void **state)
{
    (void)state;
    usbfs_reset(&u);
    memset(u.pma, 0, sizeof u.pma);  /* a reset keeps packet memory: start clean */
    wr(USBFS_CNTR, 0);
    wr(USBFS_BCDR, USBFS_BCDR_DPPU);
    wr(USBFS_BTABLE, 0);
    wr(USBFS_DADDR, USBFS_DADDR_EF | 5u);
    pma_wr16(0, 0x40);
    pma_wr16(2, 0);
    pma_wr16(4, 0x80);
    pma_wr16(6, 0x8400);   /* BL_SIZE = 1, NUM_BLOCK = 1: 64 bytes */
    pma_wr16(8, 0xC0);
    pma_wr16(10, 0);
    pma_wr16(12, 0x100);
    pma_wr16(14, 0x8400);
    epr_set(0, USBFS_TYPE_CONTROL << 9, USBFS_STAT_VALID, USBFS_STAT_NAK, false, false);
    epr_set(1, (USBFS_TYPE_BULK << 9) | 2u, USBFS_STAT_VALID, USBFS_STAT_NAK, false, false);
    return 0;
}

static unsigned stat_rx(unsigned n) { return (u.epr[n] >> 12) & 3u; }
static unsigned stat_tx(unsigned n) { return (u.epr[n] >> 4) & 3u; }

/* 30.6: reset values; CNTR = FRES | PDWN; no device on the bus */
static void test_reset_values(void **state)
{
    (void)state;
    usbfs_reset(&u);
    assert_int_equal(rd(USBFS_CNTR), USBFS_CNTR_FRES | USBFS_CNTR_PDWN);
    for (unsigned n = 0; n < 8u; n++) {
        assert_int_equal(rd(USBFS_EPR(n)), 0);
    }
    assert_int_equal(rd(USBFS_ISTR), 0);
    assert_int_equal(rd(USBFS_DADDR), 0);
    assert_int_equal(rd(USBFS_BCDR), 0);
    assert_false(usbfs_attached(&u));
}

/* 30.6.2: toggle bits flip on 1, CTR bits clear on 0 and keep on 1, SETUP
 * is read-only, EA/EP_KIND/EP_TYPE are plain */
static void test_epr_write_semantics(void **state)
{
    (void)state;
    usbfs_reset(&u);
    u.epr[3] = USBFS_EPR_CTR_RX | USBFS_EPR_CTR_TX | USBFS_EPR_SETUP | 0x1010u;
    wr(USBFS_EPR(3), (uint16_t)(USBFS_EPR_CTR_RX | 0x3030u | 0x0600u | 0x0007u));
    uint16_t v = rd(USBFS_EPR(3));
    assert_true(v & USBFS_EPR_CTR_RX);          /* 1 keeps */
    assert_false(v & USBFS_EPR_CTR_TX);         /* 0 clears */
    assert_true(v & USBFS_EPR_SETUP);           /* read-only */
    assert_int_equal((v >> 12) & 3u, 2u);       /* 01 ^ 11 = 10 */
    assert_int_equal((v >> 4) & 3u, 2u);
    assert_int_equal(v & 0x0700u, 0x0600u);
    assert_int_equal(v & 0x000Fu, 7u);
    /* writing 0 to the toggles leaves them; 1 to CTR cannot set it */
    u.epr[4] = 0;
    wr(USBFS_EPR(4), USBFS_EPR_CTR_RX | USBFS_EPR_CTR_TX);
    assert_int_equal(rd(USBFS_EPR(4)), 0);
}

/* 30.6.1: ISTR bits 14..7 rc_w0; CTR/EP_ID/DIR follow the EPnR flags */
static void test_istr(void **state)
{
    (void)state;
    usbfs_reset(&u);
    u.istr_flags = USBFS_ISTR_RESET | USBFS_ISTR_SOF | USBFS_ISTR_SUSP;
    wr(USBFS_ISTR, (uint16_t)~USBFS_ISTR_SOF);
    assert_int_equal(rd(USBFS_ISTR), USBFS_ISTR_RESET | USBFS_ISTR_SUSP);
    wr(USBFS_ISTR, 0xFFFFu);  /* 1s keep; cannot set CTR */
    assert_int_equal(rd(USBFS_ISTR), USBFS_ISTR_RESET | USBFS_ISTR_SUSP);
    wr(USBFS_ISTR, 0);
    u.epr[5] = USBFS_EPR_CTR_TX | 5u;
    u.epr[2] = USBFS_EPR_CTR_RX | 2u;
    uint16_t v = rd(USBFS_ISTR);
    assert_true(v & USBFS_ISTR_CTR);
    assert_int_equal(v & USBFS_ISTR_EP_ID, 2);  /* the lowest-numbered one */
    assert_true(v & USBFS_ISTR_DIR);            /* CTR_RX */
    u.epr[2] = 2u;
    v = rd(USBFS_ISTR);
    assert_int_equal(v & USBFS_ISTR_EP_ID, 5);
    assert_false(v & USBFS_ISTR_DIR);           /* CTR_TX only */
    u.epr[5] = 5u;
    assert_false(rd(USBFS_ISTR) & USBFS_ISTR_CTR);
}

/* CNTR masks gate the interrupt line; FRES resets the core; PDWN/FRES/DPPU
 * decide whether a host sees the device */
static void test_cntr_and_irq(void **state)
{
    (void)state;
    usbfs_reset(&u);
    u.istr_flags = USBFS_ISTR_RESET;
    wr(USBFS_CNTR, 0);
    assert_false(usbfs_irq(&u));
    wr(USBFS_CNTR, 1u << 10);  /* RESETM */
    assert_true(usbfs_irq(&u));
    u.istr_flags = 0;
    u.epr[1] = USBFS_EPR_CTR_RX | 1u;
    assert_false(usbfs_irq(&u));
    wr(USBFS_CNTR, 1u << 15);  /* CTRM */
    assert_true(usbfs_irq(&u));
    /* FRES rising: EPnR and DADDR cleared, RESET flagged; held in reset */
    u.daddr = 0x85;
    wr(USBFS_CNTR, USBFS_CNTR_FRES);
    assert_int_equal(u.epr[1], 0);
    assert_int_equal(rd(USBFS_DADDR), 0);
    assert_true(rd(USBFS_ISTR) & USBFS_ISTR_RESET);
    wr(USBFS_BCDR, USBFS_BCDR_DPPU);
    assert_false(usbfs_attached(&u));  /* FRES */
    wr(USBFS_CNTR, USBFS_CNTR_PDWN);
    assert_false(usbfs_attached(&u));
    wr(USBFS_CNTR, 0);
    assert_true(usbfs_attached(&u));
    wr(USBFS_BCDR, 0);
    assert_false(usbfs_attached(&u));  /* no pull-up */
}

/* 30.6.3: COUNTn_RX buffer sizes; BTABLE is 8-byte aligned */
static void test_btable_sizes(void **state)
{
    (void)state;
    assert_int_equal(usbfs_rx_buf_size(0x0000), 0);
    assert_int_equal(usbfs_rx_buf_size(0x0400), 2);          /* NUM_BLOCK 1 */
    assert_int_equal(usbfs_rx_buf_size(0x7C00), 62);         /* NUM_BLOCK 31 */
    assert_int_equal(usbfs_rx_buf_size(0x8000), 32);         /* BL_SIZE, NUM_BLOCK 0 */
    assert_int_equal(usbfs_rx_buf_size(0x8400), 64);
    assert_int_equal(usbfs_rx_buf_size(0xFC00), 1024);
    usbfs_reset(&u);
    wr(USBFS_BTABLE, 0x1237u);
    assert_int_equal(rd(USBFS_BTABLE), 0x1230u);
}

/* access widths: registers 16/32-bit (upper half 0), not bytes; packet
 * memory bytes and half-words, not words; unused offsets refused */
static void test_access_widths(void **state)
{
    (void)state;
    uint32_t v;
    usbfs_reset(&u);
    assert_true(usbfs_reg_read(&u, USBFS_CNTR, 4, &v));
    assert_int_equal(v, 3);
    assert_false(usbfs_reg_read(&u, USBFS_CNTR, 1, &v));
    assert_false(usbfs_reg_write(&u, USBFS_CNTR + 2u, 2, 0));
    assert_false(usbfs_reg_read(&u, 0x5Cu, 2, &v));
    assert_false(usbfs_reg_read(&u, 0x20u, 2, &v));  /* no EPnR 8 */
    assert_true(usbfs_pma_write(&u, 0x11, 1, 0xAB));
    assert_true(usbfs_pma_read(&u, 0x10, 2, &v));
    assert_int_equal(v, 0xAB00);
    assert_false(usbfs_pma_read(&u, 0x10, 4, &v));
    assert_false(usbfs_pma_read(&u, 0x11, 2, &v));
    assert_false(usbfs_pma_read(&u, 0x400, 1, &v));
}

/* SETUP: accepted in any STAT_RX but DISABLED; both STATs to NAK, DTOG_TX
 * = DTOG_RX = 1, CTR_RX and SETUP set, 8 bytes and COUNT in packet memory */
static void test_setup(void **state)
{
    (void)state;
    const uint8_t s[8] = {0x80, 6, 0, 1, 0, 0, 18, 0};
    epr_set(0, USBFS_TYPE_CONTROL << 9, USBFS_STAT_STALL, USBFS_STAT_VALID, false, false);
    assert_int_equal(usbfs_host_setup(&u, 5, s), USBFS_ACK);
    assert_int_equal(stat_rx(0), USBFS_STAT_NAK);
    assert_int_equal(stat_tx(0), USBFS_STAT_NAK);
    assert_true(u.epr[0] & USBFS_EPR_DTOG_TX);
    assert_true(u.epr[0] & USBFS_EPR_DTOG_RX);
    assert_true(u.epr[0] & USBFS_EPR_CTR_RX);
    assert_true(u.epr[0] & USBFS_EPR_SETUP);
    assert_memory_equal(&u.pma[0x80], s, 8);
    assert_int_equal(pma_rd16(6), 0x8400u | 8u);  /* COUNT written, BL_SIZE/NUM_BLOCK kept */
    /* a second SETUP while CTR_RX is still set gets no handshake */
    assert_int_equal(usbfs_host_setup(&u, 5, s), USBFS_TIMEOUT);
    wr(USBFS_EPR(0), (uint16_t)((u.epr[0] & 0x0F0Fu) | USBFS_EPR_CTR_TX));  /* clear CTR_RX */
    assert_int_equal(usbfs_host_setup(&u, 5, s), USBFS_ACK);
}

static void test_setup_refused(void **state)
{
    (void)state;
    const uint8_t s[8] = {0};
    assert_int_equal(usbfs_host_setup(&u, 4, s), USBFS_TIMEOUT);   /* other address */
    wr(USBFS_DADDR, 5u);                                           /* EF = 0 */
    assert_int_equal(usbfs_host_setup(&u, 5, s), USBFS_TIMEOUT);
    wr(USBFS_DADDR, USBFS_DADDR_EF | 5u);
    epr_set(0, USBFS_TYPE_CONTROL << 9, USBFS_STAT_DISABLED, USBFS_STAT_NAK, false, false);
    assert_int_equal(usbfs_host_setup(&u, 5, s), USBFS_TIMEOUT);   /* DISABLED */
    epr_set(0, USBFS_TYPE_BULK << 9, USBFS_STAT_VALID, USBFS_STAT_NAK, false, false);
    assert_int_equal(usbfs_host_setup(&u, 5, s), USBFS_TIMEOUT);   /* not a control endpoint */
}

/* OUT: VALID takes it (CTR_RX, DTOG_RX flipped, STAT_RX NAK, SETUP 0) */
static void test_out(void **state)
{
    (void)state;
    const uint8_t d[5] = {1, 2, 3, 4, 5};
    u.epr[1] |= USBFS_EPR_SETUP;  /* stale; an OUT clears it */
    assert_int_equal(usbfs_host_out(&u, 5, 2, false, d, 5), USBFS_ACK);
    assert_memory_equal(&u.pma[0x100], d, 5);
    assert_int_equal(pma_rd16(14) & 0x3FFu, 5);
    assert_true(u.epr[1] & USBFS_EPR_CTR_RX);
    assert_false(u.epr[1] & USBFS_EPR_SETUP);
    assert_true(u.epr[1] & USBFS_EPR_DTOG_RX);
    assert_int_equal(stat_rx(1), USBFS_STAT_NAK);
    assert_int_equal(usbfs_host_out(&u, 5, 2, true, d, 5), USBFS_NAK);
    epr_set(1, (USBFS_TYPE_BULK << 9) | 2u, USBFS_STAT_STALL, USBFS_STAT_NAK, true, false);
    assert_int_equal(usbfs_host_out(&u, 5, 2, true, d, 5), USBFS_STALL);
    epr_set(1, (USBFS_TYPE_BULK << 9) | 2u, USBFS_STAT_DISABLED, USBFS_STAT_NAK, true, false);
    assert_int_equal(usbfs_host_out(&u, 5, 2, true, d, 5), USBFS_TIMEOUT);
    assert_int_equal(usbfs_host_out(&u, 5, 3, true, d, 5), USBFS_TIMEOUT);  /* no EA 3 */
}

/* OUT with the wrong DATA PID: ACKed, dropped, nothing flagged */
static void test_out_toggle_mismatch(void **state)
{
    (void)state;
    const uint8_t d[3] = {9, 9, 9};
    assert_int_equal(usbfs_host_out(&u, 5, 2, true, d, 3), USBFS_ACK);
    assert_false(u.epr[1] & USBFS_EPR_CTR_RX);
    assert_false(u.epr[1] & USBFS_EPR_DTOG_RX);
    assert_int_equal(stat_rx(1), USBFS_STAT_VALID);
    assert_int_equal(u.pma[0x100], 0);
}

/* a packet larger than the receive buffer is not stored, no handshake */
static void test_out_too_long(void **state)
{
    (void)state;
    uint8_t d[65];
    memset(d, 7, sizeof d);
    assert_int_equal(usbfs_host_out(&u, 5, 2, false, d, 65), USBFS_TIMEOUT);
    assert_false(u.epr[1] & USBFS_EPR_CTR_RX);
    assert_int_equal(usbfs_host_out(&u, 5, 2, false, d, 64), USBFS_ACK);
}

/* control endpoint with EP_KIND = STATUS_OUT: data OUT STALLed, ZLP ACKed */
static void test_status_out(void **state)
{
    (void)state;
    const uint8_t d[1] = {1};
    epr_set(0, (USBFS_TYPE_CONTROL << 9) | USBFS_EPR_EP_KIND, USBFS_STAT_VALID, USBFS_STAT_NAK,
            true, false);
    assert_int_equal(usbfs_host_out(&u, 5, 0, true, d, 1), USBFS_STALL);
    assert_int_equal(usbfs_host_out(&u, 5, 0, true, NULL, 0), USBFS_ACK);
}

/* IN: VALID sends COUNTn_TX bytes with DATA<DTOG_TX>, then CTR_TX, DTOG_TX
 * flipped, STAT_TX NAK; a host with too little room sees babble */
static void test_in(void **state)
{
    (void)state;
    uint8_t buf[64];
    uint16_t len = 99;
    bool d1 = true;
    assert_int_equal(usbfs_host_in(&u, 5, 2, buf, 64, &len, &d1), USBFS_NAK);
    for (unsigned i = 0; i < 10u; i++) {
        u.pma[0xC0 + i] = (uint8_t)(0x30 + i);
    }
    pma_wr16(10, 10);
    epr_set(1, (USBFS_TYPE_BULK << 9) | 2u, USBFS_STAT_VALID, USBFS_STAT_VALID, false, true);
    assert_int_equal(usbfs_host_in(&u, 5, 2, buf, 4, &len, &d1), USBFS_OVERFLOW);
    assert_int_equal(stat_tx(1), USBFS_STAT_VALID);  /* not ACKed: unchanged */
    assert_false(u.epr[1] & USBFS_EPR_CTR_TX);
    assert_int_equal(usbfs_host_in(&u, 5, 2, buf, 64, &len, &d1), USBFS_ACK);
    assert_int_equal(len, 10);
    assert_true(d1);
    assert_memory_equal(buf, &u.pma[0xC0], 10);
    assert_true(u.epr[1] & USBFS_EPR_CTR_TX);
    assert_false(u.epr[1] & USBFS_EPR_DTOG_TX);
    assert_int_equal(stat_tx(1), USBFS_STAT_NAK);
    epr_set(1, (USBFS_TYPE_BULK << 9) | 2u, USBFS_STAT_VALID, USBFS_STAT_STALL, false, false);
    assert_int_equal(usbfs_host_in(&u, 5, 2, buf, 64, &len, &d1), USBFS_STALL);
    epr_set(1, (USBFS_TYPE_BULK << 9) | 2u, USBFS_STAT_VALID, USBFS_STAT_DISABLED, false, false);
    assert_int_equal(usbfs_host_in(&u, 5, 2, buf, 64, &len, &d1), USBFS_TIMEOUT);
}

/* 30.4.2: a USB reset clears every EPnR and DADDR (EF too), flags RESET */
static void test_bus_reset(void **state)
{
    (void)state;
    usbfs_host_bus_reset(&u);
    for (unsigned n = 0; n < 8u; n++) {
        assert_int_equal(u.epr[n], 0);
    }
    assert_int_equal(rd(USBFS_DADDR), 0);
    assert_true(rd(USBFS_ISTR) & USBFS_ISTR_RESET);
    const uint8_t s[8] = {0};
    assert_int_equal(usbfs_host_setup(&u, 0, s), USBFS_TIMEOUT);  /* EF = 0 now */
    /* no pull-up: nothing reaches the device */
    usbfs_reset(&u);
    u.epr[0] = 0x3220;
    usbfs_host_bus_reset(&u);
    assert_int_equal(u.epr[0], 0x3220);
}

/* 30.6.2 SETUP bit: frozen while CTR_RX is 1. An OUT that completes while
 * the SETUP's CTR_RX is still pending leaves SETUP set; once CTR_RX was
 * cleared, the next OUT clears it. */
static void test_setup_bit_frozen_while_ctr_rx(void **state)
{
    (void)state;
    const uint8_t s[8] = {0x00, 9, 1, 0, 0, 0, 0, 0};
    assert_int_equal(usbfs_host_setup(&u, 5, s), USBFS_ACK);
    assert_true(u.epr[0] & USBFS_EPR_SETUP);
    wr(USBFS_EPR(0), (uint16_t)(((u.epr[0] & USBFS_EPR_STAT_RX) ^ (USBFS_STAT_VALID << 12)) |
                                (USBFS_TYPE_CONTROL << 9) | USBFS_EPR_CTR_RX | USBFS_EPR_CTR_TX));
    assert_int_equal(stat_rx(0), USBFS_STAT_VALID);
    assert_int_equal(usbfs_host_out(&u, 5, 0, true, NULL, 0), USBFS_ACK);
    assert_true(u.epr[0] & USBFS_EPR_SETUP);          /* CTR_RX was 1: frozen */
    wr(USBFS_EPR(0), (uint16_t)(((u.epr[0] & USBFS_EPR_STAT_RX) ^ (USBFS_STAT_VALID << 12)) |
                                (USBFS_TYPE_CONTROL << 9) | USBFS_EPR_CTR_TX));  /* CTR_RX cleared */
    assert_int_equal(usbfs_host_out(&u, 5, 0, false, NULL, 0), USBFS_ACK);
    assert_false(u.epr[0] & USBFS_EPR_SETUP);
}

/* 30.6.1 ISTR.RESET: reception and transmission stay disabled until software
 * clears RESET, even with EF and the endpoints set up again. */
static void test_deaf_while_reset_pending(void **state)
{
    (void)state;
    const uint8_t s[8] = {0x80, 6, 0, 1, 0, 0, 18, 0};
    uint8_t buf[64];
    uint16_t len;
    bool d1;
    usbfs_host_bus_reset(&u);
    wr(USBFS_DADDR, USBFS_DADDR_EF | 5u);  /* the driver's reset handler, RESET not cleared yet */
    epr_set(0, USBFS_TYPE_CONTROL << 9, USBFS_STAT_VALID, USBFS_STAT_VALID, false, false);
    epr_set(1, (USBFS_TYPE_BULK << 9) | 2u, USBFS_STAT_VALID, USBFS_STAT_VALID, false, false);
    assert_int_equal(usbfs_host_setup(&u, 5, s), USBFS_TIMEOUT);
    assert_int_equal(usbfs_host_out(&u, 5, 2, false, buf, 4), USBFS_TIMEOUT);
    assert_int_equal(usbfs_host_in(&u, 5, 2, buf, 64, &len, &d1), USBFS_TIMEOUT);
    wr(USBFS_ISTR, (uint16_t)~USBFS_ISTR_RESET);  /* rc_w0 */
    assert_int_equal(usbfs_host_setup(&u, 5, s), USBFS_ACK);
    assert_int_equal(usbfs_host_out(&u, 5, 2, false, buf, 4), USBFS_ACK);
}

/* FNR counts SOFs, LCK after two, RXDP while attached; SOF flag in ISTR */
static void test_fnr_sof(void **state)
{
    (void)state;
    assert_true(rd(USBFS_FNR) & (1u << 15));
    usbfs_host_sof(&u);
    assert_int_equal(rd(USBFS_FNR) & 0x7FFu, 1);
    assert_false(rd(USBFS_FNR) & (1u << 13));
    usbfs_host_sof(&u);
    assert_true(rd(USBFS_FNR) & (1u << 13));
    assert_true(rd(USBFS_ISTR) & USBFS_ISTR_SOF);
    wr(USBFS_FNR, 0);
    assert_int_equal(rd(USBFS_FNR) & 0x7FFu, 2);  /* read-only */
}

/* BCDR: DPPU and the enable bits are writable, status bits 4..7 read 0 */
static void test_bcdr(void **state)
{
    (void)state;
    wr(USBFS_BCDR, 0xFFFFu);
    assert_int_equal(rd(USBFS_BCDR), USBFS_BCDR_DPPU | 0x000Fu);
}

/* isochronous and double-buffered endpoints are not modelled: refused, counted */
static void test_unsupported_modes(void **state)
{
    (void)state;
    const uint8_t d[1] = {0};
    epr_set(1, (USBFS_TYPE_ISO << 9) | 2u, USBFS_STAT_VALID, USBFS_STAT_NAK, false, false);
    assert_int_equal(usbfs_host_out(&u, 5, 2, false, d, 1), USBFS_TIMEOUT);
    epr_set(1, (USBFS_TYPE_BULK << 9) | USBFS_EPR_EP_KIND | 2u, USBFS_STAT_VALID, USBFS_STAT_NAK,
            false, false);
    assert_int_equal(usbfs_host_out(&u, 5, 2, false, d, 1), USBFS_TIMEOUT);
    assert_int_equal(u.unsupported, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reset_values),
        cmocka_unit_test(test_epr_write_semantics),
        cmocka_unit_test(test_istr),
        cmocka_unit_test(test_cntr_and_irq),
        cmocka_unit_test(test_btable_sizes),
        cmocka_unit_test(test_access_widths),
        cmocka_unit_test_setup(test_setup, setup_dev),
        cmocka_unit_test_setup(test_setup_refused, setup_dev),
        cmocka_unit_test_setup(test_out, setup_dev),
        cmocka_unit_test_setup(test_out_toggle_mismatch, setup_dev),
        cmocka_unit_test_setup(test_out_too_long, setup_dev),
        cmocka_unit_test_setup(test_status_out, setup_dev),
        cmocka_unit_test_setup(test_in, setup_dev),
        cmocka_unit_test_setup(test_bus_reset, setup_dev),
        cmocka_unit_test_setup(test_setup_bit_frozen_while_ctr_rx, setup_dev),
        cmocka_unit_test_setup(test_deaf_while_reset_pending, setup_dev),
        cmocka_unit_test_setup(test_fnr_sof, setup_dev),
        cmocka_unit_test_setup(test_bcdr, setup_dev),
        cmocka_unit_test_setup(test_unsupported_modes, setup_dev),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
