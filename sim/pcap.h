/*
 * pcap.h - the simulator's capture files, written with libpcap:
 *  - --pcap FILE: every Ethernet frame crossing the link, both directions
 *    (LINKTYPE_ETHERNET); sim_pcap_open/frame/close.
 *  - the file itself (any link type), shared with --pcap-usb (pcap_usb.c):
 *    sim_pcap_file_*.
 * Layer: sim (host only).
 */
#ifndef SIM_PCAP_H
#define SIM_PCAP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/time.h>

/* One capture file: libpcap's dead handle and its dumper (NULL when closed). */
typedef struct {
    struct pcap *handle;
    struct pcap_dumper *dumper;
} sim_pcap_file_t;

/* Opens path for records of linktype up to snaplen bytes; 0, or -1 with
 * "stm32net-sim: OPTION PATH: reason" on stderr. */
int sim_pcap_file_open(sim_pcap_file_t *f, int linktype, int snaplen, const char *option,
                       const char *path);
/* One record stamped ts (NULL: the wall clock now), flushed at once (a
 * killed process still leaves a readable file). Nothing when f is closed. */
void sim_pcap_file_write(sim_pcap_file_t *f, const struct timeval *ts, const uint8_t *data,
                         uint32_t len);
void sim_pcap_file_close(sim_pcap_file_t *f);   /* flushes; closed stays closed */

int sim_pcap_open(const char *path);   /* 0, or -1 with a message on stderr */
void sim_pcap_frame(bool tx, const uint8_t *frame, uint16_t len);  /* a net_frame_hook_t */
void sim_pcap_close(void);             /* flushes */

#endif
