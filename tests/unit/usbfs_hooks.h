/*
 * usbfs_hooks.h - the chip driver (udc_stm32.c built with STM32NET_UNIT_TEST)
 * on the emulated chip's USB FS peripheral model, sim/chip/usbfs.c: the one
 * model of the peripheral, written from RM0091 ch. 30 (its rules and their
 * tests: usbfs.h, test_chip_usbfs.c). This file implements the register
 * hooks stm32f072.h declares for unit tests on top of usbfs_reg_read/write
 * and usbfs_pma_read/write (an access the peripheral does not take fails the
 * test, as a bus fault would stop the chip), and gives the tests a host that
 * sends one token at a time through usbfs_host_setup/_out/_in.
 *
 * Layer: tests/unit. REG16() in the driver dereferences the pointer a hook
 * returns, so CNTR, FNR, DADDR, BTABLE, LPMCSR, BCDR and the packet memory
 * are mirrored in shadow cells: a CPU write lands in its cell and reaches the
 * model (usbfs_reg_write / usbfs_pma_write, with their side effects) at the
 * next hook call or host action, before anything can observe it; the cells
 * are reloaded from the model after each. EPnR and ISTR go through function
 * hooks and reach the model at once.
 * Host side: the host uses the address the device holds (DADDR.ADD), sends
 * to endpoint number n the DATA PID the endpoint expects (no retransmission),
 * and never offers less room than the packet (OVERFLOW fails the test).
 * Race injection (each fires once, then disarms itself), as test hooks of
 * this adapter rather than of usbfs.c: the model needs none, since every CPU
 * access passes through here.
 * - race_ep = n: right after the next read of EPnR n returns, the host
 *   completes whatever VALID transaction EPnR n has armed (a zero-length
 *   OUT, or an IN) before the CPU's next access, as a packet finishing
 *   between a read and a write would.
 * - setup_at_pma = k (k >= 1) with setup_bytes: at the k-th access to ep0's
 *   reception buffer from now, the host sends a SETUP with those bytes
 *   (setup_result: the handshake, usbfs_result_t).
 * - setup_at_epr0 = k: the same SETUP at the k-th read of EP0R from now (the
 *   value read is the one from before the SETUP).
 */
#ifndef USBFS_HOOKS_H
#define USBFS_HOOKS_H

#include <stdbool.h>
#include <stdint.h>

#include "usbfs.h"

extern usbfs_t usbfs_hooks_dev;   /* the peripheral; tests may look at and set its fields */

extern int usbfs_hooks_race_ep;
extern unsigned usbfs_hooks_setup_at_pma;
extern unsigned usbfs_hooks_setup_at_epr0;
extern uint8_t usbfs_hooks_setup_bytes[8];
extern int usbfs_hooks_setup_result;

/* Power-on (usbfs_reset: RM0091 reset values); packet memory filled with
 * garbage (SRAM content is undefined at power-on); race injection disarmed. */
void usbfs_hooks_reset(void);
/* The register as a write of w to an EPnR holding reg leaves it (usbfs.c's rule). */
uint16_t usbfs_hooks_epr_write(uint16_t reg, uint16_t w);
/* The USB interrupt line (usbfs_irq: an ISTR flag whose CNTR mask is set). */
bool usbfs_hooks_irq_pending(void);

/* Host side: one transaction each; *pid: the DATA PID of the packet. */
usbfs_result_t usbfs_hooks_setup(const uint8_t s[8]);
usbfs_result_t usbfs_hooks_out(unsigned n, const uint8_t *d, uint16_t len, unsigned *pid);
usbfs_result_t usbfs_hooks_in(unsigned n, uint8_t *d, uint16_t room, uint16_t *len, unsigned *pid);
void usbfs_hooks_bus_reset(void);  /* usbfs_host_bus_reset: EPnR and DADDR 0, RESET flagged */

/* Views for the tests */
/* CNTR, DADDR or BCDR (off from USBFS_REG_BASE) as the model holds it, CPU
 * writes made so far included; a test's store goes to the model directly
 * (setting up a state, without the write's side effects). */
uint16_t *usbfs_hooks_field(uint32_t off);
unsigned usbfs_hooks_stat_tx(unsigned n);
unsigned usbfs_hooks_stat_rx(unsigned n);
unsigned usbfs_hooks_dtog_tx(unsigned n);
unsigned usbfs_hooks_dtog_rx(unsigned n);
uint16_t usbfs_hooks_bt(unsigned n, unsigned i);  /* i: 0 ADDR_TX 1 COUNT_TX 2 ADDR_RX 3 COUNT_RX */
void usbfs_hooks_bt_set(unsigned n, unsigned i, uint16_t v);
void usbfs_hooks_pma_put(uint16_t off, const uint8_t *d, uint16_t len);
void usbfs_hooks_pma_get(uint16_t off, uint8_t *d, uint16_t len);

#endif
