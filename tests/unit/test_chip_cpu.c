/*
 * test_chip_cpu.c - the emulated Cortex-M0 (sim/chip/chip_cpu.c): exception
 * entry and return, stack alignment, EXC_RETURN, IPSR, PRIMASK, priorities
 * and preemption, WFI wake-up, SVC, SysTick in virtual time, SYSRESETREQ,
 * the IWDG's reset of a loop that stops feeding it,
 * and every kind of fault ending the run with a report.
 *
 * Layer: unit test (host). Links chip_cpu.c, chip_elf.c, the peripheral models
 * and Unicorn. The images are tiny Thumb programs (tests/unit/chip_img/NAME.S,
 * assembled by the build) whose handlers leave their observations in
 * registers; each test names the ARMv6-M ARM rule it checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "chip.h"

static void load(const char *name, chip_time_mode_t mode)
{
    char path[256], err[256];
    snprintf(path, sizeof path, "%s/%s.elf", CHIP_IMG_DIR, name);
    int r = chip_open(path, mode, NULL, err, sizeof err);
    if (r != 0) {
        fprintf(stderr, "%s\n", err);
    }
    assert_int_equal(r, 0);
}

/* runs until the image sleeps with nothing pending */
static chip_state_t run_to_idle(void)
{
    chip_state_t s = CHIP_BUSY;
    for (unsigned i = 0; i < 100u && s == CHIP_BUSY; i++) {
        s = chip_run(100000);
    }
    return s;
}

/* B1.5.6 entry (8-word frame, alignment, xPSR bit 9, LR = EXC_RETURN, IPSR)
 * and B1.5.8 return (frame popped, padding removed, SP restored). */
static void test_entry_and_return(void **state)
{
    (void)state;
    load("exc", CHIP_TIME_VIRTUAL);
    assert_int_equal(run_to_idle(), CHIP_IDLE);
    assert_int_equal(chip_cpu_reg(4), 2);                  /* two PendSVs */
    assert_int_equal(chip_cpu_reg(6), 0x20001000u - 32u);  /* aligned: no padding */
    assert_int_equal(chip_cpu_reg(5), (0x20000FFCu - 32u) & ~7u);  /* padded to 8 */
    assert_true(chip_cpu_reg(10) & (1u << 9));            /* stacked xPSR says so */
    assert_true(chip_cpu_reg(10) & (1u << 24));           /* and keeps T */
    assert_int_equal(chip_cpu_reg(7), 0xFFFFFFF9u);        /* from Thread mode, MSP */
    assert_int_equal(chip_cpu_reg(11), 14);                /* IPSR = PendSV */
    assert_int_equal(chip_cpu_reg(2), 0);                  /* r2 restored from the frame */
    assert_int_equal(chip_cpu_reg(9), 11);                 /* IPSR = SVCall */
    assert_int_equal(chip_cpu_reg(8), 0x080000D6u);        /* after_svc: the next instruction */
    assert_int_equal(chip_cpu_reg(0), 0x5A);               /* and it ran after the return */
    assert_int_equal(chip_cpu_reg(13), 0x20001000u);       /* SP back where it was */
    assert_int_equal(chip_cpu_reg(16) & 0x3Fu, 0);         /* Thread mode again */
    assert_int_equal(chip_stats()->exceptions, 3);
    assert_false(chip_faulted());
}

/* B1.5.4 / B1.5.19: PRIMASK holds a pending exception back, WFI still wakes
 * on it; a higher priority preempts a running handler (nested EXC_RETURN). */
static void test_primask_wfi_priorities(void **state)
{
    (void)state;
    load("prio", CHIP_TIME_VIRTUAL);
    assert_int_equal(run_to_idle(), CHIP_IDLE);
    assert_int_equal(chip_cpu_reg(6), 7);           /* PendSV ran only after CPSIE */
    assert_int_equal(chip_cpu_reg(4), 0x2123);      /* PendSV, IRQ0, nested PendSV, IRQ0 end */
    assert_int_equal(chip_cpu_reg(7), 0xFFFFFFF1u); /* nested: return to Handler mode */
    assert_false(chip_faulted());
}

/* SysTick (B3.3) in virtual time: 1 ms ticks, WFI skips to the next one;
 * the same image gives the same instruction count (determinism). */
static void test_systick_virtual_time(void **state)
{
    (void)state;
    uint64_t insns[2];
    for (unsigned round = 0; round < 2u; round++) {
        load("systick", CHIP_TIME_VIRTUAL);
        while (chip_now_ns() < 10500000u) {
            chip_state_t s = chip_run(100000);
            assert_int_not_equal(s, CHIP_FAULT);
            if (s == CHIP_IDLE) {
                chip_advance_idle();
            }
        }
        assert_int_equal(chip_cpu_reg(4), 10);
        insns[round] = chip_stats()->instructions;
    }
    assert_int_equal(insns[0], insns[1]);
}

/* SCB.AIRCR SYSRESETREQ with VECTKEY: a reset that keeps SRAM and starts
 * again from the vector table. */
static void test_sysresetreq(void **state)
{
    (void)state;
    load("reset", CHIP_TIME_VIRTUAL);
    assert_int_equal(run_to_idle(), CHIP_IDLE);
    uint32_t boots = 0;
    assert_true(chip_read_mem(0x20000000u, &boots, 4));
    assert_int_equal(boots, 2);
}

static void expect_fault(const char *img, const char *text, bool addr_line);

static uint32_t word_at(uint32_t addr)
{
    uint32_t v = 0;
    assert_true(chip_read_mem(addr, &v, 4));
    return v;
}

/* runs until the image enters the ROM, faults or sleeps */
static chip_state_t run_to_rom(void)
{
    chip_state_t s = CHIP_BUSY;
    for (unsigned i = 0; i < 100u && s == CHIP_BUSY; i++) {
        s = chip_run(100000);
    }
    return s;
}

/* IWDG (RM0091 26.3): a loop that stops feeding - busy (iwdg1) or asleep
 * in WFI with nothing else due (iwdg2) - is reset; fed, it is not; the reset
 * keeps SRAM and RCC_CSR reads IWDGRSTF, not SFTRSTF */
static void test_iwdg_reset(void **state)
{
    (void)state;
    static const char *const imgs[] = {"iwdg1", "iwdg2"};
    for (unsigned k = 0; k < 2u; k++) {
        load(imgs[k], CHIP_TIME_VIRTUAL);
        uint32_t boots = 0;
        for (unsigned i = 0; i < 2000u; i++) {
            chip_state_t s = chip_run(100000);
            if (s == CHIP_FAULT) {
                chip_fault_report(stderr);
            }
            assert_int_not_equal(s, CHIP_FAULT);
            boots = word_at(0x20000000u);
            if (s == CHIP_IDLE) {
                if (boots >= 2u || chip_next_event_ns() == UINT64_MAX) {
                    break;
                }
                chip_advance_idle();
            }
        }
        assert_int_equal(boots, 2);
        assert_int_equal(word_at(0x20000004u), 20);          /* all 20 feeds before */
        uint32_t csr = word_at(0x20000008u);
        assert_true(csr & (1u << 29));                       /* IWDGRSTF */
        assert_false(csr & (1u << 28));                      /* not SFTRSTF */
        /* boot 2 does not start it: nothing is due any more */
        assert_int_equal(chip_next_event_ns(), UINT64_MAX);
        /* 20 feeds >= 2 ms apart, then the 10 ms timeout: not sooner, and
         * not much later (each feed gap is ~2.5 ms by the cycle estimate) */
        assert_true(chip_now_ns() > 50000000u && chip_now_ns() < 70000000u);
    }
}

/* Issue 12 on the emulated chip: magic word in SRAM, AIRCR.SYSRESETREQ,
 * the reset code clears the word, maps system memory at 0 (RM0091 9.1.1
 * MEM_MODE = 01), loads MSP from 0x1FFFC800 and jumps to the address at
 * 0x1FFFC804 (AN2606): the run ends there with PC and MSP from the stub ROM. */
static void test_rom_entry(void **state)
{
    (void)state;
    load("rom1", CHIP_TIME_VIRTUAL);
    assert_int_equal(word_at(0), 0x20001000u);            /* flash's table at 0 */
    assert_int_equal(run_to_rom(), CHIP_ROM);
    assert_false(chip_faulted());
    chip_rom_entry_t e;
    assert_true(chip_rom_entry(&e));
    uint32_t rom_sp = word_at(0x1FFFC800u), rom_reset = word_at(0x1FFFC804u);
    assert_int_equal(rom_sp, CHIP_ROM_STUB_SP);
    assert_int_equal(rom_reset, CHIP_ROM_STUB_ENTRY | 1u);
    assert_int_equal(e.pc, rom_reset & ~1u);
    assert_int_equal(chip_cpu_reg(15), rom_reset & ~1u);  /* the CPU stands there */
    assert_int_equal(e.msp, rom_sp);
    assert_int_equal(chip_cpu_reg(13), rom_sp);
    assert_int_equal(e.rom_sp, rom_sp);
    assert_int_equal(e.rom_reset, rom_reset);
    assert_int_equal(e.xpsr & 0x3Fu, 0);                  /* Thread mode, as after reset */
    assert_true(e.after_sysreset);
    assert_true(e.insns_since_reset > 0u && e.insns_since_reset < 40u);
    assert_int_equal(word_at(0x20000100u), 0);            /* magic word cleared */
    assert_int_equal(word_at(0x20000104u), 2);            /* booted twice: the reset happened */
    assert_int_equal(word_at(0), rom_sp);                 /* system memory aliased at 0 */
    assert_int_equal(word_at(4), rom_reset);
    assert_int_equal(chip_run(100000), CHIP_ROM);         /* it stays there */
    char buf[1024] = "";
    FILE *f = fmemopen(buf, sizeof buf, "w");
    assert_non_null(f);
    chip_rom_report(f);
    fclose(f);
    assert_non_null(strstr(buf, "chip: entered ROM bootloader (PC 0x1fffc8c0, MSP 0x20002f00"));
    assert_non_null(strstr(buf, "after a system (SYSRESETREQ) reset"));
    /* a reset (the user leaving the bootloader) runs the image from flash again */
    chip_reset();
    assert_false(chip_rom_entry(NULL));
    assert_int_equal(word_at(0), 0x20001000u);            /* MEM_MODE back to main flash */
    assert_int_equal(chip_cpu_reg(13), 0x20001000u);
    assert_int_equal(run_to_rom(), CHIP_ROM);
    assert_int_equal(word_at(0x20000104u), 4);
}

/* The same path without the MSP load: the PC gets there, the MSP is not the
 * ROM's (what the e2e check compares), so a broken boot hook shows. */
static void test_rom_entry_without_msp(void **state)
{
    (void)state;
    load("rom2", CHIP_TIME_VIRTUAL);
    assert_int_equal(run_to_rom(), CHIP_ROM);
    chip_rom_entry_t e;
    assert_true(chip_rom_entry(&e));
    assert_int_equal(e.pc, CHIP_ROM_STUB_ENTRY);
    assert_int_equal(e.msp, 0x20001000u);                 /* the application's stack */
    assert_int_not_equal(e.msp, e.rom_sp);
}

/* Executing system memory anywhere but the stub's reset code is a fault:
 * the ROM is not modelled. */
static void test_rom_elsewhere_faults(void **state)
{
    (void)state;
    expect_fault("rom3", "execution in system memory at 0x1fffc8c2", false);
    assert_false(chip_rom_entry(NULL));
}

/* RM0091 9.1.1: MEM_MODE = 11 aliases SRAM at 0, x0 main flash again;
 * the remap is seen by the very next load. */
static void test_mem_mode_sram_alias(void **state)
{
    (void)state;
    load("rom4", CHIP_TIME_VIRTUAL);
    assert_int_equal(run_to_idle(), CHIP_IDLE);
    assert_int_equal(chip_cpu_reg(4), 0xC0FFEE11u);   /* 0x200 = SRAM 0x20000200 */
    assert_int_equal(chip_cpu_reg(5), 0x5A5A0000u);   /* 0 = SRAM 0x20000000 */
    assert_int_equal(chip_cpu_reg(6), 0x20001000u);   /* flash's initial SP again */
    assert_false(chip_faulted());
}

static void expect_fault(const char *img, const char *text, bool addr_line)
{
    load(img, CHIP_TIME_VIRTUAL);
    assert_int_equal(run_to_idle(), CHIP_FAULT);
    assert_true(chip_faulted());
    char buf[2048] = "";
    FILE *f = fmemopen(buf, sizeof buf, "w");
    assert_non_null(f);
    chip_fault_report(f);
    fclose(f);
    if (strstr(buf, text) == NULL) {
        fprintf(stderr, "report for %s:\n%s", img, buf);
    }
    assert_non_null(strstr(buf, text));
    assert_non_null(strstr(buf, " PC 0x"));
    assert_non_null(strstr(buf, " LR 0x"));
    assert_non_null(strstr(buf, "xPSR 0x"));
    assert_non_null(strstr(buf, " r12 0x"));
    if (addr_line) {
        assert_non_null(strstr(buf, "faulting address"));
    }
}

static void test_fault_unmapped(void **state)
{
    (void)state;
    expect_fault("fault1", "read of unmapped memory", true);
}

static void test_fault_flash_write(void **state)
{
    (void)state;
    expect_fault("fault2", "write to flash", true);
}

static void test_fault_undefined(void **state)
{
    (void)state;
    expect_fault("fault3", "undefined instruction", false);
}

static void test_fault_hardfault_handler(void **state)
{
    (void)state;
    expect_fault("fault4", "HardFault handler reached", false);
}

static void test_fault_unmodelled_register(void **state)
{
    (void)state;
    expect_fault("fault5", "not a modelled register", true);
}

static void test_fault_clock_off(void **state)
{
    (void)state;
    expect_fault("fault6", "not clocked", true);
}

static int teardown(void **state)
{
    (void)state;
    chip_close();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entry_and_return),
        cmocka_unit_test(test_primask_wfi_priorities),
        cmocka_unit_test(test_systick_virtual_time),
        cmocka_unit_test(test_sysresetreq),
        cmocka_unit_test(test_rom_entry),
        cmocka_unit_test(test_rom_entry_without_msp),
        cmocka_unit_test(test_rom_elsewhere_faults),
        cmocka_unit_test(test_mem_mode_sram_alias),
        cmocka_unit_test(test_fault_unmapped),
        cmocka_unit_test(test_fault_flash_write),
        cmocka_unit_test(test_fault_undefined),
        cmocka_unit_test(test_fault_hardfault_handler),
        cmocka_unit_test(test_fault_unmodelled_register),
        cmocka_unit_test(test_fault_clock_off),
        cmocka_unit_test(test_iwdg_reset),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);
    (void)teardown(NULL);
    return r;
}
