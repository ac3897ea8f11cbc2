/* AIRCR.SYSRESETREQ: counts boots in SRAM word 0x20000000 (SRAM survives a
 * system reset) and requests a reset on the first one. */
#define INITIAL_SP 0x20001000
#define SVC_VEC hang
#define PENDSV_VEC hang
#define SYSTICK_VEC hang
#define IRQ0_VEC hang
#include "vectors.inc"
        .thumb_func
reset:  ldr r0, =0x20000000
        ldr r1, [r0]
        adds r1, #1
        str r1, [r0]
        cmp r1, #1
        bne done
        ldr r0, =0xE000ED0C     /* AIRCR */
        ldr r1, =0x05FA0004     /* VECTKEY | SYSRESETREQ */
        str r1, [r0]
1:      b 1b
done:   wfi
        b done
        .ltorg
