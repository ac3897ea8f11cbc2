/*
 * chip_rcc.c - STM32F072 reset and clock control (RM0091 6.4), base
 * 0x40021000.
 *
 * Layer: sim/chip (host only), plain C.
 * Rules: oscillators are ready as soon as they are switched on (no start-up
 * time): CR.HSIRDY follows HSION, CR.PLLRDY follows PLLON, CR2.HSI48RDY
 * follows HSI48ON, CR2.HSI14RDY follows HSI14ON, CSR.LSIRDY follows LSION
 * or a running IWDG (RM0091 26.3.1: starting it forces the LSI on);
 * there is no crystal on the modelled board, so HSERDY never sets.
 * CFGR.SWS follows SW when the selected source is ready (HSI 00, HSE 01,
 * PLL 10, HSI48 11), else keeps the old source. HCLK = SYSCLK / HPRE.
 * Reset values: CR 0x00000083 (HSION, HSIRDY, HSITRIM 16), AHBENR 0x14
 * (SRAMEN, FLITFEN), CSR flags PORRSTF|PINRSTF after power-on, SFTRSTF after
 * AIRCR.SYSRESETREQ, IWDGRSTF after an IWDG expiry; CSR.RMVF (bit 24) clears them. Enable and reset
 * registers are plain read/write. Half-word and word accesses.
 * Limits: PLL from HSI/2 or HSI48/PREDIV only as frequency arithmetic; MCO,
 * RTC domain (BDCR) stored but not modelled; clock security system absent.
 */
#include "chip_periph.h"

static uint32_t cr, cfgr, cir, apb2rstr, apb1rstr, ahbenr, apb2enr, apb1enr, bdcr, csr;
static uint32_t ahbrstr, cfgr2, cfgr3, cr2;

void chip_rcc_note_reset(chip_reset_kind_t kind)
{
    switch (kind) {
    case CHIP_RESET_POWER_ON: csr |= (1u << 27) | (1u << 26); break;  /* PORRSTF, PINRSTF */
    case CHIP_RESET_SOFTWARE: csr |= 1u << 28; break;                 /* SFTRSTF */
    case CHIP_RESET_IWDG:     csr |= 1u << 29; break;                 /* IWDGRSTF */
    case CHIP_RESET_PIN:      csr |= 1u << 26; break;                 /* PINRSTF (NRST low) */
    }
}

void chip_rcc_reset(bool power_on)
{
    cr = 0x00000083u;
    cfgr = cir = apb2rstr = apb1rstr = apb2enr = apb1enr = 0;
    ahbenr = 0x14u;
    ahbrstr = cfgr2 = cfgr3 = cr2 = 0;
    if (power_on) {
        bdcr = 0;
        csr = 0;
    }
    csr &= 0xFF000000u;  /* LSI off; reset flags survive a system reset */
    chip_time_set_hz(8000000u);
}

static bool ready(unsigned src)
{
    switch (src) {
    case 0: return (cr & 2u) != 0u;
    case 1: return (cr & (1u << 17)) != 0u;
    case 2: return (cr & (1u << 25)) != 0u;
    default: return (cr2 & (1u << 17)) != 0u;
    }
}

uint32_t chip_rcc_sysclk_hz(void)
{
    switch ((cfgr >> 2) & 3u) {
    case 0: return 8000000u;
    case 1: return 8000000u;  /* no HSE here; unreachable (never ready) */
    case 2: {
        unsigned mul = ((cfgr >> 18) & 0xFu) + 2u;
        unsigned src = (cfgr >> 15) & 3u;
        uint32_t in = src == 3u ? 48000000u / ((cfgr2 & 0xFu) + 1u)
                                : src == 0u ? 4000000u : 8000000u / ((cfgr2 & 0xFu) + 1u);
        return in * (mul > 16u ? 16u : mul);
    }
    default: return 48000000u;
    }
}

uint32_t chip_rcc_hclk_hz(void)
{
    unsigned hpre = (cfgr >> 4) & 0xFu;
    static const uint16_t div[8] = {2, 4, 8, 16, 64, 128, 256, 512};
    uint32_t s = chip_rcc_sysclk_hz();
    return hpre < 8u ? s : s / div[hpre - 8u];
}

bool chip_rcc_ahb_on(unsigned bit) { return (ahbenr >> bit) & 1u; }
bool chip_rcc_apb1_on(unsigned bit) { return (apb1enr >> bit) & 1u; }
bool chip_rcc_apb2_on(unsigned bit) { return (apb2enr >> bit) & 1u; }
bool chip_rcc_usb_in_reset(void) { return (apb1rstr >> 23) & 1u; }

static uint32_t *reg(uint32_t off)
{
    switch (off) {
    case 0x00: return &cr;
    case 0x04: return &cfgr;
    case 0x08: return &cir;
    case 0x0C: return &apb2rstr;
    case 0x10: return &apb1rstr;
    case 0x14: return &ahbenr;
    case 0x18: return &apb2enr;
    case 0x1C: return &apb1enr;
    case 0x20: return &bdcr;
    case 0x24: return &csr;
    case 0x28: return &ahbrstr;
    case 0x2C: return &cfgr2;
    case 0x30: return &cfgr3;
    case 0x34: return &cr2;
    default: return NULL;
    }
}

bool chip_rcc_read(uint32_t off, unsigned size, uint32_t *val)
{
    uint32_t *r = reg(off & ~3u);
    if (r == NULL || size == 1u || (off & (size - 1u)) != 0u) {
        return false;
    }
    uint32_t rv = *r;
    if (r == &csr && chip_iwdg_running()) {
        rv |= 2u;  /* LSIRDY */
    }
    *val = (rv >> (8u * (off & 3u))) & (size == 4u ? 0xFFFFFFFFu : 0xFFFFu);
    return true;
}

static void update(void)
{
    /* ready flags follow their enables */
    cr = (cr & ~((1u << 1) | (1u << 17) | (1u << 25))) | ((cr & 1u) << 1) | ((cr & (1u << 24)) << 1);
    cr2 = (cr2 & ~((1u << 1) | (1u << 17))) | ((cr2 & 1u) << 1) | ((cr2 & (1u << 16)) << 1);
    csr = (csr & ~2u) | ((csr & 1u) << 1);
    unsigned sw = cfgr & 3u;
    if (ready(sw)) {
        cfgr = (cfgr & ~0xCu) | (sw << 2);
    }
    uint32_t hz = chip_rcc_hclk_hz();
    if (hz > 24000000u && chip_flash_latency() == 0u) {
        /* RM0091 3.2.1: above 24 MHz the flash needs one wait state; the
         * silicon would fetch garbage. */
        chip_periph_fail("SYSCLK above 24 MHz with FLASH_ACR.LATENCY = 0 (RM0091 3.2.1)");
    }
    chip_time_set_hz(hz);
}

bool chip_rcc_write(uint32_t off, unsigned size, uint32_t v)
{
    uint32_t *r = reg(off & ~3u);
    if (r == NULL || size == 1u || (off & (size - 1u)) != 0u) {
        return false;
    }
    unsigned sh = 8u * (off & 3u);
    uint32_t m = (size == 4u ? 0xFFFFFFFFu : 0xFFFFu) << sh;
    uint32_t nv = (*r & ~m) | ((v << sh) & m);
    if (r == &csr) {
        nv = (nv & 0x01FFFFFFu) | (csr & 0xFE000000u);  /* flags are set by resets only */
        if (nv & (1u << 24)) {
            nv &= 0x00FFFFFFu & ~(1u << 24);  /* RMVF clears the reset flags */
        }
    }
    bool usb_was = chip_rcc_usb_in_reset();
    *r = nv;
    update();
    if (chip_rcc_usb_in_reset() && !usb_was) {
        usbfs_reset(chip_bus_usb());  /* APB1RSTR.USBRST: USB registers to reset values */
    }
    chip_periph_attention = true;
    return true;
}
