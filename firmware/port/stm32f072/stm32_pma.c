/*
 * stm32_pma.c - packet memory allocation and COUNTn_RX encoding (see
 * stm32_pma.h for the RM0091 facts and the limits). Pure: no registers.
 * Layer: port/stm32f072; includes only its own header.
 */
#include "stm32_pma.h"

void stm32_pma_reset(stm32_pma_t *p)
{
    p->top = (uint16_t)STM32_PMA_BTABLE_SIZE;
    for (unsigned i = 0; i < STM32_PMA_SLOTS; i++) {
        p->addr[i] = 0;
        p->size[i] = 0;
    }
}

uint16_t stm32_pma_alloc(stm32_pma_t *p, unsigned slot, uint16_t len)
{
    if (slot >= STM32_PMA_SLOTS || len == 0u || len > STM32_PMA_SIZE) {
        return 0;
    }
    uint16_t need = (uint16_t)((len + 1u) & ~1u);  /* half-word accesses only */
    if (p->addr[slot] != 0u && p->size[slot] >= need) {
        return p->addr[slot];
    }
    if (p->top > STM32_PMA_SIZE || need > STM32_PMA_SIZE - p->top) {
        return 0;  /* full: the old buffer (if any) stays valid */
    }
    p->addr[slot] = p->top;
    p->size[slot] = need;
    p->top = (uint16_t)(p->top + need);
    return p->addr[slot];
}

bool stm32_pma_count_rx_encode(uint16_t len, uint16_t *reg)
{
    if (len > STM32_PMA_MAX_RX) {
        return false;
    }
    if (len <= 62u) {
        /* RM0091 30.6.3 COUNTn_RX: 2-byte blocks, NUM_BLOCK=0 not allowed */
        unsigned blocks = (len + 1u) / 2u;
        if (blocks == 0u) {
            blocks = 1u;
        }
        *reg = (uint16_t)(blocks << STM32_PMA_COUNT_RX_NUM_BLOCK_Pos);
    } else {
        unsigned blocks = (len + 31u) / 32u;  /* 3..32 blocks of 32 bytes */
        *reg = (uint16_t)(STM32_PMA_COUNT_RX_BL_SIZE |
                          ((blocks - 1u) << STM32_PMA_COUNT_RX_NUM_BLOCK_Pos));
    }
    return true;
}

uint16_t stm32_pma_count_rx_capacity(uint16_t reg)
{
    unsigned nb = (reg & STM32_PMA_COUNT_RX_NUM_BLOCK_Msk) >> STM32_PMA_COUNT_RX_NUM_BLOCK_Pos;
    if ((reg & STM32_PMA_COUNT_RX_BL_SIZE) != 0u) {
        return (uint16_t)(32u * (nb + 1u));
    }
    return (uint16_t)(2u * nb);
}

uint16_t stm32_pma_rx_size(uint16_t len)
{
    uint16_t reg;
    if (!stm32_pma_count_rx_encode(len, &reg)) {
        return 0;
    }
    return stm32_pma_count_rx_capacity(reg);
}
