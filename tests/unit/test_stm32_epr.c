/* test_stm32_epr.c - USB_EPnR write helpers (port/stm32f072/stm32_epr.c)
 * against a model of the register's write semantics (RM0091 30.6.2): toggle
 * bits flip on 1, rc_w0 bits clear on 0, SETUP is read-only, others plain.
 * Part 2 runs the driver that uses them (udc_stm32.c) on the emulated chip's
 * model of the USB peripheral (sim/chip/usbfs.c via usbfs_hooks.c): EPnR,
 * ISTR, the BTABLE and packet memory, with a "host" that sends SETUP/IN/OUT
 * tokens the way the hardware reacts to them (RM0091 30.5.2). Part 3 checks
 * that model's rules once more from the driver's side of the hooks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "port/stm32f072/stm32_epr.h"
#include "port/stm32f072/stm32_pma.h"
#include "port/stm32f072/stm32f072.h"
#include "usb/udc.h"
#include "usbfs_hooks.h"

#define T_STAT_TX 0x0030u
#define T_DTOG_TX 0x0040u
#define T_CTR_TX  0x0080u
#define T_KIND    0x0100u
#define T_TYPE    0x0600u
#define T_SETUP   0x0800u
#define T_STAT_RX 0x3000u
#define T_DTOG_RX 0x4000u
#define T_CTR_RX  0x8000u
#define T_EA      0x000Fu

/* The register as the hardware treats a write: the model's rule (RM0091
 * 30.6.2), independent of the helpers' own masks, so a wrong mask in the
 * header shows up here. */
#define model_write usbfs_hooks_epr_write

typedef uint16_t (*set_fn)(uint16_t, unsigned);

static void check_field_set(set_fn fn, uint16_t field, unsigned shift, unsigned nvals)
{
    for (uint32_t cur = 0; cur <= 0xFFFFu; cur++) {
        for (unsigned v = 0; v < nvals; v++) {
            uint16_t after = model_write((uint16_t)cur, fn((uint16_t)cur, v));
            unsigned got = (unsigned)((after & field) >> shift);
            uint32_t rest = after & (uint32_t)~field, was = cur & (uint32_t)~field;
            if (got != v || rest != was) {
                fail_msg("cur=%04x v=%u -> %04x", (unsigned)cur, v, after);
            }
        }
    }
}

static void test_stat_tx_from_every_state(void **state)
{
    (void)state;
    check_field_set(stm32_epr_set_stat_tx, T_STAT_TX, 4, 4);
}

static void test_stat_rx_from_every_state(void **state)
{
    (void)state;
    check_field_set(stm32_epr_set_stat_rx, T_STAT_RX, 12, 4);
}

static void test_dtog_from_every_state(void **state)
{
    (void)state;
    check_field_set(stm32_epr_set_dtog_tx, T_DTOG_TX, 6, 2);
    check_field_set(stm32_epr_set_dtog_rx, T_DTOG_RX, 14, 2);
}

static void test_clear_ctr_only_clears_its_bit(void **state)
{
    (void)state;
    for (uint32_t cur = 0; cur <= 0xFFFFu; cur++) {
        uint16_t a = model_write((uint16_t)cur, stm32_epr_clear_ctr_rx((uint16_t)cur));
        uint16_t b = model_write((uint16_t)cur, stm32_epr_clear_ctr_tx((uint16_t)cur));
        if (a != (cur & (uint32_t)~T_CTR_RX) || b != (cur & (uint32_t)~T_CTR_TX)) {
            fail_msg("cur=%04x -> rx %04x tx %04x", (unsigned)cur, a, b);
        }
    }
}

/* The hardware may set CTR_RX/CTR_TX between our read and our write (a
 * transaction completing): a STAT write must never lose that flag. */
static void test_ctr_set_after_read_survives(void **state)
{
    (void)state;
    for (uint32_t cur = 0; cur <= 0xFFFFu; cur += 3u) {
        uint16_t w = stm32_epr_set_stat_tx((uint16_t)cur, STM32_EPR_STAT_VALID);
        uint16_t after = model_write((uint16_t)(cur | T_CTR_RX | T_CTR_TX), w);
        assert_int_equal(after & (T_CTR_RX | T_CTR_TX), T_CTR_RX | T_CTR_TX);
        /* but clearing CTR_TX does not clear a fresh CTR_RX */
        w = stm32_epr_clear_ctr_tx((uint16_t)cur);
        after = model_write((uint16_t)(cur | T_CTR_RX | T_CTR_TX), w);
        assert_int_equal(after & (T_CTR_RX | T_CTR_TX), T_CTR_RX);
    }
}

static void test_set_type_keeps_toggles(void **state)
{
    (void)state;
    for (uint32_t cur = 0; cur <= 0xFFFFu; cur++) {
        for (unsigned t = 0; t < 4u; t++) {
            uint16_t after = model_write((uint16_t)cur, stm32_epr_set_type((uint16_t)cur, 5, t));
            uint16_t want = (uint16_t)((cur & ~(T_EA | T_TYPE | T_KIND)) | 5u | (t << 9));
            if (after != want) {
                fail_msg("cur=%04x t=%u -> %04x want %04x", (unsigned)cur, t, after, want);
            }
        }
    }
}

/* Byte-level spot checks against RM0091's bit positions. */
static void test_known_words(void **state)
{
    (void)state;
    /* ep1 bulk, RX VALID, TX NAK, both DTOG 0: STAT_TX NAK -> VALID flips bit 4 only */
    uint16_t cur = 0x3021u;
    assert_int_equal(stm32_epr_set_stat_tx(cur, STM32_EPR_STAT_VALID), 0x8091u);
    /* STALL RX from VALID: write 10 in STAT_RX position */
    assert_int_equal(stm32_epr_set_stat_rx(cur, STM32_EPR_STAT_STALL), 0xA081u);
    /* clear CTR_RX on 0x8000|cur: write 0 at bit 15, 1 at bit 7 */
    assert_int_equal(stm32_epr_clear_ctr_rx((uint16_t)(0x8000u | cur)), 0x0081u);
    assert_int_equal(STM32_EPR_TOGGLE_Msk, T_STAT_TX | T_DTOG_TX | T_STAT_RX | T_DTOG_RX);
    assert_int_equal(STM32_EPR_SETUP, T_SETUP);
}


/* ======================================================= part 2: the driver */

void USB_IRQHandler(void);

/* The peripheral: sim/chip/usbfs.c through tests/unit/usbfs_hooks.c (RM0091
 * ch. 30; the emulated chip runs the same model). The host helpers
 * below send one token and then let the CPU take the interrupt it raised. */
#define m_epr     usbfs_hooks_dev.epr
#define m_istr    usbfs_hooks_dev.istr_flags
#define m_race_ep usbfs_hooks_race_ep

static udc_event_t m_ev[32];
static unsigned m_nev;

void udc_event_cb(const udc_event_t *ev)
{
    assert_true(m_nev < 32u);
    m_ev[m_nev++] = *ev;
}

#define M_CNTR   (*usbfs_hooks_field(USBFS_CNTR))
#define M_DADDR  (*usbfs_hooks_field(USBFS_DADDR))
#define M_BCDR   (*usbfs_hooks_field(USBFS_BCDR))
#define BT(n, i) usbfs_hooks_bt((n), (i))   /* i: 0 ADDR_TX 1 COUNT_TX 2 ADDR_RX 3 COUNT_RX */

static unsigned stat_tx(unsigned n) { return usbfs_hooks_stat_tx(n); }
static unsigned stat_rx(unsigned n) { return usbfs_hooks_stat_rx(n); }
static unsigned dtog_tx(unsigned n) { return usbfs_hooks_dtog_tx(n); }
static unsigned dtog_rx(unsigned n) { return usbfs_hooks_dtog_rx(n); }
#define pma_put usbfs_hooks_pma_put

enum { H_ACK = USBFS_ACK, H_NAK = USBFS_NAK, H_STALL = USBFS_STALL,
       H_NONE = USBFS_TIMEOUT };

static void h_set_stat(unsigned n, unsigned shift, unsigned v)
{
    m_epr[n] = (uint16_t)((m_epr[n] & ~(3u << shift)) | (v << shift));
}

/* the CPU takes the USB interrupt (bounded: a driver that never clears a flag fails) */
static void irq(void)
{
    for (unsigned i = 0; i < 4u && usbfs_hooks_irq_pending(); i++) {
        USB_IRQHandler();
    }
}

/* ... and, like the core, answers the SETUP it was given (udc_ep0_answer) */
static int host_setup(const uint8_t s[8])
{
    unsigned before = m_nev;
    int r = (int)usbfs_hooks_setup(s);
    irq();
    if (m_nev > before && m_ev[m_nev - 1u].type == UDC_EVT_SETUP) {
        udc_ep0_answer(m_ev[m_nev - 1u].seq);
    }
    return r;
}

static int host_in(unsigned n, uint8_t *d, uint16_t *len, unsigned *pid)
{
    int r = (int)usbfs_hooks_in(n, d, 64, len, pid);
    irq();
    return r;
}

static int host_out(unsigned n, const uint8_t *d, uint16_t len, unsigned *pid)
{
    int r = (int)usbfs_hooks_out(n, d, len, pid);
    irq();
    return r;
}

static void host_bus_reset(void)
{
    usbfs_hooks_bus_reset();
    irq();
}

/* powered, connected, reset by the host */
static int drv_setup(void **state)
{
    (void)state;
    usbfs_hooks_reset();
    m_nev = 0;
    udc_init();
    udc_connect();
    host_bus_reset();
    return 0;
}

static void test_drv_init_and_bus_reset(void **state)
{
    (void)state;
    assert_int_equal(M_CNTR, USB_CNTR_CTRM | USB_CNTR_RESETM | USB_CNTR_SUSPM | USB_CNTR_WKUPM);
    assert_int_equal(M_BCDR & USB_BCDR_DPPU, USB_BCDR_DPPU);
    assert_int_equal(M_DADDR, 0x80);                       /* EF, address 0 */
    assert_int_equal(m_nev, 1);
    assert_int_equal(m_ev[0].type, UDC_EVT_BUS_RESET);
    assert_int_equal(m_istr & USB_ISTR_RESET, 0);          /* flag cleared */
    /* ep0: control, EA 0, both directions NAK, DATA0, no CTR */
    assert_int_equal(m_epr[0], (STM32_EPR_TYPE_CONTROL << 9) | (2u << 12) | (2u << 4));
    for (unsigned n = 1; n < 8u; n++) {
        assert_int_equal(m_epr[n], 0);
    }
    assert_int_equal(BT(0, 3), 0x8400u);                   /* 64-byte RX buffer */
    assert_true(BT(0, 0) >= 64u && BT(0, 2) >= 64u);
    assert_true(BT(0, 0) + 64u <= BT(0, 2) || BT(0, 2) + 64u <= BT(0, 0));
    udc_disconnect();
    assert_int_equal(M_BCDR & USB_BCDR_DPPU, 0);
    udc_set_address(0x15);
    assert_int_equal(M_DADDR, 0x95);
}

static void test_drv_setup_then_multi_packet_in(void **state)
{
    (void)state;
    const uint8_t req[8] = {0x80, 6, 0, 1, 0, 0, 100, 0};
    assert_int_equal(host_setup(req), H_ACK);
    assert_int_equal(m_nev, 2);
    assert_int_equal(m_ev[1].type, UDC_EVT_SETUP);
    assert_memory_equal(m_ev[1].setup, req, 8);
    assert_int_equal(m_epr[0] & (T_CTR_RX | T_CTR_TX), 0);

    uint8_t data[100], got[64];
    for (unsigned i = 0; i < sizeof data; i++) data[i] = (uint8_t)(i * 7u + 1u);
    uint16_t len;
    unsigned pid;
    assert_int_equal(host_in(0, got, &len, &pid), H_NAK);  /* nothing queued yet */
    assert_true(udc_ep_xfer(0x80, data, 100));
    assert_false(udc_ep_xfer(0x80, data, 100));            /* busy */
    assert_int_equal(host_in(0, got, &len, &pid), H_ACK);
    assert_int_equal(len, 64);
    assert_int_equal(pid, 1);                              /* data stage starts DATA1 */
    assert_memory_equal(got, data, 64);
    assert_int_equal(m_nev, 2);                            /* not done yet */
    assert_int_equal(host_in(0, got, &len, &pid), H_ACK);
    assert_int_equal(len, 36);
    assert_int_equal(pid, 0);
    assert_memory_equal(got, data + 64, 36);
    assert_int_equal(m_nev, 3);
    assert_int_equal(m_ev[2].type, UDC_EVT_XFER_DONE);
    assert_int_equal(m_ev[2].ep, 0x80);
    assert_int_equal(m_ev[2].len, 100);
    assert_int_equal(host_in(0, got, &len, &pid), H_NAK);  /* no ZLP added */

    /* status stage: OUT ZLP with DATA1 */
    unsigned opid;
    assert_int_equal(host_out(0, NULL, 0, &opid), H_NAK);
    assert_true(udc_ep_xfer(0x00, NULL, 0));
    assert_int_equal(host_out(0, NULL, 0, &opid), H_ACK);
    assert_int_equal(opid, 1);
    assert_int_equal(m_ev[3].type, UDC_EVT_XFER_DONE);
    assert_int_equal(m_ev[3].ep, 0x00);
    assert_int_equal(m_ev[3].len, 0);
}

static void test_drv_bulk_in_exact_multiple_and_zlp(void **state)
{
    (void)state;
    uint8_t data[128], got[64];
    uint16_t len;
    unsigned pid;
    for (unsigned i = 0; i < sizeof data; i++) data[i] = (uint8_t)(255u - i);
    assert_true(udc_ep_open(0x81, UDC_EP_BULK, 64));
    assert_int_equal((m_epr[1] >> 9) & 3u, STM32_EPR_TYPE_BULK);
    assert_int_equal(m_epr[1] & 0xFu, 1);
    assert_true(udc_ep_xfer(0x81, data, 128));
    assert_int_equal(host_in(1, got, &len, &pid), H_ACK);
    assert_int_equal(pid, 0);
    assert_memory_equal(got, data, 64);
    assert_int_equal(host_in(1, got, &len, &pid), H_ACK);
    assert_int_equal(pid, 1);
    assert_int_equal(len, 64);
    assert_memory_equal(got, data + 64, 64);
    assert_int_equal(m_ev[m_nev - 1].type, UDC_EVT_XFER_DONE);
    assert_int_equal(m_ev[m_nev - 1].len, 128);
    assert_int_equal(host_in(1, got, &len, &pid), H_NAK);
    /* the class asks for the ZLP itself */
    assert_true(udc_ep_xfer(0x81, data, 0));
    assert_int_equal(host_in(1, got, &len, &pid), H_ACK);
    assert_int_equal(len, 0);
    assert_int_equal(m_ev[m_nev - 1].ep, 0x81);
    assert_int_equal(m_ev[m_nev - 1].len, 0);
    /* odd length, unaligned buffer */
    assert_true(udc_ep_xfer(0x81, data + 1, 3));
    assert_int_equal(host_in(1, got, &len, &pid), H_ACK);
    assert_int_equal(len, 3);
    assert_memory_equal(got, data + 1, 3);
}

static void test_drv_bulk_out_short_packet_and_exact(void **state)
{
    (void)state;
    uint8_t buf[200], pkt[64];
    unsigned pid;
    assert_true(udc_ep_open(0x02, UDC_EP_BULK, 64));
    assert_true(udc_ep_open(0x82, UDC_EP_BULK, 64));      /* same EPnR, other direction */
    assert_int_equal(stat_tx(2), STM32_EPR_STAT_NAK);
    assert_int_equal(host_out(2, pkt, 64, &pid), H_NAK);
    memset(buf, 0, sizeof buf);
    assert_true(udc_ep_xfer(0x02, buf + 1, 199));          /* unaligned on purpose */
    unsigned before = m_nev;
    for (unsigned p = 0; p < 2u; p++) {
        for (unsigned i = 0; i < 64u; i++) pkt[i] = (uint8_t)(p * 64u + i);
        assert_int_equal(host_out(2, pkt, 64, &pid), H_ACK);
        assert_int_equal(pid, p & 1u);
    }
    assert_int_equal(m_nev, before);
    for (unsigned i = 0; i < 10u; i++) pkt[i] = (uint8_t)(0xF0u + i);
    assert_int_equal(host_out(2, pkt, 10, &pid), H_ACK);   /* short packet ends it */
    assert_int_equal(m_nev, before + 1u);
    assert_int_equal(m_ev[before].ep, 0x02);
    assert_int_equal(m_ev[before].len, 138);
    for (unsigned i = 0; i < 128u; i++) assert_int_equal(buf[1 + i], (uint8_t)i);
    assert_memory_equal(buf + 129, pkt, 10);
    assert_int_equal(buf[0], 0);
    assert_int_equal(buf[139], 0);
    assert_int_equal(host_out(2, pkt, 10, &pid), H_NAK);

    /* len reached exactly: done without waiting for a short packet */
    assert_true(udc_ep_xfer(0x02, buf, 64));
    assert_int_equal(host_out(2, pkt, 64, &pid), H_ACK);
    assert_int_equal(m_ev[m_nev - 1].len, 64);
    /* a host sending more than asked: bounded copy */
    memset(buf, 0xEE, sizeof buf);
    assert_true(udc_ep_xfer(0x02, buf, 5));
    assert_int_equal(host_out(2, pkt, 64, &pid), H_ACK);
    assert_int_equal(m_ev[m_nev - 1].len, 5);
    assert_memory_equal(buf, pkt, 5);
    assert_int_equal(buf[5], 0xEE);
}

static void test_drv_stall_and_clear_resets_toggle(void **state)
{
    (void)state;
    uint8_t data[64] = {1, 2, 3}, got[64];
    uint16_t len;
    unsigned pid;
    assert_true(udc_ep_open(0x81, UDC_EP_BULK, 64));
    assert_true(udc_ep_xfer(0x81, data, 3));
    assert_int_equal(host_in(1, got, &len, &pid), H_ACK);  /* DTOG_TX now 1 */
    assert_int_equal(dtog_tx(1), 1);
    udc_ep_stall(0x81);
    assert_true(udc_ep_is_stalled(0x81));
    assert_false(udc_ep_is_stalled(0x01));
    assert_int_equal(host_in(1, got, &len, &pid), H_STALL);
    /* a transfer queued while halted waits for the clear */
    assert_true(udc_ep_xfer(0x81, data, 2));
    assert_int_equal(host_in(1, got, &len, &pid), H_STALL);
    udc_ep_clear_stall(0x81);
    assert_false(udc_ep_is_stalled(0x81));
    assert_int_equal(host_in(1, got, &len, &pid), H_ACK);
    assert_int_equal(pid, 0);                              /* USB 2.0 9.4.5: DATA0 */
    assert_int_equal(len, 2);

    /* OUT side */
    assert_true(udc_ep_open(0x01, UDC_EP_BULK, 64));
    udc_ep_stall(0x01);
    assert_true(udc_ep_is_stalled(0x01));
    assert_int_equal(host_out(1, data, 4, &pid), H_STALL);
    udc_ep_clear_stall(0x01);
    assert_int_equal(stat_rx(1), STM32_EPR_STAT_NAK);
    assert_int_equal(dtog_rx(1), 0);
    assert_int_equal(stat_tx(1), STM32_EPR_STAT_NAK);      /* IN side untouched */
}

static void test_drv_ep0_stall_until_next_setup(void **state)
{
    (void)state;
    const uint8_t req[8] = {0x00, 9, 1, 0, 0, 0, 0, 0};
    uint8_t got[64];
    uint16_t len;
    unsigned pid;
    assert_int_equal(host_setup(req), H_ACK);
    udc_ep_stall(0x80);
    udc_ep_stall(0x00);
    assert_int_equal(host_in(0, got, &len, &pid), H_STALL);
    assert_int_equal(host_out(0, NULL, 0, &pid), H_STALL);
    assert_true(udc_ep_is_stalled(0x80));
    assert_int_equal(host_setup(req), H_ACK);              /* accepted despite STALL */
    assert_false(udc_ep_is_stalled(0x80));
    assert_false(udc_ep_is_stalled(0x00));
    assert_int_equal(host_in(0, got, &len, &pid), H_NAK);
    /* no-data request: status IN ZLP is DATA1 */
    assert_true(udc_ep_xfer(0x80, NULL, 0));
    assert_int_equal(host_in(0, got, &len, &pid), H_ACK);
    assert_int_equal(pid, 1);
    assert_int_equal(len, 0);
}

static void test_drv_setup_cancels_pending_ep0(void **state)
{
    (void)state;
    const uint8_t req[8] = {0x80, 6, 0, 1, 0, 0, 64, 0};
    uint8_t data[64] = {0}, got[64];
    uint16_t len;
    unsigned pid;
    assert_int_equal(host_setup(req), H_ACK);
    assert_true(udc_ep_xfer(0x80, data, 64));
    assert_int_equal(host_setup(req), H_ACK);              /* host gave up, new SETUP */
    assert_int_equal(host_in(0, got, &len, &pid), H_NAK);  /* old data not sent */
    assert_true(udc_ep_xfer(0x80, data, 8));               /* not busy any more */
}

/* Status IN done and the next SETUP both pending in one interrupt: the
 * status stage completes first (SET_ADDRESS depends on it), then the SETUP. */
static void test_drv_status_in_before_next_setup(void **state)
{
    (void)state;
    const uint8_t req[8] = {0x00, 5, 9, 0, 0, 0, 0, 0};
    assert_int_equal(host_setup(req), H_ACK);
    assert_true(udc_ep_xfer(0x80, NULL, 0));
    unsigned before = m_nev;
    /* the IN ZLP went out, then a SETUP arrived before the interrupt ran */
    h_set_stat(0, 4, STM32_EPR_STAT_NAK);
    m_epr[0] ^= T_DTOG_TX;
    pma_put(BT(0, 2), req, 8);
    usbfs_hooks_bt_set(0, 3, (uint16_t)((BT(0, 3) & 0xFC00u) | 8u));
    m_epr[0] = (uint16_t)(m_epr[0] | T_CTR_TX | T_CTR_RX | T_SETUP);
    USB_IRQHandler();
    assert_int_equal(m_nev, before + 2u);
    assert_int_equal(m_ev[before].type, UDC_EVT_XFER_DONE);
    assert_int_equal(m_ev[before].ep, 0x80);
    assert_int_equal(m_ev[before + 1u].type, UDC_EVT_SETUP);
    assert_int_equal(m_epr[0] & (T_CTR_RX | T_CTR_TX), 0);
}

static void test_drv_bad_setup_length_stalls(void **state)
{
    (void)state;
    const uint8_t req[8] = {0};
    unsigned before = m_nev;
    /* a 5-byte "SETUP": nothing reported, the control transfer is refused */
    pma_put(BT(0, 2), req, 8);
    usbfs_hooks_bt_set(0, 3, (uint16_t)((BT(0, 3) & 0xFC00u) | 5u));
    m_epr[0] = (uint16_t)(m_epr[0] | T_CTR_RX | T_SETUP);
    USB_IRQHandler();
    assert_int_equal(m_nev, before);
    assert_int_equal(stat_tx(0), STM32_EPR_STAT_STALL);
    assert_int_equal(stat_rx(0), STM32_EPR_STAT_STALL);
    assert_int_equal(m_epr[0] & T_CTR_RX, 0);
}

static void test_drv_open_refusals(void **state)
{
    (void)state;
    assert_false(udc_ep_open(0x88, UDC_EP_BULK, 64));       /* only EPnR 0..7 */
    assert_false(udc_ep_open(0x03, UDC_EP_ISOCHRONOUS, 64));
    assert_false(udc_ep_open(0x03, UDC_EP_BULK, 0));
    assert_false(udc_ep_open(0x03, UDC_EP_BULK, 65));
    assert_true(udc_ep_open(0x83, UDC_EP_INTERRUPT, 16));
    assert_int_equal((m_epr[3] >> 9) & 3u, STM32_EPR_TYPE_INTERRUPT);
    assert_false(udc_ep_open(0x03, UDC_EP_BULK, 64));       /* one EP_TYPE per EPnR */
    assert_false(udc_ep_xfer(0x84, (uint8_t *)"x", 1));     /* not open */
    assert_false(udc_ep_xfer(0x83, NULL, 1));
    /* packet memory: 1024 - 64 BTABLE - 128 ep0 - 16 = 816 = 12 x 64 + 48 */
    unsigned ok = 0;
    for (uint8_t n = 4; n < 8u; n++) {
        ok += udc_ep_open(n, UDC_EP_BULK, 64);
        ok += udc_ep_open((uint8_t)(0x80u | n), UDC_EP_BULK, 64);
    }
    ok += udc_ep_open(0x01, UDC_EP_BULK, 64);
    ok += udc_ep_open(0x81, UDC_EP_BULK, 64);
    ok += udc_ep_open(0x02, UDC_EP_BULK, 64);
    ok += udc_ep_open(0x82, UDC_EP_BULK, 64);
    assert_int_equal(ok, 12);
    assert_false(udc_ep_open(0x03, UDC_EP_INTERRUPT, 64));  /* full: refused */
    assert_true(udc_ep_open(0x03, UDC_EP_INTERRUPT, 48));   /* what is left */
    /* reopening after close reuses the buffer */
    udc_ep_close(0x81);
    assert_int_equal(stat_tx(1), STM32_EPR_STAT_DISABLED);
    assert_true(udc_ep_open(0x81, UDC_EP_BULK, 64));
}

static void test_drv_bus_reset_closes_everything(void **state)
{
    (void)state;
    uint8_t data[8] = {0};
    assert_true(udc_ep_open(0x81, UDC_EP_BULK, 64));
    assert_true(udc_ep_open(0x01, UDC_EP_BULK, 64));
    assert_true(udc_ep_xfer(0x01, data, 8));
    udc_set_address(7);
    unsigned before = m_nev;
    host_bus_reset();
    assert_int_equal(m_nev, before + 1u);
    assert_int_equal(m_ev[before].type, UDC_EVT_BUS_RESET);
    assert_int_equal(m_epr[1], 0);
    assert_int_equal(M_DADDR, 0x80);
    assert_false(udc_ep_xfer(0x81, data, 8));
    assert_false(udc_ep_xfer(0x01, data, 8));
    const uint8_t req[8] = {0x80, 6, 0, 1, 0, 0, 8, 0};
    assert_false(udc_ep_xfer(0x80, data, 8));               /* no SETUP since the reset */
    assert_int_equal(host_setup(req), H_ACK);
    assert_true(udc_ep_xfer(0x80, data, 8));                /* ep0 is back */
}

/* SET_CONFIGURATION / SET_INTERFACE reopen endpoints: they restart at DATA0
 * (USB 2.0 9.1.1.5, 9.4.5) without touching the other direction. */
static void test_drv_reopen_restarts_data0(void **state)
{
    (void)state;
    uint8_t data[4] = {9, 8, 7, 6}, got[64];
    uint16_t len;
    unsigned pid;
    assert_true(udc_ep_open(0x81, UDC_EP_BULK, 64));
    assert_true(udc_ep_open(0x01, UDC_EP_BULK, 64));
    assert_true(udc_ep_xfer(0x01, got, 64));
    assert_int_equal(host_out(1, data, 4, &pid), H_ACK);
    assert_true(udc_ep_xfer(0x81, data, 4));
    assert_int_equal(host_in(1, got, &len, &pid), H_ACK);
    assert_int_equal(dtog_tx(1), 1);
    assert_int_equal(dtog_rx(1), 1);
    udc_ep_close(0x81);
    assert_int_equal(stat_tx(1), STM32_EPR_STAT_DISABLED);
    assert_int_equal(host_in(1, got, &len, &pid), H_NONE);
    assert_true(udc_ep_open(0x81, UDC_EP_BULK, 64));
    assert_int_equal(dtog_tx(1), 0);
    assert_int_equal(dtog_rx(1), 1);                       /* OUT side untouched */
    assert_true(udc_ep_xfer(0x81, data, 4));
    assert_int_equal(host_in(1, got, &len, &pid), H_ACK);
    assert_int_equal(pid, 0);
    assert_memory_equal(got, data, 4);
}

/* A packet that completes between the driver's read and write of EPnR must not
 * leave a closed endpoint STALLed or a stalled one DISABLED (STAT is a toggle
 * field: an XOR computed from VALID lands wrong on NAK). */
static void test_drv_close_and_stall_race_with_hardware(void **state)
{
    (void)state;
    uint8_t buf[64] = {1, 2, 3};
    assert_true(udc_ep_open(0x01, UDC_EP_BULK, 64));
    assert_true(udc_ep_xfer(0x01, buf, 64));
    assert_int_equal(stat_rx(1), STM32_EPR_STAT_VALID);
    m_race_ep = 1;
    udc_ep_close(0x01);
    assert_int_equal(stat_rx(1), STM32_EPR_STAT_DISABLED);
    assert_int_equal(dtog_rx(1), 0);

    assert_true(udc_ep_open(0x82, UDC_EP_BULK, 64));
    assert_true(udc_ep_xfer(0x82, buf, 3));
    assert_int_equal(stat_tx(2), STM32_EPR_STAT_VALID);
    m_race_ep = 2;
    udc_ep_stall(0x82);
    assert_int_equal(stat_tx(2), STM32_EPR_STAT_STALL);
    assert_true(udc_ep_is_stalled(0x82));
}

static void test_drv_suspend_resume(void **state)
{
    (void)state;
    unsigned before = m_nev;
    m_istr |= USB_ISTR_SUSP;
    USB_IRQHandler();
    assert_int_equal(M_CNTR & USB_CNTR_FSUSP, USB_CNTR_FSUSP);
    assert_int_equal(m_istr, 0);
    m_istr |= USB_ISTR_WKUP;
    USB_IRQHandler();
    assert_int_equal(M_CNTR & USB_CNTR_FSUSP, 0);
    assert_int_equal(m_nev, before + 2u);
    assert_int_equal(m_ev[before].type, UDC_EVT_SUSPEND);
    assert_int_equal(m_ev[before + 1u].type, UDC_EVT_RESUME);
}

/* =================================== part 3: the model's RM0091 rules, through the hooks */

/* The pull-up on, the transceiver on and the driver's interrupt masks: a
 * host sees the device (usbfs_attached) and the line follows the flags. */
static void attach(void)
{
    M_CNTR = USB_CNTR_CTRM | USB_CNTR_RESETM | USB_CNTR_SUSPM | USB_CNTR_WKUPM;
    M_BCDR = USB_BCDR_DPPU;
}

/* RM0091 30.5.2 "Control transfers": a SETUP sets DTOG_TX to 1, DTOG_RX to 0
 * for its DATA0 (1 after it) and both STAT fields to NAK, whatever they were;
 * it is accepted on a STALLed or NAKing endpoint but not on a disabled one. */
static void test_model_setup_sets_both_directions(void **state)
{
    (void)state;
    const uint8_t s[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    uint8_t got[8];
    usbfs_hooks_reset();
    attach();
    M_DADDR = 0x80;
    m_epr[0] = (uint16_t)((STM32_EPR_TYPE_CONTROL << 9) | (1u << 12) | (3u << 4));  /* RX STALL, TX VALID, DATA0 */
    usbfs_hooks_bt_set(0, 2, 0x100);
    usbfs_hooks_bt_set(0, 3, 0x8400u);
    assert_int_equal(usbfs_hooks_setup(s), USBFS_ACK);
    assert_int_equal(stat_tx(0), STM32_EPR_STAT_NAK);
    assert_int_equal(stat_rx(0), STM32_EPR_STAT_NAK);
    assert_int_equal(dtog_tx(0), 1);
    assert_int_equal(dtog_rx(0), 1);
    assert_int_equal(m_epr[0] & (T_SETUP | T_CTR_RX), T_SETUP | T_CTR_RX);
    assert_int_equal(BT(0, 3) & 0x3FFu, 8);
    usbfs_hooks_pma_get(0x100, got, 8);
    assert_memory_equal(got, s, 8);
    /* disabled: no handshake at all; not a control endpoint: ignored too */
    m_epr[0] = (uint16_t)(STM32_EPR_TYPE_CONTROL << 9);
    assert_int_equal(usbfs_hooks_setup(s), USBFS_TIMEOUT);
    m_epr[0] = (uint16_t)((STM32_EPR_TYPE_BULK << 9) | (2u << 12));
    assert_int_equal(usbfs_hooks_setup(s), USBFS_TIMEOUT);
}

/* RM0091 30.5.2: while CTR_RX is still set the SETUP is discarded without a
 * handshake (the host sends it again), so the buffer cannot change under the
 * CPU; the SETUP bit stays frozen while CTR_RX is 1. */
static void test_model_setup_discarded_while_ctr_rx(void **state)
{
    (void)state;
    const uint8_t a[8] = {0xA}, b[8] = {0xB};
    uint8_t got[8];
    unsigned pid;
    usbfs_hooks_reset();
    attach();
    M_DADDR = 0x80;
    m_epr[0] = (uint16_t)((STM32_EPR_TYPE_CONTROL << 9) | (2u << 12) | (2u << 4));
    usbfs_hooks_bt_set(0, 2, 0x100);
    usbfs_hooks_bt_set(0, 3, 0x8400u);
    assert_int_equal(usbfs_hooks_setup(a), USBFS_ACK);
    assert_int_equal(usbfs_hooks_setup(b), USBFS_TIMEOUT);
    usbfs_hooks_pma_get(0x100, got, 8);
    assert_int_equal(got[0], 0xA);
    /* an OUT completing while CTR_RX (of the SETUP) is pending keeps SETUP set */
    h_set_stat(0, 12, STM32_EPR_STAT_VALID);
    assert_int_equal(usbfs_hooks_out(0, NULL, 0, &pid), USBFS_ACK);
    assert_int_equal(m_epr[0] & T_SETUP, T_SETUP);
    m_epr[0] = usbfs_hooks_epr_write(m_epr[0], (uint16_t)(m_epr[0] & ~T_CTR_RX & ~0x7070u));
    h_set_stat(0, 12, STM32_EPR_STAT_VALID);
    assert_int_equal(usbfs_hooks_out(0, NULL, 0, &pid), USBFS_ACK);
    assert_int_equal(m_epr[0] & T_SETUP, 0);
}

/* RM0091 30.6.1: a USB reset clears DADDR and the EPnR; no token is
 * answered while RESET is pending or the function is not enabled (EF). */
static void test_model_bus_reset_and_ef(void **state)
{
    (void)state;
    const uint8_t s[8] = {0};
    uint8_t got[64];
    uint16_t len;
    unsigned pid;
    usbfs_hooks_reset();
    attach();
    m_epr[0] = (uint16_t)((STM32_EPR_TYPE_CONTROL << 9) | (3u << 12) | (3u << 4));
    usbfs_hooks_bt_set(0, 0, 0x140);
    usbfs_hooks_bt_set(0, 1, 0);
    usbfs_hooks_bt_set(0, 2, 0x100);
    usbfs_hooks_bt_set(0, 3, 0x8400u);
    M_DADDR = 0x85;
    assert_int_equal(usbfs_hooks_in(0, got, 64, &len, &pid), USBFS_ACK);
    usbfs_hooks_bus_reset();
    assert_int_equal(m_epr[0], 0);
    assert_int_equal(M_DADDR, 0);
    m_epr[0] = (uint16_t)((STM32_EPR_TYPE_CONTROL << 9) | (2u << 12) | (3u << 4));
    assert_int_equal(usbfs_hooks_setup(s), USBFS_TIMEOUT);      /* RESET pending */
    stm32_test_istr_write((uint16_t)~USB_ISTR_RESET);
    assert_int_equal(usbfs_hooks_setup(s), USBFS_TIMEOUT);      /* EF still 0 */
    assert_int_equal(usbfs_hooks_in(0, got, 64, &len, &pid), USBFS_TIMEOUT);
    M_DADDR = 0x80;
    assert_int_equal(usbfs_hooks_setup(s), USBFS_ACK);
}

/* RM0091 30.5.2: IN/OUT answers by STAT; a completed transaction flips DTOG,
 * goes to NAK and sets CTR; ISTR.CTR/EP_ID/DIR follow the lowest pending EPnR. */
static void test_model_in_out_tokens_and_istr(void **state)
{
    (void)state;
    uint8_t d[4] = {1, 2, 3, 4}, got[64];
    uint16_t len;
    unsigned pid;
    usbfs_hooks_reset();
    attach();
    M_DADDR = 0x80;
    memset(m_epr, 0, sizeof m_epr);
    usbfs_hooks_bt_set(2, 0, 0x200); usbfs_hooks_bt_set(2, 1, 3); usbfs_hooks_bt_set(2, 2, 0x240); usbfs_hooks_bt_set(2, 3, 0x8400u);
    static const int answer[4] = {USBFS_TIMEOUT, USBFS_STALL, USBFS_NAK, USBFS_ACK};
    for (unsigned st = 0; st < 3u; st++) {
        m_epr[2] = (uint16_t)((st << 4) | (st << 12) | 2u);   /* EA 2 */
        assert_int_equal(usbfs_hooks_in(2, got, 64, &len, &pid), answer[st]);
        assert_int_equal(usbfs_hooks_out(2, d, 4, &pid), answer[st]);
        assert_false(usbfs_hooks_irq_pending());
    }
    m_epr[2] = (uint16_t)((3u << 4) | (3u << 12) | T_DTOG_RX | 2u);
    assert_int_equal(usbfs_hooks_out(2, d, 4, &pid), USBFS_ACK);
    assert_int_equal(pid, 1);
    assert_int_equal(dtog_rx(2), 0);
    assert_int_equal(stat_rx(2), STM32_EPR_STAT_NAK);
    assert_int_equal(BT(2, 3), 0x8404u);
    assert_int_equal(stm32_test_istr_read(), USB_ISTR_CTR | USB_ISTR_DIR | 2u);
    assert_int_equal(usbfs_hooks_in(2, got, 64, &len, &pid), USBFS_ACK);
    assert_int_equal(len, 3);
    assert_int_equal(pid, 0);
    assert_int_equal(dtog_tx(2), 1);
    assert_int_equal(stat_tx(2), STM32_EPR_STAT_NAK);
    m_epr[2] = usbfs_hooks_epr_write(m_epr[2], (uint16_t)(T_CTR_TX));  /* CTR_RX written 0: cleared */
    assert_int_equal(stm32_test_istr_read(), USB_ISTR_CTR | 2u);      /* only CTR_TX: DIR 0 */
    /* ISTR's RESET/SUSP/WKUP are rc_w0 */
    usbfs_hooks_dev.istr_flags = USB_ISTR_RESET | USB_ISTR_SUSP;
    stm32_test_istr_write((uint16_t)~USB_ISTR_SUSP);
    assert_int_equal(usbfs_hooks_dev.istr_flags, USB_ISTR_RESET);
}

/* =================================== part 4: chip-only defects (issue 9) */

/* udc_ep_clear_stall() on an armed IN endpoint while its packet goes out
 * between the driver's read and write of EPnR: the transfer completes once,
 * the endpoint stays NAKing (the packet is not sent twice) and the toggle is
 * back at DATA0 for the next one (USB 2.0 9.4.5). */
static void test_drv_clear_stall_race_in(void **state)
{
    (void)state;
    uint8_t data[3] = {7, 8, 9}, got[64];
    uint16_t len;
    unsigned pid;
    assert_true(udc_ep_open(0x81, UDC_EP_BULK, 64));
    assert_true(udc_ep_xfer(0x81, data, 3));
    assert_int_equal(stat_tx(1), STM32_EPR_STAT_VALID);
    unsigned before = m_nev;
    m_race_ep = 1;
    udc_ep_clear_stall(0x81);
    irq();
    assert_int_equal(m_nev, before + 1u);
    assert_int_equal(m_ev[before].type, UDC_EVT_XFER_DONE);
    assert_int_equal(m_ev[before].ep, 0x81);
    assert_int_equal(m_ev[before].len, 3);
    assert_int_equal(stat_tx(1), STM32_EPR_STAT_NAK);
    assert_int_equal(dtog_tx(1), 0);
    assert_int_equal(host_in(1, got, &len, &pid), H_NAK);     /* not sent a second time */
    assert_true(udc_ep_xfer(0x81, data, 2));
    assert_int_equal(host_in(1, got, &len, &pid), H_ACK);
    assert_int_equal(pid, 0);
    assert_int_equal(len, 2);
}

/* Same race on OUT: a packet lands during the clear; the transfer ends with it
 * and the endpoint does not stay VALID (which would ACK and lose the next one). */
static void test_drv_clear_stall_race_out(void **state)
{
    (void)state;
    uint8_t buf[64];
    unsigned pid;
    assert_true(udc_ep_open(0x01, UDC_EP_BULK, 64));
    assert_true(udc_ep_xfer(0x01, buf, 64));
    usbfs_hooks_bt_set(1, 3, (uint16_t)(BT(1, 3) & 0xFC00u));   /* the racing packet is a ZLP */
    unsigned before = m_nev;
    m_race_ep = 1;
    udc_ep_clear_stall(0x01);
    irq();
    assert_int_equal(m_nev, before + 1u);
    assert_int_equal(m_ev[before].ep, 0x01);
    assert_int_equal(m_ev[before].len, 0);
    assert_int_equal(stat_rx(1), STM32_EPR_STAT_NAK);
    assert_int_equal(dtog_rx(1), 0);
    assert_int_equal(host_out(1, buf, 8, &pid), H_NAK);
}

/* A second SETUP sent while the driver copies the first out of packet memory:
 * the peripheral must still see CTR_RX set (RM0091 30.5.2) so it discards it
 * and the host repeats it; both requests reach the core whole and in order. */
static void test_drv_back_to_back_setup_not_torn(void **state)
{
    (void)state;
    const uint8_t a[8] = {0x80, 6, 0, 1, 0, 0, 0x12, 0};
    const uint8_t b[8] = {0x00, 5, 0x22, 0, 0, 0, 0, 0};
    memcpy(usbfs_hooks_setup_bytes, b, 8);
    usbfs_hooks_setup_at_pma = 2;      /* while the driver reads A's second half-word */
    unsigned before = m_nev;
    assert_int_equal(host_setup(a), H_ACK);
    assert_int_equal(usbfs_hooks_setup_result, H_NONE);
    assert_int_equal(m_nev, before + 1u);
    assert_int_equal(m_ev[before].type, UDC_EVT_SETUP);
    assert_memory_equal(m_ev[before].setup, a, 8);
    assert_int_equal(host_setup(b), H_ACK);                   /* the host's retry */
    assert_int_equal(m_nev, before + 2u);
    assert_memory_equal(m_ev[before + 1u].setup, b, 8);
}

/* A SETUP that has latched (CTR_RX + SETUP, interrupt not yet taken) while the
 * main loop queues the reply to the previous one: the stale reply must not be
 * armed, or the host's next IN token (the new request's data stage) gets it. */
static void test_drv_reply_not_armed_after_newer_setup_latched(void **state)
{
    (void)state;
    const uint8_t a[8] = {0x80, 6, 0, 1, 0, 0, 0x12, 0};
    const uint8_t b[8] = {0x80, 6, 0, 2, 0, 0, 0x09, 0};
    uint8_t reply[18] = {18, 1}, got[64];
    uint16_t len;
    unsigned pid;
    assert_int_equal(host_setup(a), H_ACK);
    memcpy(usbfs_hooks_setup_bytes, b, 8);
    usbfs_hooks_setup_at_epr0 = 1;
    (void)udc_ep_xfer(0x80, reply, 18);
    assert_int_equal(usbfs_hooks_setup_result, H_ACK);
    /* the host's IN token comes before the CPU has taken the interrupt */
    assert_int_not_equal(usbfs_hooks_in(0, got, 64, &len, &pid), USBFS_ACK);
    udc_ep_stall(0x80);                                        /* stale STALL: refused too */
    assert_int_not_equal(usbfs_hooks_in(0, got, 64, &len, &pid), USBFS_STALL);
    irq();
    assert_int_equal(m_ev[m_nev - 1u].type, UDC_EVT_SETUP);
    assert_memory_equal(m_ev[m_nev - 1u].setup, b, 8);
    assert_int_equal(stat_tx(0), STM32_EPR_STAT_NAK);
    /* latched before the call: refused at once */
    udc_ep0_answer(m_ev[m_nev - 1u].seq);
    assert_int_equal(usbfs_hooks_setup(a), USBFS_ACK);
    assert_false(udc_ep_xfer(0x80, reply, 18));
    assert_int_equal(stat_tx(0), STM32_EPR_STAT_NAK);
    udc_ep_stall(0x00);
    assert_int_equal(stat_rx(0), STM32_EPR_STAT_NAK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stat_tx_from_every_state),
        cmocka_unit_test(test_stat_rx_from_every_state),
        cmocka_unit_test(test_dtog_from_every_state),
        cmocka_unit_test(test_clear_ctr_only_clears_its_bit),
        cmocka_unit_test(test_ctr_set_after_read_survives),
        cmocka_unit_test(test_set_type_keeps_toggles),
        cmocka_unit_test(test_known_words),
        cmocka_unit_test_setup(test_drv_init_and_bus_reset, drv_setup),
        cmocka_unit_test_setup(test_drv_setup_then_multi_packet_in, drv_setup),
        cmocka_unit_test_setup(test_drv_bulk_in_exact_multiple_and_zlp, drv_setup),
        cmocka_unit_test_setup(test_drv_bulk_out_short_packet_and_exact, drv_setup),
        cmocka_unit_test_setup(test_drv_stall_and_clear_resets_toggle, drv_setup),
        cmocka_unit_test_setup(test_drv_ep0_stall_until_next_setup, drv_setup),
        cmocka_unit_test_setup(test_drv_setup_cancels_pending_ep0, drv_setup),
        cmocka_unit_test_setup(test_drv_status_in_before_next_setup, drv_setup),
        cmocka_unit_test_setup(test_drv_bad_setup_length_stalls, drv_setup),
        cmocka_unit_test_setup(test_drv_open_refusals, drv_setup),
        cmocka_unit_test_setup(test_drv_bus_reset_closes_everything, drv_setup),
        cmocka_unit_test_setup(test_drv_reopen_restarts_data0, drv_setup),
        cmocka_unit_test_setup(test_drv_close_and_stall_race_with_hardware, drv_setup),
        cmocka_unit_test_setup(test_drv_suspend_resume, drv_setup),
        cmocka_unit_test(test_model_setup_sets_both_directions),
        cmocka_unit_test(test_model_setup_discarded_while_ctr_rx),
        cmocka_unit_test(test_model_in_out_tokens_and_istr),
        cmocka_unit_test(test_model_bus_reset_and_ef),
        cmocka_unit_test_setup(test_drv_clear_stall_race_in, drv_setup),
        cmocka_unit_test_setup(test_drv_clear_stall_race_out, drv_setup),
        cmocka_unit_test_setup(test_drv_back_to_back_setup_not_torn, drv_setup),
        cmocka_unit_test_setup(test_drv_reply_not_armed_after_newer_setup_latched, drv_setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
