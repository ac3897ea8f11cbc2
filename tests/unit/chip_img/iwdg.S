/* IWDG (RM0091 26): boot 1 starts the watchdog with a 10 ms timeout (PR 0:
 * LSI/4, RLR 100), feeds it 20 times 2 ms apart (40 ms: feeding keeps it
 * quiet), then stops feeding: CASE 1 spins (a wedged loop), CASE 2 sleeps
 * in WFI with no other event (the idle skip must reach the expiry). The
 * reset that follows keeps SRAM: boot 2 stores RCC_CSR at 0x20000008 and
 * sleeps. SRAM: 0x20000000 boots, 0x20000004 feeds done. */
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
        bne second
        movs r1, #0
        str r1, [r0, #4]
        ldr r2, =0x40003000     /* IWDG */
        ldr r1, =0xCCCC         /* start */
        str r1, [r2]
        ldr r1, =0x5555         /* unlock PR, RLR */
        str r1, [r2]
        movs r1, #0
        str r1, [r2, #4]        /* PR = 0: LSI / 4 */
        movs r1, #100
        str r1, [r2, #8]        /* RLR = 100: 10 ms */
busy:   ldr r1, [r2, #12]       /* SR: PVU | RVU until the LSI domain has them */
        cmp r1, #0
        bne busy
        ldr r3, =0xAAAA
        str r3, [r2]            /* reload */
        movs r4, #20
feed:   ldr r5, =4000           /* ~2 ms at 8 MHz (subs + taken bne: 4 cycles) */
1:      subs r5, #1
        bne 1b
        str r3, [r2]            /* reload */
        ldr r1, [r0, #4]
        adds r1, #1
        str r1, [r0, #4]
        subs r4, #1
        bne feed
#if CASE == 1
2:      b 2b                    /* wedged: never fed again */
#else
2:      wfi                     /* asleep, nothing else to wake it */
        b 2b
#endif
second: ldr r2, =0x40021024     /* RCC_CSR */
        ldr r1, [r2]
        str r1, [r0, #8]
3:      wfi
        b 3b
        .ltorg
