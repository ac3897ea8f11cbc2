/*
 * board.c - board.h for the STM32F072B-DISCO.
 *
 * Layer: port/stm32f072. Includes board.h, our register header and clock.h.
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
 * Limits: no RTC/wall clock here; board_panic() keeps no message (no console).
 */
#include "board.h"
#include "clock.h"
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

static bool board_button_pin(void)
{
    return (GPIO_IDR(GPIOA_BASE) & 1u) != 0u;
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
    RCC_CSR |= RCC_CSR_RMVF;
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
    /* A power-on also sets PINRSTF (NRST is held low while the supply
     * rises), and a watchdog reset drives NRST too: the most specific
     * flag wins. */
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
        if ((((uint32_t)board_csr_flags << 24) & causes[i].flag) != 0u) {
            return causes[i].name;
        }
    }
    return "unknown";
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
