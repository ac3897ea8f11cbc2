/*
 * usbfs.h - register-level model of the STM32F072 USB full-speed device
 * peripheral (RM0091 chapter 30), for the emulated chip and for unit tests
 * that drive a USB driver on it.
 *
 * Layer: sim/chip (host only), standalone: includes only <stdint.h> and
 * <stdbool.h>; no Unicorn, no allocation, one state struct per instance.
 * Two sides:
 *  - the CPU side: usbfs_reg_read/write (registers at USB_BASE 0x40005C00,
 *    offsets 0x00..0x5B) and usbfs_pma_read/write (the 1 KB packet memory at
 *    0x40006000), each returning false for an access the peripheral does not
 *    have (the caller reports it as a bus fault);
 *  - the host side: one transaction per call (usbfs_host_setup / _out / _in),
 *    answered as the peripheral answers on the wire, plus bus reset and SOF.
 * Written from RM0091 30.4-30.6 (and RM0008's identical USB chapter where
 * RM0091 is terse), not from our driver. Every rule here has a test in
 * tests/unit/test_chip_usbfs.c.
 * Limits: single-buffered bulk/control/interrupt endpoints only (EP_KIND on
 * a bulk endpoint, DBL_BUF, and isochronous endpoints are flagged in
 * usbfs_t.unsupported and the transaction is not answered); no suspend /
 * resume signalling, no LPM, no battery charging detection (BCDR's status
 * bits read 0), no ERR/PMAOVR conditions (a perfect bus), no timing.
 */
#ifndef USBFS_H
#define USBFS_H

#include <stdbool.h>
#include <stdint.h>

#define USBFS_REG_BASE 0x40005C00u
#define USBFS_PMA_BASE 0x40006000u
#define USBFS_PMA_SIZE 1024u
#define USBFS_NUM_EPR 8u

/* register offsets from USBFS_REG_BASE (RM0091 30.6 register map) */
#define USBFS_EPR(n) (4u * (n))
#define USBFS_CNTR 0x40u
#define USBFS_ISTR 0x44u
#define USBFS_FNR 0x48u
#define USBFS_DADDR 0x4Cu
#define USBFS_BTABLE 0x50u
#define USBFS_LPMCSR 0x54u
#define USBFS_BCDR 0x58u

/* EPnR (RM0091 30.6.2) */
#define USBFS_EPR_EA 0x000Fu
#define USBFS_EPR_STAT_TX 0x0030u
#define USBFS_EPR_DTOG_TX 0x0040u
#define USBFS_EPR_CTR_TX 0x0080u
#define USBFS_EPR_EP_KIND 0x0100u
#define USBFS_EPR_EP_TYPE 0x0600u
#define USBFS_EPR_SETUP 0x0800u
#define USBFS_EPR_STAT_RX 0x3000u
#define USBFS_EPR_DTOG_RX 0x4000u
#define USBFS_EPR_CTR_RX 0x8000u
#define USBFS_STAT_DISABLED 0u
#define USBFS_STAT_STALL 1u
#define USBFS_STAT_NAK 2u
#define USBFS_STAT_VALID 3u
#define USBFS_TYPE_BULK 0u
#define USBFS_TYPE_CONTROL 1u
#define USBFS_TYPE_ISO 2u
#define USBFS_TYPE_INTERRUPT 3u

/* CNTR / ISTR (RM0091 30.6.1) */
#define USBFS_CNTR_FRES 0x0001u
#define USBFS_CNTR_PDWN 0x0002u
#define USBFS_ISTR_EP_ID 0x000Fu
#define USBFS_ISTR_DIR 0x0010u
#define USBFS_ISTR_L1REQ 0x0080u
#define USBFS_ISTR_ESOF 0x0100u
#define USBFS_ISTR_SOF 0x0200u
#define USBFS_ISTR_RESET 0x0400u
#define USBFS_ISTR_SUSP 0x0800u
#define USBFS_ISTR_WKUP 0x1000u
#define USBFS_ISTR_ERR 0x2000u
#define USBFS_ISTR_PMAOVR 0x4000u
#define USBFS_ISTR_CTR 0x8000u
#define USBFS_DADDR_EF 0x0080u
#define USBFS_BCDR_DPPU 0x8000u

/* What the host saw for one transaction (USB 2.0 8.4.5 handshakes).
 * TIMEOUT: no handshake at all (device not attached, address or endpoint not
 * matched, endpoint DISABLED, a SETUP refused while CTR_RX is still set);
 * a host controller retries. OVERFLOW: the device sent more than the host
 * asked for (babble); the host does not ACK, so the device side is unchanged. */
typedef enum {
    USBFS_ACK = 0,
    USBFS_NAK = 1,
    USBFS_STALL = 2,
    USBFS_TIMEOUT = 3,
    USBFS_OVERFLOW = 4,
} usbfs_result_t;

typedef struct {
    uint16_t epr[USBFS_NUM_EPR];
    uint16_t cntr;
    uint16_t istr_flags;   /* the rc_w0 bits 7..14; CTR/DIR/EP_ID are derived */
    uint16_t fnr;
    uint16_t daddr;
    uint16_t btable;
    uint16_t lpmcsr;
    uint16_t bcdr;
    uint8_t pma[USBFS_PMA_SIZE];
    uint32_t sof_count;    /* SOFs since the last bus reset (FNR.LCK after 2) */
    uint32_t unsupported;  /* transactions refused for an unmodelled mode */
    uint32_t writes;       /* CPU register/PMA writes: "something may have changed" */
} usbfs_t;

/* Power-on / RCC APB1RSTR.USBRST state (RM0091 30.6: reset values; CNTR
 * resets to FRES | PDWN). The packet memory keeps its contents. */
void usbfs_reset(usbfs_t *u);

/* CPU side. off is from USBFS_REG_BASE / USBFS_PMA_BASE; size 1, 2 or 4.
 * Registers: 16-bit or 32-bit accesses at 4-byte aligned offsets (upper half
 * reads 0, writes ignored; RM0091 30.6 "accessed by half-words or words");
 * a byte access or an unused offset returns false. Packet memory: byte and
 * half-word accesses at any naturally aligned offset (RM0091 30.5.3: "should
 * be accessed only by byte (8-bit) or half-word (16-bit) accesses"; the F072's
 * 16-bit wide USB SRAM, local address == APB offset); a word access returns
 * false. Not modelled: a report (unconfirmed by ST) that byte writes on the
 * F042 land in both halves of the half-word - our driver writes half-words. */
bool usbfs_reg_read(usbfs_t *u, uint32_t off, unsigned size, uint32_t *val);
bool usbfs_reg_write(usbfs_t *u, uint32_t off, unsigned size, uint32_t val);
bool usbfs_pma_read(const usbfs_t *u, uint32_t off, unsigned size, uint32_t *val);
bool usbfs_pma_write(usbfs_t *u, uint32_t off, unsigned size, uint32_t val);

/* USB interrupt line (NVIC position 31): any ISTR flag whose CNTR mask bit
 * is set (CTR/PMAOVR/ERR/WKUP/SUSP/RESET/SOF/ESOF = CNTR bits 15..8, L1REQ =
 * bit 7). Level: it stays up until software clears the cause. */
bool usbfs_irq(const usbfs_t *u);
/* D+ pull-up on and transceiver powered: a host sees a full-speed device. */
bool usbfs_attached(const usbfs_t *u);

/* Host side. addr is the USB address the token carries, ep the endpoint
 * number (0..15). data1: the DATA PID the host uses (OUT) or gets (IN). */
void usbfs_host_bus_reset(usbfs_t *u);
void usbfs_host_sof(usbfs_t *u);
usbfs_result_t usbfs_host_setup(usbfs_t *u, uint8_t addr, const uint8_t setup[8]);
usbfs_result_t usbfs_host_out(usbfs_t *u, uint8_t addr, uint8_t ep, bool data1,
                              const uint8_t *data, uint16_t len);
usbfs_result_t usbfs_host_in(usbfs_t *u, uint8_t addr, uint8_t ep, uint8_t *buf, uint16_t room,
                             uint16_t *len, bool *data1);

/* Decoded ISTR as software reads it (for tests and the fault report). */
uint16_t usbfs_istr(const usbfs_t *u);
/* Receive buffer size of COUNTn_RX's BL_SIZE/NUM_BLOCK (RM0091 30.6.3). */
uint16_t usbfs_rx_buf_size(uint16_t count_rx);

#endif
