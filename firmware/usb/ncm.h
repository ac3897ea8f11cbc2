/*
 * ncm.h - CDC-NCM class (USB CDC NCM 1.0, NTB16 only): Ethernet frames packed
 * into NCM Transfer Blocks over the bulk pair, link state over the interrupt
 * endpoint. The same frame interface as ecm.h, so net/ cannot tell them apart.
 *
 * Layer: portable (firmware/usb). Knows usbd.h/udc.h below; above it only
 * offers frames (no lwIP here). Buffers: usb_buf.h (one NTB per direction,
 * shared with ECM).
 * - RX: one OUT NTB at a time; ncm_rx_peek() shows its datagrams one by one,
 *   and the bulk OUT endpoint is re-armed only after the last one has been
 *   released (backpressure: the host gets NAKs, nothing is lost).
 * - TX: ncm_tx_acquire_len() gives room for a frame of len bytes in the IN NTB
 *   being filled (NULL while an NTB is on its way out or when it is full);
 *   ncm_tx_commit() adds it; ncm_tx_flush() sends the NTB. Frames committed
 *   between two flushes share one NTB (batching, up to the IN buffer's size).
 */
#ifndef NCM_H
#define NCM_H

#include <stdbool.h>
#include <stdint.h>
#include "stm32net_opt.h"
#include "usb_buf.h"
#include "usbd.h"

/* GET_NTB_PARAMETERS values (CDC NCM 1.0 6.2.1 table 6-3) */
#define NCM_NTB_IN_MAX       NCM_NTB_MAX_SIZE  /* dwNtbInMaxSize (and the smallest we accept) */
#define NCM_NTB_OUT_MAX      NCM_NTB_MAX_SIZE  /* dwNtbOutMaxSize */
#define NCM_NDP_DIVISOR      4u   /* wNdpIn/OutDivisor: Windows' KB5124008 wants >= 4, a power of 2 */
#define NCM_NDP_ALIGNMENT    4u   /* wNdpIn/OutAlignment */
#define NCM_OUT_MAX_DATAGRAMS 8u  /* wNtbOutMaxDatagrams; the parser takes any number */

#ifndef NCM_MAX_NDPS              /* NDP16s followed per OUT NTB (wNextNdpIndex chain) */
#define NCM_MAX_NDPS 4u
#endif

extern const usbd_class_t ncm_class;

void ncm_init(void);
bool ncm_link_up(void);            /* data interface in alt 1 */
uint16_t ncm_packet_filter(void);  /* last SET_ETHERNET_PACKET_FILTER */
uint32_t ncm_ntb_in_size(void);    /* dwNtbInMaxSize in force (GET/SET_NTB_INPUT_SIZE) */
uint32_t ncm_bad_ntbs(void);       /* OUT NTBs dropped as malformed (also in rx_dropped) */

const uint8_t *ncm_rx_peek(uint16_t *len);  /* NULL when no datagram waits */
void ncm_rx_release(void);

uint8_t *ncm_tx_acquire(void);               /* room for ECM_MAX_SEGMENT bytes, or NULL */
uint8_t *ncm_tx_acquire_len(uint16_t len);   /* room for len bytes, or NULL */
void ncm_tx_commit(uint16_t len);            /* 14..ECM_MAX_SEGMENT and <= what was acquired */
void ncm_tx_flush(void);                     /* send the NTB being filled, if any */

/* The OUT NTB16 parser, on its own (unit tests, fuzzing). ncm_ntb_begin()
 * checks the NTH16 of a received transfer of len bytes; ncm_ntb_next() gives
 * the next datagram: 1 (*off, *dlen set), 0 at the end, -1 for a malformed
 * NTB (nothing of it may be used). ncm_ntb_count() runs both over the whole
 * NTB: the number of datagrams, or -1. */
typedef struct {
    uint16_t block;  /* wBlockLength */
    uint16_t ndp;    /* current NDP16, 0 before the first */
    uint16_t entry;  /* next datagram pointer entry */
    uint8_t ndps;    /* NDP16s entered */
} ncm_parse_t;

bool ncm_ntb_begin(ncm_parse_t *p, const uint8_t *ntb, uint16_t len);
int ncm_ntb_next(ncm_parse_t *p, const uint8_t *ntb, uint16_t *off, uint16_t *dlen);
int ncm_ntb_count(const uint8_t *ntb, uint16_t len);

#endif
