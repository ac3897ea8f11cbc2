/*
 * chip_nvic.c - the Cortex-M0 NVIC and the exception state of the core:
 * pending/active per exception, priorities, the execution priority and which
 * exception to take next.
 *
 * Layer: sim/chip (host only), plain C. Written from the ARMv6-M ARM:
 *  - B1.5.2: exception numbers (Reset 1, NMI 2, HardFault 3, SVCall 11,
 *    PendSV 14, SysTick 15, IRQn = 16 + n); fixed priorities -3, -2, -1.
 *  - B1.5.4: the execution priority is the highest (numerically lowest)
 *    priority among the active exceptions; PRIMASK = 1 raises it to 0. An
 *    exception preempts only with a priority strictly better than it; among
 *    pending ones the lowest priority value wins, ties go to the lower number.
 *  - B3.4: NVIC_ISER/ICER (0x100/0x180 from 0xE000E000), ISPR/ICPR
 *    (0x200/0x280), IPR0..7 (0x400..0x41C): 2 priority bits per IRQ (bits
 *    7:6 of each byte, the rest read 0 on the Cortex-M0); the NVIC is
 *    word-accessible only.
 *  - Level interrupts: an asserted line keeps its IRQ pending (cleared
 *    pending re-pends while the line is high and the IRQ is not active).
 * Limits: 32 IRQs (the STM32F072 has 32 positions).
 */
#include <string.h>

#include "chip_periph.h"

static uint32_t iser;               /* enabled IRQs */
static uint32_t line;               /* external lines that are high */
static bool pending[CHIP_NUM_EXC];
static bool active[CHIP_NUM_EXC];
static uint8_t ipr[CHIP_NUM_IRQ];
static uint8_t sys_prio[16];        /* SVCall, PendSV, SysTick (SHPR2/3) */

volatile bool chip_periph_attention;

void chip_nvic_reset(void)
{
    iser = 0;
    line = 0;
    memset(pending, 0, sizeof pending);
    memset(active, 0, sizeof active);
    memset(ipr, 0, sizeof ipr);
    memset(sys_prio, 0, sizeof sys_prio);
    chip_periph_attention = true;
}

static void relevel(unsigned irq)
{
    if ((line >> irq) & 1u) {
        if (!active[CHIP_EXC_IRQ0 + irq]) {
            pending[CHIP_EXC_IRQ0 + irq] = true;
        }
    }
}

void chip_nvic_irq_line(unsigned irq, bool high)
{
    if (irq >= CHIP_NUM_IRQ) {
        return;
    }
    uint32_t bit = 1u << irq;
    uint32_t old = line;
    line = high ? (line | bit) : (line & ~bit);
    relevel(irq);
    if (old != line) {
        chip_periph_attention = true;
    }
}

void chip_nvic_set_pending(unsigned exc)
{
    if (exc < CHIP_NUM_EXC) {
        pending[exc] = true;
        chip_periph_attention = true;
    }
}

void chip_nvic_clear_pending(unsigned exc)
{
    if (exc < CHIP_NUM_EXC) {
        pending[exc] = false;
        if (exc >= CHIP_EXC_IRQ0) {
            relevel(exc - CHIP_EXC_IRQ0);
        }
    }
}

bool chip_nvic_is_pending(unsigned exc)
{
    return exc < CHIP_NUM_EXC && pending[exc];
}

bool chip_nvic_is_active(unsigned exc)
{
    return exc < CHIP_NUM_EXC && active[exc];
}

int chip_nvic_priority(unsigned exc)
{
    switch (exc) {
    case CHIP_EXC_RESET:     return -3;
    case CHIP_EXC_NMI:       return -2;
    case CHIP_EXC_HARDFAULT: return -1;
    default:
        if (exc >= CHIP_EXC_IRQ0 && exc < CHIP_NUM_EXC) {
            return ipr[exc - CHIP_EXC_IRQ0];
        }
        return exc < 16u ? sys_prio[exc] : 256;
    }
}

void chip_nvic_set_sys_priority(unsigned exc, uint8_t prio)
{
    if (exc == CHIP_EXC_SVCALL || exc == CHIP_EXC_PENDSV || exc == CHIP_EXC_SYSTICK) {
        sys_prio[exc] = prio & 0xC0u;
        chip_periph_attention = true;
    }
}

int chip_nvic_exec_priority(bool primask)
{
    int p = 256;
    for (unsigned e = 1; e < CHIP_NUM_EXC; e++) {
        if (active[e] && chip_nvic_priority(e) < p) {
            p = chip_nvic_priority(e);
        }
    }
    if (primask && p > 0) {
        p = 0;
    }
    return p;
}

static bool enabled(unsigned e)
{
    return e < CHIP_EXC_IRQ0 || ((iser >> (e - CHIP_EXC_IRQ0)) & 1u);
}

unsigned chip_nvic_highest_pending(void)
{
    unsigned best = 0;
    int bp = 257;
    for (unsigned e = 1; e < CHIP_NUM_EXC; e++) {
        if (pending[e] && enabled(e) && chip_nvic_priority(e) < bp) {
            best = e;
            bp = chip_nvic_priority(e);
        }
    }
    return best;
}

unsigned chip_nvic_next(bool primask)
{
    unsigned e = chip_nvic_highest_pending();
    if (e != 0u && chip_nvic_priority(e) < chip_nvic_exec_priority(primask)) {
        return e;
    }
    return 0;
}

void chip_nvic_activate(unsigned exc)
{
    if (exc < CHIP_NUM_EXC) {
        pending[exc] = false;
        active[exc] = true;
    }
}

void chip_nvic_deactivate(unsigned exc)
{
    if (exc < CHIP_NUM_EXC) {
        active[exc] = false;
        if (exc >= CHIP_EXC_IRQ0) {
            relevel(exc - CHIP_EXC_IRQ0);  /* a line still high pends again */
        }
        chip_periph_attention = true;
    }
}

unsigned chip_nvic_active_count(void)
{
    unsigned n = 0;
    for (unsigned e = 1; e < CHIP_NUM_EXC; e++) {
        n += active[e] ? 1u : 0u;
    }
    return n;
}

static uint32_t pending_word(void)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < CHIP_NUM_IRQ; i++) {
        v |= pending[CHIP_EXC_IRQ0 + i] ? (1u << i) : 0u;
    }
    return v;
}

bool chip_nvic_read(uint32_t off, unsigned size, uint32_t *val)
{
    if (size != 4u) {
        return false;
    }
    switch (off) {
    case 0x000: case 0x080: *val = iser; return true;     /* ISER, ICER */
    case 0x100: case 0x180: *val = pending_word(); return true;  /* ISPR, ICPR */
    default:
        if (off >= 0x300u && off < 0x320u) {
            unsigned b = off - 0x300u;
            *val = (uint32_t)ipr[b] | ((uint32_t)ipr[b + 1u] << 8) |
                   ((uint32_t)ipr[b + 2u] << 16) | ((uint32_t)ipr[b + 3u] << 24);
            return true;
        }
        return false;
    }
}

bool chip_nvic_write(uint32_t off, unsigned size, uint32_t v)
{
    if (size != 4u) {
        return false;
    }
    chip_periph_attention = true;
    switch (off) {
    case 0x000: iser |= v; return true;
    case 0x080: iser &= ~v; return true;
    case 0x100:
        for (unsigned i = 0; i < CHIP_NUM_IRQ; i++) {
            if ((v >> i) & 1u) {
                pending[CHIP_EXC_IRQ0 + i] = true;
            }
        }
        return true;
    case 0x180:
        for (unsigned i = 0; i < CHIP_NUM_IRQ; i++) {
            if ((v >> i) & 1u) {
                chip_nvic_clear_pending(CHIP_EXC_IRQ0 + i);
            }
        }
        return true;
    default:
        if (off >= 0x300u && off < 0x320u) {
            unsigned b = off - 0x300u;
            for (unsigned i = 0; i < 4u; i++) {
                ipr[b + i] = (uint8_t)((v >> (8u * i)) & 0xC0u);
            }
            return true;
        }
        return false;
    }
}
