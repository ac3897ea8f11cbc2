/*
 * board_host.h - the simulator's board (board.h on Linux): monotonic clock,
 * a unique ID derived from --serial, LEDs that log their changes.
 *
 * Layer: hal_stub (host only). Call the setters before fw_init().
 */
#ifndef BOARD_HOST_H
#define BOARD_HOST_H

#include <stdbool.h>

/* NULL or "": the built-in default ID. Otherwise the 12-byte ID is a hash of
 * the string, so each --serial gives its own serial number and MACs. */
void board_host_set_serial(const char *serial);
/* false silences the LED log lines; true again prints the LEDs that are on */
void board_host_set_log(bool on);
/* one press of the user button (SIGUSR1 in the simulator): counted at once,
 * the level reads pressed for a moment */
void board_host_press_button(void);
/* true once the firmware called board_enter_bootloader() (DFU_DETACH) */
bool board_host_bootloader_requested(void);
void board_host_bootloader_clear(void);    /* the application runs again (replug) */

#endif
