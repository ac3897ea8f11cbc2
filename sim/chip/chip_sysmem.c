/*
 * chip_sysmem.c - STM32F072 system memory: the ROM bootloader's region
 * 0x1FFFC800..0x1FFFF7FF (AN2606, RM0091 2.2.2 memory map) holding a stub
 * ROM, and the 96-bit unique ID at 0x1FFFF7AC (RM0091 33.1), read-only.
 *
 * Layer: sim/chip (host only), plain C.
 * Rules: the unique ID reads as set by chip_sysmem_set_uid() with any access
 * width. The region starts with a vector table, as the real ROM's does
 * (AN2606: the bootloader is entered by loading SP from 0x1FFFC800 and
 * jumping to the address at 0x1FFFC804, or by booting with system memory
 * aliased at 0): word 0 is the stub's initial SP (CHIP_ROM_STUB_SP), word 1
 * its reset vector (CHIP_ROM_STUB_ENTRY | 1, Thumb), words 2..47 point at
 * CHIP_ROM_STUB_TRAP. Both targets hold `b .` (0xE7FE). The CPU recognises a
 * fetch of the entry as "the ROM bootloader was entered" and ends the run
 * there (chip_cpu.c); a fetch anywhere else in system memory is a fault. The
 * values are the stub's own, not ST's ROM (which we do not have and do not
 * model: its DFU, 0483:df11, is absent). Everything else reads 0xFF (erased).
 */
#include <string.h>

#include "chip_periph.h"

#define ROM_VECTORS 48u   /* 16 system slots + 32 IRQs, as the application's table */

static uint8_t uid[12] = {0x53, 0x54, 0x4D, 0x33, 0x32, 0x4E, 0x45, 0x54, 0x00, 0x01, 0x02, 0x03};

void chip_sysmem_set_uid(const uint8_t u[12])
{
    memcpy(uid, u, sizeof uid);
}

static uint8_t sysmem_byte(uint32_t a)
{
    uint32_t off = a - CHIP_SYSMEM_BASE;
    if (a >= CHIP_UID_ADDR && a < CHIP_UID_ADDR + 12u) {
        return uid[a - CHIP_UID_ADDR];
    }
    if (off < 4u * ROM_VECTORS) {
        uint32_t w = off < 4u ? CHIP_ROM_STUB_SP
                   : off < 8u ? (CHIP_ROM_STUB_ENTRY | 1u)
                              : (CHIP_ROM_STUB_TRAP | 1u);
        return (uint8_t)(w >> (8u * (off & 3u)));
    }
    if (a >= CHIP_ROM_STUB_ENTRY && a < CHIP_ROM_STUB_TRAP + 2u) {
        return (a & 1u) ? 0xE7u : 0xFEu;   /* b . (T2 encoding, offset -4) */
    }
    return 0xFFu;
}

bool chip_sysmem_read(uint32_t addr, unsigned size, uint32_t *val)
{
    if (addr < CHIP_SYSMEM_BASE || addr + size > CHIP_SYSMEM_END || (addr & (size - 1u)) != 0u) {
        return false;
    }
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        v |= (uint32_t)sysmem_byte(addr + i) << (8u * i);
    }
    *val = v;
    return true;
}

void chip_sysmem_image(uint8_t *buf)
{
    for (uint32_t a = CHIP_SYSMEM_BASE; a < CHIP_SYSMEM_END; a++) {
        buf[a - CHIP_SYSMEM_BASE] = sysmem_byte(a);
    }
}
