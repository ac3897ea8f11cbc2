/*
 * chip_bus.c - the emulated STM32F072's peripheral bus: address decoding to
 * the models, peripheral clock gating, and the reason of a failed access.
 *
 * Layer: sim/chip (host only), plain C (no Unicorn: the CPU's MMIO callbacks
 * call in here, and so do the unit tests).
 * Map (RM0091 2.2.2 table 1): USB registers 0x40005C00, USB SRAM 0x40006000
 * (1 KB), IWDG 0x40003000, CRS 0x40006C00, SYSCFG 0x40010000, RCC 0x40021000, FLASH interface
 * 0x40022000, GPIOA..F 0x48000000 + 0x400 * n; system memory 0x1FFFC800; the
 * Cortex-M0 System Control Space: SysTick 0xE000E010, NVIC 0xE000E100, SCB
 * 0xE000ED00 (ARMv6-M B3).
 * Rule: a peripheral whose RCC enable bit is clear is not clocked; an access
 * to it is treated as a fault (the silicon would ignore writes and read 0:
 * either way it is a firmware bug we want reported, not hidden).
 * Anything not listed ends the run with "unmapped".
 */
#include <stdio.h>

#include "chip_periph.h"

static usbfs_t usb;
static char err[160];
static const char *failure;

usbfs_t *chip_bus_usb(void)
{
    return &usb;
}

const char *chip_bus_error(void)
{
    return err;
}

void chip_periph_fail(const char *why)
{
    if (failure == NULL) {
        failure = why;
    }
    chip_periph_attention = true;
}

const char *chip_periph_failure(void)
{
    return failure;
}

void chip_periph_clear_failure(void)
{
    failure = NULL;
}

void chip_periph_reset(bool power_on)
{
    chip_nvic_reset();
    chip_scb_reset();
    chip_systick_reset();
    chip_flash_reset();
    chip_rcc_reset(power_on);
    chip_crs_reset();
    chip_iwdg_reset();   /* every reset stops it (software watchdog option) */
    chip_syscfg_reset();
    chip_gpio_reset();
    usbfs_reset(&usb);
    if (power_on) {
        for (unsigned i = 0; i < USBFS_PMA_SIZE; i++) {
            usb.pma[i] = 0;
        }
    }
    err[0] = '\0';
    failure = NULL;
}

typedef enum { P_NONE, P_IWDG, P_USB, P_PMA, P_CRS, P_SYSCFG, P_RCC, P_FLASH, P_GPIO, P_SYSMEM,
               P_SYSTICK, P_NVIC, P_SCB } periph_t;

static periph_t decode(uint32_t a, uint32_t *off, unsigned *port, const char **name)
{
    if (a >= CHIP_SYSMEM_BASE && a < CHIP_SYSMEM_END) {
        *off = a; *name = "system memory"; return P_SYSMEM;
    }
    if (a >= 0x40003000u && a < 0x40003014u) {
        *off = a - 0x40003000u; *name = "IWDG"; return P_IWDG;  /* no RCC enable: LSI-clocked */
    }
    if (a >= 0x40005C00u && a < 0x40005C60u) {
        *off = a - 0x40005C00u; *name = "USB"; return P_USB;
    }
    if (a >= 0x40006000u && a < 0x40006400u) {
        *off = a - 0x40006000u; *name = "USB SRAM"; return P_PMA;
    }
    if (a >= 0x40006C00u && a < 0x40006C10u) {
        *off = a - 0x40006C00u; *name = "CRS"; return P_CRS;
    }
    if (a >= 0x40010000u && a < 0x40010004u) {
        *off = a - 0x40010000u; *name = "SYSCFG"; return P_SYSCFG;
    }
    if (a >= 0x40021000u && a < 0x40021038u) {
        *off = a - 0x40021000u; *name = "RCC"; return P_RCC;
    }
    if (a >= 0x40022000u && a < 0x40022004u) {
        *off = a - 0x40022000u; *name = "FLASH"; return P_FLASH;
    }
    if (a >= 0x48000000u && a < 0x48000000u + 0x400u * CHIP_GPIO_PORTS) {
        *port = (a - 0x48000000u) / 0x400u;
        *off = (a - 0x48000000u) % 0x400u;
        *name = "GPIO";
        return *off < 0x2Cu ? P_GPIO : P_NONE;
    }
    if (a >= 0xE000E010u && a < 0xE000E020u) {
        *off = a - 0xE000E010u; *name = "SysTick"; return P_SYSTICK;
    }
    if (a >= 0xE000E100u && a < 0xE000E420u) {
        *off = a - 0xE000E100u; *name = "NVIC"; return P_NVIC;
    }
    if (a >= 0xE000ED00u && a < 0xE000ED24u) {
        *off = a - 0xE000ED00u; *name = "SCB"; return P_SCB;
    }
    *name = "unmapped";
    return P_NONE;
}

/* clock gate of a peripheral (RM0091 6.4.6-6.4.8), NULL when clocked */
static const char *gate(periph_t p, unsigned port)
{
    switch (p) {
    case P_USB:
    case P_PMA:    return chip_rcc_apb1_on(23) ? NULL : "RCC_APB1ENR.USBEN is 0";
    case P_CRS:    return chip_rcc_apb1_on(27) ? NULL : "RCC_APB1ENR.CRSEN is 0";
    case P_SYSCFG: return chip_rcc_apb2_on(0) ? NULL : "RCC_APB2ENR.SYSCFGCOMPEN is 0";
    case P_GPIO:   return chip_rcc_ahb_on(17u + port) ? NULL : "RCC_AHBENR.IOPxEN is 0";
    default:       return NULL;
    }
}

extern unsigned chip_cpu_ipsr(void);

static bool access(bool wr, uint32_t a, unsigned size, uint32_t *val)
{
    uint32_t off = 0;
    unsigned port = 0;
    const char *name;
    periph_t p = decode(a, &off, &port, &name);
    const char *g = gate(p, port);
    bool ok = false;
    if (g != NULL) {
        snprintf(err, sizeof err, "%s %s 0x%08x (%u bytes): peripheral not clocked (%s)",
                 wr ? "write to" : "read of", name, a, size, g);
        return false;
    }
    switch (p) {
    case P_NONE:    break;
    case P_IWDG:    ok = wr ? chip_iwdg_write(off, size, *val) : chip_iwdg_read(off, size, val); break;
    case P_USB:     ok = wr ? usbfs_reg_write(&usb, off, size, *val) : usbfs_reg_read(&usb, off, size, val); break;
    case P_PMA:     ok = wr ? usbfs_pma_write(&usb, off, size, *val) : usbfs_pma_read(&usb, off, size, val); break;
    case P_CRS:     ok = wr ? chip_crs_write(off, size, *val) : chip_crs_read(off, size, val); break;
    case P_SYSCFG:  ok = wr ? chip_syscfg_write(off, size, *val) : chip_syscfg_read(off, size, val); break;
    case P_RCC:     ok = wr ? chip_rcc_write(off, size, *val) : chip_rcc_read(off, size, val); break;
    case P_FLASH:   ok = wr ? chip_flash_write(off, size, *val) : chip_flash_read(off, size, val); break;
    case P_GPIO:    ok = wr ? chip_gpio_write(port, off, size, *val) : chip_gpio_read(port, off, size, val); break;
    case P_SYSMEM:  ok = !wr && chip_sysmem_read(off, size, val); break;
    case P_SYSTICK: ok = wr ? chip_systick_write(off, size, *val) : chip_systick_read(off, size, val); break;
    case P_NVIC:    ok = wr ? chip_nvic_write(off, size, *val) : chip_nvic_read(off, size, val); break;
    case P_SCB:     ok = wr ? chip_scb_write(off, size, *val) : chip_scb_read(off, size, val, chip_cpu_ipsr()); break;
    }
    if (!ok) {
        snprintf(err, sizeof err, "%s %s 0x%08x (%u bytes): not a modelled register or access width",
                 wr ? "write to" : "read of", name, a, size);
    }
    if (ok && wr && (p == P_USB || p == P_PMA)) {
        chip_periph_attention = true;
    }
    return ok;
}

bool chip_bus_read(uint32_t addr, unsigned size, uint32_t *val)
{
    *val = 0;
    return access(false, addr, size, val);
}

bool chip_bus_write(uint32_t addr, unsigned size, uint32_t val)
{
    return access(true, addr, size, &val);
}
