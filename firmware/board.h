/*
 * board.h - everything the hardware gives besides USB.
 *
 * Layer: boundary. Implemented by port/stm32f072/board.c on the chip and by
 * hal_stub/board_host.c in the simulator and the unit tests' fakes.
 */
#ifndef BOARD_H
#define BOARD_H

#include <stdbool.h>
#include <stdint.h>

#define BOARD_LED_COUNT   4u
#define BOARD_UID_LEN     12u   /* the STM32's 96-bit unique ID */

void board_init(void);
uint32_t board_millis(void);            /* wraps after ~49 days */
void board_unique_id(uint8_t id[BOARD_UID_LEN]);
void board_led_set(unsigned n, bool on); /* n >= BOARD_LED_COUNT is ignored */
bool board_led_get(unsigned n);
bool board_button_read(void);           /* true while the user button is pressed */
/* Presses since boot, counted by the board (debounced on the chip): each one
 * is latched in this counter until read, so no press is lost whoever reads
 * the button level first or how rarely the app looks. Wraps at 2^32. */
uint32_t board_button_presses(void);
/* Why the chip last reset, as a short lower-case word for people
 * ("power-on", "pin", "software", "watchdog", "fault", ...; "unknown" if none). */
const char *board_reset_cause(void);
/* True if this start-up should run the other USB class than the configured
 * one: the user button was held while the board powered up (was plugged in),
 * and on the chip at any start-up since then (the choice survives the reset
 * button, the watchdog, a fault or a software reset; a power-up forgets it).
 * Decided in board_init(); fw_init() reads it once. */
bool board_other_class(void);
void board_idle(void);                  /* wait for the next interrupt/event */
void board_enter_bootloader(void);      /* ROM DFU bootloader; may not return */
/* A broken invariant of our own (never untrusted input): stop, never return. */
void board_panic(const char *msg, const char *file, int line);

/* ---- recovery: watchdog, reset cause, stack use ---- */

/* After a reset by one of our fault handlers (board_reset_cause() then says
 * "fault"): true, with the faulting instruction (stacked PC), the stacked LR
 * and the exception number (ARMv6-M B1.5.2: 2 NMI, 3 HardFault, 11 SVCall,
 * 14 PendSV, 15 SysTick, 16 + n IRQ n). False after any other reset. */
bool board_fault_record(uint32_t *pc, uint32_t *lr, uint32_t *exception);
/* Restarts the watchdog's count; called from the main loop only, so a loop
 * that stops running resets the chip. A no-op where there is no watchdog. */
void board_watchdog_feed(void);
/* Stack reserve and the most of it ever used since start-up (high-water mark
 * of the paint); both 0 where this is not known (the simulator). */
void board_stack_usage(uint32_t *used, uint32_t *size);

#endif
