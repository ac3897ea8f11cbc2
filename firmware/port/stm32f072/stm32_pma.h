/*
 * stm32_pma.h - packet memory (USB SRAM) bookkeeping for the STM32F072 USB
 * FS peripheral, as pure functions so the host unit tests can check them.
 *
 * Layer: port/stm32f072, pure (no register access). Includes <stdbool.h>,
 * <stdint.h> only.
 * Facts (RM0091 30.5.3 and 30.6.3): the USB SRAM is 1024 bytes; the buffer
 * descriptor table (BTABLE) lives in it, 8 bytes per endpoint register
 * (ADDRn_TX, COUNTn_TX, ADDRn_RX, COUNTn_RX), and we put it at offset 0 for
 * all 8 endpoint registers (64 bytes). Buffers are half-word aligned because
 * the memory is accessed 16 bits at a time. COUNTn_RX bits 15:10 tell the
 * peripheral how large the reception buffer is: BL_SIZE (bit 15) selects
 * 2-byte (0) or 32-byte (1) blocks and NUM_BLOCK (bits 14:10) their number;
 * with BL_SIZE=0 the size is 2*NUM_BLOCK (NUM_BLOCK=0 is not allowed), with
 * BL_SIZE=1 it is 32*(NUM_BLOCK+1).
 * Limits: no double buffering (so no isochronous endpoints); allocation is a
 * bump pointer with one remembered buffer per (endpoint register, direction):
 * reopening an endpoint with the same or a smaller size reuses its buffer, so
 * repeated SET_INTERFACE / SET_CONFIGURATION never leak packet memory. Only a
 * bus reset (stm32_pma_reset) frees everything.
 */
#ifndef STM32_PMA_H
#define STM32_PMA_H

#include <stdbool.h>
#include <stdint.h>

#define STM32_PMA_SIZE        1024u
#define STM32_PMA_NUM_EPR     8u
#define STM32_PMA_BTABLE_SIZE (8u * STM32_PMA_NUM_EPR)
#define STM32_PMA_SLOTS       (2u * STM32_PMA_NUM_EPR)
#define STM32_PMA_MAX_RX      1023u   /* COUNTn_RX is a 10-bit field */

#define STM32_PMA_COUNT_RX_BL_SIZE        (1u << 15)
#define STM32_PMA_COUNT_RX_NUM_BLOCK_Pos  10u
#define STM32_PMA_COUNT_RX_NUM_BLOCK_Msk  (0x1Fu << 10)
#define STM32_PMA_COUNT_Msk               0x03FFu

/* slot of endpoint register n: n*2 for OUT (RX), n*2+1 for IN (TX) */
#define STM32_PMA_SLOT(n, is_in) ((unsigned)(n) * 2u + ((is_in) ? 1u : 0u))

typedef struct {
    uint16_t top;                         /* first free byte */
    uint16_t addr[STM32_PMA_SLOTS];       /* 0 = slot never allocated */
    uint16_t size[STM32_PMA_SLOTS];
} stm32_pma_t;

/* Everything free again; the BTABLE occupies bytes 0..63. */
void stm32_pma_reset(stm32_pma_t *p);

/* Buffer for `slot` of at least `len` bytes (rounded up to even). Returns its
 * packet-memory offset, or 0 when the slot number is bad, len is 0 or larger
 * than 1024, or the memory is full (0 is the BTABLE, never a buffer). */
uint16_t stm32_pma_alloc(stm32_pma_t *p, unsigned slot, uint16_t len);

/* COUNTn_RX bits 15:10 for a reception buffer of at least `len` bytes.
 * false for len > 1023. len 0 gets the smallest legal buffer (2 bytes). */
bool stm32_pma_count_rx_encode(uint16_t len, uint16_t *reg);

/* Buffer size in bytes that COUNTn_RX bits 15:10 describe (0 if illegal). */
uint16_t stm32_pma_count_rx_capacity(uint16_t reg);

/* Bytes a reception buffer for `len` really occupies (0 if len > 1023). */
uint16_t stm32_pma_rx_size(uint16_t len);

#endif
