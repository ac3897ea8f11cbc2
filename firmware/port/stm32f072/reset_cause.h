/*
 * reset_cause.h - why the STM32F072 started: RCC_CSR's reset flags (RM0091
 * 6.4.10) plus whether a fault record was left in .noinit (board.c).
 *
 * Layer: port/stm32f072. Includes board.h and stm32f072.h (flag names) only.
 * A pure function so the unit tests hold it to the reference manual.
 * RM0091 6.1.2: a system reset (software, watchdog, low-power) also drives
 * NRST low, so PINRSTF comes with every cause and PORRSTF with a power-on:
 * the specific flags are tested first, the pin last. A software reset is a
 * fault only when board_fault() left its record (it resets through
 * SYSRESETREQ, as board_enter_bootloader() does).
 */
#ifndef RESET_CAUSE_H
#define RESET_CAUSE_H

#include <stdbool.h>
#include <stdint.h>

#include "board.h"
#include "stm32f072.h"

static inline board_reset_cause_t stm32_reset_cause(uint32_t csr, bool fault_recorded)
{
    if (csr & (RCC_CSR_IWDGRSTF | RCC_CSR_WWDGRSTF)) {
        return BOARD_RESET_WATCHDOG;
    }
    if (csr & RCC_CSR_SFTRSTF) {
        return fault_recorded ? BOARD_RESET_FAULT : BOARD_RESET_SOFTWARE;
    }
    if (csr & RCC_CSR_PORRSTF) {
        return BOARD_RESET_POWER_ON;
    }
    if (csr & RCC_CSR_PINRSTF) {
        return BOARD_RESET_PIN;
    }
    return BOARD_RESET_UNKNOWN;   /* LPWRRSTF, OBLRSTF, V18PWRRSTF or none */
}

#endif
