/*
 * chip.h - the emulated STM32F072: a Cortex-M0 on Unicorn running an
 * unmodified firmware ELF, with register models of the peripherals it uses.
 *
 * Layer: sim/chip (host only). This header includes no Unicorn header: the
 * simulator and the bridge adapter use the chip through it only.
 * The chip knows the Cortex-M0 (ARMv6-M ARM) and the STM32F072 (RM0091), not
 * our firmware: it loads an ELF, resets, and runs from the vector table.
 * Assumptions: one chip per process, one thread. All storage is static.
 * Granularity: interrupts are taken at translation-block boundaries (a block
 * ends at every branch, so within a few instructions of the cause, never in
 * the middle of one); instructions are counted per executed block, exactly
 * (a block cut short by a fault counts whole); the PC in a fault report is
 * the faulting instruction's own.
 * Limits: no analogue behaviour or timing (bus timing, CRS trimming, clock
 * start-up times), no suspend/low-power modes beyond WFI, no PSP (process
 * stack), no ROM bootloader: system memory holds a stub vector table whose
 * reset code the CPU recognises (the run ends with CHIP_ROM; the ROM's own
 * DFU device is not modelled), no debug or DMA peripherals. Any
 * access outside the modelled memory, any fault the M0 would raise, and
 * reaching the HardFault handler end the run: chip_run() returns
 * CHIP_FAULT and chip_fault_report() tells what and where.
 */
#ifndef CHIP_H
#define CHIP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "usbfs.h"

/* Memory map (RM0091 2.2.2; F072xB: 128 KB flash, 16 KB SRAM) */
#define CHIP_FLASH_BASE 0x08000000u
#define CHIP_FLASH_SIZE (128u * 1024u)
#define CHIP_SRAM_BASE 0x20000000u
#define CHIP_SRAM_SIZE (16u * 1024u)
#define CHIP_SYSMEM_BASE 0x1FFFC800u    /* system memory (ROM bootloader), AN2606 */
#define CHIP_SYSMEM_END 0x1FFFF800u     /* option bytes follow at 0x1FFFF800 */
#define CHIP_UID_ADDR 0x1FFFF7ACu       /* 96-bit unique ID, RM0091 33.1 */
/* The stub ROM in system memory (chip_sysmem.c): its vector table's initial
 * SP (word at 0x1FFFC800) and reset code (word at 0x1FFFC804, minus the
 * Thumb bit), and where every other ROM vector points. Our values, not ST's. */
#define CHIP_ROM_STUB_SP 0x20002F00u
#define CHIP_ROM_STUB_ENTRY (CHIP_SYSMEM_BASE + 0xC0u)
#define CHIP_ROM_STUB_TRAP (CHIP_SYSMEM_BASE + 0xC2u)

typedef enum {
    CHIP_TIME_LIVE = 0,     /* SysTick follows the host's monotonic clock */
    CHIP_TIME_VIRTUAL = 1,  /* time = executed cycles; WFI skips to the next event */
} chip_time_mode_t;

typedef enum {
    CHIP_BUSY = 0,   /* the instruction budget ran out: call again soon */
    CHIP_IDLE = 1,   /* WFI with nothing to do until chip_next_event_ns() */
    CHIP_FAULT = 2,  /* the run is over: see chip_fault_report() */
    CHIP_ROM = 3,    /* the CPU reached the ROM bootloader's reset code: see
                        chip_rom_entry(); stays so until chip_reset() */
} chip_state_t;

/* How the ROM bootloader was entered (CHIP_ROM): the PC reached (the stub's
 * reset code, via its absolute address or the alias at 0), MSP and xPSR at
 * that moment, the two words system memory holds at 0x1FFFC800/4, and
 * whether the last reset before it was a system reset (AIRCR.SYSRESETREQ)
 * with the instructions run since. */
typedef struct {
    uint32_t pc, msp, xpsr;
    uint32_t rom_sp, rom_reset;
    bool after_sysreset;
    uint64_t insns_since_reset;
} chip_rom_entry_t;

/* Figures for `make bench` (cycle estimate: ARMv6-M timings of the Cortex-M0
 * TRM - loads/stores 2, taken branches 3, exception entry and return 16 each
 * - plus one flash wait state on every taken branch at 48 MHz). */
typedef struct {
    uint64_t instructions;
    uint64_t cycles;
    uint64_t exceptions;
    uint32_t lowest_sp;   /* lowest MSP seen at a block boundary or stacking */
    uint64_t wfi;         /* WFIs executed */
    uint64_t iwdg_resets; /* system resets by the IWDG (RM0091 26.3) */
} chip_stats_t;

/* Loads the ELF's PT_LOAD segments (flash and SRAM images), then resets.
 * uid: 12 bytes for the unique ID, NULL for a fixed default. 0, or -1 with a
 * message in err. */
int chip_open(const char *elf_path, chip_time_mode_t mode, const uint8_t uid[12], char *err,
              size_t errlen);
void chip_close(void);
/* Power-on reset: peripherals to reset values, SP/PC from the vector table. */
void chip_reset(void);
/* The board's reset button (NRST low, STM32F072B-DISCO B2): a system reset
 * that keeps SRAM and sets RCC_CSR.PINRSTF (RM0091 6.1.2); chip time runs on. */
void chip_pin_reset(void);

/* Runs up to about max_insns instructions (at block granularity). */
chip_state_t chip_run(uint64_t max_insns);
/* Nanoseconds of chip time until the next timed event (SysTick wrap) from
 * now; UINT64_MAX if none. Live mode: the caller may sleep that long. */
uint64_t chip_next_event_ns(void);
/* Virtual mode, while idle: jump to the next timed event (no-op otherwise). */
void chip_advance_idle(void);
/* Chip time in ns since reset (virtual or live). */
uint64_t chip_now_ns(void);

bool chip_faulted(void);
void chip_fault_report(FILE *f);
/* true (and *e filled, e may be NULL) once the ROM bootloader was entered */
bool chip_rom_entry(chip_rom_entry_t *e);
/* "stm32net-sim: chip: entered ROM bootloader (PC 0x..., MSP 0x...) ..." */
void chip_rom_report(FILE *f);

const chip_stats_t *chip_stats(void);
/* Profiling (make bench only): fn is called for every executed block with its
 * start address, instruction count and cycle estimate (exception entry and
 * return cycles are not in any block); NULL turns it off (the default). */
void chip_set_block_observer(void (*fn)(uint32_t addr, uint32_t insns, uint32_t cycles));
void chip_stats_reset(void);

/* For tests and reports: core register r0..r15 (16 = xPSR, 17 = PRIMASK)
 * and a copy of memory (flash, SRAM, system memory, the alias at 0 as
 * MEM_MODE maps it) - false outside them. */
uint32_t chip_cpu_reg(unsigned r);
bool chip_read_mem(uint32_t addr, void *buf, uint32_t n);

/* The USB peripheral as the host side sees it. Call chip_usb_changed() after
 * host-side calls so the interrupt line is sampled again. */
usbfs_t *chip_usb(void);
void chip_usb_changed(void);

/* GPIO as the board sees it: output data of a port (0 = A .. 5 = F) and the
 * external level of an input pin (the user button PA0, active high). */
uint32_t chip_gpio_odr(unsigned port);
void chip_gpio_set_input(unsigned port, unsigned pin, bool high);
/* Called with (port, old ODR, new ODR) whenever an ODR changes. */
void chip_set_gpio_hook(void (*hook)(unsigned port, uint32_t old_odr, uint32_t new_odr));

#endif
