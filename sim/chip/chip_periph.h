/*
 * chip_periph.h - the emulated chip's peripheral models as seen by its bus
 * and CPU (internal to sim/chip; unit tests use it too).
 *
 * Layer: sim/chip (host only). No Unicorn types here: everything below is
 * plain C so each model is unit tested on its own (tests/unit/test_chip_*.c).
 * Convention: each model has reset(), read(off, size, *val) and
 * write(off, size, val) with off relative to its base; read/write return false
 * for an access the peripheral does not have (unused offset, wrong width),
 * which the bus reports as a fault. size is 1, 2 or 4 bytes.
 */
#ifndef CHIP_PERIPH_H
#define CHIP_PERIPH_H

#include <stdbool.h>
#include <stdint.h>

#include "chip.h"

/* ---- time (chip_time.c) ---- */
void chip_time_init(chip_time_mode_t mode);
chip_time_mode_t chip_time_mode(void);
void chip_time_reset(void);
void chip_time_add_cycles(uint64_t cycles);   /* virtual mode: executed cycles */
void chip_time_skip_to(uint64_t ns);          /* virtual mode: WFI until ns */
void chip_time_set_hz(uint32_t hz);           /* HCLK changed (RCC) */
/* counts of a clock of hz between two instants (no overflow for days) */
uint64_t chip_time_counts(uint64_t ns, uint32_t hz);
uint64_t chip_time_ns_of_counts(uint64_t counts, uint32_t hz);

/* ---- exceptions and NVIC (chip_nvic.c), ARMv6-M B1.5 / B3.4 ---- */
#define CHIP_EXC_RESET 1u
#define CHIP_EXC_NMI 2u
#define CHIP_EXC_HARDFAULT 3u
#define CHIP_EXC_SVCALL 11u
#define CHIP_EXC_PENDSV 14u
#define CHIP_EXC_SYSTICK 15u
#define CHIP_EXC_IRQ0 16u
#define CHIP_NUM_IRQ 32u
#define CHIP_NUM_EXC (CHIP_EXC_IRQ0 + CHIP_NUM_IRQ)
#define CHIP_IRQ_USB 31u   /* RM0091 table 37 */

void chip_nvic_reset(void);
bool chip_nvic_read(uint32_t off, unsigned size, uint32_t *val);   /* off from 0xE000E100 */
bool chip_nvic_write(uint32_t off, unsigned size, uint32_t val);
void chip_nvic_set_pending(unsigned exc);
void chip_nvic_clear_pending(unsigned exc);
bool chip_nvic_is_pending(unsigned exc);
bool chip_nvic_is_active(unsigned exc);
/* level of an external interrupt line: pends IRQ n while high */
void chip_nvic_irq_line(unsigned irq, bool high);
int chip_nvic_priority(unsigned exc);       /* -3..-1 fixed, 0..192 configurable */
void chip_nvic_set_sys_priority(unsigned exc, uint8_t prio);
/* Current execution priority (B1.5.4): the highest active priority, 0 or
 * better with PRIMASK set; 256 in Thread mode with nothing active. */
int chip_nvic_exec_priority(bool primask);
/* The exception to take now (pending, enabled, priority better than the
 * execution priority; ties to the lower number), or 0. */
unsigned chip_nvic_next(bool primask);
void chip_nvic_activate(unsigned exc);      /* pending -> active */
void chip_nvic_deactivate(unsigned exc);
unsigned chip_nvic_active_count(void);
unsigned chip_nvic_highest_pending(void);   /* for ICSR.VECTPENDING, 0 if none */

/* ---- SCB (chip_scb.c), ARMv6-M B3.2, base 0xE000ED00 ---- */
void chip_scb_reset(void);
bool chip_scb_read(uint32_t off, unsigned size, uint32_t *val, unsigned ipsr);
bool chip_scb_write(uint32_t off, unsigned size, uint32_t val);
bool chip_scb_reset_requested(void);        /* AIRCR.SYSRESETREQ written with VECTKEY */
bool chip_scb_sleeponexit(void);

/* ---- SysTick (chip_systick.c), ARMv6-M B3.3, base 0xE000E010 ---- */
void chip_systick_reset(void);
bool chip_systick_read(uint32_t off, unsigned size, uint32_t *val);
bool chip_systick_write(uint32_t off, unsigned size, uint32_t val);
/* Brings the counter to chip_now_ns(): sets COUNTFLAG and pends SysTick
 * (TICKINT) for each wrap to 0 since the last call. Returns the wraps. */
uint64_t chip_systick_update(void);
uint64_t chip_systick_next_ns(void);        /* instant of the next wrap, UINT64_MAX if off */

/* ---- RCC (chip_rcc.c), RM0091 6.4, base 0x40021000 ---- */
void chip_rcc_reset(bool power_on);
bool chip_rcc_read(uint32_t off, unsigned size, uint32_t *val);
bool chip_rcc_write(uint32_t off, unsigned size, uint32_t val);
uint32_t chip_rcc_hclk_hz(void);
uint32_t chip_rcc_sysclk_hz(void);
/* register clocks: AHBENR / APB1ENR / APB2ENR bit */
bool chip_rcc_ahb_on(unsigned bit);
bool chip_rcc_apb1_on(unsigned bit);
bool chip_rcc_apb2_on(unsigned bit);
bool chip_rcc_usb_in_reset(void);           /* APB1RSTR.USBRST */
/* RCC_CSR reset flags of the reset just done */
typedef enum { CHIP_RESET_POWER_ON, CHIP_RESET_SOFTWARE, CHIP_RESET_IWDG, CHIP_RESET_PIN } chip_reset_kind_t;
void chip_rcc_note_reset(chip_reset_kind_t kind);

/* ---- IWDG (chip_iwdg.c), RM0091 26.4, base 0x40003000 ---- */
void chip_iwdg_reset(void);
bool chip_iwdg_read(uint32_t off, unsigned size, uint32_t *val);
bool chip_iwdg_write(uint32_t off, unsigned size, uint32_t val);
bool chip_iwdg_running(void);               /* started (KR 0xCCCC): forces the LSI on */
/* true once the counter reached 0 (or a reload came outside the window):
 * the CPU loop then does a system reset with IWDGRSTF */
bool chip_iwdg_expired(void);
uint64_t chip_iwdg_next_ns(void);           /* instant the counter reaches 0, UINT64_MAX if off */

/* ---- FLASH interface (chip_flash.c), RM0091 3.5, base 0x40022000 ---- */
void chip_flash_reset(void);
bool chip_flash_read(uint32_t off, unsigned size, uint32_t *val);
bool chip_flash_write(uint32_t off, unsigned size, uint32_t val);
unsigned chip_flash_latency(void);

/* ---- CRS (chip_crs.c), RM0091 7.6, base 0x40006C00 ---- */
void chip_crs_reset(void);
bool chip_crs_read(uint32_t off, unsigned size, uint32_t *val);
bool chip_crs_write(uint32_t off, unsigned size, uint32_t val);

/* ---- SYSCFG (chip_syscfg.c), RM0091 9.1, base 0x40010000 ---- */
void chip_syscfg_reset(void);
bool chip_syscfg_read(uint32_t off, unsigned size, uint32_t *val);
bool chip_syscfg_write(uint32_t off, unsigned size, uint32_t val);
unsigned chip_syscfg_mem_mode(void);        /* CFGR1.MEM_MODE: 0/2 main flash, 1 system memory, 3 SRAM at 0 */

/* ---- GPIO A..F (chip_gpio.c), RM0091 8.4, base 0x48000000 + 0x400 * port ---- */
#define CHIP_GPIO_PORTS 6u
void chip_gpio_reset(void);
bool chip_gpio_read(unsigned port, uint32_t off, unsigned size, uint32_t *val);
bool chip_gpio_write(unsigned port, uint32_t off, unsigned size, uint32_t val);

/* ---- system memory and unique ID (chip_sysmem.c) ---- */
void chip_sysmem_set_uid(const uint8_t uid[12]);
bool chip_sysmem_read(uint32_t addr, unsigned size, uint32_t *val);  /* absolute address */
/* the whole region's bytes (CHIP_SYSMEM_END - CHIP_SYSMEM_BASE), for the CPU's map */
void chip_sysmem_image(uint8_t *buf);

/* ---- bus decoder (chip_bus.c) ---- */
/* A failed access leaves a reason for the fault report. */
bool chip_bus_read(uint32_t addr, unsigned size, uint32_t *val);
bool chip_bus_write(uint32_t addr, unsigned size, uint32_t val);
const char *chip_bus_error(void);
usbfs_t *chip_bus_usb(void);
/* the chip as a whole: bus-level reset of every peripheral */
void chip_periph_reset(bool power_on);
/* Set by a peripheral when something the CPU loop must look at changed
 * (interrupt state, reset request, clock). */
extern volatile bool chip_periph_attention;
/* reason the run must end, set by a model (e.g. a jump to the ROM bootloader) */
void chip_periph_fail(const char *why);
const char *chip_periph_failure(void);
void chip_periph_clear_failure(void);

#endif
