/*
 * pcap_usb.h - --pcap-usb FILE: every URB the simulator exchanges over USB/IP,
 * submissions and completions, as Linux usbmon records in a libpcap file
 * (LINKTYPE_USB_LINUX_MMAPPED, 220), so Wireshark/tshark decode descriptors,
 * class requests, notifications and bulk data as for a capture on a real
 * Linux host (usbmon).
 * Layer: sim (host only). Fed by usbip_server's urb_hook.
 */
#ifndef SIM_PCAP_USB_H
#define SIM_PCAP_USB_H

#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

#include "usbip_server.h"

#define PCAP_USB_HDR_LEN 64u   /* the mmapped usbmon header (with ISO fields) */

/* 0, or -1 with a message on stderr. */
int sim_pcap_usb_open(const char *path);
void sim_pcap_usb_urb(const usbip_urb_event_t *e);   /* a usbip_urb_hook_t */
void sim_pcap_usb_close(void);                        /* flushes */

/* The record for e (header + the data captured) into out; returns its
 * length, at most PCAP_USB_HDR_LEN + e->data_len, or 0 if room is short.
 * Exposed for the unit test. */
size_t pcap_usb_record(const usbip_urb_event_t *e, const struct timeval *ts, uint8_t *out,
                       size_t room);
/* What the capture learned of the device: endpoint transfer types from the
 * configuration descriptors it saw returned (ep0 is control, an endpoint
 * not described yet counts as bulk). Call before a new capture. */
void pcap_usb_reset(void);

#endif
