/*
 * clock.c - HSI48 + CRS clocking and the 1 kHz SysTick for the STM32F072.
 *
 * Layer: port/stm32f072. Includes stm32f072.h only.
 * Why HSI48 with CRS (RM0091 6.2.3, 7): the STM32F072B-DISCO has no crystal
 * for the USB; the CRS counts the HSI48 against the host's 1 kHz SOF and
 * trims it (AUTOTRIMEN) to stay within USB's +/-0.25 %. Until the first SOFs
 * arrive (the host sends them from the bus reset on) the factory trim is used,
 * so trimming settles during enumeration (RM0091 7.3). The CRS
 * configuration register is written before CEN because CEN write-protects it.
 * RELOAD = 48 MHz / 1 kHz - 1 = 47999, FELIM = 34 (RM0091's suggested value for
 * a 0.14 % trimming step: 48000 * 0.14 % / 2 rounded).
 * Flash: 1 wait state is required above 24 MHz and the prefetch buffer hides
 * most of it (RM0091 3.2.1); it must be set before SYSCLK goes up.
 * Limits: no HSE or PLL support; the USB kernel clock is HSI48 (CFGR3.USBSW=0,
 * the reset value). SysTick wraps the millisecond counter after ~49 days.
 */
#include "clock.h"
#include "stm32f072.h"

static volatile uint32_t clock_ms;

void SysTick_Handler(void);

void SysTick_Handler(void)
{
    clock_ms++;
}

uint32_t clock_millis(void)
{
    return clock_ms;  /* one aligned 32-bit load: atomic on Cortex-M0 */
}

#define CLOCK_WAIT_LOOPS 200000u   /* >> HSI48 start-up (a few us) at 8 MHz */

bool clock_init(void)
{
    FLASH_ACR = (FLASH_ACR & ~FLASH_ACR_LATENCY_Msk) | FLASH_ACR_LATENCY_1WS | FLASH_ACR_PRFTBE;

    RCC_CR2 |= RCC_CR2_HSI48ON;
    uint32_t n = 0;
    while ((RCC_CR2 & RCC_CR2_HSI48RDY) == 0u) {
        if (++n > CLOCK_WAIT_LOOPS) {
            return false;
        }
    }

    /* AHB and APB undivided: 48 MHz everywhere (the USB needs PCLK >= 10 MHz) */
    RCC_CFGR = (RCC_CFGR & ~(RCC_CFGR_HPRE_Msk | RCC_CFGR_PPRE_Msk | RCC_CFGR_SW_Msk)) |
               RCC_CFGR_SW_HSI48;
    n = 0;
    while ((RCC_CFGR & RCC_CFGR_SWS_Msk) != RCC_CFGR_SWS_HSI48) {
        if (++n > CLOCK_WAIT_LOOPS) {
            return false;
        }
    }
    RCC_CFGR3 &= ~RCC_CFGR3_USBSW;

    RCC_APB1ENR |= RCC_APB1ENR_CRSEN;
    (void)RCC_APB1ENR;  /* read back: the clock is running before the first CRS write */
    CRS_CFGR = (47999u << CRS_CFGR_RELOAD_Pos) | (34u << CRS_CFGR_FELIM_Pos) |
               (0u << CRS_CFGR_SYNCDIV_Pos) | CRS_CFGR_SYNCSRC_USB;
    CRS_CR |= CRS_CR_AUTOTRIMEN | CRS_CR_CEN;

    SYST_RVR = CLOCK_SYSCLK_HZ / 1000u - 1u;
    SYST_CVR = 0u;
    SYST_CSR = SYST_CSR_CLKSOURCE | SYST_CSR_TICKINT | SYST_CSR_ENABLE;
    return true;
}
