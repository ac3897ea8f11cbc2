/*
 * chip_time.c - the emulated chip's clock: live (host monotonic clock) or
 * virtual (executed cycles at the current HCLK, WFI skipping ahead).
 *
 * Layer: sim/chip (host only). Includes <time.h> for CLOCK_MONOTONIC.
 * Virtual time is deterministic: the same instructions give the same instants.
 * Live time is the host's clock minus the time the host did not run us: a gap
 * of more than LIVE_MAX_GAP_NS between two looks at the clock (the simulator
 * looks at least every poll pass, <= 100 ms, and every 64 blocks while the
 * CPU runs) means the process was stopped (SIGSTOP), swapped or starved;
 * the excess is not chip time, as a core halted with its timers frozen. So
 * SysTick and the IWDG (both count chip_now_ns()) stay consistent with the
 * instructions actually run, and a busy host cannot fire the watchdog of a
 * firmware that feeds it on time in the instructions it was given.
 * Limits: nanosecond resolution; a clock switch rebases the cycle count.
 */
#include <time.h>

#include "chip_periph.h"

#define NS_PER_S 1000000000ull

static chip_time_mode_t time_mode;
#define LIVE_MAX_GAP_NS 250000000ull   /* 2.5 x the simulator's longest poll sleep */

static uint64_t live_start_ns;
static uint64_t live_last_ns;  /* live: chip time at the last look */
static uint64_t base_ns;       /* virtual: instant of base_cycles */
static uint64_t cycles;        /* virtual: cycles since the last rebase */
static uint32_t hz = 8000000u; /* HSI after reset (RM0091 6.2.2) */

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

uint64_t chip_time_counts(uint64_t ns, uint32_t f)
{
    return ns / NS_PER_S * f + (ns % NS_PER_S) * f / NS_PER_S;
}

uint64_t chip_time_ns_of_counts(uint64_t counts, uint32_t f)
{
    if (f == 0u) {
        return UINT64_MAX;
    }
    /* rounded up: the instant at which the count has surely been reached */
    return counts / f * NS_PER_S + ((counts % f) * NS_PER_S + f - 1u) / f;
}

void chip_time_init(chip_time_mode_t mode)
{
    time_mode = mode;
    chip_time_reset();
}

chip_time_mode_t chip_time_mode(void)
{
    return time_mode;
}

void chip_time_reset(void)
{
    live_start_ns = mono_ns();
    live_last_ns = 0;
    base_ns = 0;
    cycles = 0;
    hz = 8000000u;
}

uint64_t chip_now_ns(void)
{
    if (time_mode == CHIP_TIME_LIVE) {
        uint64_t t = mono_ns() - live_start_ns;
        if (t > live_last_ns + LIVE_MAX_GAP_NS) {
            live_start_ns += t - live_last_ns - LIVE_MAX_GAP_NS;  /* a host stall: cut out */
            t = live_last_ns + LIVE_MAX_GAP_NS;
        }
        live_last_ns = t;
        return t;
    }
    return base_ns + chip_time_ns_of_counts(cycles, hz);
}

void chip_time_add_cycles(uint64_t c)
{
    cycles += c;
}

void chip_time_skip_to(uint64_t ns)
{
    if (time_mode == CHIP_TIME_VIRTUAL && ns > chip_now_ns()) {
        base_ns = ns;
        cycles = 0;
    }
}

void chip_time_set_hz(uint32_t f)
{
    if (f == hz || f == 0u) {
        return;
    }
    if (time_mode == CHIP_TIME_VIRTUAL) {
        base_ns = chip_now_ns();
        cycles = 0;
    }
    hz = f;
}
