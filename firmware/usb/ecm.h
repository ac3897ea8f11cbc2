/*
 * ecm.h - CDC-ECM class (USB CDC 1.2 + ECM 1.2): Ethernet frames over a pair
 * of bulk endpoints, link state over the interrupt endpoint.
 *
 * Layer: portable (firmware/usb). Knows usbd.h/udc.h below; above it only
 * offers frames (no lwIP here). One frame buffer per direction (usb_buf.h,
 * shared with NCM):
 * - RX: ecm_rx_peek() shows the oldest complete frame; the bulk OUT endpoint
 *   stays un-armed (host gets NAK) until ecm_rx_release(): backpressure, no loss.
 * - TX: ecm_tx_acquire() gives the free frame buffer or NULL while the
 *   previous frame is still going out; ecm_tx_commit() sends it (and the ZLP
 *   when the length is a multiple of 64).
 */
#ifndef ECM_H
#define ECM_H

#include <stdbool.h>
#include <stdint.h>
#include "stm32net_opt.h"
#include "usb_buf.h"   /* ECM_RX_BUF_SIZE: the receive transfer size */
#include "usbd.h"

extern const usbd_class_t ecm_class;

void ecm_init(void);
bool ecm_link_up(void);   /* data interface in alt 1 */
uint16_t ecm_packet_filter(void);  /* last SET_ETHERNET_PACKET_FILTER, ECM 1.2 6.2.4 */

const uint8_t *ecm_rx_peek(uint16_t *len);  /* NULL when no frame waits */
void ecm_rx_release(void);

uint8_t *ecm_tx_acquire(void);              /* ECM_MAX_SEGMENT bytes, or NULL */
/* 1 <= len <= ECM_MAX_SEGMENT (callers send >= 14); otherwise counted in
 * link_stats.tx_errors, and in tx_dropped when the link is down or busy */
void ecm_tx_commit(uint16_t len);

#endif
