/*
 * chip_flash.c - STM32F072 flash interface: FLASH_ACR only (RM0091 3.5.1),
 * base 0x40022000.
 *
 * Layer: sim/chip (host only), plain C.
 * Rules: reset value 0x00000030 (PRFTBE and PRFTBS set); LATENCY[2:0] takes
 * 0 (SYSCLK <= 24 MHz) or 1 (<= 48 MHz); PRFTBS[5] is read-only and follows
 * PRFTBE[4]. Word and half-word accesses.
 * Limits: programming and erasing (KEYR, SR, CR, AR, option bytes) are not
 * modelled: any access to them ends the run, as does a write to flash memory.
 */
#include "chip_periph.h"

static uint32_t acr;

void chip_flash_reset(void)
{
    acr = 0x30u;
}

unsigned chip_flash_latency(void)
{
    return acr & 7u;
}

bool chip_flash_read(uint32_t off, unsigned size, uint32_t *val)
{
    if (off != 0u || size == 1u) {
        return false;
    }
    *val = acr;
    return true;
}

bool chip_flash_write(uint32_t off, unsigned size, uint32_t v)
{
    if (off != 0u || size == 1u) {
        return false;
    }
    if ((v & 7u) > 1u) {
        chip_periph_fail("FLASH_ACR.LATENCY > 1 is reserved (RM0091 3.5.1)");
    }
    acr = (v & 0x17u) | ((v & 0x10u) << 1);
    return true;
}
