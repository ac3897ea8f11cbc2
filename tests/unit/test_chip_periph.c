/*
 * test_chip_periph.c - the emulated STM32F072's peripheral models through
 * its bus (sim/chip/chip_bus.c), without the CPU: one test per documented
 * rule of RCC (RM0091 6.4), FLASH_ACR (3.5.1), CRS (7.6), SYSCFG (9.1.1),
 * GPIO (8.4), IWDG (26.3, 26.4), SysTick (ARMv6-M B3.3), NVIC (B3.4, B1.5.4), SCB (B3.2), the
 * unique ID (33.1), clock gating and unmapped addresses.
 *
 * Layer: unit test (host). Time is virtual (chip_time_add_cycles).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

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
    chip_rcc_note_reset(CHIP_RESET_POWER_ON);                /* what the CPU does at power-on */
    assert_true(rd(RCC + 0x24) & (1u << 27));  /* PORRSTF */
    chip_rcc_note_reset(CHIP_RESET_SOFTWARE);                /* and at SYSRESETREQ */
    assert_true(rd(RCC + 0x24) & (1u << 28));  /* SFTRSTF */
    wr(RCC + 0x24, 1u << 24);                  /* RMVF */
    assert_int_equal(rd(RCC + 0x24) & 0xFE000000u, 0u);
}

/* ---- IWDG (RM0091 26.3 / 26.4): LSI 40 kHz, one LSI cycle = 25 us = 200
 * HCLK cycles at the reset 8 MHz */
#define IWDG 0x40003000u

static void lsi_cycles(uint64_t n)
{
    chip_time_add_cycles(n * 200u);
}

/* reset values; off until KR 0xCCCC, which counts 0x0FFF at LSI/4
 * (409.5 ms) and forces the LSI on (RCC_CSR.LSIRDY) */
static void test_iwdg_start(void **state)
{
    (void)state;
    assert_int_equal(rd(IWDG + 0x0), 0u);
    assert_int_equal(rd(IWDG + 0x4), 0u);
    assert_int_equal(rd(IWDG + 0x8), 0x0FFFu);
    assert_int_equal(rd(IWDG + 0xC), 0u);
    assert_int_equal(rd(IWDG + 0x10), 0x0FFFu);
    assert_int_equal(chip_iwdg_next_ns(), UINT64_MAX);
    lsi_cycles(100000);
    assert_false(chip_iwdg_expired());
    assert_false(rd(RCC + 0x24) & 2u);           /* LSIRDY */
    wr(IWDG, 0xAAAAu);                           /* a reload does not start it */
    assert_false(chip_iwdg_running());
    wr(IWDG, 0xCCCCu);
    assert_true(chip_iwdg_running());
    assert_true(rd(RCC + 0x24) & 2u);
    uint64_t t0 = chip_now_ns();
    assert_int_equal(chip_iwdg_next_ns() - t0, 409500000u);
    lsi_cycles(0x0FFFu * 4u - 1u);
    assert_false(chip_iwdg_expired());
    lsi_cycles(1);
    assert_true(chip_iwdg_expired());
}

/* PR/RLR/WINR writable only after KR 0x5555; any other key locks them again;
 * SR.PVU/RVU/WVU read 1 for 5 LSI cycles after a write, which is ignored
 * meanwhile; PR 3 bits, RLR and WINR 12 bits */
static void test_iwdg_protection(void **state)
{
    (void)state;
    wr(IWDG + 0x4, 4u);
    wr(IWDG + 0x8, 1250u);
    assert_int_equal(rd(IWDG + 0x4), 0u);        /* locked: ignored */
    assert_int_equal(rd(IWDG + 0x8), 0x0FFFu);
    wr(IWDG, 0x5555u);
    wr(IWDG + 0x4, 0xFFu);
    assert_int_equal(rd(IWDG + 0x4), 7u);
    assert_int_equal(rd(IWDG + 0xC), 1u);        /* PVU */
    wr(IWDG + 0x4, 4u);                          /* while PVU: ignored */
    assert_int_equal(rd(IWDG + 0x4), 7u);
    wr(IWDG + 0x8, 0xF4E2u);
    assert_int_equal(rd(IWDG + 0x8), 0x04E2u);
    assert_int_equal(rd(IWDG + 0xC), 3u);        /* PVU | RVU */
    lsi_cycles(5);
    assert_int_equal(rd(IWDG + 0xC), 0u);
    wr(IWDG + 0x4, 4u);
    assert_int_equal(rd(IWDG + 0x4), 4u);
    wr(IWDG, 0xAAAAu);                           /* reload locks again */
    lsi_cycles(5);
    wr(IWDG + 0x4, 2u);
    assert_int_equal(rd(IWDG + 0x4), 4u);
    wr(IWDG, 0x5555u);
    wr(IWDG, 0x1234u);                           /* so does any other key */
    wr(IWDG + 0x4, 2u);
    assert_int_equal(rd(IWDG + 0x4), 4u);
    uint32_t v = 0;
    assert_true(chip_bus_read(IWDG + 0x8, 2, &v));   /* half-word access */
    assert_false(chip_bus_read(IWDG + 0x8, 1, &v));  /* no byte access */
    assert_false(chip_bus_read(IWDG + 0x14, 4, &v)); /* past WINR */
}

/* the firmware's set-up (PR 4: LSI/64, RLR 1250 = 2 s): fed every 1.9 s it
 * never expires; unfed it expires 2 s after the last reload; no key stops
 * it; a system reset does (software watchdog option) */
static void test_iwdg_feed_and_expire(void **state)
{
    (void)state;
    wr(IWDG, 0xCCCCu);
    wr(IWDG, 0x5555u);
    wr(IWDG + 0x4, 4u);
    wr(IWDG + 0x8, 1250u);
    lsi_cycles(5);
    wr(IWDG, 0xAAAAu);
    for (unsigned i = 0; i < 5u; i++) {
        lsi_cycles(76000u);                      /* 1.9 s */
        assert_false(chip_iwdg_expired());
        wr(IWDG, 0xAAAAu);
    }
    wr(IWDG, 0x0000u);                           /* not a stop key: there is none */
    wr(IWDG, 0xFFFFu);
    assert_true(chip_iwdg_running());
    assert_int_equal(chip_iwdg_next_ns() - chip_now_ns(), 2000000000u);
    lsi_cycles(1250u * 64u - 1u);
    assert_false(chip_iwdg_expired());
    lsi_cycles(1);
    assert_true(chip_iwdg_expired());
    chip_periph_reset(false);                    /* what the CPU does next */
    assert_false(chip_iwdg_running());
    assert_false(chip_iwdg_expired());
    assert_int_equal(rd(IWDG + 0x8), 0x0FFFu);
    chip_rcc_note_reset(CHIP_RESET_IWDG);
    assert_true(rd(RCC + 0x24) & (1u << 29));    /* IWDGRSTF */
    assert_false(rd(RCC + 0x24) & (1u << 28));
}

/* a new PR applies from its write on: the count so far is kept */
static void test_iwdg_prescaler_change(void **state)
{
    (void)state;
    wr(IWDG, 0xCCCCu);                           /* 0x0FFF at LSI/4 */
    lsi_cycles(4u * 95u);                        /* 95 counts: 4000 left */
    wr(IWDG, 0x5555u);
    wr(IWDG + 0x4, 1u);                          /* LSI/8 */
    uint64_t left = chip_iwdg_next_ns() - chip_now_ns();
    assert_int_equal(left, 4000ull * 8u * 25000u);
}

/* window option: WINR write reloads; a refresh while the counter is above
 * WINR resets; inside the window it reloads */
static void test_iwdg_window(void **state)
{
    (void)state;
    wr(IWDG, 0xCCCCu);
    wr(IWDG, 0x5555u);
    wr(IWDG + 0x8, 1000u);
    lsi_cycles(4u * 100u);                       /* counter 0x0FFF - 100 */
    wr(IWDG + 0x10, 500u);                       /* reloads: 1000 */
    assert_int_equal(chip_iwdg_next_ns() - chip_now_ns(), 1000ull * 4u * 25000u);
    lsi_cycles(4u * 600u);                       /* 400: inside the window */
    wr(IWDG, 0xAAAAu);
    assert_false(chip_iwdg_expired());
    wr(IWDG, 0xAAAAu);                           /* 1000 > 500: too early */
    assert_true(chip_iwdg_expired());
}

/* live time: the host's clock, except that a gap of more than 250 ms
 * between two looks (the simulator stopped or starved) is cut to 250 ms,
 * so SysTick and the IWDG see the chip frozen, not time flying past */
static void test_live_time_cuts_host_stalls(void **state)
{
    (void)state;
    chip_time_init(CHIP_TIME_LIVE);
    uint64_t t0 = chip_now_ns();
    struct timespec d = {0, 20000000};            /* 20 ms: counted in full */
    nanosleep(&d, NULL);
    uint64_t t1 = chip_now_ns();
    assert_true(t1 - t0 >= 20000000u && t1 - t0 < 250000000u);
    d.tv_nsec = 600000000;                        /* 600 ms "stall": 250 ms of it */
    nanosleep(&d, NULL);
    uint64_t t2 = chip_now_ns();
    assert_int_equal(t2 - t1, 250000000u);
    chip_time_init(CHIP_TIME_VIRTUAL);
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
        cmocka_unit_test_setup(test_iwdg_start, fresh),
        cmocka_unit_test_setup(test_iwdg_protection, fresh),
        cmocka_unit_test_setup(test_iwdg_feed_and_expire, fresh),
        cmocka_unit_test_setup(test_iwdg_prescaler_change, fresh),
        cmocka_unit_test_setup(test_iwdg_window, fresh),
        cmocka_unit_test_setup(test_live_time_cuts_host_stalls, fresh),
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
