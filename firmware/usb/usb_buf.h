/*
 * usb_buf.h - the frame buffers of the USB network classes, shared by CDC-ECM
 * and CDC-NCM: only one class is active in a run (main.c picks it at start-up),
 * so both use the same RAM.
 *
 * Layer: portable (firmware/usb). Includes stm32net_opt.h only.
 * Sizes, and what they buy:
 * - RX, NCM_NTB_MAX_SIZE (2048): one whole OUT NTB. It must hold a complete
 *   NTB because Windows puts the NDP after the datagrams, and 2048 is the
 *   smallest dwNtbOutMaxSize (CDC NCM 1.0 6.2.1; Linux cdc_ncm clamps to it).
 * - TX, NCM_TX_BUF_SIZE (1580): one IN NTB: the NTH16 and an NDP16 with room
 *   for NCM_TX_MAX_DATAGRAMS (10) entries (64 bytes), then one full 1514-byte
 *   frame or up to 10 small ones (e.g. TCP ACKs, DNS answers) batched.
 *   dwNtbInMaxSize stays 2048 (the spec's minimum: what the host can take);
 *   our IN NTBs are simply never longer than this buffer, which saves 468
 *   bytes of RAM against 2048.
 * - usb_buf_notify: the one notification in flight (only one class runs).
 * - ECM uses 1536 (RX, a multiple of 64 above 1515) and 1514 (TX) of them.
 * Two separate objects, so an overrun hits a sanitizer red zone in tests.
 */
#ifndef USB_BUF_H
#define USB_BUF_H

#include <stdint.h>
#include "stm32net_opt.h"

#ifndef NCM_NTB_MAX_SIZE
#define NCM_NTB_MAX_SIZE 2048u
#endif

#define USB_BUF_MAX(a, b) ((a) > (b) ? (a) : (b))
/* ECM's receive transfer: a multiple of 64 above ECM_MAX_SEGMENT + 1 (1536) */
#define ECM_RX_BUF_SIZE ((((ECM_MAX_SEGMENT + 1u) / 64u) + 1u) * 64u)
#define USB_BUF_RX_SIZE USB_BUF_MAX(ECM_RX_BUF_SIZE, NCM_NTB_MAX_SIZE)
#ifndef NCM_TX_MAX_DATAGRAMS      /* datagrams per IN NTB */
#define NCM_TX_MAX_DATAGRAMS 10u
#endif
/* NTH16 (12) + NDP16 header (8) + entries and the zero terminator, then a frame */
#define NCM_TX_DATA_START (12u + 8u + 4u * (NCM_TX_MAX_DATAGRAMS + 1u))
#define NCM_TX_BUF_SIZE ((NCM_TX_DATA_START + ECM_MAX_SEGMENT + 3u) & ~3u)
#define USB_BUF_TX_SIZE USB_BUF_MAX(ECM_MAX_SEGMENT, NCM_TX_BUF_SIZE)

extern uint8_t usb_buf_rx[USB_BUF_RX_SIZE];
extern uint8_t usb_buf_tx[USB_BUF_TX_SIZE];
#define USB_BUF_NOTIFY_SIZE 16u   /* ConnectionSpeedChange, the longest notification */
extern uint8_t usb_buf_notify[USB_BUF_NOTIFY_SIZE];

#endif
