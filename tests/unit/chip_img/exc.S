/* Exception entry and return: PendSV with an 8-byte aligned SP, then with SP
 * 4 mod 8 (padding, stacked xPSR bit 9), then SVC. Results in registers:
 * r4 = PendSVs taken, r6/r5 = SP inside the first/second, r10 = stacked xPSR
 * of the second, r7 = EXC_RETURN, r11 = IPSR in PendSV, r9 = IPSR in SVCall,
 * r8 = SVC's stacked return address, r0 = 0x5A after the SVC returned.
 * (r0-r3 and r12 are restored from the frame on return: results go in r4+.) */
#define INITIAL_SP 0x20001000
#define SVC_VEC svc_h
#define PENDSV_VEC pendsv
#define SYSTICK_VEC hang
#define IRQ0_VEC hang
#include "vectors.inc"
        .thumb_func
reset:  movs r4, #0
        ldr r0, =0xE000ED04     /* ICSR */
        ldr r1, =0x10000000     /* PENDSVSET */
        str r1, [r0]
        b 1f                    /* block boundary: taken here */
1:      sub sp, #4
        str r1, [r0]
        b 2f
2:      add sp, #4
        svc #0
        .global after_svc
after_svc:
        movs r0, #0x5A
done:   wfi
        b done
        .thumb_func
pendsv: adds r4, #1
        cmp r4, #1
        bne 3f
        mov r6, sp
        b 4f
3:      mov r5, sp
        ldr r3, [sp, #28]
        mov r10, r3
4:      mov r7, lr
        mrs r2, ipsr
        mov r11, r2
        bx lr
        .thumb_func
svc_h:  mrs r1, ipsr
        ldr r0, [sp, #24]
        mov r8, r0
        mov r9, r1
        bx lr
        .ltorg
