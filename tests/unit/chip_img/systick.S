/* SysTick at 1 kHz from the 8 MHz HSI (RVR 7999, processor clock, TICKINT):
 * the handler counts in r4, the main loop sleeps. */
#define INITIAL_SP 0x20001000
#define SVC_VEC hang
#define PENDSV_VEC hang
#define SYSTICK_VEC systick
#define IRQ0_VEC hang
#include "vectors.inc"
        .thumb_func
reset:  movs r4, #0
        ldr r0, =0xE000E010
        ldr r1, =7999
        str r1, [r0, #4]        /* RVR */
        movs r1, #0
        str r1, [r0, #8]        /* CVR */
        movs r1, #7
        str r1, [r0]            /* CSR: ENABLE | TICKINT | CLKSOURCE */
done:   wfi
        b done
        .thumb_func
systick: adds r4, #1
        bx lr
        .ltorg
