/*
 * startup.c - vector table and reset handler for the STM32F072 (Cortex-M0).
 *
 * Layer: port/stm32f072. Includes stm32f072.h (our register names) only.
 * The table layout is ARMv6-M's (initial SP, then the 15 system exception
 * slots, then the device IRQs) followed by RM0091 table 37's 32 interrupt
 * positions for STM32F07x; USB is position 31. Every handler not written
 * elsewhere is a weak alias of Default_Handler, which parks the CPU (a stray
 * interrupt is our bug, not input we must survive). Symbols come from
 * stm32f072.ld: _sidata/_sdata/_edata, _sbss/_ebss, _estack.
 * Reset_Handler first checks for a bootloader request left in .noinit by
 * board_enter_bootloader() (see board.c for why the jump happens here, right
 * after a reset, and not from the running firmware).
 */
#include <stdint.h>
#include "stm32f072.h"

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
int main(void);
void board_boot_hook(void);   /* board.c: may jump to the ROM bootloader */
void board_stack_paint(void); /* board.c: fills the unused stack for the high-water mark */

void Reset_Handler(void);
void Default_Handler(void);

#define WEAK_DEFAULT __attribute__((weak, alias("Default_Handler")))
void NMI_Handler(void) WEAK_DEFAULT;
void HardFault_Handler(void) WEAK_DEFAULT;
void SVC_Handler(void) WEAK_DEFAULT;
void PendSV_Handler(void) WEAK_DEFAULT;
void SysTick_Handler(void) WEAK_DEFAULT;
void WWDG_IRQHandler(void) WEAK_DEFAULT;
void PVD_VDDIO2_IRQHandler(void) WEAK_DEFAULT;
void RTC_IRQHandler(void) WEAK_DEFAULT;
void FLASH_IRQHandler(void) WEAK_DEFAULT;
void RCC_CRS_IRQHandler(void) WEAK_DEFAULT;
void EXTI0_1_IRQHandler(void) WEAK_DEFAULT;
void EXTI2_3_IRQHandler(void) WEAK_DEFAULT;
void EXTI4_15_IRQHandler(void) WEAK_DEFAULT;
void TSC_IRQHandler(void) WEAK_DEFAULT;
void DMA1_Channel1_IRQHandler(void) WEAK_DEFAULT;
void DMA1_Channel2_3_IRQHandler(void) WEAK_DEFAULT;
void DMA1_Channel4_5_6_7_IRQHandler(void) WEAK_DEFAULT;
void ADC1_COMP_IRQHandler(void) WEAK_DEFAULT;
void TIM1_BRK_UP_TRG_COM_IRQHandler(void) WEAK_DEFAULT;
void TIM1_CC_IRQHandler(void) WEAK_DEFAULT;
void TIM2_IRQHandler(void) WEAK_DEFAULT;
void TIM3_IRQHandler(void) WEAK_DEFAULT;
void TIM6_DAC_IRQHandler(void) WEAK_DEFAULT;
void TIM7_IRQHandler(void) WEAK_DEFAULT;
void TIM14_IRQHandler(void) WEAK_DEFAULT;
void TIM15_IRQHandler(void) WEAK_DEFAULT;
void TIM16_IRQHandler(void) WEAK_DEFAULT;
void TIM17_IRQHandler(void) WEAK_DEFAULT;
void I2C1_IRQHandler(void) WEAK_DEFAULT;
void I2C2_IRQHandler(void) WEAK_DEFAULT;
void SPI1_IRQHandler(void) WEAK_DEFAULT;
void SPI2_IRQHandler(void) WEAK_DEFAULT;
void USART1_IRQHandler(void) WEAK_DEFAULT;
void USART2_IRQHandler(void) WEAK_DEFAULT;
void USART3_4_IRQHandler(void) WEAK_DEFAULT;
void CEC_CAN_IRQHandler(void) WEAK_DEFAULT;
void USB_IRQHandler(void) WEAK_DEFAULT;

typedef void (*vector_t)(void);

/* 16 system slots + 32 IRQs = 48 words = 0xC0 bytes at 0x08000000 */
__attribute__((section(".isr_vector"), used))
const vector_t vector_table[16 + 32] = {
    (vector_t)(uintptr_t)&_estack,
    Reset_Handler,
    NMI_Handler,
    HardFault_Handler,
    0, 0, 0, 0, 0, 0, 0,          /* reserved on ARMv6-M */
    SVC_Handler,
    0, 0,                         /* reserved */
    PendSV_Handler,
    SysTick_Handler,
    WWDG_IRQHandler,              /* 0 */
    PVD_VDDIO2_IRQHandler,
    RTC_IRQHandler,
    FLASH_IRQHandler,
    RCC_CRS_IRQHandler,
    EXTI0_1_IRQHandler,           /* 5 */
    EXTI2_3_IRQHandler,
    EXTI4_15_IRQHandler,
    TSC_IRQHandler,
    DMA1_Channel1_IRQHandler,
    DMA1_Channel2_3_IRQHandler,   /* 10 */
    DMA1_Channel4_5_6_7_IRQHandler,
    ADC1_COMP_IRQHandler,
    TIM1_BRK_UP_TRG_COM_IRQHandler,
    TIM1_CC_IRQHandler,
    TIM2_IRQHandler,              /* 15 */
    TIM3_IRQHandler,
    TIM6_DAC_IRQHandler,
    TIM7_IRQHandler,
    TIM14_IRQHandler,
    TIM15_IRQHandler,             /* 20 */
    TIM16_IRQHandler,
    TIM17_IRQHandler,
    I2C1_IRQHandler,
    I2C2_IRQHandler,
    SPI1_IRQHandler,              /* 25 */
    SPI2_IRQHandler,
    USART1_IRQHandler,
    USART2_IRQHandler,
    USART3_4_IRQHandler,
    CEC_CAN_IRQHandler,           /* 30 */
    USB_IRQHandler,               /* 31 */
};

void Reset_Handler(void)
{
    board_boot_hook();  /* before .data/.bss: it only reads .noinit */

    uint32_t *src = &_sidata;
    for (uint32_t *dst = &_sdata; dst < &_edata;) {
        *dst++ = *src++;
    }
    for (uint32_t *dst = &_sbss; dst < &_ebss;) {
        *dst++ = 0u;
    }
    board_stack_paint();
    (void)main();
    for (;;) {
        __asm__ volatile("wfi");
    }
}

/* EXC_RETURN bit 2 (ARMv6-M B1.5.8) says which stack holds the frame; we
 * run on MSP only, but a corrupted state is exactly what this is for. */
__attribute__((naked)) void Default_Handler(void)
{
    __asm__ volatile(
        "movs r0, #4\n\t"
        "mov r1, lr\n\t"
        "tst r0, r1\n\t"
        "beq 1f\n\t"
        "mrs r0, psp\n\t"
        "b 2f\n"
        "1:\n\t"
        "mrs r0, msp\n"
        "2:\n\t"
        "mrs r1, ipsr\n\t"
        "ldr r2, =board_fault\n\t"
        "bx r2\n\t"
        ".ltorg\n\t");
}
