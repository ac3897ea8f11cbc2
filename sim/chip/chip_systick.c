/*
 * chip_systick.c - the Cortex-M0 SysTick timer (ARMv6-M ARM B3.3), base
 * 0xE000E010: CSR, RVR, CVR, CALIB.
 *
 * Layer: sim/chip (host only), plain C; time from chip_now_ns().
 * Rules: a 24-bit down counter clocked by the processor clock (CSR.CLKSOURCE
 * = 1) or the STM32's reference HCLK/8 (CLKSOURCE = 0, RM0091 6.2); counting
 * from 1 to 0 sets CSR.COUNTFLAG and, with TICKINT, pends SysTick; the next
 * clock reloads RVR. RVR = 0 stops it after the current count. Writing CVR
 * (any value) clears it to 0 and clears COUNTFLAG; reading CSR clears
 * COUNTFLAG. CALIB reads 6000 (TENMS for the 6 MHz HCLK/8 reference,
 * RM0091 / PM0215 "SysTick calibration value"). Word accesses only.
 * The counter is computed from time, not stepped: cost is per access.
 */
#include "chip_periph.h"

static uint32_t csr;        /* ENABLE[0], TICKINT[1], CLKSOURCE[2] */
static bool countflag;
static uint32_t rvr;
static uint32_t c0;         /* counter value at base_ns */
static uint64_t base_ns;
static uint64_t wraps_seen;

static uint32_t clk_hz(void)
{
    uint32_t h = chip_rcc_hclk_hz();
    return (csr & 4u) ? h : h / 8u;
}

static uint64_t elapsed_counts(void)
{
    uint64_t now = chip_now_ns();
    return now > base_ns ? chip_time_counts(now - base_ns, clk_hz()) : 0u;
}

static uint64_t first_zero(void)
{
    return c0 > 0u ? c0 : (uint64_t)rvr + 1u;
}

static uint64_t wraps_at(uint64_t k)
{
    if (c0 == 0u && rvr == 0u) {
        return 0;
    }
    uint64_t z0 = first_zero();
    if (k < z0) {
        return 0;
    }
    if (rvr == 0u) {
        return 1;
    }
    return 1u + (k - z0) / ((uint64_t)rvr + 1u);
}

static uint32_t value_at(uint64_t k)
{
    if (k <= c0) {
        return (uint32_t)(c0 - k);
    }
    if (rvr == 0u) {
        return 0;
    }
    return rvr - (uint32_t)((k - c0 - 1u) % ((uint64_t)rvr + 1u));
}

static uint32_t current(void)
{
    return (csr & 1u) ? value_at(elapsed_counts()) : c0;
}

static void rebase(uint32_t value)
{
    c0 = value;
    base_ns = chip_now_ns();
    wraps_seen = 0;
}

void chip_systick_reset(void)
{
    csr = 0;
    countflag = false;
    rvr = 0;
    c0 = 0;
    base_ns = 0;
    wraps_seen = 0;
}

uint64_t chip_systick_update(void)
{
    if (!(csr & 1u)) {
        return 0;
    }
    uint64_t w = wraps_at(elapsed_counts());
    uint64_t n = w - wraps_seen;
    if (n != 0u) {
        wraps_seen = w;
        countflag = true;
        if (csr & 2u) {
            chip_nvic_set_pending(CHIP_EXC_SYSTICK);
        }
    }
    return n;
}

uint64_t chip_systick_next_ns(void)
{
    if (!(csr & 1u) || (rvr == 0u && (c0 == 0u || wraps_seen >= 1u))) {
        return UINT64_MAX;
    }
    uint64_t k = first_zero() + wraps_seen * ((uint64_t)rvr + 1u);
    return base_ns + chip_time_ns_of_counts(k, clk_hz());
}

bool chip_systick_read(uint32_t off, unsigned size, uint32_t *val)
{
    if (size != 4u) {
        return false;
    }
    (void)chip_systick_update();
    switch (off) {
    case 0x0:
        *val = csr | (countflag ? (1u << 16) : 0u);
        countflag = false;
        return true;
    case 0x4: *val = rvr; return true;
    case 0x8: *val = current(); return true;
    case 0xC: *val = 6000u; return true;
    default: return false;
    }
}

bool chip_systick_write(uint32_t off, unsigned size, uint32_t v)
{
    if (size != 4u) {
        return false;
    }
    (void)chip_systick_update();
    chip_periph_attention = true;
    switch (off) {
    case 0x0: {
        uint32_t now_val = current();
        csr = v & 7u;
        rebase(now_val);
        return true;
    }
    case 0x4: {
        uint32_t now_val = current();
        rvr = v & 0x00FFFFFFu;
        rebase(now_val);
        return true;
    }
    case 0x8:
        countflag = false;
        rebase(0);
        return true;
    case 0xC: return true;  /* CALIB read-only */
    default: return false;
    }
}
