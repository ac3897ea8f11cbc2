/*
 * board_host.c - board.h for the Linux simulator.
 *
 * Layer: hal_stub (host only). Uses POSIX clock_gettime and stdio for the log.
 * - board_millis(): CLOCK_MONOTONIC since the first call (wraps like the chip).
 * - board_unique_id(): the STM32's 96-bit ID (RM0091 33.1) is replaced by a
 *   fixed default or by three 32-bit FNV-1a hashes of --serial.
 * - LEDs: state in memory, every change logged as one line on stdout.
 * - Button: board_host_press_button() (SIGUSR1 in the simulator) is one
 *   press: counted at once (the counter is the latch, so a status read in the
 *   same loop pass cannot eat it) and the level reads pressed for
 *   BOARD_HOST_PRESS_MS after it, as a finger would hold it. No bounce here.
 * - Reset cause: a process start is a power-on.
 * - board_enter_bootloader(): there is no ROM here: logged and remembered;
 *   the simulator then unplugs and stops (board_host_bootloader_requested()).
 * - no fault record; watchdog feed: a no-op; stack use: unknown.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "board.h"
#include "board_host.h"
#include "ident.h"

static uint8_t uid[BOARD_UID_LEN] = {0x53, 0x49, 0x4D, 0x00, 0x33, 0x32, 0x4E, 0x45,
                                     0x54, 0x00, 0x00, 0x01};
static bool leds[BOARD_LED_COUNT];
static bool log_on = true;
/* how long a simulated press holds the button down: long enough that a
 * page polling once a second can see "pressed" now and then */
#define BOARD_HOST_PRESS_MS 300u
static uint32_t button_presses;
static uint32_t button_down_ms;   /* board_millis() of the last press */
static bool have_t0;
static struct timespec t0;

void board_host_set_serial(const char *serial)
{
    if (serial == NULL || serial[0] == '\0') {
        return;
    }
    uint32_t h = 2166136261u;
    for (unsigned w = 0; w < BOARD_UID_LEN / 4u; w++) {
        h = ident_fnv1a((const uint8_t *)serial, (unsigned)strlen(serial),
                        h ^ (0x9E3779B9u * (w + 1u)));
        uid[4u * w] = (uint8_t)(h >> 24);
        uid[4u * w + 1u] = (uint8_t)(h >> 16);
        uid[4u * w + 2u] = (uint8_t)(h >> 8);
        uid[4u * w + 3u] = (uint8_t)h;
    }
}

void board_host_set_log(bool on)
{
    /* Turning the log on reports LEDs switched on while it was off (during
     * fw_init, before the simulator printed its start line). */
    if (on && !log_on) {
        for (unsigned n = 0; n < BOARD_LED_COUNT; n++) {
            if (leds[n]) {
                printf("stm32net-sim: LED %u on\n", n);
            }
        }
        fflush(stdout);
    }
    log_on = on;
}

void board_host_press_button(void)
{
    button_presses++;
    button_down_ms = board_millis();
}

void board_init(void)
{
    (void)board_millis();
}

uint32_t board_millis(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (!have_t0) {
        t0 = now;
        have_t0 = true;
    }
    int64_t ms = (int64_t)(now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
    return (uint32_t)ms;
}

void board_unique_id(uint8_t id[BOARD_UID_LEN])
{
    memcpy(id, uid, BOARD_UID_LEN);
}

void board_led_set(unsigned n, bool on)
{
    if (n >= BOARD_LED_COUNT || leds[n] == on) {
        return;
    }
    leds[n] = on;
    if (log_on) {
        printf("stm32net-sim: LED %u %s\n", n, on ? "on" : "off");
        fflush(stdout);
    }
}

bool board_led_get(unsigned n)
{
    return n < BOARD_LED_COUNT && leds[n];
}

bool board_button_read(void)
{
    return button_presses != 0u && (uint32_t)(board_millis() - button_down_ms) < BOARD_HOST_PRESS_MS;
}

uint32_t board_button_presses(void)
{
    return button_presses;
}

const char *board_reset_cause(void)
{
    return "power-on";
}

bool board_other_class(void)
{
    return board_button_read();  /* every simulator start is a power-up */
}

void board_idle(void)
{
    /* the simulator's poll() loop does the waiting */
}

static bool bootloader_requested;

void board_enter_bootloader(void)
{
    fprintf(stderr, "stm32net-sim: bootloader requested: the chip would now enter the ROM DFU "
                    "bootloader (0483:df11); unplugging\n");
    bootloader_requested = true;
}

bool board_host_bootloader_requested(void)
{
    return bootloader_requested;
}

void board_host_bootloader_clear(void)
{
    bootloader_requested = false;
}

void board_panic(const char *msg, const char *file, int line)
{
    fprintf(stderr, "stm32net-sim: PANIC %s at %s:%d\n", msg, file, line);
    abort();
}

/* Recovery: a process start is a power-on (board_reset_cause()); a crash
 * ends the process, so there is never a fault record; there is no watchdog
 * (the host OS watches); the stack is the OS's, so its use is not reported. */
bool board_fault_record(uint32_t *pc, uint32_t *lr, uint32_t *exception)
{
    (void)pc;
    (void)lr;
    (void)exception;
    return false;
}

void board_watchdog_feed(void)
{
}

void board_stack_usage(uint32_t *used, uint32_t *size)
{
    *used = 0u;
    *size = 0u;
}
