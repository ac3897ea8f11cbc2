/* model_usbfs.c - see model_usbfs.h (RM0091 ch. 30 rules, one place each).
 * Layer: tests/unit; cmocka asserts flag accesses the hardware would not
 * take (odd packet-memory addresses, unmodelled registers). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "model_usbfs.h"
#include "port/stm32f072/stm32f072.h"

#define M_STAT_TX 0x0030u
#define M_DTOG_TX 0x0040u
#define M_CTR_TX  0x0080u
#define M_KIND    0x0100u
#define M_TYPE    0x0600u
#define M_SETUP   0x0800u
#define M_STAT_RX 0x3000u
#define M_DTOG_RX 0x4000u
#define M_CTR_RX  0x8000u
#define M_EA      0x000Fu
#define M_TYPE_CONTROL 1u    /* EP_TYPE 01, RM0091 30.6.2 */

uint16_t model_usbfs_epr[8];
uint16_t model_usbfs_istr;
uint16_t model_usbfs_reg[0x60 / 2];
uint16_t model_usbfs_pma[1024 / 2];
int model_usbfs_race_ep = -1;
unsigned model_usbfs_setup_at_pma;
unsigned model_usbfs_setup_at_epr0;
uint8_t model_usbfs_setup_bytes[8];
int model_usbfs_setup_result = -1;
static uint32_t model_sink32;   /* RCC/NVIC writes land here */

#define EPR model_usbfs_epr
#define BTABLE_REG model_usbfs_reg[0x50 / 2]
#define DADDR_REG  model_usbfs_reg[0x4C / 2]

/* RM0091 30.6.1 DADDR.EF: with the function disabled the peripheral answers
 * no token; 30.6.1 ISTR.RESET: reception and transmission stay disabled until
 * the CPU has cleared RESET. */
static bool deaf(void)
{
    return (DADDR_REG & USB_DADDR_EF) == 0u || (model_usbfs_istr & USB_ISTR_RESET) != 0u;
}

void model_usbfs_reset(void)
{
    memset(EPR, 0xA5, sizeof EPR);   /* garbage a driver's reset must clear */
    memset(model_usbfs_pma, 0x5A, sizeof model_usbfs_pma);
    memset(model_usbfs_reg, 0, sizeof model_usbfs_reg);
    model_usbfs_istr = 0;
    model_usbfs_race_ep = -1;
    model_usbfs_setup_at_pma = 0;
    model_usbfs_setup_at_epr0 = 0;
    model_usbfs_setup_result = -1;
}

uint16_t model_usbfs_epr_write(uint16_t reg, uint16_t w)
{
    const uint16_t toggle = M_STAT_TX | M_DTOG_TX | M_STAT_RX | M_DTOG_RX;
    const uint16_t rcw0 = M_CTR_TX | M_CTR_RX;
    const uint16_t plain = M_EA | M_KIND | M_TYPE;
    uint16_t r = reg;
    r = (uint16_t)((r & ~plain) | (w & plain));
    r = (uint16_t)(r ^ (w & toggle));
    r = (uint16_t)(r & ~(rcw0 & ~w));
    return r;  /* SETUP (read-only) unchanged */
}

unsigned model_usbfs_stat_tx(unsigned n) { return (EPR[n] >> 4) & 3u; }
unsigned model_usbfs_stat_rx(unsigned n) { return (EPR[n] >> 12) & 3u; }
unsigned model_usbfs_dtog_tx(unsigned n) { return (EPR[n] >> 6) & 1u; }
unsigned model_usbfs_dtog_rx(unsigned n) { return (EPR[n] >> 14) & 1u; }

static void set_field(unsigned n, uint16_t mask, unsigned shift, unsigned v)
{
    EPR[n] = (uint16_t)((EPR[n] & ~mask) | ((v << shift) & mask));
}

/* BTABLE entry i of EPnR n, at USB_BTABLE (RM0091 30.6.3; bits 2:0 of BTABLE are 0) */
static uint16_t *bt(unsigned n, unsigned i)
{
    unsigned off = (BTABLE_REG & 0xFFF8u) + 8u * n + 2u * i;
    assert_true(off + 1u < sizeof model_usbfs_pma);
    return &model_usbfs_pma[off / 2u];
}

uint16_t model_usbfs_bt(unsigned n, unsigned i) { return *bt(n, i); }
void model_usbfs_bt_set(unsigned n, unsigned i, uint16_t v) { *bt(n, i) = v; }

void model_usbfs_pma_put(uint16_t off, const uint8_t *d, uint16_t len)
{
    assert_true((unsigned)off + len <= sizeof model_usbfs_pma);
    for (uint16_t i = 0; i < len; i++) {
        uint16_t *w = &model_usbfs_pma[(off + i) / 2u];
        if ((off + i) & 1u) {
            *w = (uint16_t)((*w & 0x00FFu) | (d[i] << 8));
        } else {
            *w = (uint16_t)((*w & 0xFF00u) | d[i]);
        }
    }
}

void model_usbfs_pma_get(uint16_t off, uint8_t *d, uint16_t len)
{
    assert_true((unsigned)off + len <= sizeof model_usbfs_pma);
    for (uint16_t i = 0; i < len; i++) {
        uint16_t w = model_usbfs_pma[(off + i) / 2u];
        d[i] = (uint8_t)(((off + i) & 1u) ? (w >> 8) : w);
    }
}

/* COUNTn_RX bits 15:10: the reception buffer's size (RM0091 30.6.3, table "Definition of
 * allocated buffer memory"); NUM_BLOCK 0 with BL_SIZE 0 is not allowed: size 0. */
static unsigned rx_capacity(uint16_t count_rx)
{
    unsigned nb = (count_rx >> 10) & 0x1Fu;
    return (count_rx & 0x8000u) ? 32u * (nb + 1u) : 2u * nb;
}

/* ---------------------------------------------------------------- tokens */

model_usbfs_hs_t model_usbfs_setup(const uint8_t s[8])
{
    if (deaf() || ((EPR[0] >> 9) & 3u) != M_TYPE_CONTROL || model_usbfs_stat_rx(0) == 0u) {
        return MODEL_USBFS_NONE;   /* not a control endpoint / disabled: ignored */
    }
    if (EPR[0] & M_CTR_RX) {
        return MODEL_USBFS_NONE;   /* earlier reception not yet acknowledged: discarded */
    }
    assert_true(rx_capacity(*bt(0, 3)) >= 8u);
    model_usbfs_pma_put(*bt(0, 2), s, 8);
    *bt(0, 3) = (uint16_t)((*bt(0, 3) & 0xFC00u) | 8u);
    set_field(0, M_STAT_TX, 4, 2u);          /* NAK */
    set_field(0, M_STAT_RX, 12, 2u);         /* NAK */
    /* DTOG_TX 1, DTOG_RX 0 for the SETUP's DATA0, which then flips it to 1 */
    EPR[0] = (uint16_t)(EPR[0] | M_DTOG_TX | M_DTOG_RX | M_SETUP | M_CTR_RX);
    return MODEL_USBFS_ACK;
}

model_usbfs_hs_t model_usbfs_in(unsigned n, uint8_t *d, uint16_t room, uint16_t *len, unsigned *pid)
{
    assert_true(n < 8u);
    *len = 0;
    if (deaf()) {
        return MODEL_USBFS_NONE;
    }
    switch (model_usbfs_stat_tx(n)) {
    case 3u: break;
    case 2u: return MODEL_USBFS_NAK;
    case 1u: return MODEL_USBFS_STALL;
    default: return MODEL_USBFS_NONE;
    }
    uint16_t count = (uint16_t)(*bt(n, 1) & 0x3FFu);
    assert_true(count <= room);
    model_usbfs_pma_get(*bt(n, 0), d, count);
    *len = count;
    *pid = model_usbfs_dtog_tx(n);
    EPR[n] ^= M_DTOG_TX;
    set_field(n, M_STAT_TX, 4, 2u);
    EPR[n] |= M_CTR_TX;
    return MODEL_USBFS_ACK;
}

model_usbfs_hs_t model_usbfs_out(unsigned n, const uint8_t *d, uint16_t len, unsigned *pid)
{
    assert_true(n < 8u);
    if (deaf()) {
        return MODEL_USBFS_NONE;
    }
    switch (model_usbfs_stat_rx(n)) {
    case 3u: break;
    case 2u: return MODEL_USBFS_NAK;
    case 1u: return MODEL_USBFS_STALL;
    default: return MODEL_USBFS_NONE;
    }
    assert_true(len <= rx_capacity(*bt(n, 3)));
    model_usbfs_pma_put(*bt(n, 2), d, len);
    *bt(n, 3) = (uint16_t)((*bt(n, 3) & 0xFC00u) | len);
    *pid = model_usbfs_dtog_rx(n);
    EPR[n] ^= M_DTOG_RX;
    set_field(n, M_STAT_RX, 12, 2u);
    if ((EPR[n] & M_CTR_RX) == 0u) {
        EPR[n] = (uint16_t)(EPR[n] & ~M_SETUP);   /* SETUP frozen while CTR_RX is 1 */
    }
    EPR[n] |= M_CTR_RX;
    return MODEL_USBFS_ACK;
}

/* RM0091 30.6.1 (ISTR.RESET): a USB reset resets the function address and the
 * endpoint registers; the other configuration registers keep their values. */
void model_usbfs_bus_reset(void)
{
    memset(EPR, 0, sizeof EPR);
    DADDR_REG = 0;
    model_usbfs_istr |= USB_ISTR_RESET;
}

bool model_usbfs_irq_pending(void)
{
    if (model_usbfs_istr & (USB_ISTR_RESET | USB_ISTR_SUSP | USB_ISTR_WKUP)) {
        return true;
    }
    for (unsigned n = 0; n < 8u; n++) {
        if (EPR[n] & (M_CTR_RX | M_CTR_TX)) {
            return true;
        }
    }
    return false;
}

/* ------------------------------------------------ register hooks (stm32f072.h) */

volatile uint32_t *stm32_test_reg32(uint32_t addr)
{
    (void)addr;
    return &model_sink32;
}

volatile uint16_t *stm32_test_reg16(uint32_t addr)
{
    if (addr >= USB_PMA_BASE && addr < USB_PMA_BASE + sizeof model_usbfs_pma) {
        assert_int_equal(addr & 1u, 0);  /* half-word accesses only (RM0091 30.5.3) */
        uint16_t off = (uint16_t)(addr - USB_PMA_BASE);
        uint16_t rx0 = *bt(0, 2);
        if (model_usbfs_setup_at_pma != 0u && off >= rx0 && off < rx0 + 64u &&
            --model_usbfs_setup_at_pma == 0u) {
            model_usbfs_setup_result = (int)model_usbfs_setup(model_usbfs_setup_bytes);
        }
        return (volatile uint16_t *)&model_usbfs_pma[off / 2u];
    }
    assert_true(addr >= USB_BASE + 0x40u && addr < USB_BASE + 0x60u);
    assert_int_not_equal(addr, USB_BASE + 0x44u);  /* ISTR only via its accessor */
    return (volatile uint16_t *)&model_usbfs_reg[(addr - USB_BASE) / 2u];
}

uint16_t stm32_test_epr_read(unsigned n)
{
    assert_true(n < 8u);
    uint16_t r = EPR[n];
    if (n == 0u && model_usbfs_setup_at_epr0 != 0u && --model_usbfs_setup_at_epr0 == 0u) {
        model_usbfs_setup_result = (int)model_usbfs_setup(model_usbfs_setup_bytes);
    }
    if (model_usbfs_race_ep == (int)n) {
        model_usbfs_race_ep = -1;
        if (model_usbfs_stat_rx(n) == 3u) {   /* OUT packet received */
            set_field(n, M_STAT_RX, 12, 2u);
            EPR[n] = (uint16_t)((EPR[n] ^ M_DTOG_RX) | M_CTR_RX);
        }
        if (model_usbfs_stat_tx(n) == 3u) {   /* IN packet sent */
            set_field(n, M_STAT_TX, 4, 2u);
            EPR[n] = (uint16_t)((EPR[n] ^ M_DTOG_TX) | M_CTR_TX);
        }
    }
    return r;
}

void stm32_test_epr_write(unsigned n, uint16_t v)
{
    assert_true(n < 8u);
    EPR[n] = model_usbfs_epr_write(EPR[n], v);
}

uint16_t stm32_test_istr_read(void)
{
    uint16_t r = (uint16_t)(model_usbfs_istr & ~(USB_ISTR_CTR | USB_ISTR_EP_ID_Msk | 0x10u));
    for (unsigned n = 0; n < 8u; n++) {
        if (EPR[n] & (M_CTR_RX | M_CTR_TX)) {
            /* DIR (bit 4): 1 when CTR_RX is set (RM0091 30.6.1) */
            r = (uint16_t)(r | USB_ISTR_CTR | n | ((EPR[n] & M_CTR_RX) ? 0x10u : 0u));
            break;
        }
    }
    return r;
}

void stm32_test_istr_write(uint16_t v)
{
    model_usbfs_istr &= v;  /* rc_w0; CTR, DIR and EP_ID are read-only */
}
