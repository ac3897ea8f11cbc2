/*
 * stm32f072.h - the STM32F072 registers this port uses, named as in RM0091.
 *
 * Layer: port/stm32f072 (chip specific). Includes only <stdint.h>.
 * Written from RM0091 (STM32F0x1/x2/x8 reference manual) and the Cortex-M0
 * generic user guide; only the registers and bits the port touches are here.
 * Offsets are RM0091's register map tables; every register is a volatile
 * pointer built from its peripheral base, so no vendor header is needed.
 */
#ifndef STM32F072_H
#define STM32F072_H

#include <stdint.h>

#ifndef STM32NET_UNIT_TEST
#define REG32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))
#define REG16(addr) (*(volatile uint16_t *)(uintptr_t)(addr))
#else
/* Host unit tests of udc_stm32.c: registers and packet memory live in the
 * test, which also models the write semantics of EPnR and ISTR below. */
volatile uint32_t *stm32_test_reg32(uint32_t addr);
volatile uint16_t *stm32_test_reg16(uint32_t addr);
uint16_t stm32_test_epr_read(unsigned n);
void stm32_test_epr_write(unsigned n, uint16_t v);
uint16_t stm32_test_istr_read(void);
void stm32_test_istr_write(uint16_t v);
#define REG32(addr) (*stm32_test_reg32((uint32_t)(addr)))
#define REG16(addr) (*stm32_test_reg16((uint32_t)(addr)))
#endif

/* ---- memory map (RM0091 2.2.2, datasheet figure "memory map") ------------ */
#define FLASH_BASE_ADDR    0x08000000u
#define SRAM_BASE_ADDR     0x20000000u
#define SYSMEM_BASE_ADDR   0x1FFFC800u   /* ROM bootloader on STM32F07x (AN2606) */
#define UID_BASE_ADDR      0x1FFFF7ACu   /* 96-bit unique ID, RM0091 33.1 */

/* ---- RCC (RM0091 6.4) ---------------------------------------------------- */
#define RCC_BASE           0x40021000u
#define RCC_CR             REG32(RCC_BASE + 0x00u)
#define RCC_CFGR           REG32(RCC_BASE + 0x04u)
#define RCC_CIR            REG32(RCC_BASE + 0x08u)
#define RCC_APB2RSTR       REG32(RCC_BASE + 0x0Cu)
#define RCC_APB1RSTR       REG32(RCC_BASE + 0x10u)
#define RCC_AHBENR         REG32(RCC_BASE + 0x14u)
#define RCC_APB2ENR        REG32(RCC_BASE + 0x18u)
#define RCC_APB1ENR        REG32(RCC_BASE + 0x1Cu)
#define RCC_CSR            REG32(RCC_BASE + 0x24u)
#define RCC_CFGR3          REG32(RCC_BASE + 0x30u)
#define RCC_CR2            REG32(RCC_BASE + 0x34u)

#define RCC_CFGR_SW_Msk        (3u << 0)
#define RCC_CFGR_SW_HSI48      (3u << 0)   /* SW = 11: HSI48 (F04x/F07x/F09x) */
#define RCC_CFGR_SWS_Msk       (3u << 2)
#define RCC_CFGR_SWS_HSI48     (3u << 2)
#define RCC_CFGR_HPRE_Msk      (0xFu << 4)
#define RCC_CFGR_PPRE_Msk      (7u << 8)
#define RCC_CFGR3_USBSW        (1u << 7)   /* 0: USB clocked by HSI48 */
#define RCC_CR2_HSI48ON        (1u << 16)
#define RCC_CR2_HSI48RDY       (1u << 17)
#define RCC_AHBENR_IOPAEN      (1u << 17)
#define RCC_AHBENR_IOPCEN      (1u << 19)
#define RCC_APB2ENR_SYSCFGCOMPEN (1u << 0)
#define RCC_APB1ENR_USBEN      (1u << 23)
#define RCC_APB1ENR_CRSEN      (1u << 27)
#define RCC_APB1RSTR_USBRST    (1u << 23)
/* RM0091 7.4.10 RCC_CSR: reset flags, cleared together by writing RMVF */
#define RCC_CSR_LPWRRSTF       (1u << 31)
#define RCC_CSR_WWDGRSTF       (1u << 30)
#define RCC_CSR_IWDGRSTF       (1u << 29)
#define RCC_CSR_SFTRSTF        (1u << 28)
#define RCC_CSR_PORRSTF        (1u << 27)
#define RCC_CSR_PINRSTF        (1u << 26)
#define RCC_CSR_OBLRSTF        (1u << 25)
#define RCC_CSR_RMVF           (1u << 24)

/* ---- FLASH interface (RM0091 3.5.1) --------------------------------------- */
#define FLASH_R_BASE       0x40022000u
#define FLASH_ACR          REG32(FLASH_R_BASE + 0x00u)
#define FLASH_ACR_LATENCY_Msk  (7u << 0)
#define FLASH_ACR_LATENCY_1WS  (1u << 0)   /* required for 24 < SYSCLK <= 48 MHz */
#define FLASH_ACR_PRFTBE       (1u << 4)

/* ---- CRS, clock recovery system (RM0091 7.6) ----------------------------- */
#define CRS_BASE           0x40006C00u
#define CRS_CR             REG32(CRS_BASE + 0x00u)
#define CRS_CFGR           REG32(CRS_BASE + 0x04u)
#define CRS_ISR            REG32(CRS_BASE + 0x08u)
#define CRS_ICR            REG32(CRS_BASE + 0x0Cu)
#define CRS_CR_CEN             (1u << 5)
#define CRS_CR_AUTOTRIMEN      (1u << 6)
#define CRS_CFGR_RELOAD_Pos    0u
#define CRS_CFGR_FELIM_Pos     16u
#define CRS_CFGR_SYNCDIV_Pos   24u
#define CRS_CFGR_SYNCSRC_Pos   28u
#define CRS_CFGR_SYNCSRC_USB   (2u << CRS_CFGR_SYNCSRC_Pos)  /* 10: USB SOF */

/* ---- SYSCFG (RM0091 9.1.1) ------------------------------------------------ */
#define SYSCFG_BASE        0x40010000u
#define SYSCFG_CFGR1       REG32(SYSCFG_BASE + 0x00u)
#define SYSCFG_CFGR1_MEM_MODE_Msk    (3u << 0)
#define SYSCFG_CFGR1_MEM_MODE_SYSMEM (1u << 0)  /* system flash aliased at 0 */

/* ---- GPIO (RM0091 8.4) ---------------------------------------------------- */
#define GPIOA_BASE         0x48000000u
#define GPIOC_BASE         0x48000800u
#define GPIO_MODER(b)      REG32((b) + 0x00u)
#define GPIO_OTYPER(b)     REG32((b) + 0x04u)
#define GPIO_OSPEEDR(b)    REG32((b) + 0x08u)
#define GPIO_PUPDR(b)      REG32((b) + 0x0Cu)
#define GPIO_IDR(b)        REG32((b) + 0x10u)
#define GPIO_ODR(b)        REG32((b) + 0x14u)
#define GPIO_BSRR(b)       REG32((b) + 0x18u)
#define GPIO_BRR(b)        REG32((b) + 0x28u)
#define GPIO_MODE_INPUT    0u
#define GPIO_MODE_OUTPUT   1u

/* ---- USB full-speed device (RM0091 30.6) ---------------------------------- */
#define USB_BASE           0x40005C00u
#define USB_PMA_BASE       0x40006000u   /* 1 KB USB SRAM, 16-bit accesses */
/* EPnR (n = 0..7) and ISTR have toggle / rc_w0 bits: accessed only through
 * these so the unit tests can model them (see stm32_epr.h) */
#ifndef STM32NET_UNIT_TEST
#define USB_EPR_READ(n)     REG16(USB_BASE + 4u * (unsigned)(n))
#define USB_EPR_WRITE(n, v) (REG16(USB_BASE + 4u * (unsigned)(n)) = (uint16_t)(v))
#define USB_ISTR_READ()     REG16(USB_BASE + 0x44u)
#define USB_ISTR_WRITE(v)   (REG16(USB_BASE + 0x44u) = (uint16_t)(v))
#else
#define USB_EPR_READ(n)     stm32_test_epr_read((unsigned)(n))
#define USB_EPR_WRITE(n, v) stm32_test_epr_write((unsigned)(n), (uint16_t)(v))
#define USB_ISTR_READ()     stm32_test_istr_read()
#define USB_ISTR_WRITE(v)   stm32_test_istr_write((uint16_t)(v))
#endif
#define USB_CNTR           REG16(USB_BASE + 0x40u)
#define USB_FNR            REG16(USB_BASE + 0x48u)
#define USB_DADDR          REG16(USB_BASE + 0x4Cu)
#define USB_BTABLE         REG16(USB_BASE + 0x50u)
#define USB_LPMCSR         REG16(USB_BASE + 0x54u)
#define USB_BCDR           REG16(USB_BASE + 0x58u)

#define USB_CNTR_FRES      (1u << 0)
#define USB_CNTR_PDWN      (1u << 1)
#define USB_CNTR_LP_MODE   (1u << 2)
#define USB_CNTR_FSUSP     (1u << 3)
#define USB_CNTR_RESUME    (1u << 4)
#define USB_CNTR_ESOFM     (1u << 8)
#define USB_CNTR_SOFM      (1u << 9)
#define USB_CNTR_RESETM    (1u << 10)
#define USB_CNTR_SUSPM     (1u << 11)
#define USB_CNTR_WKUPM     (1u << 12)
#define USB_CNTR_ERRM      (1u << 13)
#define USB_CNTR_PMAOVRM   (1u << 14)
#define USB_CNTR_CTRM      (1u << 15)

#define USB_ISTR_EP_ID_Msk (0xFu << 0)
#define USB_ISTR_DIR       (1u << 4)
#define USB_ISTR_L1REQ     (1u << 7)
#define USB_ISTR_ESOF      (1u << 8)
#define USB_ISTR_SOF       (1u << 9)
#define USB_ISTR_RESET     (1u << 10)
#define USB_ISTR_SUSP      (1u << 11)
#define USB_ISTR_WKUP      (1u << 12)
#define USB_ISTR_ERR       (1u << 13)
#define USB_ISTR_PMAOVR    (1u << 14)
#define USB_ISTR_CTR       (1u << 15)

#define USB_DADDR_EF       (1u << 7)
#define USB_BCDR_DPPU      (1u << 15)

/* ---- Cortex-M0 system peripherals (ARMv6-M ARM B3) ------------------------ */
#define SYST_CSR           REG32(0xE000E010u)
#define SYST_RVR           REG32(0xE000E014u)
#define SYST_CVR           REG32(0xE000E018u)
#define SYST_CSR_ENABLE    (1u << 0)
#define SYST_CSR_TICKINT   (1u << 1)
#define SYST_CSR_CLKSOURCE (1u << 2)   /* processor clock */
#define NVIC_ISER          REG32(0xE000E100u)
#define NVIC_ICER          REG32(0xE000E180u)
#define NVIC_ICPR          REG32(0xE000E280u)
#define SCB_AIRCR          REG32(0xE000ED0Cu)
#define SCB_AIRCR_VECTKEY  (0x05FAu << 16)
#define SCB_AIRCR_SYSRESETREQ (1u << 2)

#define USB_IRQn           31u   /* RM0091 table 37, vector position 31 */

/* ---- independent watchdog, debug freeze ------------------------------------ */
#define RCC_APB2ENR_DBGMCUEN (1u << 22)
#define IWDG_BASE          0x40003000u               /* RM0091 26.4 */
#define IWDG_KR            REG32(IWDG_BASE + 0x00u)
#define IWDG_PR            REG32(IWDG_BASE + 0x04u)
#define IWDG_RLR           REG32(IWDG_BASE + 0x08u)
#define IWDG_SR            REG32(IWDG_BASE + 0x0Cu)
#define IWDG_KR_START      0xCCCCu
#define IWDG_KR_RELOAD     0xAAAAu
#define IWDG_KR_UNLOCK     0x5555u   /* write access to PR and RLR */
#define IWDG_SR_BUSY       0x7u      /* PVU | RVU | WVU: an update still in progress */
#define DBGMCU_APB1_FZ     REG32(0x40015808u)        /* RM0091 32.9.4 */
#define DBGMCU_APB1_FZ_DBG_IWDG_STOP (1u << 12)

#ifdef STM32NET_UNIT_TEST
static inline uint32_t irq_save(void) { return 0; }
static inline void irq_restore(uint32_t primask) { (void)primask; }
#else
static inline uint32_t irq_save(void)
{
    uint32_t primask;
    __asm__ volatile("mrs %0, primask\n\tcpsid i" : "=r"(primask) : : "memory");
    return primask;
}

static inline void irq_restore(uint32_t primask)
{
    __asm__ volatile("msr primask, %0" : : "r"(primask) : "memory");
}
#endif

#endif
