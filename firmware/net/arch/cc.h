/*
 * arch/cc.h - lwIP 2.1.3 compiler/platform glue for both builds (GCC on
 * Cortex-M0 and GCC/Clang on Linux). Layer: firmware/net (portable).
 * No printf on the chip: diagnostics are dropped, assertions go to
 * board_panic(), which stops the program (abort() in tests and the simulator).
 */
#ifndef STM32NET_ARCH_CC_H
#define STM32NET_ARCH_CC_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifndef BYTE_ORDER  /* glibc's <endian.h> may define it already */
#define BYTE_ORDER LITTLE_ENDIAN
#endif

void board_panic(const char *msg, const char *file, int line);

#define LWIP_PLATFORM_DIAG(x) do { } while (0)
#ifndef LWIP_PLATFORM_ASSERT  /* host tools built from lwIP (makefsdata) bring their own */
#define LWIP_PLATFORM_ASSERT(x) board_panic((x), __FILE__, __LINE__)
#endif

#endif
