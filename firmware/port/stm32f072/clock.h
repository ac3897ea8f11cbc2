/*
 * clock.h - system clock of the STM32F072 port: SYSCLK = HSI48 trimmed by
 * the CRS from USB SOF, SysTick at 1 kHz. Layer: port/stm32f072.
 */
#ifndef CLOCK_H
#define CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#define CLOCK_SYSCLK_HZ 48000000u

/* false: HSI48 did not start or SYSCLK did not switch (bounded waits). */
bool clock_init(void);
uint32_t clock_millis(void);

#endif
