/* PRIMASK, WFI and priorities. PendSV pended with PRIMASK set: WFI wakes
 * but does not take it; CPSIE takes it (r6 = r5 = 7 proves the order).
 * Then IRQ0 at priority 0x80 pends PendSV (priority 0), which preempts it
 * (nested: r7 = EXC_RETURN 0xFFFFFFF1). r4 logs handler steps as nibbles:
 * 2 = PendSV, 1 = IRQ0 start, 3 = IRQ0 end: expected 0x2123. */
#define INITIAL_SP 0x20001000
#define SVC_VEC hang
#define PENDSV_VEC pendsv
#define SYSTICK_VEC hang
#define IRQ0_VEC irq0
#include "vectors.inc"
        .thumb_func
reset:  movs r4, #0
        movs r5, #0
        cpsid i
        ldr r0, =0xE000ED04
        ldr r1, =0x10000000
        str r1, [r0]
        b 1f
1:      wfi
        movs r5, #7
        cpsie i
        b 2f
2:      ldr r0, =0xE000E400     /* NVIC_IPR0: IRQ0 priority 0x80 */
        movs r1, #0x80
        str r1, [r0]
        ldr r0, =0xE000E100     /* ISER */
        movs r1, #1
        str r1, [r0]
        ldr r0, =0xE000E200     /* ISPR */
        str r1, [r0]
        b done
done:   wfi
        b done
        .thumb_func
pendsv: lsls r4, r4, #4
        adds r4, #2
        mov r6, r5
        mov r7, lr
        bx lr
        .thumb_func
irq0:   lsls r4, r4, #4
        adds r4, #1
        ldr r0, =0xE000ED04
        ldr r1, =0x10000000
        str r1, [r0]
        b 5f
5:      lsls r4, r4, #4
        adds r4, #3
        bx lr
        .ltorg
