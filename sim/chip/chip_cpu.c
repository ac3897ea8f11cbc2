/*
 * chip_cpu.c - the emulated chip's Cortex-M0: Unicorn for the instructions,
 * this file for everything Unicorn does not do on ARMv6-M - exception entry
 * and return, WFI sleep and wake-up, reset - plus the memory map, the run
 * loop, time, statistics and the fault report (see chip.h).
 *
 * Layer: sim/chip (host only). The only file that includes <unicorn/unicorn.h>.
 * Facts about Unicorn 2.0.1 we rely on (TESTBED.md, verified): it never takes
 * an exception itself; `bx lr`/`pop {pc}` to an EXC_RETURN value reaches
 * UC_HOOK_INTR as exception 8 with nothing unstacked; `svc` reaches it as
 * exception 2; `wfi` makes uc_emu_start return with PC after the WFI; the
 * PC inside an MMIO callback is exact only when uc_emu_start is given an
 * instruction count (we always give one that is never reached); changing
 * the count mode or deleting hooks makes it retranslate, so one engine keeps
 * one mode and a fixed set of hooks.
 * ARMv6-M rules implemented here (ARMv6-M ARM B1.5):
 *  - Entry (B1.5.6 PushStack): 8 words r0-r3, r12, lr, return address, xPSR
 *    on the current stack; the frame is 8-byte aligned, and xPSR bit 9 of the
 *    stacked value says whether 4 bytes of padding were inserted; LR gets
 *    EXC_RETURN (0xFFFFFFF1 from Handler mode, 0xFFFFFFF9 from Thread mode);
 *    IPSR = exception number; PC = vector table entry (bit 0 must be 1).
 *  - Return (B1.5.8): EXC_RETURN 0xFFFFFFF1 / 0xFFFFFFF9 (0xFFFFFFFD, the
 *    process stack, is not supported: the M0 firmware uses MSP only); the
 *    returning exception is deactivated, the frame popped, the padding
 *    removed, xPSR restored; returning to Thread mode with another exception
 *    still active, or to Handler mode with none, is a fault.
 *  - Interrupts are taken between instructions, here at block boundaries:
 *    the block hook stops the engine when an exception could preempt (its
 *    priority better than the execution priority, PRIMASK honoured), and the
 *    run loop performs the entry. Tail-chaining happens naturally: after a
 *    return the loop looks for the next pending exception before resuming.
 *  - WFI (B1.5.19): sleeps until an exception would preempt if PRIMASK were
 *    0; with PRIMASK set it wakes up without taking it.
 *  - SCB.AIRCR.SYSRESETREQ resets the chip: peripherals reset, SRAM kept,
 *    SP and PC from the vector table.
 *  - Address 0 aliases what SYSCFG_CFGR1.MEM_MODE selects (RM0091 2.5 and
 *    9.1.1: main flash, system memory or SRAM): the vector table is read
 *    through it, and it is remapped between two blocks after a change, so
 *    from the next branch or ISB on (an ISB ends a block, and is what
 *    software is asked to issue after changing the memory map).
 *  - System memory (0x1FFFC800..0x1FFFF7FF) is mapped as read-only,
 *    executable memory holding the stub ROM (chip_sysmem.c). The first block
 *    at the stub's reset code is not run: the run ends with CHIP_ROM, "the
 *    ROM bootloader was entered", PC and MSP recorded (AN2606's entry: SP
 *    from 0x1FFFC800, PC from 0x1FFFC804). Executing anything else there is
 *    a fault (e.g. an exception through the ROM's table: not modelled).
 * Faults (end the run, non-zero exit): unmapped or protected accesses
 * (flash is read-only), unmodelled registers, undefined instructions, BKPT,
 * SVC or exceptions that would escalate to HardFault, a vector without the
 * Thumb bit, reaching the HardFault handler's address, a stack outside SRAM.
 * Timing: cycles are estimated per block (see chip.h) and drive virtual time.
 */
#include <stdio.h>
#include <string.h>

#include <unicorn/unicorn.h>

#include "chip_elf.h"
#include "chip_periph.h"

#define RUN_FOREVER 0xFFFFFFFFFFFFull   /* instruction count that is never reached */
#define LIVE_CLOCK_EVERY 64u             /* blocks between wall-clock checks (live mode) */

static uc_engine *uc;
static uint8_t flash[CHIP_FLASH_SIZE];
static uint8_t sram[CHIP_SRAM_SIZE];
static uint8_t sysmem[CHIP_SYSMEM_END - CHIP_SYSMEM_BASE];   /* the stub ROM + UID */
static unsigned alias_mode;          /* what is mapped at 0: 0 flash, 1 sysmem, 3 SRAM */
static bool last_reset_soft;         /* the last reset was SYSRESETREQ */
static uint64_t insns_at_reset;
static struct {
    bool on;
    chip_rom_entry_t e;
} rom;
static uint32_t flash_used;
static chip_stats_t stats;
static bool sleeping;
static bool stop_requested;
static uint64_t budget_end;
static uint64_t deadline_cycles;     /* virtual: cycle count of the next timed event */
static uint64_t deadline_ns;         /* live: instant of the next timed event */
static unsigned live_check;
static uint32_t hardfault_pc;
static uint32_t prev_end;            /* end address of the previous block */
static uint8_t prev_kind;            /* ends in a conditional branch? */

static struct {
    bool on;
    char what[256];
    uint32_t addr;
    bool have_addr;
    uint32_t pc;
    uint32_t regs[16];
    uint32_t xpsr, primask;
} fault;

/* per-block instruction count and cycle estimate, cached by flash address */
typedef struct {
    uint16_t size;
    uint16_t insns;
    uint16_t cycles;
    uint8_t kind;
} blk_t;
enum { K_NONE = 0, K_COND = 1 };
static blk_t blk_cache[CHIP_FLASH_SIZE / 2u];
/* the bench tool's per-function profile (chip_set_block_observer); NULL elsewhere */
static void (*block_observer)(uint32_t addr, uint32_t insns, uint32_t cycles);

/* ------------------------------------------------------------ registers */

static uint32_t reg(int r)
{
    uint32_t v = 0;
    uc_reg_read(uc, r, &v);
    return v;
}

static void reg_set(int r, uint32_t v)
{
    uc_reg_write(uc, r, &v);
}

unsigned chip_cpu_ipsr(void)
{
    return uc != NULL ? reg(UC_ARM_REG_XPSR) & 0x3Fu : 0u;
}

/* Unicorn's XPSR write does not reach IPSR: the flags, and IPSR, separately */
static void set_xpsr(uint32_t v)
{
    reg_set(UC_ARM_REG_XPSR, v);
    reg_set(UC_ARM_REG_IPSR, v & 0x3Fu);
}

static void stop(void)
{
    stop_requested = true;
    uc_emu_stop(uc);
}

static void set_fault(uint32_t pc, const char *what, bool have_addr, uint32_t addr)
{
    if (fault.on) {
        return;
    }
    fault.on = true;
    snprintf(fault.what, sizeof fault.what, "%s", what);
    fault.pc = pc;
    fault.have_addr = have_addr;
    fault.addr = addr;
    static const int rr[16] = {UC_ARM_REG_R0, UC_ARM_REG_R1, UC_ARM_REG_R2, UC_ARM_REG_R3,
                               UC_ARM_REG_R4, UC_ARM_REG_R5, UC_ARM_REG_R6, UC_ARM_REG_R7,
                               UC_ARM_REG_R8, UC_ARM_REG_R9, UC_ARM_REG_R10, UC_ARM_REG_R11,
                               UC_ARM_REG_R12, UC_ARM_REG_SP, UC_ARM_REG_LR, UC_ARM_REG_PC};
    for (unsigned i = 0; i < 16u; i++) {
        fault.regs[i] = reg(rr[i]);
    }
    fault.xpsr = reg(UC_ARM_REG_XPSR);
    fault.primask = reg(UC_ARM_REG_PRIMASK);
    if (uc != NULL) {
        stop();
    }
}

bool chip_faulted(void)
{
    return fault.on;
}

void chip_fault_report(FILE *f)
{
    if (!fault.on) {
        return;
    }
    fprintf(f, "stm32net-sim: chip: FAULT: %s\n", fault.what);
    fprintf(f, "stm32net-sim: chip:   PC 0x%08x  LR 0x%08x  SP 0x%08x  xPSR 0x%08x (IPSR %u)  "
               "PRIMASK %u\n", fault.pc, fault.regs[14], fault.regs[13], fault.xpsr,
            fault.xpsr & 0x3Fu, fault.primask & 1u);
    if (fault.have_addr) {
        fprintf(f, "stm32net-sim: chip:   faulting address 0x%08x\n", fault.addr);
    }
    for (unsigned i = 0; i < 13u; i += 4u) {
        fprintf(f, "stm32net-sim: chip:  ");
        for (unsigned j = i; j < i + 4u && j < 13u; j++) {
            fprintf(f, " r%-2u 0x%08x", j, fault.regs[j]);
        }
        fprintf(f, "\n");
    }
    fprintf(f, "stm32net-sim: chip:   after %llu instructions, %llu exceptions\n",
            (unsigned long long)stats.instructions, (unsigned long long)stats.exceptions);
}

/* ---------------------------------------------------------- cycle model */

static unsigned popcount9(unsigned v)
{
    unsigned n = 0;
    for (; v != 0u; v &= v - 1u) {
        n++;
    }
    return n;
}

/* Cortex-M0 TRM 3.3 instruction timings, plus one flash wait state after
 * every taken branch (RM0091 3.2.1: 1 WS at 48 MHz, the prefetch buffer
 * hides it on sequential fetches). A conditional branch is costed as not
 * taken here and corrected in the next block hook. */
static void decode_block(const uint8_t *code, uint32_t size, blk_t *b)
{
    unsigned insns = 0, cyc = 0;
    uint8_t kind = K_NONE;
    for (uint32_t i = 0; i + 1u < size;) {
        unsigned hw = (unsigned)(code[i] | (code[i + 1u] << 8));
        insns++;
        kind = K_NONE;
        if ((hw >> 11) >= 0x1Du) {          /* 32-bit: BL, MSR, MRS, DSB/DMB/ISB */
            bool bl = (hw & 0xF800u) == 0xF000u && i + 3u < size &&
                      (code[i + 3u] & 0xD0u) == 0xD0u;
            cyc += bl ? 4u + 1u : 4u;
            i += 4u;
            continue;
        }
        i += 2u;
        if ((hw & 0xF800u) == 0x4800u || (hw & 0xF000u) == 0x5000u || (hw & 0xE000u) == 0x6000u ||
            (hw & 0xF000u) == 0x8000u || (hw & 0xF000u) == 0x9000u) {
            cyc += 2u;                       /* LDR/STR family */
        } else if ((hw & 0xFE00u) == 0xB400u) {
            cyc += 1u + popcount9(hw & 0x1FFu);   /* PUSH */
        } else if ((hw & 0xFE00u) == 0xBC00u) {
            cyc += 1u + popcount9(hw & 0x1FFu) + ((hw & 0x100u) ? 3u + 1u : 0u);  /* POP (pc) */
        } else if ((hw & 0xF000u) == 0xC000u) {
            cyc += 1u + popcount9(hw & 0xFFu);    /* LDM/STM */
        } else if ((hw & 0xF000u) == 0xD000u && (hw & 0x0E00u) != 0x0E00u) {
            cyc += 1u;                       /* B<cond>: +3 if taken, next hook */
            kind = K_COND;
        } else if ((hw & 0xF800u) == 0xE000u || (hw & 0xFF00u) == 0x4700u) {
            cyc += 3u + 1u;                  /* B, BX, BLX */
        } else if ((hw & 0xFC00u) == 0x4400u && (((hw >> 4) & 8u) | (hw & 7u)) == 15u &&
                   (hw & 0x0300u) != 0x0100u) {
            cyc += 3u + 1u;                  /* ADD/MOV pc, Rm */
        } else {
            cyc += 1u;
        }
    }
    b->size = (uint16_t)size;
    b->insns = (uint16_t)insns;
    b->cycles = (uint16_t)cyc;
    b->kind = kind;
}

/* RM0091 9.1.1 MEM_MODE: x0 main flash, 01 system memory, 11 SRAM at 0 */
static uint8_t *alias_base(void)
{
    return alias_mode == 1u ? sysmem : alias_mode == 3u ? sram : flash;
}

static unsigned mem_mode_wanted(void)
{
    unsigned m = chip_syscfg_mem_mode();
    return (m & 1u) ? m : 0u;   /* x0: main flash */
}

static uint32_t alias_size(void)
{
    return alias_mode == 1u ? (uint32_t)sizeof sysmem
         : alias_mode == 3u ? CHIP_SRAM_SIZE : CHIP_FLASH_SIZE;
}

static const uint8_t *code_at(uint32_t addr, uint32_t size)
{
    if (addr >= CHIP_FLASH_BASE && addr - CHIP_FLASH_BASE + size <= CHIP_FLASH_SIZE) {
        return flash + (addr - CHIP_FLASH_BASE);
    }
    if (addr + size <= alias_size()) {
        return alias_base() + addr;  /* the alias at 0 */
    }
    if (addr >= CHIP_SRAM_BASE && addr - CHIP_SRAM_BASE + size <= CHIP_SRAM_SIZE) {
        return sram + (addr - CHIP_SRAM_BASE);
    }
    if (addr >= CHIP_SYSMEM_BASE && addr - CHIP_SYSMEM_BASE + size <= sizeof sysmem) {
        return sysmem + (addr - CHIP_SYSMEM_BASE);
    }
    return NULL;
}

static void account(uint32_t addr, uint32_t size)
{
    blk_t local, *b = &local;
    const uint8_t *code = code_at(addr, size);
    uint32_t fo = addr >= CHIP_FLASH_BASE ? addr - CHIP_FLASH_BASE : addr;
    bool cacheable = code != NULL && addr < CHIP_SRAM_BASE && fo < CHIP_FLASH_SIZE &&
                     (addr >= CHIP_FLASH_BASE || alias_mode == 0u);
    if (cacheable) {
        b = &blk_cache[fo / 2u];
        if (b->size != size || b->insns == 0u) {
            decode_block(code, size, b);
        }
    } else if (code != NULL) {
        decode_block(code, size, b);
    } else {
        local = (blk_t){.size = (uint16_t)size, .insns = (uint16_t)(size / 2u),
                        .cycles = (uint16_t)(size / 2u), .kind = K_NONE};
    }
    uint64_t c = b->cycles;
    if (prev_kind == K_COND && addr != prev_end) {
        c += 2u + 1u;  /* the previous block's conditional branch was taken */
    }
    stats.instructions += b->insns;
    stats.cycles += c;
    if (chip_time_mode() == CHIP_TIME_VIRTUAL) {
        chip_time_add_cycles(c);
    }
    prev_end = addr + size;
    prev_kind = b->kind;
    if (block_observer != NULL) {
        block_observer(addr, b->insns, (uint32_t)c);
    }
}

void chip_set_block_observer(void (*fn)(uint32_t addr, uint32_t insns, uint32_t cycles))
{
    block_observer = fn;
}

/* ---------------------------------------------------------- exceptions */

static bool primask(void)
{
    return (reg(UC_ARM_REG_PRIMASK) & 1u) != 0u;
}

static void sample_sp(uint32_t sp)
{
    if (sp < stats.lowest_sp) {
        stats.lowest_sp = sp;
    }
}

static bool in_sram(uint32_t a, uint32_t n)
{
    return a >= CHIP_SRAM_BASE && a - CHIP_SRAM_BASE <= CHIP_SRAM_SIZE &&
           n <= CHIP_SRAM_SIZE - (a - CHIP_SRAM_BASE);
}

static uint32_t vector(unsigned n)
{
    uint32_t v;
    memcpy(&v, alias_base() + 4u * n, 4);  /* through the alias at 0 (no VTOR on ARMv6-M) */
    return v;
}

/* B1.5.6 exception entry; false (fault set) if it cannot be done */
static bool exception_entry(unsigned exc)
{
    uint32_t pc = reg(UC_ARM_REG_PC);
    uint32_t xpsr = reg(UC_ARM_REG_XPSR);
    uint32_t sp = reg(UC_ARM_REG_SP);
    bool handler = (xpsr & 0x3Fu) != 0u;
    bool pad = (sp & 4u) != 0u;
    uint32_t frame = (sp - 32u) & ~7u;
    uint32_t w[8] = {reg(UC_ARM_REG_R0), reg(UC_ARM_REG_R1), reg(UC_ARM_REG_R2),
                     reg(UC_ARM_REG_R3), reg(UC_ARM_REG_R12), reg(UC_ARM_REG_LR), pc,
                     (xpsr & ~(1u << 9)) | (pad ? (1u << 9) : 0u)};
    char why[96];
    if (!in_sram(frame, 32u)) {
        snprintf(why, sizeof why, "stacking exception %u: SP 0x%08x outside SRAM", exc, sp);
        set_fault(pc, why, true, frame);
        return false;
    }
    memcpy(sram + (frame - CHIP_SRAM_BASE), w, sizeof w);  /* little-endian host */
    uint32_t target = vector(exc);
    if ((target & 1u) == 0u) {
        snprintf(why, sizeof why, "vector %u (0x%08x) lacks the Thumb bit: INVSTATE HardFault",
                 exc, target);
        set_fault(pc, why, false, 0);
        return false;
    }
    reg_set(UC_ARM_REG_SP, frame);
    reg_set(UC_ARM_REG_LR, handler ? 0xFFFFFFF1u : 0xFFFFFFF9u);
    set_xpsr((xpsr & 0xF0000000u) | (1u << 24) | exc);
    reg_set(UC_ARM_REG_PC, target | 1u);  /* bit 0 keeps Unicorn in Thumb state */
    chip_nvic_activate(exc);
    sample_sp(frame);
    stats.exceptions++;
    stats.cycles += 16u;
    if (chip_time_mode() == CHIP_TIME_VIRTUAL) {
        chip_time_add_cycles(16u);
    }
    prev_kind = K_NONE;
    return true;
}

/* B1.5.8 exception return, from the UC_HOOK_INTR of EXC_RETURN */
static void exception_return(uint32_t exc_return)
{
    uint32_t xpsr = reg(UC_ARM_REG_XPSR);
    unsigned exc = xpsr & 0x3Fu;
    char why[96];
    if (exc == 0u) {
        snprintf(why, sizeof why, "branch to 0x%08x in Thread mode", exc_return);
        set_fault(exc_return, why, false, 0);
        return;
    }
    if (exc_return != 0xFFFFFFF1u && exc_return != 0xFFFFFFF9u) {
        snprintf(why, sizeof why, "EXC_RETURN 0x%08x not supported (process stack) or invalid",
                 exc_return);
        set_fault(exc_return, why, false, 0);
        return;
    }
    chip_nvic_deactivate(exc);
    bool to_thread = exc_return == 0xFFFFFFF9u;
    if (to_thread != (chip_nvic_active_count() == 0u)) {
        set_fault(exc_return, to_thread ? "return to Thread mode with an exception still active"
                                        : "return to Handler mode with no exception active",
                  false, 0);
        return;
    }
    uint32_t sp = reg(UC_ARM_REG_SP);
    uint32_t w[8];
    if (!in_sram(sp, 32u)) {
        set_fault(exc_return, "unstacking: SP outside SRAM", true, sp);
        return;
    }
    memcpy(w, sram + (sp - CHIP_SRAM_BASE), sizeof w);
    if ((w[7] & (1u << 24)) == 0u) {
        set_fault(w[6], "stacked xPSR has T = 0: INVSTATE HardFault on return", false, 0);
        return;
    }
    if (to_thread && (w[7] & 0x3Fu) != 0u) {
        set_fault(w[6], "return to Thread mode with a stacked IPSR != 0", false, 0);
        return;
    }
    sp += 32u + ((w[7] & (1u << 9)) ? 4u : 0u);
    reg_set(UC_ARM_REG_R0, w[0]);
    reg_set(UC_ARM_REG_R1, w[1]);
    reg_set(UC_ARM_REG_R2, w[2]);
    reg_set(UC_ARM_REG_R3, w[3]);
    reg_set(UC_ARM_REG_R12, w[4]);
    reg_set(UC_ARM_REG_LR, w[5]);
    reg_set(UC_ARM_REG_SP, sp);
    set_xpsr(w[7] & ~(1u << 9));
    reg_set(UC_ARM_REG_PC, w[6] | 1u);
    stats.cycles += 16u;
    if (chip_time_mode() == CHIP_TIME_VIRTUAL) {
        chip_time_add_cycles(16u);
    }
    prev_kind = K_NONE;
    if (to_thread && chip_scb_sleeponexit()) {
        sleeping = true;  /* B1.5.19 SLEEPONEXIT */
    }
}

/* -------------------------------------------------------------- hooks */

static void sample_lines(void)
{
    usbfs_t *u = chip_bus_usb();
    chip_nvic_irq_line(CHIP_IRQ_USB, usbfs_irq(u));
}

/* the CPU fetches from system memory: the stub's reset code is "the ROM
 * bootloader entered" (AN2606), anything else there is not modelled */
static void rom_enter(uint32_t pc, uint32_t rom_addr)
{
    if (rom_addr != CHIP_ROM_STUB_ENTRY) {
        char why[128];
        snprintf(why, sizeof why, "execution in system memory at 0x%08x, not at the stub ROM's "
                 "reset code 0x%08x (the ROM is not modelled)", rom_addr, CHIP_ROM_STUB_ENTRY);
        set_fault(pc, why, false, 0);
        return;
    }
    rom.on = true;
    rom.e.pc = pc;
    rom.e.msp = reg(UC_ARM_REG_SP);   /* CONTROL.SPSEL is 0: we have no PSP (see chip.h) */
    rom.e.xpsr = reg(UC_ARM_REG_XPSR);
    memcpy(&rom.e.rom_sp, sysmem, 4);
    memcpy(&rom.e.rom_reset, sysmem + 4, 4);
    rom.e.after_sysreset = last_reset_soft;
    rom.e.insns_since_reset = stats.instructions >= insns_at_reset  /* chip_stats_reset() */
                              ? stats.instructions - insns_at_reset : stats.instructions;
    stop();
}

bool chip_rom_entry(chip_rom_entry_t *e)
{
    if (rom.on && e != NULL) {
        *e = rom.e;
    }
    return rom.on;
}

void chip_rom_report(FILE *f)
{
    if (!rom.on) {
        return;
    }
    fprintf(f, "stm32net-sim: chip: entered ROM bootloader (PC 0x%08x, MSP 0x%08x, IPSR %u) "
               "%llu instructions after a %s reset; system memory holds SP 0x%08x at 0x%08x "
               "and reset vector 0x%08x at 0x%08x\n",
            rom.e.pc, rom.e.msp, rom.e.xpsr & 0x3Fu, (unsigned long long)rom.e.insns_since_reset,
            rom.e.after_sysreset ? "system (SYSRESETREQ)" : "power-on", rom.e.rom_sp,
            CHIP_SYSMEM_BASE, rom.e.rom_reset, CHIP_SYSMEM_BASE + 4u);
    fprintf(f, "stm32net-sim: chip: the ROM bootloader itself (its DFU device 0483:df11) is "
               "not modelled: the chip stops here\n");
}

static void hook_block(uc_engine *e, uint64_t address, uint32_t size, void *ud)
{
    (void)e;
    (void)ud;
    uint32_t addr = (uint32_t)address;
    /* A stop requested here keeps the block from running (PC stays at its
     * start), so a block is counted only once we let it run. */
    uint32_t rom_addr = alias_mode == 1u && addr < sizeof sysmem ? addr + CHIP_SYSMEM_BASE : addr;
    if (rom_addr >= CHIP_SYSMEM_BASE && rom_addr < CHIP_SYSMEM_END) {
        rom_enter(addr, rom_addr);
        return;
    }
    if (addr == hardfault_pc) {
        set_fault(addr, "HardFault handler reached (or a handler sharing its address)", false, 0);
        return;
    }
    if (stats.instructions >= budget_end) {
        stop();
        return;
    }
    if (chip_periph_attention) {
        chip_periph_attention = false;
        sample_lines();
        if (chip_scb_reset_requested() || chip_iwdg_expired() || chip_periph_failure() != NULL ||
            mem_mode_wanted() != alias_mode) {
            stop();  /* the run loop resets, reports or remaps address 0 */
            return;
        }
    }
    if (chip_time_mode() == CHIP_TIME_VIRTUAL) {
        if (stats.cycles >= deadline_cycles) {
            stop();
            return;
        }
    } else if (++live_check >= LIVE_CLOCK_EVERY) {
        live_check = 0;
        if (chip_now_ns() >= deadline_ns) {
            stop();
            return;
        }
    }
    if (chip_nvic_highest_pending() != 0u && chip_nvic_next(primask()) != 0u) {
        stop();
        return;
    }
    account(addr, size);
    sample_sp(reg(UC_ARM_REG_SP));
}

static void hook_intr(uc_engine *e, uint32_t intno, void *ud)
{
    (void)e;
    (void)ud;
    uint32_t pc = reg(UC_ARM_REG_PC);
    char why[96];
    switch (intno) {
    case 8:   /* EXCP_EXCEPTION_EXIT: PC holds EXC_RETURN without bit 0 */
        exception_return(pc | 1u);
        stop();
        return;
    case 2:   /* EXCP_SWI: SVC, PC after the instruction */
        if (chip_nvic_priority(CHIP_EXC_SVCALL) >= chip_nvic_exec_priority(primask())) {
            set_fault(pc - 2u, "SVC with SVCall unable to preempt: HardFault", false, 0);
            return;
        }
        chip_nvic_set_pending(CHIP_EXC_SVCALL);
        stop();
        return;
    case 7:
        set_fault(pc, "BKPT without a debugger: HardFault", false, 0);
        return;
    case 1:
        set_fault(pc, "undefined instruction: HardFault", false, 0);
        return;
    default:
        snprintf(why, sizeof why, "CPU exception %u from the emulator: HardFault", intno);
        set_fault(pc, why, false, 0);
        return;
    }
}

static bool hook_invalid(uc_engine *e, uc_mem_type type, uint64_t address, int size,
                         int64_t value, void *ud)
{
    (void)e;
    (void)ud;
    (void)value;
    const char *what;
    switch (type) {
    case UC_MEM_READ_UNMAPPED:  what = "read of unmapped memory"; break;
    case UC_MEM_WRITE_UNMAPPED: what = "write to unmapped memory"; break;
    case UC_MEM_FETCH_UNMAPPED: what = "instruction fetch from unmapped memory (or the ROM "
                                       "bootloader, which is not modelled)"; break;
    case UC_MEM_WRITE_PROT:     what = address >= CHIP_SYSMEM_BASE && address < CHIP_SYSMEM_END
                                       ? "write to system memory (ROM)"
                                       : "write to flash (read-only without the FLASH "
                                         "programming sequence)"; break;
    case UC_MEM_FETCH_PROT:     what = "instruction fetch from a non-executable region"; break;
    default:                    what = "memory access fault"; break;
    }
    char why[160];
    snprintf(why, sizeof why, "%s (%d bytes)", what, size);
    set_fault(reg(UC_ARM_REG_PC), why, true, (uint32_t)address);
    return false;
}

static uint64_t mmio_read(uc_engine *e, uint64_t offset, unsigned size, void *ud)
{
    (void)e;
    uint32_t a = (uint32_t)(uintptr_t)ud + (uint32_t)offset;
    uint32_t v = 0;
    if (!chip_bus_read(a, size, &v)) {
        set_fault(reg(UC_ARM_REG_PC), chip_bus_error(), true, a);
    }
    return v;
}

static void mmio_write(uc_engine *e, uint64_t offset, unsigned size, uint64_t value, void *ud)
{
    (void)e;
    uint32_t a = (uint32_t)(uintptr_t)ud + (uint32_t)offset;
    if (!chip_bus_write(a, size, (uint32_t)value)) {
        set_fault(reg(UC_ARM_REG_PC), chip_bus_error(), true, a);
    }
}

/* ------------------------------------------------------------ lifecycle */

static const struct {
    uint32_t base, size;
} mmio_regions[] = {
    {0x1FFFF800u, 0x0800u},  /* option bytes: unmodelled, every access faults */
    {0x40003000u, 0x1000u},  /* IWDG */
    {0x40005000u, 0x2000u},  /* USB registers, USB SRAM, CRS */
    {0x40010000u, 0x1000u},  /* SYSCFG */
    {0x40021000u, 0x1000u},  /* RCC */
    {0x40022000u, 0x1000u},  /* FLASH interface */
    {0x48000000u, 0x2000u},  /* GPIOA..F */
    {0xE000E000u, 0x1000u},  /* System Control Space */
};

static int engine_open(char *err, size_t errlen)
{
    alias_mode = 0u;
    uc_err r = uc_open(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS, &uc);
    if (r != UC_ERR_OK) {
        snprintf(err, errlen, "unicorn: %s", uc_strerror(r));
        uc = NULL;
        return -1;
    }
    uc_hook h;
    if ((r = uc_ctl_set_cpu_model(uc, UC_CPU_ARM_CORTEX_M0)) != UC_ERR_OK ||
        (r = uc_mem_map_ptr(uc, 0x00000000u, CHIP_FLASH_SIZE, UC_PROT_READ | UC_PROT_EXEC, flash)) != UC_ERR_OK ||
        (r = uc_mem_map_ptr(uc, CHIP_FLASH_BASE, CHIP_FLASH_SIZE, UC_PROT_READ | UC_PROT_EXEC, flash)) != UC_ERR_OK ||
        (r = uc_mem_map_ptr(uc, CHIP_SRAM_BASE, CHIP_SRAM_SIZE, UC_PROT_ALL, sram)) != UC_ERR_OK ||
        (r = uc_mem_map_ptr(uc, CHIP_SYSMEM_BASE, sizeof sysmem, UC_PROT_READ | UC_PROT_EXEC,
                            sysmem)) != UC_ERR_OK) {
        snprintf(err, errlen, "unicorn set-up: %s", uc_strerror(r));
        return -1;
    }
    for (unsigned i = 0; i < sizeof mmio_regions / sizeof mmio_regions[0]; i++) {
        void *base = (void *)(uintptr_t)mmio_regions[i].base;
        r = uc_mmio_map(uc, mmio_regions[i].base, mmio_regions[i].size, mmio_read, base,
                        mmio_write, base);
        if (r != UC_ERR_OK) {
            snprintf(err, errlen, "unicorn mmio 0x%08x: %s", mmio_regions[i].base, uc_strerror(r));
            return -1;
        }
    }
    if ((r = uc_hook_add(uc, &h, UC_HOOK_BLOCK, (void *)hook_block, NULL, 1, 0)) != UC_ERR_OK ||
        (r = uc_hook_add(uc, &h, UC_HOOK_INTR, (void *)hook_intr, NULL, 1, 0)) != UC_ERR_OK ||
        (r = uc_hook_add(uc, &h, UC_HOOK_MEM_INVALID, (void *)hook_invalid, NULL, 1, 0)) != UC_ERR_OK) {
        snprintf(err, errlen, "unicorn hooks: %s", uc_strerror(r));
        return -1;
    }
    return 0;
}

/* Follows SYSCFG_CFGR1.MEM_MODE: maps the selected memory at 0 (the same
 * host buffer as its own address, as the bus aliases it). Unicorn's
 * translations of the old alias are dropped. Outside uc_emu_start only. */
static bool apply_mem_mode(void)
{
    unsigned m = mem_mode_wanted();
    if (m == alias_mode) {
        return true;
    }
    uint32_t old = alias_size();
    uc_err r = uc_ctl_remove_cache(uc, 0, old);
    if (r == UC_ERR_OK) {
        r = uc_mem_unmap(uc, 0, old);
    }
    alias_mode = m;
    if (r == UC_ERR_OK) {
        r = uc_mem_map_ptr(uc, 0, alias_size(), m == 3u ? UC_PROT_ALL : UC_PROT_READ | UC_PROT_EXEC,
                           alias_base());
    }
    if (r != UC_ERR_OK) {
        char why[96];
        snprintf(why, sizeof why, "remapping address 0 (MEM_MODE %u): %s", m, uc_strerror(r));
        set_fault(reg(UC_ARM_REG_PC), why, false, 0);
        return false;
    }
    return true;
}

static void cpu_reset(chip_reset_kind_t kind)
{
    bool power_on = kind == CHIP_RESET_POWER_ON;
    static const int zero_regs[] = {UC_ARM_REG_R0, UC_ARM_REG_R1, UC_ARM_REG_R2, UC_ARM_REG_R3,
                                    UC_ARM_REG_R4, UC_ARM_REG_R5, UC_ARM_REG_R6, UC_ARM_REG_R7,
                                    UC_ARM_REG_R8, UC_ARM_REG_R9, UC_ARM_REG_R10, UC_ARM_REG_R11,
                                    UC_ARM_REG_R12};
    chip_periph_reset(power_on);
    chip_rcc_note_reset(kind);
    (void)apply_mem_mode();  /* SYSCFG reset: main flash at 0 again */
    rom.on = false;
    last_reset_soft = !power_on;
    insns_at_reset = stats.instructions;
    for (unsigned i = 0; i < sizeof zero_regs / sizeof zero_regs[0]; i++) {
        reg_set(zero_regs[i], 0);
    }
    reg_set(UC_ARM_REG_PRIMASK, 0);
    reg_set(UC_ARM_REG_CONTROL, 0);
    set_xpsr(1u << 24);
    reg_set(UC_ARM_REG_LR, 0xFFFFFFFFu);  /* B1.5.5: reset value UNKNOWN; an unmapped one */
    reg_set(UC_ARM_REG_SP, vector(0) & ~3u);
    reg_set(UC_ARM_REG_PC, vector(1) | 1u);
    hardfault_pc = vector(CHIP_EXC_HARDFAULT) & ~1u;
    sleeping = false;
    prev_kind = K_NONE;
    stats.lowest_sp = vector(0);
    if ((vector(1) & 1u) == 0u) {
        set_fault(vector(1), "reset vector lacks the Thumb bit", false, 0);
    }
}

void chip_reset(void)
{
    memset(&fault, 0, sizeof fault);
    chip_time_reset();
    cpu_reset(CHIP_RESET_POWER_ON);
}

void chip_pin_reset(void)
{
    memset(&fault, 0, sizeof fault);
    cpu_reset(CHIP_RESET_PIN);
}

int chip_open(const char *elf_path, chip_time_mode_t mode, const uint8_t uid[12], char *err,
              size_t errlen)
{
    if (chip_elf_load(elf_path, flash, CHIP_FLASH_BASE, CHIP_FLASH_SIZE, &flash_used, err,
                      errlen) != 0) {
        return -1;
    }
    if (uid != NULL) {
        chip_sysmem_set_uid(uid);
    }
    chip_sysmem_image(sysmem);
    memset(sram, 0, sizeof sram);
    memset(blk_cache, 0, sizeof blk_cache);
    memset(&stats, 0, sizeof stats);
    chip_time_init(mode);
    /* a fresh engine per image: Unicorn caches translated code of the old one */
    chip_close();
    if (engine_open(err, errlen) != 0) {
        chip_close();
        return -1;
    }
    chip_reset();
    return 0;
}

void chip_close(void)
{
    if (uc != NULL) {
        uc_close(uc);
        uc = NULL;
    }
}

uint32_t chip_cpu_reg(unsigned r)
{
    static const int rr[18] = {UC_ARM_REG_R0, UC_ARM_REG_R1, UC_ARM_REG_R2, UC_ARM_REG_R3,
                               UC_ARM_REG_R4, UC_ARM_REG_R5, UC_ARM_REG_R6, UC_ARM_REG_R7,
                               UC_ARM_REG_R8, UC_ARM_REG_R9, UC_ARM_REG_R10, UC_ARM_REG_R11,
                               UC_ARM_REG_R12, UC_ARM_REG_SP, UC_ARM_REG_LR, UC_ARM_REG_PC,
                               UC_ARM_REG_XPSR, UC_ARM_REG_PRIMASK};
    return (uc != NULL && r < 18u) ? reg(rr[r]) : 0u;
}

bool chip_read_mem(uint32_t addr, void *buf, uint32_t n)
{
    const uint8_t *p = code_at(addr, n);
    if (p == NULL) {
        return false;
    }
    memcpy(buf, p, n);
    return true;
}

/* --------------------------------------------------------------- running */

usbfs_t *chip_usb(void)
{
    return chip_bus_usb();
}

void chip_usb_changed(void)
{
    chip_periph_attention = true;
    sample_lines();
}

const chip_stats_t *chip_stats(void)
{
    return &stats;
}

void chip_stats_reset(void)
{
    uint32_t sp = reg(UC_ARM_REG_SP);
    memset(&stats, 0, sizeof stats);
    stats.lowest_sp = sp;
}

/* the next timed event of any model: a SysTick wrap or the IWDG's expiry */
static uint64_t next_timed_ns(void)
{
    uint64_t t = chip_systick_next_ns();
    uint64_t w = chip_iwdg_next_ns();
    return w < t ? w : t;
}

uint64_t chip_next_event_ns(void)
{
    uint64_t t = next_timed_ns();
    uint64_t now = chip_now_ns();
    if (t == UINT64_MAX) {
        return UINT64_MAX;
    }
    return t > now ? t - now : 0u;
}

void chip_advance_idle(void)
{
    uint64_t t = next_timed_ns();
    if (sleeping && t != UINT64_MAX) {
        chip_time_skip_to(t);
    }
}

/* Time, interrupt lines, reset requests and model failures: done between
 * engine runs. False when the run must end. */
static bool service(void)
{
    chip_periph_attention = false;
    (void)chip_systick_update();
    sample_lines();
    if (chip_periph_failure() != NULL) {
        set_fault(reg(UC_ARM_REG_PC), chip_periph_failure(), false, 0);
        return false;
    }
    if (chip_iwdg_expired()) {
        /* RM0091 26.3: the counter reached 0 (or a refresh outside the
         * window): a system reset like SYSRESETREQ's, SRAM kept, IWDGRSTF */
        stats.iwdg_resets++;
        cpu_reset(CHIP_RESET_IWDG);
    } else if (chip_scb_reset_requested()) {
        cpu_reset(CHIP_RESET_SOFTWARE);  /* SYSRESETREQ: SRAM survives, everything else resets */
    }
    (void)apply_mem_mode();
    return !fault.on;
}

static bool is_wfi_before(uint32_t pc)
{
    const uint8_t *c = code_at(pc - 2u, 2u);
    return c != NULL && c[0] == 0x30u && c[1] == 0xBFu;
}

chip_state_t chip_run(uint64_t max_insns)
{
    uint64_t end = stats.instructions + max_insns;
    if (uc == NULL) {
        return CHIP_FAULT;
    }
    for (;;) {
        if (rom.on) {
            return CHIP_ROM;
        }
        if (fault.on || !service()) {
            return CHIP_FAULT;
        }
        if (sleeping) {
            if (chip_nvic_next(false) == 0u) {
                return CHIP_IDLE;
            }
            sleeping = false;  /* woken; taken below only if PRIMASK allows */
        }
        unsigned exc = chip_nvic_next(primask());
        if (exc != 0u && !exception_entry(exc)) {
            return CHIP_FAULT;
        }
        if (exc != 0u) {
            continue;  /* a higher one may have arrived: look again before running */
        }
        if (stats.instructions >= end) {
            return CHIP_BUSY;
        }
        budget_end = end;
        uint64_t next = next_timed_ns();
        if (chip_time_mode() == CHIP_TIME_VIRTUAL) {
            uint64_t now = chip_now_ns();
            deadline_cycles = next == UINT64_MAX ? UINT64_MAX
                              : stats.cycles + (next > now ? chip_time_counts(next - now,
                                                            chip_rcc_hclk_hz()) : 0u) + 1u;
        } else {
            deadline_ns = next;
        }
        stop_requested = false;
        uint32_t pc = reg(UC_ARM_REG_PC);
        uc_err r = uc_emu_start(uc, pc | 1u, 1u /* never an instruction address */, 0,
                                RUN_FOREVER);
        if (fault.on) {
            return CHIP_FAULT;
        }
        if (rom.on) {
            return CHIP_ROM;
        }
        if (r == UC_ERR_INSN_INVALID) {
            set_fault(reg(UC_ARM_REG_PC), "undefined instruction (UDF, or not ARMv6-M): HardFault",
                      false, 0);
            return CHIP_FAULT;
        }
        if (r != UC_ERR_OK) {
            char why[96];
            snprintf(why, sizeof why, "emulator stopped: %s", uc_strerror(r));
            set_fault(reg(UC_ARM_REG_PC), why, false, 0);
            return CHIP_FAULT;
        }
        if (!stop_requested) {
            uint32_t now_pc = reg(UC_ARM_REG_PC);
            if (is_wfi_before(now_pc)) {
                stats.wfi++;
                sleeping = true;
            } else {
                set_fault(now_pc, "emulator stopped for no known reason", false, 0);
                return CHIP_FAULT;
            }
        }
    }
}
