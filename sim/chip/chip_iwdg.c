/*
 * chip_iwdg.c - STM32F072 independent watchdog (RM0091 ch. 26), base
 * 0x40003000: KR, PR, RLR, SR, WINR.
 *
 * Layer: sim/chip (host only), plain C; time from chip_now_ns(), the same
 * clock SysTick counts, so both see the same instants in either time mode
 * (virtual: executed cycles and WFI skips; live: the host's monotonic clock
 * with host stalls cut out by chip_time.c, so a starved or SIGSTOPped
 * simulator freezes the watchdog with the core instead of firing it).
 * Rules (RM0091 26.3, 26.4):
 * - KR 0xCCCC starts the watchdog (and forces the LSI on): the 12-bit down
 *   counter starts from 0x0FFF. Nothing stops it again but a reset (software
 *   watchdog option; the hardware-watchdog option byte is not modelled).
 * - KR 0xAAAA reloads the counter with RLR. In window mode (WINR < 0x0FFF) a
 *   reload while the counter is above WINR is itself a reset (26.3.3).
 * - KR 0x5555 unlocks PR, RLR and WINR; any other KR value locks them again
 *   (26.3.4). Locked writes are ignored.
 * - PR[2:0] divides the LSI by 4 << PR (6 and 7 both 256); RLR[11:0]; WINR[11:0].
 *   A write reaches the LSI domain after about 5 LSI cycles: SR.PVU / RVU /
 *   WVU read 1 until then, and a new write to that register is ignored
 *   meanwhile (26.4.2-26.4.5). The new divider and reload apply at once.
 * - Writing WINR reloads the counter (26.3.2 "configuring with window").
 * - The counter reaching 0 is a system reset with RCC_CSR.IWDGRSTF
 *   (chip_iwdg_expired(); the CPU loop performs it like SYSRESETREQ, SRAM
 *   kept). Any reset stops the watchdog and restores the reset values.
 * - LSI: 40 kHz exactly (the datasheet's nominal; the silicon's 30..50 kHz
 *   spread is not modelled).
 * - Half-word and word accesses; KR reads 0.
 * Limits: no DBGMCU freeze (no debugger here), no hardware-watchdog option.
 */
#include "chip_periph.h"

#define IWDG_LSI_HZ 40000u
#define IWDG_UPDATE_LSI 5u   /* LSI cycles for a PR/RLR/WINR write to land */

static bool running, unlocked, expired;
static uint32_t pr, rlr, winr;
static uint32_t cnt0;          /* counter at base_lsi */
static uint64_t base_lsi;      /* LSI cycle (since the chip's reset) of cnt0 */
static uint64_t busy_until[3]; /* LSI cycle at which PVU, RVU, WVU clear */

static uint64_t lsi_now(void)
{
    return chip_time_counts(chip_now_ns(), IWDG_LSI_HZ);
}

static uint32_t divider(void)
{
    return pr >= 6u ? 256u : 4u << pr;
}

static uint32_t counter(void)
{
    if (!running) {
        return cnt0;
    }
    uint64_t n = (lsi_now() - base_lsi) / divider();
    return n >= cnt0 ? 0u : cnt0 - (uint32_t)n;
}

static void load(uint32_t v)
{
    cnt0 = v;
    base_lsi = lsi_now();
}

void chip_iwdg_reset(void)
{
    running = unlocked = expired = false;
    pr = 0;
    rlr = 0x0FFFu;
    winr = 0x0FFFu;
    cnt0 = 0x0FFFu;
    base_lsi = 0;
    busy_until[0] = busy_until[1] = busy_until[2] = 0;
}

bool chip_iwdg_running(void)
{
    return running;
}

uint64_t chip_iwdg_next_ns(void)
{
    if (!running || expired) {
        return UINT64_MAX;
    }
    return chip_time_ns_of_counts(base_lsi + (uint64_t)cnt0 * divider(), IWDG_LSI_HZ);
}

bool chip_iwdg_expired(void)
{
    if (running && !expired && counter() == 0u) {
        expired = true;
    }
    return expired;
}

bool chip_iwdg_read(uint32_t off, unsigned size, uint32_t *val)
{
    if (size == 1u || (off & (size - 1u)) != 0u || off > 0x10u) {
        return false;
    }
    uint64_t now = lsi_now();
    uint32_t v = 0;
    switch (off & ~3u) {
    case 0x00: v = 0; break;
    case 0x04: v = pr; break;
    case 0x08: v = rlr; break;
    case 0x0C:
        for (unsigned i = 0; i < 3u; i++) {
            v |= now < busy_until[i] ? 1u << i : 0u;
        }
        break;
    case 0x10: v = winr; break;
    default: return false;
    }
    *val = (v >> (8u * (off & 3u))) & (size == 4u ? 0xFFFFFFFFu : 0xFFFFu);
    return true;
}

/* a protected register write (PR, RLR, WINR): i = its SR bit */
static bool protected_write(unsigned i, uint32_t *reg, uint32_t v, uint32_t mask)
{
    uint64_t now = lsi_now();
    if (!unlocked || now < busy_until[i]) {
        return false;  /* ignored, as the silicon does */
    }
    uint32_t c = counter();
    *reg = v & mask;
    busy_until[i] = now + IWDG_UPDATE_LSI;
    load(c);   /* rebase: the new divider counts from here */
    return true;
}

static void reload(void)
{
    if (winr < 0x0FFFu && counter() > winr) {
        expired = true;  /* refreshed outside the window (26.3.3) */
        chip_periph_attention = true;
        return;
    }
    load(rlr);
}

bool chip_iwdg_write(uint32_t off, unsigned size, uint32_t v)
{
    if (size == 1u || (off & (size - 1u)) != 0u || off > 0x10u) {
        return false;
    }
    if ((off & 3u) != 0u) {
        return true;  /* the upper half of a 12/16-bit register: reserved, ignored */
    }
    v &= 0xFFFFu;
    switch (off) {
    case 0x00:
        unlocked = v == 0x5555u;
        if (v == 0xCCCCu && !running) {
            running = true;
            load(0x0FFFu);
        } else if (v == 0xAAAAu && running) {
            reload();
        }
        break;
    case 0x04: (void)protected_write(0, &pr, v, 7u); break;
    case 0x08: (void)protected_write(1, &rlr, v, 0x0FFFu); break;
    case 0x0C: break;  /* SR is read-only */
    case 0x10:
        if (protected_write(2, &winr, v, 0x0FFFu) && running) {
            load(rlr);
        }
        break;
    default: return false;
    }
    chip_periph_attention = true;  /* the next expiry instant moved */
    return true;
}
