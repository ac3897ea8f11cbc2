/*
 * chip_sim.c - the board around the emulated STM32F072 for the simulator
 * process (see chip_sim.h): the STM32F072B-DISCO's LEDs (PC6..PC9, logged
 * on every change of GPIOC's ODR) and user button (PA0, pressed through
 * GPIOA's IDR), and the run slice between two poll() passes.
 *
 * Layer: sim/chip (host only). Includes stdio, chip.h, chip_backend.h.
 * Log lines (tests read them): "stm32net-sim: chip: GPIOC ODR 0x%04x (LEDs
 * PC6..PC9 = abcd)", "stm32net-sim: chip: button pressed|released" and,
 * "stm32net-sim: chip: IWDG reset (...)" when the watchdog resets the chip, and,
 * when the firmware jumps to the ROM bootloader (DFU_DETACH, POST
 * /api/bootloader), chip_rom_report()'s "stm32net-sim: chip: entered ROM
 * bootloader (PC ..., MSP ...)" lines.
 */
#include <stdio.h>

#include "chip.h"
#include "chip_backend.h"
#include "chip_sim.h"

#define STEP_INSNS 400000u          /* one loop pass: ~8 ms of chip time at 48 MHz */
#define BOOT_STEPS 50u               /* 20 M instructions: far more than any boot */
#define BUTTON_HOLD_NS 50000000u    /* a human press: the firmware polls it every pass */

static uint64_t release_at;
static bool rom_reported;
static uint64_t iwdg_seen;

static void gpio_hook(unsigned port, uint32_t old_odr, uint32_t new_odr)
{
    (void)old_odr;
    if (port != 2u) {
        return;
    }
    printf("stm32net-sim: chip: GPIOC ODR 0x%04x (LEDs PC6..PC9 = %u%u%u%u)\n",
           (unsigned)new_odr, (unsigned)((new_odr >> 6) & 1u), (unsigned)((new_odr >> 7) & 1u),
           (unsigned)((new_odr >> 8) & 1u), (unsigned)((new_odr >> 9) & 1u));
    fflush(stdout);
}

/* Boot to the main loop's first sleep (about 10,000 instructions), so the
 * firmware has switched its pull-up on before the bridge resets the bus. */
static int boot(void)
{
    for (unsigned i = 0; i < BOOT_STEPS; i++) {
        chip_state_t st = chip_run(STEP_INSNS);
        if (st == CHIP_FAULT) {
            chip_fault_report(stderr);
            return -2;
        }
        if (st == CHIP_ROM) {
            chip_rom_report(stderr);
            fprintf(stderr, "stm32net-sim: --chip: the firmware entered the ROM while booting\n");
            return -2;
        }
        if (st == CHIP_IDLE) {
            return 0;
        }
    }
    fprintf(stderr, "stm32net-sim: --chip: the firmware never reached WFI in %u instructions\n",
            BOOT_STEPS * STEP_INSNS);
    return -2;
}

int chip_sim_open(const char *elf, const uint8_t uid[12], bool verbose)
{
    char err[256];
    if (chip_open(elf, CHIP_TIME_LIVE, uid, err, sizeof err) != 0) {
        fprintf(stderr, "stm32net-sim: --chip: %s\n", err);
        return -1;
    }
    chip_set_gpio_hook(gpio_hook);
    chip_gpio_set_input(0, 0, false);  /* B1 released; the board pulls PA0 down */
    chip_backend_set_verbose(verbose);
    return boot();
}

int chip_sim_restart(void)
{
    chip_reset();
    release_at = 0;
    rom_reported = false;
    chip_gpio_set_input(0, 0, false);
    return boot();
}

int chip_sim_step(void)
{
    if (release_at != 0u && chip_now_ns() >= release_at) {
        chip_gpio_set_input(0, 0, false);
        release_at = 0;
        fprintf(stderr, "stm32net-sim: chip: button released\n");
    }
    chip_state_t s = chip_run(STEP_INSNS);
    if (chip_stats()->iwdg_resets != iwdg_seen) {
        iwdg_seen = chip_stats()->iwdg_resets;
        fprintf(stderr, "stm32net-sim: chip: IWDG reset (the watchdog was not fed in time; "
                        "RCC_CSR.IWDGRSTF set, SRAM kept)\n");
    }
    if (s == CHIP_FAULT) {
        return -1;
    }
    if (s == CHIP_ROM) {
        if (!rom_reported) {
            rom_reported = true;
            chip_rom_report(stderr);
        }
        return 2;
    }
    return s == CHIP_BUSY ? 1 : 0;
}

int chip_sim_timeout_ms(int max)
{
    uint64_t ns = chip_next_event_ns();
    if (release_at != 0u) {
        uint64_t now = chip_now_ns();
        uint64_t r = release_at > now ? release_at - now : 0u;
        ns = r < ns ? r : ns;
    }
    if (ns == UINT64_MAX) {
        return max;
    }
    uint64_t ms = (ns + 999999u) / 1000000u;
    return ms < (uint64_t)max ? (int)ms : max;
}

void chip_sim_press_button(void)
{
    chip_gpio_set_input(0, 0, true);
    release_at = chip_now_ns() + BUTTON_HOLD_NS;
    fprintf(stderr, "stm32net-sim: chip: button pressed\n");
}

bool chip_sim_faulted(void)
{
    return chip_faulted();
}

void chip_sim_report(void)
{
    chip_fault_report(stderr);
}

void chip_sim_close(void)
{
    chip_close();
}
