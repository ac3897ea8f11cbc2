/* usbfs_hooks.c - see usbfs_hooks.h: stm32f072.h's unit-test register hooks
 * on sim/chip/usbfs.c, and a one-token-at-a-time host.
 * Layer: tests/unit; cmocka asserts flag an access the peripheral refuses
 * (usbfs_reg_* / usbfs_pma_* return false) and a babbling IN. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "port/stm32f072/stm32f072.h"
#include "usbfs_hooks.h"

usbfs_t usbfs_hooks_dev;
int usbfs_hooks_race_ep = -1;
unsigned usbfs_hooks_setup_at_pma;
unsigned usbfs_hooks_setup_at_epr0;
uint8_t usbfs_hooks_setup_bytes[8];
int usbfs_hooks_setup_result = -1;

#define D (&usbfs_hooks_dev)
static uint32_t sink32;   /* RCC/NVIC writes land here */

/* Shadow cells for what REG16() reaches through a pointer (see the header). */
static const uint32_t shadow_off[] = {USBFS_CNTR, USBFS_FNR, USBFS_DADDR, USBFS_BTABLE,
                                      USBFS_LPMCSR, USBFS_BCDR};
#define N_SHADOW (sizeof shadow_off / sizeof shadow_off[0])
static uint16_t reg_cell[N_SHADOW], reg_seen[N_SHADOW];
static uint16_t pma_cell[USBFS_PMA_SIZE / 2u], pma_seen[USBFS_PMA_SIZE / 2u];

/* CPU writes made through a pointer since the last call reach the model. */
static void push(void)
{
    for (unsigned i = 0; i < N_SHADOW; i++) {
        if (reg_cell[i] != reg_seen[i]) {
            assert_true(usbfs_reg_write(D, shadow_off[i], 2, reg_cell[i]));
        }
    }
    for (unsigned i = 0; i < USBFS_PMA_SIZE / 2u; i++) {
        if (pma_cell[i] != pma_seen[i]) {
            assert_true(usbfs_pma_write(D, 2u * i, 2, pma_cell[i]));
        }
    }
}

/* The cells show the model's state again. */
static void pull(void)
{
    for (unsigned i = 0; i < N_SHADOW; i++) {
        uint32_t v = 0;
        assert_true(usbfs_reg_read(D, shadow_off[i], 2, &v));
        reg_cell[i] = reg_seen[i] = (uint16_t)v;
    }
    for (unsigned i = 0; i < USBFS_PMA_SIZE / 2u; i++) {
        uint32_t v = 0;
        assert_true(usbfs_pma_read(D, 2u * i, 2, &v));
        pma_cell[i] = pma_seen[i] = (uint16_t)v;
    }
}

void usbfs_hooks_reset(void)
{
    usbfs_reset(D);
    memset(D->pma, 0x5A, sizeof D->pma);   /* garbage a driver must not rely on */
    usbfs_hooks_race_ep = -1;
    usbfs_hooks_setup_at_pma = 0;
    usbfs_hooks_setup_at_epr0 = 0;
    usbfs_hooks_setup_result = -1;
    pull();
}

uint16_t usbfs_hooks_epr_write(uint16_t reg, uint16_t w)
{
    static usbfs_t scratch;
    scratch.epr[0] = reg;
    assert_true(usbfs_reg_write(&scratch, USBFS_EPR(0), 2, w));
    return scratch.epr[0];
}

bool usbfs_hooks_irq_pending(void)
{
    push();
    pull();
    return usbfs_irq(D);
}

uint16_t *usbfs_hooks_field(uint32_t off)
{
    push();
    pull();
    switch (off) {
    case USBFS_CNTR:  return &D->cntr;
    case USBFS_DADDR: return &D->daddr;
    case USBFS_BCDR:  return &D->bcdr;
    default:          fail_msg("no test view of USB register 0x%02x", (unsigned)off);
    }
    return NULL;
}

unsigned usbfs_hooks_stat_tx(unsigned n) { return (D->epr[n] >> 4) & 3u; }
unsigned usbfs_hooks_stat_rx(unsigned n) { return (D->epr[n] >> 12) & 3u; }
unsigned usbfs_hooks_dtog_tx(unsigned n) { return (D->epr[n] >> 6) & 1u; }
unsigned usbfs_hooks_dtog_rx(unsigned n) { return (D->epr[n] >> 14) & 1u; }

/* BTABLE entry i of EPnR n, in packet memory at BTABLE (RM0091 30.6.3) */
static uint32_t bt_off(unsigned n, unsigned i)
{
    uint32_t off = (uint32_t)(D->btable & 0xFFF8u) + 8u * n + 2u * i;
    assert_true(off + 1u < USBFS_PMA_SIZE);
    return off;
}

uint16_t usbfs_hooks_bt(unsigned n, unsigned i)
{
    push();
    pull();
    return pma_cell[bt_off(n, i) / 2u];
}

void usbfs_hooks_bt_set(unsigned n, unsigned i, uint16_t v)
{
    push();
    assert_true(usbfs_pma_write(D, bt_off(n, i), 2, v));
    pull();
}

void usbfs_hooks_pma_put(uint16_t off, const uint8_t *d, uint16_t len)
{
    push();
    for (uint16_t i = 0; i < len; i++) {
        assert_true(usbfs_pma_write(D, (uint32_t)off + i, 1, d[i]));
    }
    pull();
}

void usbfs_hooks_pma_get(uint16_t off, uint8_t *d, uint16_t len)
{
    push();
    for (uint16_t i = 0; i < len; i++) {
        uint32_t v = 0;
        assert_true(usbfs_pma_read(D, (uint32_t)off + i, 1, &v));
        d[i] = (uint8_t)v;
    }
    pull();
}

/* ---------------------------------------------------------------- the host */

static uint8_t host_addr(void)
{
    return (uint8_t)(D->daddr & 0x7Fu);   /* the address the device took */
}

static usbfs_result_t do_setup(const uint8_t s[8])
{
    return usbfs_host_setup(D, host_addr(), s);
}

static usbfs_result_t do_out(unsigned n, const uint8_t *d, uint16_t len, unsigned *pid)
{
    bool data1 = (D->epr[n] & USBFS_EPR_DTOG_RX) != 0u;  /* the PID it expects */
    *pid = data1 ? 1u : 0u;
    return usbfs_host_out(D, host_addr(), (uint8_t)n, data1, d, len);
}

static usbfs_result_t do_in(unsigned n, uint8_t *d, uint16_t room, uint16_t *len, unsigned *pid)
{
    bool data1 = false;
    usbfs_result_t r = usbfs_host_in(D, host_addr(), (uint8_t)n, d, room, len, &data1);
    assert_int_not_equal(r, USBFS_OVERFLOW);  /* our host always offers a whole packet's room */
    *pid = data1 ? 1u : 0u;
    return r;
}

usbfs_result_t usbfs_hooks_setup(const uint8_t s[8])
{
    push();
    usbfs_result_t r = do_setup(s);
    pull();
    return r;
}

usbfs_result_t usbfs_hooks_out(unsigned n, const uint8_t *d, uint16_t len, unsigned *pid)
{
    assert_true(n < USBFS_NUM_EPR);
    push();
    usbfs_result_t r = do_out(n, d, len, pid);
    pull();
    return r;
}

usbfs_result_t usbfs_hooks_in(unsigned n, uint8_t *d, uint16_t room, uint16_t *len, unsigned *pid)
{
    assert_true(n < USBFS_NUM_EPR);
    push();
    usbfs_result_t r = do_in(n, d, room, len, pid);
    pull();
    return r;
}

void usbfs_hooks_bus_reset(void)
{
    push();
    usbfs_host_bus_reset(D);
    pull();
}

/* ------------------------------------------- register hooks (stm32f072.h) */

volatile uint32_t *stm32_test_reg32(uint32_t addr)
{
    (void)addr;
    return &sink32;
}

volatile uint16_t *stm32_test_reg16(uint32_t addr)
{
    push();
    if (addr >= USB_PMA_BASE && addr < USB_PMA_BASE + USBFS_PMA_SIZE) {
        uint32_t off = addr - USB_PMA_BASE;
        uint32_t v;
        assert_true(usbfs_pma_read(D, off, 2, &v));  /* a half-word access the peripheral takes */
        uint32_t rx0 = pma_cell[bt_off(0, 2) / 2u];
        if (usbfs_hooks_setup_at_pma != 0u && off >= rx0 && off < rx0 + 64u &&
            --usbfs_hooks_setup_at_pma == 0u) {
            usbfs_hooks_setup_result = (int)do_setup(usbfs_hooks_setup_bytes);
        }
        pull();
        return &pma_cell[off / 2u];
    }
    assert_true(addr >= USB_BASE + USBFS_CNTR && addr < USB_BASE + 0x5Cu);
    assert_int_not_equal(addr, USB_BASE + USBFS_ISTR);  /* ISTR only via its accessor */
    pull();
    for (unsigned i = 0; i < N_SHADOW; i++) {
        if (USB_BASE + shadow_off[i] == addr) {
            return &reg_cell[i];
        }
    }
    fail_msg("USB register 0x%08x is not modelled", (unsigned)addr);
    return NULL;
}

uint16_t stm32_test_epr_read(unsigned n)
{
    assert_true(n < USBFS_NUM_EPR);
    push();
    uint32_t v = 0;
    assert_true(usbfs_reg_read(D, USBFS_EPR(n), 2, &v));
    if (n == 0u && usbfs_hooks_setup_at_epr0 != 0u && --usbfs_hooks_setup_at_epr0 == 0u) {
        usbfs_hooks_setup_result = (int)do_setup(usbfs_hooks_setup_bytes);
    }
    if (usbfs_hooks_race_ep == (int)n) {
        usbfs_hooks_race_ep = -1;
        unsigned pid;
        uint8_t junk[USBFS_PMA_SIZE];
        uint16_t len;
        if (usbfs_hooks_stat_rx(n) == USBFS_STAT_VALID) {
            (void)do_out(n, NULL, 0, &pid);               /* a ZLP lands */
        }
        if (usbfs_hooks_stat_tx(n) == USBFS_STAT_VALID) {
            (void)do_in(n, junk, sizeof junk, &len, &pid); /* the armed packet goes out */
        }
    }
    pull();
    return (uint16_t)v;
}

void stm32_test_epr_write(unsigned n, uint16_t v)
{
    assert_true(n < USBFS_NUM_EPR);
    push();
    assert_true(usbfs_reg_write(D, USBFS_EPR(n), 2, v));
    pull();
}

uint16_t stm32_test_istr_read(void)
{
    push();
    uint32_t v = 0;
    assert_true(usbfs_reg_read(D, USBFS_ISTR, 2, &v));
    pull();
    return (uint16_t)v;
}

void stm32_test_istr_write(uint16_t v)
{
    push();
    assert_true(usbfs_reg_write(D, USBFS_ISTR, 2, v));
    pull();
}
