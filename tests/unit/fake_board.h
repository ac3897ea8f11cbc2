/* fake_board.h - test double of board.h: time, unique ID, LEDs and button are
 * plain variables the tests set and read. board_panic() fails the test. */
#ifndef FAKE_BOARD_H
#define FAKE_BOARD_H

#include <stdbool.h>
#include <stdint.h>
#include "board.h"

extern uint32_t fake_board_ms;
extern uint8_t fake_board_uid[BOARD_UID_LEN];
extern bool fake_board_leds[BOARD_LED_COUNT];
extern bool fake_board_button;
extern uint32_t fake_board_presses;   /* the board's press latch */
extern const char *fake_board_reset_cause;
extern unsigned fake_board_bootloader_calls;
extern bool fake_board_fault;   /* board_fault_record() reports fake_board_fault_pc/lr/exc */
extern uint32_t fake_board_fault_pc, fake_board_fault_lr, fake_board_fault_exc;
extern uint32_t fake_board_stack_used, fake_board_stack_size;
extern unsigned fake_board_watchdog_feeds;

void fake_board_reset(void);

#endif
