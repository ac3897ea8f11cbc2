/*
 * chip_sim.h - --chip ELF: what the simulator process does with the emulated
 * chip (open it, run it between poll() passes, the board around it).
 * Layer: sim/chip (host only); see chip_sim.c.
 */
#ifndef CHIP_SIM_H
#define CHIP_SIM_H

#include <stdbool.h>
#include <stdint.h>

/* Loads the ELF, resets the chip (live time) and runs it to its first WFI.
 * 0; -1 with a message on stderr for a bad or missing ELF file (a
 * command-line error); -2 when the chip faulted on the way (report printed). */
int chip_sim_open(const char *elf, const uint8_t uid[12], bool verbose);
/* Runs the chip for one loop pass: 1 if it has more to do at once, 0 if it
 * sleeps, -1 after a fault (report printed on stderr), 2 once it has entered
 * the ROM bootloader (the DFU detach path; report printed once on stderr:
 * from then on the chip does nothing until chip_sim_restart()). */
int chip_sim_step(void);
/* A reset from the vector table (the ROM bootloader left, the image runs
 * again) and the boot to the first WFI; 0 or -2 as chip_sim_open(). */
int chip_sim_restart(void);
/* poll() timeout in ms until the chip's next timed event (capped by max). */
int chip_sim_timeout_ms(int max);
/* The user button B1 (PA0, active high): pressed now, released 50 ms later. */
void chip_sim_press_button(void);
bool chip_sim_faulted(void);
void chip_sim_report(void);
void chip_sim_close(void);

#endif
