/*
 * stm32_epr.c - USB_EPnR write values (RM0091 30.6.2); see stm32_epr.h.
 * Layer: port/stm32f072, pure; includes only its own header.
 */
#include "stm32_epr.h"

uint16_t stm32_epr_write(uint16_t cur, uint16_t mask, uint16_t want, uint16_t clear_ctr)
{
    uint16_t plain = (uint16_t)((cur & STM32_EPR_PLAIN_Msk & ~mask) |
                                (want & STM32_EPR_PLAIN_Msk & mask));
    uint16_t toggle = (uint16_t)((cur ^ want) & STM32_EPR_TOGGLE_Msk & mask);
    uint16_t ctr = (uint16_t)(STM32_EPR_RCW0_Msk & ~clear_ctr);
    return (uint16_t)(plain | toggle | ctr);
}

uint16_t stm32_epr_set_stat_tx(uint16_t cur, unsigned stat)
{
    return stm32_epr_write(cur, STM32_EPR_STAT_TX_Msk,
                           (uint16_t)((stat & 3u) << STM32_EPR_STAT_TX_Pos), 0);
}

uint16_t stm32_epr_set_stat_rx(uint16_t cur, unsigned stat)
{
    return stm32_epr_write(cur, STM32_EPR_STAT_RX_Msk,
                           (uint16_t)((stat & 3u) << STM32_EPR_STAT_RX_Pos), 0);
}

uint16_t stm32_epr_set_dtog_tx(uint16_t cur, unsigned dtog)
{
    return stm32_epr_write(cur, STM32_EPR_DTOG_TX, dtog ? STM32_EPR_DTOG_TX : 0u, 0);
}

uint16_t stm32_epr_set_dtog_rx(uint16_t cur, unsigned dtog)
{
    return stm32_epr_write(cur, STM32_EPR_DTOG_RX, dtog ? STM32_EPR_DTOG_RX : 0u, 0);
}

uint16_t stm32_epr_clear_ctr_tx(uint16_t cur)
{
    return stm32_epr_write(cur, 0, 0, STM32_EPR_CTR_TX);
}

uint16_t stm32_epr_clear_ctr_rx(uint16_t cur)
{
    return stm32_epr_write(cur, 0, 0, STM32_EPR_CTR_RX);
}

uint16_t stm32_epr_set_type(uint16_t cur, unsigned ea, unsigned type)
{
    uint16_t want = (uint16_t)((ea & STM32_EPR_EA_Msk) |
                               ((type & 3u) << STM32_EPR_EP_TYPE_Pos));
    return stm32_epr_write(cur, STM32_EPR_PLAIN_Msk, want, 0);
}
