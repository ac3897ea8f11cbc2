/*
 * reset_cause.h - why the STM32F072 started, as a word for people: RCC_CSR's
 * reset flags (RM0091, RCC_CSR) plus whether board_fault() left its record.
 *
 * Layer: port/stm32f072. Includes stm32f072.h (flag names) only.
 * A pure function so the unit tests hold it to the reference manual.
 * A system reset (software, watchdog, low-power) also drives NRST low, so
 * PINRSTF comes with every cause and PORRSTF with a power-on: the specific
 * flags are tested first, the pin last. A software reset is a "fault" only
 * when board_fault() left its record (it resets through SYSRESETREQ, as
 * board_enter_bootloader() does).
 */
#ifndef RESET_CAUSE_H
#define RESET_CAUSE_H

#include <stdbool.h>
#include <stdint.h>

#include "stm32f072.h"

static inline const char *stm32_reset_cause_name(uint32_t csr, bool fault_recorded)
{
    static const struct {
        uint32_t flag;
        const char *name;
    } causes[] = {
        {RCC_CSR_LPWRRSTF, "low-power"}, {RCC_CSR_WWDGRSTF, "window-watchdog"},
        {RCC_CSR_IWDGRSTF, "watchdog"},  {RCC_CSR_SFTRSTF, "software"},
        {RCC_CSR_PORRSTF, "power-on"},   {RCC_CSR_OBLRSTF, "option-load"},
        {RCC_CSR_PINRSTF, "pin"},
    };
    for (unsigned i = 0; i < sizeof causes / sizeof causes[0]; i++) {
        if ((csr & causes[i].flag) != 0u) {
            if (causes[i].flag == RCC_CSR_SFTRSTF && fault_recorded) {
                return "fault";
            }
            return causes[i].name;
        }
    }
    return "unknown";
}

#endif
