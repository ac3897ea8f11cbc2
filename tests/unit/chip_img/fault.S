/* One fault per CASE (assembled once per case): 1 unmapped read, 2 write to
 * flash, 3 undefined instruction, 4 branch into the HardFault handler,
 * 5 unmodelled register (RCC + 0x40), 6 GPIOA read with its clock off. */
#define INITIAL_SP 0x20001000
#define SVC_VEC hang
#define PENDSV_VEC hang
#define SYSTICK_VEC hang
#define IRQ0_VEC hang
#include "vectors.inc"
        .thumb_func
reset:
#if CASE == 1
        ldr r0, =0x30000000
        ldr r1, [r0]
#elif CASE == 2
        ldr r0, =0x08000100
        str r0, [r0]
#elif CASE == 3
        .short 0xDE00           /* UDF #0 */
#elif CASE == 4
        b hang
#elif CASE == 5
        ldr r0, =0x40021040
        ldr r1, [r0]
#elif CASE == 6
        ldr r0, =0x48000010
        ldr r1, [r0]
#endif
done:   wfi
        b done
        .ltorg
