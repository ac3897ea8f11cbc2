/*
 * chip_syscfg.c - STM32F072 SYSCFG: CFGR1 only (RM0091 9.1.1), base 0x40010000.
 *
 * Layer: sim/chip (host only), plain C.
 * Rules: CFGR1.MEM_MODE[1:0] selects what is aliased at address 0 (x0 main
 * flash, 01 system memory, 11 embedded SRAM); it resets to the boot mode the
 * BOOT pins select, here main flash (BOOT0 low). A write that changes it
 * raises chip_periph_attention: the CPU remaps the alias between two blocks
 * (chip_cpu.c), so the next fetch or vector read at 0 sees the new memory.
 * Limits: EXTICR, CFGR2 and the remap bits other than MEM_MODE are stored only.
 */
#include "chip_periph.h"

static uint32_t cfgr1;

void chip_syscfg_reset(void)
{
    cfgr1 = 0;  /* boot from main flash (BOOT0 low) */
}

unsigned chip_syscfg_mem_mode(void)
{
    return cfgr1 & 3u;
}

bool chip_syscfg_read(uint32_t off, unsigned size, uint32_t *val)
{
    if (off != 0u || size != 4u) {
        return false;
    }
    *val = cfgr1;
    return true;
}

bool chip_syscfg_write(uint32_t off, unsigned size, uint32_t v)
{
    if (off != 0u || size != 4u) {
        return false;
    }
    if (((cfgr1 ^ v) & 3u) != 0u) {
        chip_periph_attention = true;
    }
    cfgr1 = v;
    return true;
}
