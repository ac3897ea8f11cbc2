/*
 * board.c - board.h for the STM32F072B-DISCO.
 *
 * Layer: port/stm32f072. Includes board.h, our register header, clock.h and
 * reset_cause.h.
 * Board facts (UM1690): LEDs on PC6 (red), PC7 (blue), PC8 (orange), PC9
 * (green), active high; user button B1 on PA0, active high with an external
 * pull-down. The 96-bit unique ID is at 0x1FFFF7AC (RM0091 33.1).
 * Bootloader (AN2606, STM32F07x: system memory at 0x1FFFC800): the ROM
 * bootloader expects a chip close to its reset state (clocks, USB, interrupts).
 * Instead of un-configuring everything, board_enter_bootloader() leaves a magic
 * word in .noinit RAM (not touched by the startup code) and requests a system
 * reset. board_boot_hook(), run first by Reset_Handler, sees the word, clears
 * it, maps system memory at address 0 (SYSCFG_CFGR1.MEM_MODE = 01, because the
 * Cortex-M0 has no VTOR and the bootloader's vectors must be the active ones),
 * loads the bootloader's initial SP from 0x1FFFC800 and jumps to its reset
 * vector at 0x1FFFC804. It then enumerates as the ST DFU device (0483:df11).
 * Button: B1 is a plain contact that bounces for a few ms; every read samples
 * PA0 through debounce.c (20 ms), so the level and the press counter are the
 * debounced ones. Sampling happens when the app reads the button, i.e. on
 * every main-loop pass (at least once per 1 ms SysTick wake-up).
 * Reset cause: RCC_CSR's flags (RM0091 7.4.10) are read once in board_init()
 * and cleared with RMVF, so the next reset shows only its own cause.
 * USB class choice (issue 11): B1 held at a power-up selects the other class
 * until the next power-up; class_keep.h decides from a .noinit word, which a
 * start with PORRSTF (power-on/power-down reset, RM0091 6.1.2 and 6.4.10;
 * the F072 has no separate brown-out flag) does not trust.
 * Limits: no RTC/wall clock here; board_panic() keeps no message (no console).
 *
 * Recovery (the chip resets itself instead of parking):
 * - IWDG (RM0091 26): started by board_init() (a build with BOARD_IWDG=0
 *   leaves it off, e.g. for a debugging session), fed by
 *   board_watchdog_feed() from the main loop only. LSI 40 kHz nominal (30..50 kHz, datasheet) / 64
 *   with reload 1250: 2 s nominal, 1.6 s at the fastest LSI - far above one
 *   loop pass (the loop wakes at least every SysTick ms). It is not frozen
 *   while a debugger halts the core (DBGMCU_APB1_FZ.DBG_IWDG_STOP): debug
 *   with BOARD_IWDG=0.
 * - Faults: every exception handler we did not write (NMI, HardFault, stray
 *   interrupts: startup.c's Default_Handler) calls board_fault() with the
 *   stacked frame (ARMv6-M B1.5.6: r0-r3, r12, lr, pc, xpsr) and IPSR. It
 *   records pc, lr and the exception number in .noinit RAM (the startup
 *   code zeroes only .bss) and requests a system reset. A fault while the
 *   stack itself is gone (overflow below 0x20000000) cannot be stacked: the
 *   core locks up, the watchdog then resets it and the cause reads "watchdog".
 * - board_init() takes the record with RCC_CSR's flags; board_reset_cause()
 *   (decoded by reset_cause.h) says "fault" for such a reset and
 *   board_fault_record() gives pc/lr/exception (/api/status shows them).
 * - Stack: board_stack_paint() (Reset_Handler, before main) fills the free
 *   stack with BOARD_STACK_PAINT; board_stack_usage() finds the deepest
 *   word ever overwritten. Exact for everything but a frame that happened
 *   to write the paint value itself (then it under-reports by that word).
 */
#include "board.h"
#include "clock.h"
#include "reset_cause.h"
#include "class_keep.h"
#include "debounce.h"
#include "stm32f072.h"

#define BOARD_BOOT_MAGIC 0xB007DF11u

__attribute__((section(".noinit"))) static volatile uint32_t board_boot_request;

void board_boot_hook(void);

void board_boot_hook(void)
{
    if (board_boot_request != BOARD_BOOT_MAGIC) {
        return;
    }
    board_boot_request = 0u;
    RCC_APB2ENR |= RCC_APB2ENR_SYSCFGCOMPEN;
    (void)RCC_APB2ENR;  /* read back: the clock is running before the first SYSCFG write */
    SYSCFG_CFGR1 = (SYSCFG_CFGR1 & ~SYSCFG_CFGR1_MEM_MODE_Msk) | SYSCFG_CFGR1_MEM_MODE_SYSMEM;
    uint32_t sp = REG32(SYSMEM_BASE_ADDR);
    uint32_t pc = REG32(SYSMEM_BASE_ADDR + 4u);
    __asm__ volatile(
        "msr msp, %0\n\t"
        "bx %1\n\t"
        : : "r"(sp), "r"(pc) : "memory");
    for (;;) {
    }
}

static const uint8_t board_led_pin[BOARD_LED_COUNT] = {6u, 7u, 8u, 9u};
static debounce_t board_button;
static uint8_t board_csr_flags;   /* RCC_CSR[31:24] at boot, before RMVF */
__attribute__((section(".noinit"))) static volatile uint32_t board_class_word;
static bool board_class_other;    /* decided once by board_init() */

static bool board_button_pin(void)
{
    return (GPIO_IDR(GPIOA_BASE) & 1u) != 0u;
}

/* ------------------------------------------------------------ recovery */

#define BOARD_FAULT_MAGIC  0xFA017EC0u
#define BOARD_STACK_PAINT  0xA5A5A5A5u
#define BOARD_IWDG_PR      4u      /* LSI / 64 (RM0091 26.4.2) */
#define BOARD_IWDG_RELOAD  1250u   /* 2 s at 40 kHz; 12-bit register */

/* Left by board_fault() for the next start; read and invalidated by board_init(). */
typedef struct {
    uint32_t magic;
    uint32_t exception;
    uint32_t pc;
    uint32_t lr;
} board_fault_record_t;

__attribute__((section(".noinit"))) static volatile board_fault_record_t board_fault_rec;
static bool board_reset_was_fault;  /* found by board_init() */

extern uint32_t _sstack, _estack;
void board_stack_paint(void);
void board_fault(const uint32_t *frame, uint32_t ipsr) __attribute__((noreturn, used));

void board_stack_paint(void)
{
    uint32_t *sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    /* Below the live frame only (no interrupt is enabled yet), through a
     * volatile pointer: as a plain loop GCC makes it a memset() call, whose
     * own frame lies below sp and would be painted over (the return address
     * with it). 32 bytes of margin for anything else pushed from here on. */
    for (volatile uint32_t *p = &_sstack; p < sp - 8; p++) {
        *p = BOARD_STACK_PAINT;
    }
}

void board_stack_usage(uint32_t *used, uint32_t *size)
{
    const uint32_t *p = &_sstack;
    while (p < &_estack && *p == BOARD_STACK_PAINT) {
        p++;
    }
    *used = (uint32_t)((uintptr_t)&_estack - (uintptr_t)p);
    *size = (uint32_t)((uintptr_t)&_estack - (uintptr_t)&_sstack);
}

void board_fault(const uint32_t *frame, uint32_t ipsr)
{
    (void)irq_save();
    uintptr_t f = (uintptr_t)frame;
    /* the frame is 8 words; anything outside RAM was not stacked by the core */
    int ok = f >= 0x20000000u && f + 32u <= 0x20004000u && (f & 3u) == 0u;
    board_fault_rec.exception = ipsr & 0x3Fu;
    board_fault_rec.lr = ok ? frame[5] : 0xFFFFFFFFu;
    board_fault_rec.pc = ok ? frame[6] : 0xFFFFFFFFu;
    board_fault_rec.magic = BOARD_FAULT_MAGIC;
    __asm__ volatile("dsb" : : : "memory");
    SCB_AIRCR = SCB_AIRCR_VECTKEY | SCB_AIRCR_SYSRESETREQ;
    __asm__ volatile("dsb" : : : "memory");
    for (;;) {
    }
}

/* Once, at board_init(), with RCC_CSR's flags as read there: a software
 * reset with a valid record was a fault. The record is invalidated so the
 * next software reset does not look like one; pc/lr stay readable. */
static void board_reset_capture(void)
{
    board_reset_was_fault = (((uint32_t)board_csr_flags << 24) & RCC_CSR_SFTRSTF) != 0u &&
                            board_fault_rec.magic == BOARD_FAULT_MAGIC;
    board_fault_rec.magic = 0u;
}

bool board_fault_record(uint32_t *pc, uint32_t *lr, uint32_t *exception)
{
    if (!board_reset_was_fault) {
        return false;
    }
    *pc = board_fault_rec.pc;
    *lr = board_fault_rec.lr;
    *exception = board_fault_rec.exception;
    return true;
}

/* The watchdog runs in every build (the emulated chip models it too,
 * sim/chip/chip_iwdg.c); BOARD_IWDG=0 turns it off, and then
 * board_watchdog_feed() is a no-op. */
#ifndef BOARD_IWDG
#define BOARD_IWDG 1
#endif
static bool board_iwdg_on;

static void board_watchdog_start(void)
{
    if (!BOARD_IWDG) {
        return;
    }
    IWDG_KR = IWDG_KR_START;    /* RM0091 26.3.2: start first (it also starts the LSI) */
    IWDG_KR = IWDG_KR_UNLOCK;
    IWDG_PR = BOARD_IWDG_PR;
    IWDG_RLR = BOARD_IWDG_RELOAD;
    /* the new values reach the LSI domain within a few LSI cycles (~0.2 ms);
     * bounded: a watchdog that never reports ready still counts from reset values */
    for (uint32_t n = 0; n < 100000u && (IWDG_SR & IWDG_SR_BUSY) != 0u; n++) {
    }
    IWDG_KR = IWDG_KR_RELOAD;
    board_iwdg_on = true;
}

void board_watchdog_feed(void)
{
    if (board_iwdg_on) {
        IWDG_KR = IWDG_KR_RELOAD;
    }
}

void board_init(void)
{
    if (!clock_init()) {
        board_panic("clock", __FILE__, __LINE__);
    }
    RCC_AHBENR |= RCC_AHBENR_IOPAEN | RCC_AHBENR_IOPCEN;
    for (unsigned i = 0; i < BOARD_LED_COUNT; i++) {
        unsigned pin = board_led_pin[i];
        GPIO_BRR(GPIOC_BASE) = 1u << pin;
        GPIO_MODER(GPIOC_BASE) = (GPIO_MODER(GPIOC_BASE) & ~(3u << (2u * pin))) |
                                 (GPIO_MODE_OUTPUT << (2u * pin));
    }
    /* PA0 stays an input (reset state); the board has its own pull-down.
     * PA11/PA12 need no set-up: on the F072 they connect to the USB as soon
     * as the USB peripheral is enabled (datasheet, "additional functions"). */
    GPIO_MODER(GPIOA_BASE) &= ~(3u << 0);
    debounce_init(&board_button, board_button_pin(), clock_millis());
    board_csr_flags = (uint8_t)(RCC_CSR >> 24);
    board_reset_capture();
    board_class_other = class_keep_start(
        &board_class_word, (((uint32_t)board_csr_flags << 24) & RCC_CSR_PORRSTF) != 0u,
        board_button.level);
    RCC_CSR |= RCC_CSR_RMVF;
    board_watchdog_start();
}

uint32_t board_millis(void)
{
    return clock_millis();
}

void board_unique_id(uint8_t id[BOARD_UID_LEN])
{
    const volatile uint8_t *uid = (const volatile uint8_t *)(uintptr_t)UID_BASE_ADDR;
    for (unsigned i = 0; i < BOARD_UID_LEN; i++) {
        id[i] = uid[i];
    }
}

void board_led_set(unsigned n, bool on)
{
    if (n >= BOARD_LED_COUNT) {
        return;
    }
    uint32_t bit = 1u << board_led_pin[n];
    if (on) {
        GPIO_BSRR(GPIOC_BASE) = bit;
    } else {
        GPIO_BRR(GPIOC_BASE) = bit;
    }
}

bool board_led_get(unsigned n)
{
    if (n >= BOARD_LED_COUNT) {
        return false;
    }
    return (GPIO_ODR(GPIOC_BASE) & (1u << board_led_pin[n])) != 0u;
}

bool board_button_read(void)
{
    (void)debounce_sample(&board_button, board_button_pin(), clock_millis());
    return board_button.level;
}

uint32_t board_button_presses(void)
{
    (void)debounce_sample(&board_button, board_button_pin(), clock_millis());
    return board_button.presses;
}

const char *board_reset_cause(void)
{
    return stm32_reset_cause_name((uint32_t)board_csr_flags << 24, board_reset_was_fault);
}

bool board_other_class(void)
{
    return board_class_other;
}

void board_idle(void)
{
    /* SysTick and USB interrupts wake us; the main loop re-polls each time. */
    __asm__ volatile("wfi");
}

void board_enter_bootloader(void)
{
    (void)irq_save();
    board_boot_request = BOARD_BOOT_MAGIC;
    __asm__ volatile("dsb" : : : "memory");
    SCB_AIRCR = SCB_AIRCR_VECTKEY | SCB_AIRCR_SYSRESETREQ;
    __asm__ volatile("dsb" : : : "memory");
    for (;;) {
    }
}

void board_panic(const char *msg, const char *file, int line)
{
    (void)msg;
    (void)file;
    (void)line;
    (void)irq_save();
    /* all four LEDs on: visible without a debugger; a debugger sees the args.
     * The GPIO set-up is repeated because a panic may precede board_init's. */
    RCC_AHBENR |= RCC_AHBENR_IOPCEN;
    GPIO_MODER(GPIOC_BASE) = (GPIO_MODER(GPIOC_BASE) & ~0x000FF000u) | 0x00055000u;
    GPIO_BSRR(GPIOC_BASE) = (1u << 6) | (1u << 7) | (1u << 8) | (1u << 9);
    for (;;) {
    }
}
