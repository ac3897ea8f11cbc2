/*
 * pcap.c - frame capture for --pcap with libpcap (see pcap.h).
 *
 * Layer: sim (host only). pcap_open_dead(DLT_EN10MB, 65535) gives a handle
 * without any capture device; pcap_dump() writes each frame with a wall-clock
 * timestamp. Frames are flushed per write so a killed process still leaves
 * a readable file; sim_pcap_close() flushes and closes on a clean exit.
 * Named sim_pcap_* so nothing clashes with libpcap's own pcap_* symbols.
 */
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <pcap/pcap.h>

#include "pcap.h"

static pcap_t *handle;
static pcap_dumper_t *dumper;

int sim_pcap_open(const char *path)
{
    handle = pcap_open_dead(DLT_EN10MB, 65535);
    if (handle == NULL) {
        fprintf(stderr, "stm32net-sim: --pcap: cannot create a pcap handle\n");
        return -1;
    }
    dumper = pcap_dump_open(handle, path);
    if (dumper == NULL) {
        fprintf(stderr, "stm32net-sim: --pcap %s: %s\n", path, pcap_geterr(handle));
        pcap_close(handle);
        handle = NULL;
        return -1;
    }
    return 0;
}

void sim_pcap_frame(bool tx, const uint8_t *frame, uint16_t len)
{
    (void)tx;  /* the file has no direction field; the MACs tell it */
    if (dumper == NULL || frame == NULL) {
        return;
    }
    struct pcap_pkthdr h;
    memset(&h, 0, sizeof h);
    gettimeofday(&h.ts, NULL);
    h.caplen = len;
    h.len = len;
    pcap_dump((u_char *)dumper, &h, frame);
    (void)pcap_dump_flush(dumper);
}

void sim_pcap_close(void)
{
    if (dumper != NULL) {
        (void)pcap_dump_flush(dumper);
        pcap_dump_close(dumper);
        dumper = NULL;
    }
    if (handle != NULL) {
        pcap_close(handle);
        handle = NULL;
    }
}
