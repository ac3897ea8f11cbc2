/* fake_board.c - see fake_board.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fake_board.h"

uint32_t fake_board_ms;
uint8_t fake_board_uid[BOARD_UID_LEN] = {0x20, 0x00, 0x3a, 0x00, 0x12, 0x47, 0x56, 0x31,
                                         0x38, 0x35, 0x39, 0x30};
bool fake_board_leds[BOARD_LED_COUNT];
bool fake_board_button;
uint32_t fake_board_presses;
const char *fake_board_reset_cause = "pin";
unsigned fake_board_bootloader_calls;
bool fake_board_fault;
uint32_t fake_board_fault_pc, fake_board_fault_lr, fake_board_fault_exc;
uint32_t fake_board_stack_used, fake_board_stack_size;
unsigned fake_board_watchdog_feeds;

void fake_board_reset(void)
{
    fake_board_ms = 0;
    memset(fake_board_leds, 0, sizeof fake_board_leds);
    fake_board_button = false;
    fake_board_presses = 0;
    fake_board_reset_cause = "pin";
    fake_board_bootloader_calls = 0;
    fake_board_fault = false;
    fake_board_stack_used = 0;
    fake_board_stack_size = 0;
    fake_board_watchdog_feeds = 0;
}

void board_init(void) {}
uint32_t board_millis(void) { return fake_board_ms; }
void board_unique_id(uint8_t id[BOARD_UID_LEN]) { memcpy(id, fake_board_uid, BOARD_UID_LEN); }
void board_led_set(unsigned n, bool on)
{
    if (n < BOARD_LED_COUNT) {
        fake_board_leds[n] = on;
    }
}
bool board_led_get(unsigned n) { return n < BOARD_LED_COUNT && fake_board_leds[n]; }
bool board_button_read(void) { return fake_board_button; }
uint32_t board_button_presses(void) { return fake_board_presses; }
const char *board_reset_cause(void) { return fake_board_reset_cause; }
void board_idle(void) {}
void board_enter_bootloader(void) { fake_board_bootloader_calls++; }
void board_panic(const char *msg, const char *file, int line)
{
    fail_msg("board_panic: %s at %s:%d", msg, file, line);
    abort();
}
bool board_fault_record(uint32_t *pc, uint32_t *lr, uint32_t *exception)
{
    *pc = fake_board_fault_pc;
    *lr = fake_board_fault_lr;
    *exception = fake_board_fault_exc;
    return fake_board_fault;
}
void board_watchdog_feed(void) { fake_board_watchdog_feeds++; }
void board_stack_usage(uint32_t *used, uint32_t *size)
{
    *used = fake_board_stack_used;
    *size = fake_board_stack_size;
}
