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
 * ("power-on", "pin", "software", "watchdog", ...; "unknown" if none). */
const char *board_reset_cause(void);
void board_idle(void);                  /* wait for the next interrupt/event */
void board_enter_bootloader(void);      /* ROM DFU bootloader; may not return */
/* A broken invariant of our own (never untrusted input): stop, never return. */
void board_panic(const char *msg, const char *file, int line);

#endif
