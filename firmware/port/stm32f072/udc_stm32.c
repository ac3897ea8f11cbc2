/*
 * udc_stm32.c - udc.h for the STM32F072 USB full-speed device peripheral.
 *
 * Layer: port/stm32f072 (implements firmware/usb/udc.h). Includes udc.h, our
 * register header and the pure helpers stm32_pma.h / stm32_epr.h (unit tested
 * on the host). Written from RM0091 chapter 30 (USB).
 *
 * How it works
 * - Transfer level (udc.h): udc_ep_xfer() queues one transfer; this driver
 *   moves it packet by packet between the caller's buffer and packet memory
 *   in USB_IRQHandler. OUT ends on a short packet or after len bytes (bytes a
 *   host sends beyond len are dropped); IN ends after len bytes sent in
 *   max-packet pieces; a zero-length IN transfer sends one ZLP. The driver
 *   never adds a ZLP on its own. Completions, SETUPs, bus reset, suspend and
 *   resume go up through udc_event_cb() from the interrupt.
 * - Packet memory: BTABLE at offset 0 (64 bytes for the 8 endpoint registers),
 *   buffers allocated by stm32_pma (1 KB, reused per endpoint on reopen). The
 *   F072's USB SRAM is 16 bits wide and mapped with local offset == APB offset
 *   (RM0091 30.5.3); we only ever use half-word accesses, and copy byte by byte
 *   to/from the caller's buffer, so it may have any alignment.
 * - EPnR: every write goes through stm32_epr (toggle bits written as XOR,
 *   CTR bits written 1 to keep, RM0091 30.6.2). Endpoint number n uses EPnR n
 *   (EA = n) for both directions, so IN n and OUT n must have the same type.
 * - Control: on SETUP the peripheral itself sets both ep0 directions to NAK
 *   (which also ends a STALL) and the toggles to DATA1 for the data/status
 *   stage (RM0091 30.5.2, USB 2.0 8.5.3); the driver writes the same again
 *   and drops pending ep0 transfers. The SETUP bytes are copied out of packet
 *   memory *before* CTR_RX is cleared: while CTR_RX is set the peripheral
 *   discards a further SETUP (the host repeats it), after it a back-to-back
 *   SETUP may overwrite the buffer. The same holds for ep0 OUT data, which
 *   shares that buffer. Each SETUP (and bus reset) gets a sequence number;
 *   ep0 transfers and STALLs are only armed for the SETUP the core names with
 *   udc_ep0_answer() and never once a newer SETUP has latched in EP0R
 *   (CTR_RX + SETUP, interrupt not yet taken): checked with interrupts masked
 *   and again after the write, since the peripheral does not wait for the
 *   CPU (udc.h). udc_set_address() writes DADDR at once: the core calls it
 *   after the status stage (USB 2.0 9.4.6).
 * - Bus reset: every EPnR cleared, packet memory freed, address 0, ep0
 *   reopened with 64-byte packets, then UDC_EVT_BUS_RESET.
 * - Suspend: FSUSP is set as RM0091 30.5.5 requires and UDC_EVT_SUSPEND sent;
 *   WKUP (or a reset) clears it again.
 *
 * Assumptions and limits
 * - Endpoint numbers 0..7 only (8 EPnR); no isochronous and no double-buffered
 *   endpoints; max packet 1..64 bytes (full speed bulk/interrupt/control).
 * - The STM32F072's USB has no VBUS sensing and the DISCO board wires none:
 *   UDC_EVT_UNPLUGGED is never reported (a bus-powered device loses power
 *   instead). Suspend does not lower power (no LP_MODE / STOP): the board
 *   draws more than USB's suspend current.
 * - No LPM (LPMCSR left disabled), no remote wake-up, no battery charging
 *   detection (BCDR only drives DPPU).
 * - Driver calls come from the main loop and mask interrupts briefly so
 *   they never interleave with USB_IRQHandler's EPnR read-modify-writes.
 *   A STAT change that may race with a transaction in flight (close, stall,
 *   clear-stall of an armed endpoint) is read back and repeated
 *   (udc_stm32_force_stat); DTOG is only written once STAT is NAK, STALL or
 *   DISABLED, so the hardware cannot move it under us.
 */
#include <stddef.h>
#include <string.h>

#include "usb/udc.h"
#include "stm32_epr.h"
#include "stm32_pma.h"
#include "stm32f072.h"

#define UDC_STM32_NUM_EP 8u

/* 16 bytes: 16 of them are a fixed part of the 16 KB RAM budget */
typedef struct {
    uint8_t *buf;
    uint16_t len;
    uint16_t done;     /* bytes moved so far */
    uint16_t pma;      /* packet buffer offset */
    uint8_t last;      /* IN: size of the packet in flight (<= 64) */
    uint8_t mps;       /* <= 64 */
    uint8_t type;      /* udc_ep_type_t */
    uint8_t open : 1;
    uint8_t busy : 1;
    uint8_t stalled : 1;
} udc_stm32_ep_t;

static udc_stm32_ep_t udc_stm32_in[UDC_STM32_NUM_EP];
static udc_stm32_ep_t udc_stm32_out[UDC_STM32_NUM_EP];
static stm32_pma_t udc_stm32_pma;
/* SETUP sequence (udc.h): bumped by the interrupt per SETUP and bus reset;
 * answer is what the core last named. ep0 is armed only while they agree. */
static uint8_t udc_stm32_seq;
static uint8_t udc_stm32_answer;

void USB_IRQHandler(void);

/* ---- packet memory ------------------------------------------------------- */

#define PMA16(off) REG16(USB_PMA_BASE + (uint32_t)(off))
/* BTABLE entry of EPnR n (RM0091 30.6.3), BTABLE at 0 */
#define BT_ADDR_TX(n)  PMA16(8u * (n) + 0u)
#define BT_COUNT_TX(n) PMA16(8u * (n) + 2u)
#define BT_ADDR_RX(n)  PMA16(8u * (n) + 4u)
#define BT_COUNT_RX(n) PMA16(8u * (n) + 6u)

/* RM0091 30.6: the packet memory takes byte and half-word accesses only,
 * never words; so each 16-bit cell is one access. When the RAM side is
 * half-word aligned (the classes' frame buffers are) each cell is one ldrh +
 * strh instead of two byte loads/stores and a shift/or (GCC 12 -Os: 7
 * instructions, ~13 cycles per cell instead of 10 and ~15 reading, 9 and
 * ~16 writing); any other buffer takes the byte path. The
 * RAM side is read/written with memcpy of 2 bytes, which the compiler makes
 * a single ldrh/strh once it knows the alignment (no aliasing questions). */
/* Word-aligned RAM side (the frame buffers, pbuf payloads): one 32-bit load
 * or store for two cells. Pointers, not indexes, and a function of its own:
 * GCC 12 -Os otherwise keeps the loop's values on the stack (measured with
 * make bench MODE=chip: ~4.5 instructions a cell instead of 8-10; noinline
 * because LTO would inline them back into the big loop). Returns
 * the bytes done (n rounded down to 4). */
__attribute__((noinline)) static unsigned udc_stm32_pma_write4(uint32_t pma, const uint8_t *src, unsigned n)
{
    const uint8_t *s = __builtin_assume_aligned(src, 4), *end = s + (n & ~3u);
    while (s != end) {
        uint32_t w;
        memcpy(&w, s, 4u);
        REG16(pma) = (uint16_t)w;
        REG16(pma + 2u) = (uint16_t)(w >> 16);
        s += 4;
        pma += 4u;
    }
    return n & ~3u;
}

__attribute__((noinline)) static unsigned udc_stm32_pma_read4(uint32_t pma, uint8_t *dst, unsigned n)
{
    uint8_t *d = __builtin_assume_aligned(dst, 4), *end = d + (n & ~3u);
    while (d != end) {
        uint32_t w = (uint32_t)REG16(pma) | (uint32_t)REG16(pma + 2u) << 16;
        memcpy(d, &w, 4u);
        d += 4;
        pma += 4u;
    }
    return n & ~3u;
}

static void udc_stm32_pma_write(uint16_t off, const uint8_t *src, uint16_t n)
{
    unsigned i = 0, even = n & ~1u;   /* unsigned: no 16-bit wrap code in the loops */
    if (((uintptr_t)src & 3u) == 0u) {
        i = udc_stm32_pma_write4(USB_PMA_BASE + (uint32_t)off, src, n);
    }
    if (((uintptr_t)src & 1u) == 0u) {
        /* little-endian: byte i is the low half of its cell (RM0091 30.6.2).
         * Not unrolled: GCC 12 -Os then spills the halves to the stack. */
        const uint8_t *s2 = __builtin_assume_aligned(src, 2);
        for (; i != even; i += 2u) {
            uint16_t h;
            memcpy(&h, s2 + i, 2u);
            PMA16(off + i) = h;
        }
    } else {
        for (; i != even; i += 2u) {
            PMA16(off + i) = (uint16_t)(src[i] | (src[i + 1u] << 8));
        }
    }
    if (even != n) {
        PMA16(off + even) = src[even];
    }
}

static void udc_stm32_pma_read(uint16_t off, uint8_t *dst, uint16_t n)
{
    unsigned i = 0, even = n & ~1u;
    if (((uintptr_t)dst & 3u) == 0u) {
        i = udc_stm32_pma_read4(USB_PMA_BASE + (uint32_t)off, dst, n);
    }
    if (((uintptr_t)dst & 1u) == 0u) {
        uint8_t *d2 = __builtin_assume_aligned(dst, 2);
        for (; i != even; i += 2u) {
            uint16_t h = PMA16(off + i);
            memcpy(d2 + i, &h, 2u);
        }
    } else {
        for (; i != even; i += 2u) {
            uint16_t w = PMA16(off + i);
            dst[i] = (uint8_t)w;
            dst[i + 1u] = (uint8_t)(w >> 8);
        }
    }
    if (even != n) {
        dst[even] = (uint8_t)PMA16(off + even);
    }
}

/* ---- EPnR ------------------------------------------------------------------ */

static void udc_stm32_stat_tx(unsigned n, unsigned stat)
{
    USB_EPR_WRITE(n, stm32_epr_set_stat_tx(USB_EPR_READ(n), stat));
}

static void udc_stm32_stat_rx(unsigned n, unsigned stat)
{
    USB_EPR_WRITE(n, stm32_epr_set_stat_rx(USB_EPR_READ(n), stat));
}

/* STAT of one direction as the register holds it now */
static unsigned udc_stm32_stat_get(unsigned n, bool in)
{
    uint16_t epr = USB_EPR_READ(n);
    return in ? (epr & STM32_EPR_STAT_TX_Msk) >> STM32_EPR_STAT_TX_Pos
              : (epr & STM32_EPR_STAT_RX_Msk) >> STM32_EPR_STAT_RX_Pos;
}

/* Sets STAT and reads it back. STAT is a toggle field: if the peripheral ends a
 * VALID transaction between our read and our write (VALID -> NAK), the XOR we
 * computed lands on the wrong value (e.g. DISABLED -> STALL). Masking the CPU's
 * interrupts does not stop the peripheral, so check and write again. */
static void udc_stm32_force_stat(unsigned n, bool in, unsigned stat)
{
    for (unsigned i = 0; i < 3u; i++) {
        if (in) {
            udc_stm32_stat_tx(n, stat);
        } else {
            udc_stm32_stat_rx(n, stat);
        }
        if (udc_stm32_stat_get(n, in) == stat) {
            return;
        }
    }
}

static void udc_stm32_event(uint8_t type, uint8_t ep, uint16_t len)
{
    udc_event_t ev = {0};
    ev.type = type;
    ev.ep = ep;
    ev.len = len;
    udc_event_cb(&ev);
}

/* A SETUP the peripheral has accepted but the interrupt has not handled yet:
 * SETUP is frozen while CTR_RX is set (RM0091 30.6.2), so both together mean
 * exactly that. */
static bool udc_stm32_setup_latched(void)
{
    uint16_t r = USB_EPR_READ(0);
    return (r & (STM32_EPR_CTR_RX | STM32_EPR_SETUP)) == (STM32_EPR_CTR_RX | STM32_EPR_SETUP);
}

/* Next IN packet of endpoint n into packet memory, then VALID. */
static void udc_stm32_tx_next(unsigned n)
{
    udc_stm32_ep_t *e = &udc_stm32_in[n];
    uint16_t left = (uint16_t)(e->len - e->done);
    uint16_t now = left < e->mps ? left : e->mps;
    if (now != 0u) {
        udc_stm32_pma_write(e->pma, e->buf + e->done, now);
    }
    BT_COUNT_TX(n) = now;
    e->last = (uint8_t)now;
    udc_stm32_stat_tx(n, STM32_EPR_STAT_VALID);
}

/* Arms the next packet of endpoint n. On ep0 never for a transfer that a
 * latched SETUP has already aborted: checked before, and after the write
 * because the SETUP may land in between (then the arming is taken back, in
 * the few cycles before the host's next token could use it). */
static bool udc_stm32_arm(unsigned n, bool in)
{
    if (n == 0u && udc_stm32_setup_latched()) {
        return false;
    }
    if (in) {
        udc_stm32_tx_next(n);
    } else {
        udc_stm32_stat_rx(n, STM32_EPR_STAT_VALID);
    }
    if (n == 0u && udc_stm32_setup_latched()) {
        udc_stm32_force_stat(0, in, STM32_EPR_STAT_NAK);
        return false;
    }
    return true;
}

static unsigned udc_stm32_hw_type(udc_ep_type_t type)
{
    switch (type) {
    case UDC_EP_CONTROL:   return STM32_EPR_TYPE_CONTROL;
    case UDC_EP_INTERRUPT: return STM32_EPR_TYPE_INTERRUPT;
    default:               return STM32_EPR_TYPE_BULK;
    }
}

/* Opens one direction; interrupts must be masked by the caller. */
static bool udc_stm32_open(uint8_t ep, udc_ep_type_t type, uint16_t mps)
{
    unsigned n = UDC_EP_NUM(ep);
    bool in = UDC_EP_IS_IN(ep);
    if (n >= UDC_STM32_NUM_EP || mps == 0u || mps > 64u || type == UDC_EP_ISOCHRONOUS ||
        (unsigned)type > (unsigned)UDC_EP_INTERRUPT) {
        return false;
    }
    udc_stm32_ep_t *e = in ? &udc_stm32_in[n] : &udc_stm32_out[n];
    const udc_stm32_ep_t *other = in ? &udc_stm32_out[n] : &udc_stm32_in[n];
    if (other->open && other->type != (uint8_t)type) {
        return false;  /* one EPnR holds both directions: one EP_TYPE */
    }
    uint16_t size = in ? mps : stm32_pma_rx_size(mps);
    uint16_t addr = stm32_pma_alloc(&udc_stm32_pma, STM32_PMA_SLOT(n, in), size);
    if (addr == 0u) {
        return false;
    }
    uint16_t want = (uint16_t)(n | (udc_stm32_hw_type(type) << STM32_EPR_EP_TYPE_Pos));
    uint16_t mask;
    if (in) {
        BT_ADDR_TX(n) = addr;
        BT_COUNT_TX(n) = 0;
        mask = STM32_EPR_STAT_TX_Msk | STM32_EPR_DTOG_TX;
        want |= (uint16_t)(STM32_EPR_STAT_NAK << STM32_EPR_STAT_TX_Pos);
    } else {
        uint16_t count = 0;
        (void)stm32_pma_count_rx_encode(mps, &count);  /* mps <= 64: always fits */
        BT_ADDR_RX(n) = addr;
        BT_COUNT_RX(n) = count;
        mask = STM32_EPR_STAT_RX_Msk | STM32_EPR_DTOG_RX;
        want |= (uint16_t)(STM32_EPR_STAT_NAK << STM32_EPR_STAT_RX_Pos);
    }
    /* DATA0 after (re)configuration: USB 2.0 9.4.5 / 9.1.1.5 */
    USB_EPR_WRITE(n, stm32_epr_write(USB_EPR_READ(n), (uint16_t)(mask | STM32_EPR_PLAIN_Msk), want, 0));

    e->buf = NULL;
    e->len = e->done = e->last = 0;
    e->mps = (uint8_t)mps;
    e->pma = addr;
    e->type = (uint8_t)type;
    e->open = true;
    e->busy = false;
    e->stalled = false;
    return true;
}

static void udc_stm32_bus_reset(void)
{
    for (unsigned n = 0; n < UDC_STM32_NUM_EP; n++) {
        /* everything to 0: disabled, DATA0, CTR flags cleared */
        USB_EPR_WRITE(n, stm32_epr_write(USB_EPR_READ(n),
                                         (uint16_t)(STM32_EPR_PLAIN_Msk | STM32_EPR_TOGGLE_Msk),
                                         0, STM32_EPR_RCW0_Msk));
        udc_stm32_in[n] = (udc_stm32_ep_t){0};
        udc_stm32_out[n] = (udc_stm32_ep_t){0};
    }
    stm32_pma_reset(&udc_stm32_pma);
    udc_stm32_seq++;  /* a reset aborts the control transfer too (udc.h) */
    USB_BTABLE = 0;
    USB_CNTR = (uint16_t)(USB_CNTR & ~(USB_CNTR_FSUSP | USB_CNTR_LP_MODE));
    USB_DADDR = USB_DADDR_EF;  /* address 0, function enabled */
    (void)udc_stm32_open(0x00, UDC_EP_CONTROL, UDC_EP0_MPS);
    (void)udc_stm32_open(0x80, UDC_EP_CONTROL, UDC_EP0_MPS);
    udc_stm32_event(UDC_EVT_BUS_RESET, 0, 0);
}

/* CTR_RX with SETUP on ep0. CTR_RX is still set: the peripheral discards any
 * further SETUP until we clear it (RM0091 30.5.2), so copy first. */
static void udc_stm32_setup(void)
{
    udc_event_t ev = {0};
    uint16_t count = BT_COUNT_RX(0) & STM32_PMA_COUNT_Msk;

    if (count == 8u) {
        udc_stm32_pma_read(udc_stm32_out[0].pma, ev.setup, 8);
    }
    /* not a valid SETUP (USB 2.0 9.3): refuse the whole control transfer */
    bool bad = count != 8u;
    uint16_t stat = bad ? (uint16_t)((STM32_EPR_STAT_STALL << STM32_EPR_STAT_TX_Pos) |
                                     (STM32_EPR_STAT_STALL << STM32_EPR_STAT_RX_Pos))
                        : (uint16_t)((STM32_EPR_STAT_NAK << STM32_EPR_STAT_TX_Pos) |
                                     (STM32_EPR_STAT_NAK << STM32_EPR_STAT_RX_Pos));
    udc_stm32_in[0].busy = false;
    udc_stm32_out[0].busy = false;
    udc_stm32_in[0].stalled = bad;
    udc_stm32_out[0].stalled = bad;
    /* NAK (or STALL) both ways, DATA1 both ways (what the peripheral did
     * already) and CTR_RX cleared in one write: nothing moves ep0 before it,
     * STAT being NAK and CTR_RX set */
    uint16_t cur = USB_EPR_READ(0);
    USB_EPR_WRITE(0, stm32_epr_write(cur, STM32_EPR_TOGGLE_Msk,
                                     (uint16_t)(stat | STM32_EPR_DTOG_TX | STM32_EPR_DTOG_RX),
                                     STM32_EPR_CTR_RX));
    udc_stm32_seq++;
    if (bad) {
        return;
    }
    ev.type = UDC_EVT_SETUP;
    ev.seq = udc_stm32_seq;
    udc_event_cb(&ev);
}

static void udc_stm32_out_packet(unsigned n)
{
    udc_stm32_ep_t *e = &udc_stm32_out[n];
    uint16_t count = BT_COUNT_RX(n) & STM32_PMA_COUNT_Msk;
    uint16_t take = 0;
    if (e->busy) {
        uint16_t room = (uint16_t)(e->len - e->done);
        take = count < room ? count : room;
        if (take != 0u) {
            udc_stm32_pma_read(e->pma, e->buf + e->done, take);
        }
    }
    /* copied: the buffer may be reused now (ep0's by a SETUP, see above) */
    USB_EPR_WRITE(n, stm32_epr_clear_ctr_rx(USB_EPR_READ(n)));
    if (!e->busy) {
        return;  /* STAT_RX was not VALID; nothing to deliver to */
    }
    e->done = (uint16_t)(e->done + take);
    if (count < e->mps || e->done >= e->len) {
        e->busy = false;
        udc_stm32_event(UDC_EVT_XFER_DONE, (uint8_t)n, e->done);
    } else if (!e->stalled) {
        (void)udc_stm32_arm(n, false);
    }
}

static void udc_stm32_in_packet(unsigned n)
{
    udc_stm32_ep_t *e = &udc_stm32_in[n];
    if (!e->busy) {
        return;
    }
    e->done = (uint16_t)(e->done + e->last);
    e->last = 0;
    if (e->done >= e->len) {
        e->busy = false;
        udc_stm32_event(UDC_EVT_XFER_DONE, (uint8_t)(UDC_EP_IN | n), e->done);
    } else if (!e->stalled) {
        (void)udc_stm32_arm(n, true);
    }
}

void USB_IRQHandler(void)
{
    uint16_t istr = USB_ISTR_READ();

    if (istr & USB_ISTR_RESET) {
        USB_ISTR_WRITE((uint16_t)~USB_ISTR_RESET);  /* rc_w0: 0 clears, 1 keeps */
        udc_stm32_bus_reset();
        return;  /* anything else pending belonged to the old session */
    }
    /* CTR stays set while any EPnR has CTR_RX/CTR_TX; bounded anyway */
    for (unsigned guard = 0; guard < 2u * UDC_STM32_NUM_EP; guard++) {
        istr = USB_ISTR_READ();
        if ((istr & USB_ISTR_CTR) == 0u) {
            break;
        }
        unsigned n = istr & USB_ISTR_EP_ID_Msk;
        if (n >= UDC_STM32_NUM_EP) {
            break;
        }
        uint16_t epr = USB_EPR_READ(n);
        /* IN first: if a status-stage IN and the next SETUP are both pending,
         * the IN happened first and must complete (e.g. SET_ADDRESS) before
         * the SETUP drops whatever ep0 still has queued. */
        if (epr & STM32_EPR_CTR_TX) {
            USB_EPR_WRITE(n, stm32_epr_clear_ctr_tx(epr));
            udc_stm32_in_packet(n);
        }
        if (epr & STM32_EPR_CTR_RX) {
            /* both clear CTR_RX once the packet is out of packet memory */
            if (n == 0u && (epr & STM32_EPR_SETUP)) {
                udc_stm32_setup();
            } else {
                udc_stm32_out_packet(n);
            }
        }
    }
    if (istr & USB_ISTR_SUSP) {
        USB_CNTR |= USB_CNTR_FSUSP;               /* RM0091 30.5.5 */
        USB_ISTR_WRITE((uint16_t)~USB_ISTR_SUSP);
        udc_stm32_event(UDC_EVT_SUSPEND, 0, 0);
    }
    if (istr & USB_ISTR_WKUP) {
        USB_CNTR = (uint16_t)(USB_CNTR & ~(USB_CNTR_FSUSP | USB_CNTR_LP_MODE));
        USB_ISTR_WRITE((uint16_t)~USB_ISTR_WKUP);
        udc_stm32_event(UDC_EVT_RESUME, 0, 0);
    }
}

/* ---- udc.h ----------------------------------------------------------------- */

void udc_init(void)
{
    NVIC_ICER = 1u << USB_IRQn;
    RCC_APB1ENR |= RCC_APB1ENR_USBEN;
    RCC_APB1RSTR |= RCC_APB1RSTR_USBRST;   /* clean state on re-init */
    RCC_APB1RSTR &= ~RCC_APB1RSTR_USBRST;

    USB_BCDR = 0;                          /* pull-up off until udc_connect() */
    USB_CNTR = USB_CNTR_FRES;              /* PDWN cleared: transceiver on */
    for (volatile unsigned i = 0; i < 100u; i++) {
        /* tSTARTUP (datasheet: 1 us) before leaving reset */
    }
    USB_CNTR = 0;
    USB_ISTR_WRITE(0);
    USB_BTABLE = 0;
    for (unsigned n = 0; n < UDC_STM32_NUM_EP; n++) {
        udc_stm32_in[n] = (udc_stm32_ep_t){0};
        udc_stm32_out[n] = (udc_stm32_ep_t){0};
    }
    stm32_pma_reset(&udc_stm32_pma);
    udc_stm32_answer = (uint8_t)(udc_stm32_seq - 1u);  /* nothing answered yet */
    USB_CNTR = USB_CNTR_CTRM | USB_CNTR_RESETM | USB_CNTR_SUSPM | USB_CNTR_WKUPM;
    NVIC_ICPR = 1u << USB_IRQn;
    NVIC_ISER = 1u << USB_IRQn;
}

void udc_connect(void)
{
    USB_BCDR |= USB_BCDR_DPPU;   /* 1.5 kohm on D+: full speed attach */
}

void udc_disconnect(void)
{
    USB_BCDR = (uint16_t)(USB_BCDR & ~USB_BCDR_DPPU);
}

void udc_set_address(uint8_t addr)
{
    USB_DADDR = (uint16_t)(USB_DADDR_EF | (addr & 0x7Fu));
}

bool udc_ep_open(uint8_t ep, udc_ep_type_t type, uint16_t mps)
{
    uint32_t pm = irq_save();
    bool ok = udc_stm32_open(ep, type, mps);
    irq_restore(pm);
    return ok;
}

void udc_ep_close(uint8_t ep)
{
    unsigned n = UDC_EP_NUM(ep);
    if (n >= UDC_STM32_NUM_EP) {
        return;
    }
    uint32_t pm = irq_save();
    bool in = UDC_EP_IS_IN(ep);
    udc_stm32_ep_t *e = in ? &udc_stm32_in[n] : &udc_stm32_out[n];
    /* DISABLED first (checked, see udc_stm32_force_stat); once the endpoint
     * takes no more packets its toggle is stable and can be reset to DATA0. */
    udc_stm32_force_stat(n, in, STM32_EPR_STAT_DISABLED);
    uint16_t dtog = in ? (uint16_t)STM32_EPR_DTOG_TX : (uint16_t)STM32_EPR_DTOG_RX;
    USB_EPR_WRITE(n, stm32_epr_write(USB_EPR_READ(n), dtog, 0, 0));
    e->open = false;
    e->busy = false;
    e->stalled = false;
    irq_restore(pm);
}

bool udc_ep_xfer(uint8_t ep, uint8_t *buf, uint16_t len)
{
    unsigned n = UDC_EP_NUM(ep);
    if (n >= UDC_STM32_NUM_EP || (buf == NULL && len != 0u)) {
        return false;
    }
    bool in = UDC_EP_IS_IN(ep);
    udc_stm32_ep_t *e = in ? &udc_stm32_in[n] : &udc_stm32_out[n];
    uint32_t pm = irq_save();
    bool ok = e->open && !e->busy &&
              (n != 0u || (!e->stalled && udc_stm32_answer == udc_stm32_seq));
    if (ok) {
        e->buf = buf;
        e->len = len;
        e->done = 0;
        e->last = 0;
        e->busy = true;
        /* a stalled endpoint >= 1 starts when the halt is cleared */
        if (!e->stalled && !udc_stm32_arm(n, in)) {
            e->busy = false;  /* ep0: a newer SETUP has latched */
            ok = false;
        }
    }
    irq_restore(pm);
    return ok;
}

void udc_ep_stall(uint8_t ep)
{
    unsigned n = UDC_EP_NUM(ep);
    if (n >= UDC_STM32_NUM_EP) {
        return;
    }
    uint32_t pm = irq_save();
    if (n == 0u) {
        /* a control pipe stalls as a whole until the next SETUP (USB 2.0
         * 8.5.3.4), but never the stages of a newer SETUP (udc.h) */
        if (udc_stm32_in[0].open && udc_stm32_answer == udc_stm32_seq && !udc_stm32_setup_latched()) {
            udc_stm32_in[0].busy = udc_stm32_out[0].busy = false;
            udc_stm32_in[0].stalled = udc_stm32_out[0].stalled = true;
            udc_stm32_force_stat(0, true, STM32_EPR_STAT_STALL);
            udc_stm32_force_stat(0, false, STM32_EPR_STAT_STALL);
            if (udc_stm32_setup_latched()) {  /* landed meanwhile: its interrupt clears the flags */
                udc_stm32_force_stat(0, true, STM32_EPR_STAT_NAK);
                udc_stm32_force_stat(0, false, STM32_EPR_STAT_NAK);
            }
        }
    } else {
        udc_stm32_ep_t *e = UDC_EP_IS_IN(ep) ? &udc_stm32_in[n] : &udc_stm32_out[n];
        if (e->open) {
            e->stalled = true;
            udc_stm32_force_stat(n, UDC_EP_IS_IN(ep), STM32_EPR_STAT_STALL);
        }
    }
    irq_restore(pm);
}

/* One direction; interrupts masked by the caller. */
static void udc_stm32_clear_stall(unsigned n, bool in)
{
    udc_stm32_ep_t *e = in ? &udc_stm32_in[n] : &udc_stm32_out[n];
    if (!e->open) {
        return;
    }
    e->stalled = false;
    /* NAK first, checked: an armed endpoint may finish its packet between our
     * read and write (VALID -> NAK), and the XOR would then land on VALID with
     * the same data still armed. Once NAK, DTOG cannot move: DATA0 (USB 2.0
     * 9.4.5, also for an endpoint that was not halted). */
    udc_stm32_force_stat(n, in, STM32_EPR_STAT_NAK);
    uint16_t dtog = in ? (uint16_t)STM32_EPR_DTOG_TX : (uint16_t)STM32_EPR_DTOG_RX;
    uint16_t ctr = in ? (uint16_t)STM32_EPR_CTR_TX : (uint16_t)STM32_EPR_CTR_RX;
    uint16_t cur = USB_EPR_READ(n);
    USB_EPR_WRITE(n, stm32_epr_write(cur, dtog, 0, 0));
    /* A packet that completed meanwhile has its CTR flag set: the interrupt
     * (pending behind our mask) accounts it and arms the next one. */
    if (e->busy && (cur & ctr) == 0u) {
        (void)udc_stm32_arm(n, in);
    }
}

void udc_ep_clear_stall(uint8_t ep)
{
    unsigned n = UDC_EP_NUM(ep);
    if (n >= UDC_STM32_NUM_EP) {
        return;
    }
    uint32_t pm = irq_save();
    if (n == 0u) {
        if (udc_stm32_in[0].stalled) {    /* ep0: ends the pipe's STALL (udc.h) */
            udc_stm32_clear_stall(0, false);
            udc_stm32_clear_stall(0, true);
        }
    } else {
        udc_stm32_clear_stall(n, UDC_EP_IS_IN(ep));
    }
    irq_restore(pm);
}

void udc_ep0_answer(uint8_t seq)
{
    udc_stm32_answer = seq;
}

bool udc_ep_is_stalled(uint8_t ep)
{
    unsigned n = UDC_EP_NUM(ep);
    if (n >= UDC_STM32_NUM_EP) {
        return false;
    }
    uint16_t epr = USB_EPR_READ(n);
    unsigned stat = UDC_EP_IS_IN(ep) ? (epr & STM32_EPR_STAT_TX_Msk) >> STM32_EPR_STAT_TX_Pos
                                     : (epr & STM32_EPR_STAT_RX_Msk) >> STM32_EPR_STAT_RX_Pos;
    return stat == STM32_EPR_STAT_STALL;
}
