/*
 * test_chip_periph.c - the emulated STM32F072's peripheral models through
 * its bus (sim/chip/chip_bus.c), without the CPU: one test per documented
 * rule of RCC (RM0091 6.4), FLASH_ACR (3.5.1), CRS (7.6), SYSCFG (9.1.1),
 * GPIO (8.4), SysTick (ARMv6-M B3.3), NVIC (B3.4, B1.5.4), SCB (B3.2), the
 * unique ID (33.1), clock gating and unmapped addresses.
 *
 * Layer: unit test (host). Time is virtual (chip_time_add_cycles).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chip_periph.h"

unsigned chip_cpu_ipsr(void);
unsigned chip_cpu_ipsr(void)
{
    return 0;  /* Thread mode: the bus asks for ICSR.VECTACTIVE */
}

static uint32_t rd(uint32_t a)
{
    uint32_t v = 0;
    if (!chip_bus_read(a, 4, &v)) {
        fail_msg("read 0x%08x: %s", a, chip_bus_error());
    }
    return v;
}

static void wr(uint32_t a, uint32_t v)
{
    if (!chip_bus_write(a, 4, v)) {
        fail_msg("write 0x%08x: %s", a, chip_bus_error());
    }
}

static int fresh(void **state)
{
    (void)state;
    chip_time_init(CHIP_TIME_VIRTUAL);
    chip_periph_reset(true);
    return 0;
}

#define RCC 0x40021000u
#define GPIOA 0x48000000u
#define GPIOC 0x48000800u

/* RCC: reset values, ready flags follow enables, SWS follows a ready SW,
 * the flash needs a wait state above 24 MHz, CSR reset flags and RMVF */
static void test_rcc(void **state)
{
    (void)state;
    assert_int_equal(rd(RCC + 0x00) & 0xFFu, 0x83u);
    assert_int_equal(rd(RCC + 0x14), 0x14u);
    assert_int_equal(chip_rcc_hclk_hz(), 8000000u);
    wr(0x40022000u, 0x11u);                    /* LATENCY 1 first, as RM0091 3.2.1 asks */
    wr(RCC + 0x04, 3u);                        /* SW = HSI48, not on yet: SWS stays HSI */
    assert_int_equal((rd(RCC + 0x04) >> 2) & 3u, 0u);
    wr(RCC + 0x34, 1u << 16);                  /* HSI48ON */
    assert_true(rd(RCC + 0x34) & (1u << 17));  /* HSI48RDY */
    assert_int_equal((rd(RCC + 0x04) >> 2) & 3u, 3u);  /* now switched */
    assert_int_equal(chip_rcc_hclk_hz(), 48000000u);
    assert_null(chip_periph_failure());
    chip_rcc_note_reset(false);                /* what the CPU does at power-on */
    assert_true(rd(RCC + 0x24) & (1u << 27));  /* PORRSTF */
    chip_rcc_note_reset(true);                 /* and at SYSRESETREQ */
    assert_true(rd(RCC + 0x24) & (1u << 28));  /* SFTRSTF */
    wr(RCC + 0x24, 1u << 24);                  /* RMVF */
    assert_int_equal(rd(RCC + 0x24) & 0xFE000000u, 0u);
}

static void test_rcc_flash_latency_check(void **state)
{
    (void)state;
    wr(RCC + 0x34, 1u << 16);
    wr(0x40022000u, 0x10u);                    /* LATENCY 0 */
    wr(RCC + 0x04, 3u);                        /* 48 MHz: too fast for 0 WS */
    assert_non_null(chip_periph_failure());
}

static void test_flash_acr(void **state)
{
    (void)state;
    assert_int_equal(rd(0x40022000u), 0x30u);  /* PRFTBE | PRFTBS */
    wr(0x40022000u, 0x01u);
    assert_int_equal(rd(0x40022000u), 0x01u);  /* PRFTBS follows PRFTBE */
    uint32_t v;
    assert_false(chip_bus_read(0x40022004u, 4, &v));  /* KEYR: not modelled */
}

/* CRS: reset values, CFGR write-protected while CEN = 1, clock gate */
static void test_crs(void **state)
{
    (void)state;
    uint32_t v;
    assert_false(chip_bus_read(0x40006C00u, 4, &v));  /* CRSEN = 0 */
    wr(RCC + 0x1C, 1u << 27);
    assert_int_equal(rd(0x40006C00u), 0x2000u);
    assert_int_equal(rd(0x40006C04u), 0x2022BB7Fu);
    wr(0x40006C04u, 0x2022BB00u);
    assert_int_equal(rd(0x40006C04u), 0x2022BB00u);
    wr(0x40006C00u, 0x60u);                    /* CEN | AUTOTRIMEN */
    wr(0x40006C04u, 0x12345678u);
    assert_int_equal(rd(0x40006C04u), 0x2022BB00u);
}

/* GPIO: reset values, BSRR (set wins), BRR, IDR of outputs / inputs /
 * pulls, byte access, port clock */
static void test_gpio(void **state)
{
    (void)state;
    uint32_t v;
    assert_false(chip_bus_read(GPIOC, 4, &v));  /* IOPCEN = 0 */
    wr(RCC + 0x14, 0x14u | (1u << 17) | (1u << 19));
    assert_int_equal(rd(GPIOA), 0x28000000u);
    assert_int_equal(rd(GPIOA + 0x0C), 0x24000000u);
    assert_int_equal(rd(GPIOC), 0);
    wr(GPIOC, 0x55u << 12);                    /* PC6..PC9 outputs */
    wr(GPIOC + 0x18, (1u << 7) | (1u << 6) | (1u << (16 + 6)));  /* set wins */
    assert_int_equal(rd(GPIOC + 0x14), 0xC0u);
    assert_int_equal(rd(GPIOC + 0x18), 0);     /* BSRR reads 0 */
    wr(GPIOC + 0x28, 1u << 6);                 /* BRR */
    assert_int_equal(rd(GPIOC + 0x14), 0x80u);
    assert_int_equal(rd(GPIOC + 0x10) & 0x3C0u, 0x80u);  /* IDR of outputs = ODR */
    assert_int_equal(chip_gpio_odr(2), 0x80u);
    /* PA0 input: the button drives it; PA1 floating reads 0, pull-up reads 1 */
    assert_int_equal(rd(GPIOA + 0x10) & 1u, 0);
    chip_gpio_set_input(0, 0, true);
    assert_int_equal(rd(GPIOA + 0x10) & 1u, 1u);
    wr(GPIOA + 0x0C, 0x24000000u | (1u << 2));  /* PA1 pull-up */
    assert_int_equal(rd(GPIOA + 0x10) & 2u, 2u);
    assert_true(chip_bus_write(GPIOC + 0x15, 1, 0x02));  /* ODR byte 1: PC9 */
    assert_int_equal(chip_gpio_odr(2), 0x280u);
    assert_false(chip_bus_read(GPIOC + 0x2C, 4, &v));     /* past BRR */
}

/* SysTick: counts from RVR, wraps set COUNTFLAG (cleared by reading CSR)
 * and pend SysTick with TICKINT; writing CVR clears it; CALIB */
static void test_systick(void **state)
{
    (void)state;
    wr(0xE000E014u, 7999u);
    wr(0xE000E018u, 12345u);                   /* any value: clears to 0 */
    assert_int_equal(rd(0xE000E018u), 0);
    wr(0xE000E010u, 7u);
    chip_time_add_cycles(1);                   /* 0 -> reload */
    assert_int_equal(rd(0xE000E018u), 7999u);
    chip_time_add_cycles(7999);                /* reaches 0: one wrap */
    assert_int_equal(chip_systick_update(), 1);
    assert_true(chip_nvic_is_pending(CHIP_EXC_SYSTICK));
    assert_true(rd(0xE000E010u) & (1u << 16));
    assert_false(rd(0xE000E010u) & (1u << 16));  /* read cleared it */
    chip_time_add_cycles(8000u * 3u);
    assert_int_equal(chip_systick_update(), 3);
    assert_int_equal(rd(0xE000E01Cu), 6000u);
    wr(0xE000E010u, 0);
    assert_int_equal(chip_systick_next_ns(), UINT64_MAX);
}

/* NVIC: set/clear enable and pending, priority bits 7:6 only, word access,
 * ties go to the lower number, PRIMASK, level lines re-pend */
static void test_nvic(void **state)
{
    (void)state;
    uint32_t v;
    wr(0xE000E100u, (1u << 3) | (1u << 5));
    assert_int_equal(rd(0xE000E180u), (1u << 3) | (1u << 5));
    wr(0xE000E180u, 1u << 3);
    assert_int_equal(rd(0xE000E100u), 1u << 5);
    wr(0xE000E400u, 0xFFFFFFFFu);
    assert_int_equal(rd(0xE000E400u), 0xC0C0C0C0u);
    assert_false(chip_bus_read(0xE000E400u, 1, &v));
    wr(0xE000E400u, 0);
    wr(0xE000E100u, (1u << 3) | (1u << 5));
    wr(0xE000E200u, (1u << 3) | (1u << 5));
    assert_int_equal(chip_nvic_next(false), CHIP_EXC_IRQ0 + 3u);  /* tie: lower number */
    assert_int_equal(chip_nvic_next(true), 0u);                   /* PRIMASK */
    chip_nvic_activate(CHIP_EXC_IRQ0 + 3u);
    assert_int_equal(chip_nvic_next(false), 0u);  /* same priority cannot preempt */
    chip_nvic_deactivate(CHIP_EXC_IRQ0 + 3u);
    wr(0xE000E280u, 1u << 5);
    assert_int_equal(chip_nvic_next(false), 0u);
    /* level line: pending again while high even after ICPR */
    wr(0xE000E100u, 1u << 31);
    chip_nvic_irq_line(CHIP_IRQ_USB, true);
    wr(0xE000E280u, 1u << 31);
    assert_true(chip_nvic_is_pending(CHIP_EXC_IRQ0 + 31u));
    chip_nvic_irq_line(CHIP_IRQ_USB, false);
    wr(0xE000E280u, 1u << 31);
    assert_false(chip_nvic_is_pending(CHIP_EXC_IRQ0 + 31u));
}

/* SCB: CPUID, AIRCR key, ICSR pend bits, SHPR priorities, CCR fixed bits */
static void test_scb(void **state)
{
    (void)state;
    assert_int_equal(rd(0xE000ED00u), 0x410CC200u);
    assert_int_equal(rd(0xE000ED0Cu) >> 16, 0xFA05u);
    assert_int_equal(rd(0xE000ED14u), (1u << 9) | (1u << 3));
    wr(0xE000ED0Cu, 0x12340004u);              /* wrong key: ignored */
    assert_false(chip_scb_reset_requested());
    wr(0xE000ED0Cu, 0x05FA0004u);
    assert_true(chip_scb_reset_requested());
    wr(0xE000ED04u, 1u << 28);                 /* PENDSVSET */
    assert_true(rd(0xE000ED04u) & (1u << 28));
    assert_int_equal((rd(0xE000ED04u) >> 12) & 0x3Fu, CHIP_EXC_PENDSV);
    wr(0xE000ED04u, 1u << 27);                 /* PENDSVCLR */
    assert_false(chip_nvic_is_pending(CHIP_EXC_PENDSV));
    wr(0xE000ED20u, 0xFFFFFFFFu);
    assert_int_equal(rd(0xE000ED20u), 0xC0C00000u);
    assert_int_equal(chip_nvic_priority(CHIP_EXC_SYSTICK), 0xC0);
}

/* the unique ID reads from 0x1FFFF7AC in any width; system memory starts
 * with the stub ROM's vector table (SP, reset vector with the Thumb bit,
 * the other vectors at the trap), its code is `b .`; the rest reads erased;
 * it cannot be written */
static void test_sysmem_uid(void **state)
{
    (void)state;
    const uint8_t id[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    uint32_t v;
    chip_sysmem_set_uid(id);
    assert_int_equal(rd(0x1FFFF7ACu), 0x04030201u);
    assert_true(chip_bus_read(0x1FFFF7B7u, 1, &v));
    assert_int_equal(v, 12);
    assert_int_equal(rd(0x1FFFC800u), CHIP_ROM_STUB_SP);
    assert_int_equal(rd(0x1FFFC804u), CHIP_ROM_STUB_ENTRY | 1u);
    assert_int_equal(rd(0x1FFFC808u), CHIP_ROM_STUB_TRAP | 1u);
    assert_int_equal(rd(0x1FFFC8BCu), CHIP_ROM_STUB_TRAP | 1u);   /* vector 47 */
    assert_true(chip_bus_read(CHIP_ROM_STUB_ENTRY, 2, &v));
    assert_int_equal(v, 0xE7FEu);
    assert_true(chip_bus_read(CHIP_ROM_STUB_TRAP, 2, &v));
    assert_int_equal(v, 0xE7FEu);
    assert_int_equal(rd(0x1FFFC8C4u), 0xFFFFFFFFu);
    assert_true(CHIP_ROM_STUB_SP >= CHIP_SRAM_BASE && CHIP_ROM_STUB_SP <= CHIP_SRAM_BASE + CHIP_SRAM_SIZE);
    uint8_t img[CHIP_SYSMEM_END - CHIP_SYSMEM_BASE];
    chip_sysmem_image(img);
    assert_int_equal(img[CHIP_UID_ADDR - CHIP_SYSMEM_BASE], 1);
    assert_int_equal(img[CHIP_UID_ADDR - CHIP_SYSMEM_BASE + 11u], 12);
    assert_int_equal(img[4], (CHIP_ROM_STUB_ENTRY | 1u) & 0xFFu);
    assert_false(chip_bus_write(0x1FFFF7ACu, 4, 0));
    assert_false(chip_bus_read(0x1FFFF800u, 4, &v));  /* option bytes: not modelled */
}

/* USB registers need RCC_APB1ENR.USBEN; USBRST resets them; SYSCFG needs its
 * clock, keeps MEM_MODE (RM0091 9.1.1) and flags a change for the CPU */
static void test_usb_gate_and_syscfg(void **state)
{
    (void)state;
    uint32_t v;
    assert_false(chip_bus_read(0x40005C40u, 2, &v));
    wr(RCC + 0x1C, 1u << 23);
    assert_true(chip_bus_read(0x40005C40u, 2, &v));
    assert_int_equal(v, 3u);
    assert_true(chip_bus_write(0x40005C40u, 2, 0));
    wr(RCC + 0x10, 1u << 23);                  /* APB1RSTR.USBRST */
    assert_true(chip_bus_read(0x40005C40u, 2, &v));
    assert_int_equal(v, 3u);
    assert_false(chip_bus_read(0x40010000u, 4, &v));  /* SYSCFG clock off */
    wr(RCC + 0x18, 1u);
    assert_int_equal(chip_syscfg_mem_mode(), 0);   /* reset: main flash (BOOT0 low) */
    chip_periph_attention = false;
    wr(0x40010000u, 1u);                       /* MEM_MODE = system memory */
    assert_int_equal(rd(0x40010000u), 1u);
    assert_int_equal(chip_syscfg_mem_mode(), 1);
    assert_true(chip_periph_attention);
    assert_null(chip_periph_failure());
    chip_periph_attention = false;
    wr(0x40010000u, 1u | 0x10u);               /* same MEM_MODE: nothing to remap */
    assert_false(chip_periph_attention);
    assert_false(chip_bus_read(0x50000000u, 4, &v));
    assert_non_null(strstr(chip_bus_error(), "unmapped"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_rcc, fresh),
        cmocka_unit_test_setup(test_rcc_flash_latency_check, fresh),
        cmocka_unit_test_setup(test_flash_acr, fresh),
        cmocka_unit_test_setup(test_crs, fresh),
        cmocka_unit_test_setup(test_gpio, fresh),
        cmocka_unit_test_setup(test_systick, fresh),
        cmocka_unit_test_setup(test_nvic, fresh),
        cmocka_unit_test_setup(test_scb, fresh),
        cmocka_unit_test_setup(test_sysmem_uid, fresh),
        cmocka_unit_test_setup(test_usb_gate_and_syscfg, fresh),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
