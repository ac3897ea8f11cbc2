/*
 * chip_crs.c - STM32F072 clock recovery system (RM0091 7.6), base 0x40006C00.
 *
 * Layer: sim/chip (host only), plain C.
 * Rules: CR reset 0x00002000 (TRIM = 32), writable SYNCOKIE[0], SYNCWARNIE[1],
 * ERRIE[2], ESYNCIE[3], CEN[5], AUTOTRIMEN[6], TRIM[13:8]; SWSYNC[7] reads 0.
 * CFGR reset 0x2022BB7F (RELOAD 47999, FELIM 34, SYNCSRC USB SOF) and is
 * write-protected while CR.CEN = 1 (7.6.2). ISR reads 0 (no sync events:
 * trimming is not modelled); ICR is write-only. The CRS clock is APB1ENR.CRSEN
 * (the bus checks it). Word accesses only (7.6: "accessed by words").
 * Limits: no frequency error measurement, no trimming, no SYNC events.
 */
#include "chip_periph.h"

static uint32_t cr, cfgr;

void chip_crs_reset(void)
{
    cr = 0x00002000u;
    cfgr = 0x2022BB7Fu;
}

bool chip_crs_read(uint32_t off, unsigned size, uint32_t *val)
{
    if (size != 4u) {
        return false;
    }
    switch (off) {
    case 0x0: *val = cr; return true;
    case 0x4: *val = cfgr; return true;
    case 0x8: *val = 0; return true;
    case 0xC: *val = 0; return true;
    default: return false;
    }
}

bool chip_crs_write(uint32_t off, unsigned size, uint32_t v)
{
    if (size != 4u) {
        return false;
    }
    switch (off) {
    case 0x0: cr = v & 0x3F6Fu; return true;
    case 0x4:
        if (!(cr & (1u << 5))) {
            cfgr = v;
        }
        return true;
    case 0x8: return true;
    case 0xC: return true;
    default: return false;
    }
}
