/*
 * chip_syscfg.c - STM32F072 SYSCFG: CFGR1 only (RM0091 9.1.1), base 0x40010000.
 *
 * Layer: sim/chip (host only), plain C.
 * Rules: CFGR1.MEM_MODE[1:0] selects what is aliased at address 0 (00 main
 * flash, 01 system memory, 11 SRAM). The model keeps main flash at 0: mapping
 * the ROM bootloader there (board_enter_bootloader's path) ends the run with
 * a clear reason, because the bootloader itself is not modelled.
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
    cfgr1 = v;
    if ((v & 3u) != 0u) {
        chip_periph_fail("SYSCFG_CFGR1.MEM_MODE remaps address 0 (ROM bootloader / SRAM boot): "
                         "not modelled");
    }
    return true;
}
