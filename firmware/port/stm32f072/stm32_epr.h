/*
 * stm32_epr.h - values to write to a USB_EPnR register of the STM32F072 USB
 * FS peripheral, as pure functions so the host unit tests can check them
 * against a model of the register.
 *
 * Layer: port/stm32f072, pure (no register access). Includes <stdint.h> only.
 * RM0091 30.6.2 USB_EPnR has three kinds of bits, so a plain read-modify-write
 * breaks it:
 *   - toggle bits (t): STAT_RX[13:12], DTOG_RX[14], STAT_TX[5:4], DTOG_TX[6]:
 *     writing 1 flips the bit, 0 leaves it. To reach a value we write
 *     (current XOR wanted).
 *   - rc_w0 bits: CTR_RX[15], CTR_TX[7]: writing 0 clears, 1 leaves; so we
 *     write 1 unless we mean to clear. That also keeps a CTR flag the hardware
 *     sets between our read and our write.
 *   - plain rw bits: EA[3:0], EP_KIND[8], EP_TYPE[10:9]; SETUP[11] is read-only.
 * Limit: the computed value is only right if the toggle bits do not change
 * between the read and the write; the driver therefore changes STAT only while
 * the hardware cannot (endpoint NAKing or disabled), with interrupts masked.
 */
#ifndef STM32_EPR_H
#define STM32_EPR_H

#include <stdint.h>

#define STM32_EPR_EA_Msk       0x000Fu
#define STM32_EPR_STAT_TX_Pos  4u
#define STM32_EPR_STAT_TX_Msk  (3u << 4)
#define STM32_EPR_DTOG_TX      (1u << 6)
#define STM32_EPR_CTR_TX       (1u << 7)
#define STM32_EPR_EP_KIND      (1u << 8)
#define STM32_EPR_EP_TYPE_Pos  9u
#define STM32_EPR_EP_TYPE_Msk  (3u << 9)
#define STM32_EPR_SETUP        (1u << 11)
#define STM32_EPR_STAT_RX_Pos  12u
#define STM32_EPR_STAT_RX_Msk  (3u << 12)
#define STM32_EPR_DTOG_RX      (1u << 14)
#define STM32_EPR_CTR_RX       (1u << 15)

#define STM32_EPR_TOGGLE_Msk   (STM32_EPR_STAT_TX_Msk | STM32_EPR_DTOG_TX | \
                                STM32_EPR_STAT_RX_Msk | STM32_EPR_DTOG_RX)
#define STM32_EPR_RCW0_Msk     (STM32_EPR_CTR_RX | STM32_EPR_CTR_TX)
#define STM32_EPR_PLAIN_Msk    (STM32_EPR_EA_Msk | STM32_EPR_EP_KIND | STM32_EPR_EP_TYPE_Msk)

/* STAT_RX / STAT_TX values (RM0091 tables 151/152) */
#define STM32_EPR_STAT_DISABLED 0u
#define STM32_EPR_STAT_STALL    1u
#define STM32_EPR_STAT_NAK      2u
#define STM32_EPR_STAT_VALID    3u

/* EP_TYPE values (RM0091 table 149): note they differ from USB's bmAttributes */
#define STM32_EPR_TYPE_BULK      0u
#define STM32_EPR_TYPE_CONTROL   1u
#define STM32_EPR_TYPE_ISO       2u
#define STM32_EPR_TYPE_INTERRUPT 3u

/* General form: with EPnR reading `cur`, the value to write so that the
 * toggle and plain bits selected by `mask` become `want`, nothing else
 * changes, and the CTR bits in `clear_ctr` are cleared. */
uint16_t stm32_epr_write(uint16_t cur, uint16_t mask, uint16_t want, uint16_t clear_ctr);

uint16_t stm32_epr_set_stat_tx(uint16_t cur, unsigned stat);
uint16_t stm32_epr_set_stat_rx(uint16_t cur, unsigned stat);
uint16_t stm32_epr_set_dtog_tx(uint16_t cur, unsigned dtog);
uint16_t stm32_epr_set_dtog_rx(uint16_t cur, unsigned dtog);
uint16_t stm32_epr_clear_ctr_tx(uint16_t cur);
uint16_t stm32_epr_clear_ctr_rx(uint16_t cur);
/* EA and EP_TYPE set, EP_KIND cleared (no STATUS_OUT / double buffering) */
uint16_t stm32_epr_set_type(uint16_t cur, unsigned ea, unsigned type);

#endif
