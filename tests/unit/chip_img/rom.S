/* The path into the ROM bootloader that firmware/port/stm32f072 takes
 * (board_enter_bootloader + board_boot_hook), in a dozen instructions:
 * the application leaves a magic word in SRAM that start-up does not clear
 * (0x20000100) and requests a system reset (AIRCR.SYSRESETREQ); the reset
 * code sees the word first, clears it, maps system memory at 0
 * (SYSCFG_CFGR1.MEM_MODE = 01, after RCC_APB2ENR.SYSCFGCOMPEN), loads MSP
 * from 0x1FFFC800 and jumps to the address at 0x1FFFC804 (AN2606).
 * Boots are counted at 0x20000104 (SRAM survives a system reset).
 * CASE 1: that path. CASE 2: the same without loading MSP (a broken boot
 * hook: the ROM would run on the application's stack). CASE 3: a jump into
 * system memory that is not the ROM's reset code (0x1FFFC8C2). CASE 4:
 * MEM_MODE = 11 puts SRAM at 0: a word stored at 0x20000200 reads back at
 * 0x200 (r4), the word at 0 is SRAM's (r5); then MEM_MODE = 00 again and
 * address 0 holds flash's initial SP (r6). Each write is followed by
 * DSB + ISB, as the ARMv6-M ARM asks after a change of the memory map. */
#define INITIAL_SP 0x20001000
#define SVC_VEC hang
#define PENDSV_VEC hang
#define SYSTICK_VEC hang
#define IRQ0_VEC hang
#include "vectors.inc"
        .thumb_func
reset:
#if CASE == 4
        ldr r0, =0x40021018     /* RCC_APB2ENR.SYSCFGCOMPEN */
        movs r1, #1
        str r1, [r0]
        ldr r0, =0x20000200
        ldr r1, =0xC0FFEE11
        str r1, [r0]
        ldr r0, =0x20000000
        ldr r1, =0x5A5A0000
        str r1, [r0]
        ldr r0, =0x40010000     /* SYSCFG_CFGR1 */
        movs r1, #3             /* MEM_MODE = 11: SRAM at 0 */
        str r1, [r0]
        dsb
        isb                     /* the new map from the next instruction on */
        movs r2, #0
        ldr r5, [r2]
        ldr r3, =0x200
        ldr r4, [r3]
        movs r1, #0             /* MEM_MODE = 00: main flash at 0 */
        str r1, [r0]
        dsb
        isb
        ldr r6, [r2]
2:      wfi
        b 2b
#endif
        ldr r0, =0x20000100     /* the .noinit word */
        ldr r1, [r0]
        ldr r2, =0xB007DF11     /* magic */
        cmp r1, r2
        beq to_rom
        ldr r3, [r0, #4]        /* boots */
        adds r3, #1
        str r3, [r0, #4]
        str r2, [r0]            /* request the ROM */
        dsb
        ldr r0, =0xE000ED0C     /* AIRCR */
        ldr r1, =0x05FA0004     /* VECTKEY | SYSRESETREQ */
        str r1, [r0]
        dsb
1:      b 1b
to_rom: movs r1, #0
        str r1, [r0]            /* cleared before anything else */
        ldr r3, [r0, #4]
        adds r3, #1
        str r3, [r0, #4]
        ldr r0, =0x40021018     /* RCC_APB2ENR */
        ldr r1, [r0]
        movs r2, #1             /* SYSCFGCOMPEN */
        orrs r1, r2
        str r1, [r0]
        ldr r0, =0x40010000     /* SYSCFG_CFGR1 */
        ldr r1, [r0]
        movs r2, #3
        bics r1, r2
        movs r2, #1             /* MEM_MODE = 01: system memory at 0 */
        orrs r1, r2
        str r1, [r0]
        ldr r0, =0x1FFFC800
        ldr r1, [r0]            /* ROM initial SP */
        ldr r2, [r0, #4]        /* ROM reset vector */
#if CASE == 3
        adds r2, #2
#endif
#if CASE != 2
        msr msp, r1
#endif
        bx r2
        .ltorg
