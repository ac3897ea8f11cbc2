/*
 * chip_sysmem.c - STM32F072 system memory: the ROM bootloader's region
 * 0x1FFFC800..0x1FFFF7FF (AN2606) and the 96-bit unique ID at 0x1FFFF7AC
 * (RM0091 33.1), read-only.
 *
 * Layer: sim/chip (host only), plain C.
 * Rules: the unique ID reads as set by chip_sysmem_set_uid() with any access
 * width; the rest of system memory reads 0xFF (we have no ROM image: a jump
 * into it ends the run when the CPU fetches from it).
 */
#include <string.h>

#include "chip_periph.h"

static uint8_t uid[12] = {0x53, 0x54, 0x4D, 0x33, 0x32, 0x4E, 0x45, 0x54, 0x00, 0x01, 0x02, 0x03};

void chip_sysmem_set_uid(const uint8_t u[12])
{
    memcpy(uid, u, sizeof uid);
}

bool chip_sysmem_read(uint32_t addr, unsigned size, uint32_t *val)
{
    if (addr < CHIP_SYSMEM_BASE || addr + size > CHIP_SYSMEM_END || (addr & (size - 1u)) != 0u) {
        return false;
    }
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        uint32_t a = addr + i;
        uint8_t b = 0xFFu;
        if (a >= CHIP_UID_ADDR && a < CHIP_UID_ADDR + 12u) {
            b = uid[a - CHIP_UID_ADDR];
        }
        v |= (uint32_t)b << (8u * i);
    }
    *val = v;
    return true;
}
