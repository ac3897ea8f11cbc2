/*
 * model_usbfs.h - register-level model of the STM32F072 USB FS device
 * peripheral for host unit tests of udc_stm32.c (built with
 * STM32NET_UNIT_TEST, whose register hooks stm32f072.h declares and
 * model_usbfs.c implements).
 *
 * Layer: tests/unit. Written from RM0091 chapter 30, not from our driver:
 *   - EPnR write semantics (30.6.2): STAT_RX/TX and DTOG_RX/TX toggle on a
 *     written 1, CTR_RX/TX clear on a written 0 (rc_w0), SETUP read-only,
 *     EA/EP_KIND/EP_TYPE plain.
 *   - Tokens (30.5.2): an IN/OUT token gets STALL, NAK or no answer
 *     (DISABLED) from STAT_TX/STAT_RX; a completed IN flips DTOG_TX, sets
 *     STAT_TX to NAK and CTR_TX; a completed OUT writes packet memory and
 *     COUNTn_RX, flips DTOG_RX, sets STAT_RX to NAK and CTR_RX. A SETUP on a
 *     control endpoint is accepted whatever STAT_RX says unless it is
 *     DISABLED; it sets DTOG_TX to 1 and DTOG_RX to 0 before the DATA0 packet
 *     (so 1 after it), both STAT_TX and STAT_RX to NAK, SETUP and CTR_RX
 *     ("Control transfers"). While CTR_RX is still set from an earlier
 *     reception the SETUP is discarded without handshake, as if it had been
 *     garbled, and the host sends it again. SETUP is frozen while CTR_RX is 1.
 *   - ISTR (30.6.1): CTR and EP_ID are derived from the EPnR CTR flags
 *     (lowest endpoint first), RESET/SUSP/WKUP are rc_w0. A USB reset clears
 *     DADDR and every EPnR; while ISTR.RESET is set, or DADDR.EF is 0, no
 *     token gets an answer.
 *   - Packet memory (30.5.3): 1 KB, 16-bit accesses only, BTABLE at
 *     USB_BTABLE, COUNTn_RX's BL_SIZE/NUM_BLOCK bound a reception.
 * The host functions change the registers only; the test runs the driver's
 * interrupt handler itself (pending interrupt -> USB_IRQHandler), so a test
 * can let several things happen on the bus before the CPU reacts.
 * Limits: single-buffered endpoints only (no double buffering, isochronous,
 * LPM, BCD); no timing; the host always sends the DATA0/1 the endpoint
 * expects (no retransmission after a lost ACK, so no toggle mismatch); a
 * reception larger than the buffer, or an IN packet larger than the host's
 * room, fails the test (our host never causes one).
 */
#ifndef MODEL_USBFS_H
#define MODEL_USBFS_H

#include <stdbool.h>
#include <stdint.h>

typedef enum {
    MODEL_USBFS_ACK = 0,
    MODEL_USBFS_NAK,
    MODEL_USBFS_STALL,
    MODEL_USBFS_NONE,   /* no handshake: endpoint disabled, or SETUP discarded */
} model_usbfs_hs_t;

extern uint16_t model_usbfs_epr[8];
extern uint16_t model_usbfs_istr;          /* RESET/SUSP/WKUP; CTR/EP_ID are derived */
extern uint16_t model_usbfs_reg[0x60 / 2]; /* CNTR, DADDR, BTABLE, BCDR ... by offset */
extern uint16_t model_usbfs_pma[1024 / 2];

/* Race injection (both fire once, then disarm themselves):
 * - race_ep = n: right after the next read of EPnR n returns, the peripheral
 *   finishes whatever VALID transaction endpoint n had armed (OUT: NAK,
 *   DTOG_RX flips, CTR_RX; IN: NAK, DTOG_TX flips, CTR_TX) before the CPU's
 *   next access, as a packet completing between a read and a write would.
 * - setup_at_pma = k (k >= 1) with setup_bytes: at the k-th access to ep0's
 *   reception buffer from now, the host sends a SETUP with those bytes (it
 *   lands only if the rules above accept it; setup_result tells).
 * - setup_at_epr0 = k: the same SETUP at the k-th read of EP0R from now (the
 *   value read is the one from before the SETUP). */
extern int model_usbfs_race_ep;
extern unsigned model_usbfs_setup_at_pma;
extern unsigned model_usbfs_setup_at_epr0;   /* same, at the k-th read of EP0R */
extern uint8_t model_usbfs_setup_bytes[8];
extern int model_usbfs_setup_result;

/* Power-on state: registers garbage where RM0091 leaves them undefined. */
void model_usbfs_reset(void);
/* The register as a write of w to EPnR holding reg leaves it (RM0091 30.6.2). */
uint16_t model_usbfs_epr_write(uint16_t reg, uint16_t w);
/* An interrupt is pending: a CTR flag, or RESET/SUSP/WKUP in ISTR. */
bool model_usbfs_irq_pending(void);

/* Host side: one token each, handshake returned. pid: DATA0/1 of the packet. */
model_usbfs_hs_t model_usbfs_setup(const uint8_t s[8]);
model_usbfs_hs_t model_usbfs_out(unsigned n, const uint8_t *d, uint16_t len, unsigned *pid);
model_usbfs_hs_t model_usbfs_in(unsigned n, uint8_t *d, uint16_t room, uint16_t *len, unsigned *pid);
void model_usbfs_bus_reset(void);   /* EPnR and DADDR to 0, ISTR.RESET set */

/* Views for the tests */
unsigned model_usbfs_stat_tx(unsigned n);
unsigned model_usbfs_stat_rx(unsigned n);
unsigned model_usbfs_dtog_tx(unsigned n);
unsigned model_usbfs_dtog_rx(unsigned n);
uint16_t model_usbfs_bt(unsigned n, unsigned i);  /* i: 0 ADDR_TX 1 COUNT_TX 2 ADDR_RX 3 COUNT_RX */
void model_usbfs_bt_set(unsigned n, unsigned i, uint16_t v);
void model_usbfs_pma_put(uint16_t off, const uint8_t *d, uint16_t len);
void model_usbfs_pma_get(uint16_t off, uint8_t *d, uint16_t len);

#endif
