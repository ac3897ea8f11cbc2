/*
 * chip_scb.c - the Cortex-M0 System Control Block (ARMv6-M ARM B3.2), base
 * 0xE000ED00: CPUID, ICSR, AIRCR, SCR, CCR, SHPR2, SHPR3.
 *
 * Layer: sim/chip (host only), plain C.
 * Rules: CPUID reads the Cortex-M0 r0p0 value 0x410CC200 (Cortex-M0 TRM 4.2);
 * ICSR: NMIPENDSET[31], PENDSVSET[28]/PENDSVCLR[27], PENDSTSET[26]/
 * PENDSTCLR[25], ISRPENDING[22], VECTPENDING[20:12], VECTACTIVE[5:0];
 * AIRCR: writes need VECTKEY 0x05FA in [31:16] (reads 0xFA05), SYSRESETREQ[2]
 * asks for a system reset; ENDIANNESS reads 0 (little endian); SCR:
 * SLEEPONEXIT[1], SLEEPDEEP[2], SEVONPEND[4]; CCR reads STKALIGN[9] and
 * UNALIGN_TRP[3] as 1 (fixed on ARMv6-M); SHPR2[31:30] SVCall, SHPR3[23:22]
 * PendSV and [31:30] SysTick priorities. Word accesses only.
 */
#include "chip_periph.h"

static bool reset_req;
static uint32_t scr;

void chip_scb_reset(void)
{
    reset_req = false;
    scr = 0;
}

bool chip_scb_reset_requested(void)
{
    return reset_req;
}

bool chip_scb_sleeponexit(void)
{
    return (scr & 2u) != 0u;
}

bool chip_scb_read(uint32_t off, unsigned size, uint32_t *val, unsigned ipsr)
{
    if (size != 4u) {
        return false;
    }
    switch (off) {
    case 0x00: *val = 0x410CC200u; return true;
    case 0x04: {
        unsigned vp = chip_nvic_highest_pending();
        uint32_t v = (ipsr & 0x3Fu) | ((uint32_t)(vp & 0x3Fu) << 12);
        if (vp >= CHIP_EXC_IRQ0) {
            v |= 1u << 22;
        }
        v |= chip_nvic_is_pending(CHIP_EXC_NMI) ? (1u << 31) : 0u;
        v |= chip_nvic_is_pending(CHIP_EXC_PENDSV) ? (1u << 28) : 0u;
        v |= chip_nvic_is_pending(CHIP_EXC_SYSTICK) ? (1u << 26) : 0u;
        *val = v;
        return true;
    }
    case 0x0C: *val = 0xFA050000u; return true;
    case 0x10: *val = scr; return true;
    case 0x14: *val = (1u << 9) | (1u << 3); return true;
    case 0x1C: *val = (uint32_t)chip_nvic_priority(CHIP_EXC_SVCALL) << 24; return true;
    case 0x20:
        *val = ((uint32_t)chip_nvic_priority(CHIP_EXC_PENDSV) << 16) |
               ((uint32_t)chip_nvic_priority(CHIP_EXC_SYSTICK) << 24);
        return true;
    default: return false;
    }
}

bool chip_scb_write(uint32_t off, unsigned size, uint32_t v)
{
    if (size != 4u) {
        return false;
    }
    switch (off) {
    case 0x00: return true;  /* CPUID read-only */
    case 0x04:
        if (v & (1u << 31)) chip_nvic_set_pending(CHIP_EXC_NMI);
        if (v & (1u << 28)) chip_nvic_set_pending(CHIP_EXC_PENDSV);
        else if (v & (1u << 27)) chip_nvic_clear_pending(CHIP_EXC_PENDSV);
        if (v & (1u << 26)) chip_nvic_set_pending(CHIP_EXC_SYSTICK);
        else if (v & (1u << 25)) chip_nvic_clear_pending(CHIP_EXC_SYSTICK);
        return true;
    case 0x0C:
        if ((v >> 16) == 0x05FAu && (v & (1u << 2))) {
            reset_req = true;
            chip_periph_attention = true;
        }
        return true;
    case 0x10: scr = v & 0x16u; return true;
    case 0x14: return true;  /* CCR read-only on ARMv6-M */
    case 0x1C: chip_nvic_set_sys_priority(CHIP_EXC_SVCALL, (uint8_t)(v >> 24)); return true;
    case 0x20:
        chip_nvic_set_sys_priority(CHIP_EXC_PENDSV, (uint8_t)(v >> 16));
        chip_nvic_set_sys_priority(CHIP_EXC_SYSTICK, (uint8_t)(v >> 24));
        return true;
    default: return false;
    }
}
