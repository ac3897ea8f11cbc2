/*
 * pcap.h - --pcap FILE: every Ethernet frame crossing the link, both
 * directions, in a libpcap file (LINKTYPE_ETHERNET).
 * Layer: sim (host only).
 */
#ifndef SIM_PCAP_H
#define SIM_PCAP_H

#include <stdbool.h>
#include <stdint.h>

int sim_pcap_open(const char *path);   /* 0, or -1 with a message on stderr */
void sim_pcap_frame(bool tx, const uint8_t *frame, uint16_t len);  /* a net_frame_hook_t */
void sim_pcap_close(void);             /* flushes */

#endif
