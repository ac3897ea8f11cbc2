/*
 * pcap.c - capture files with libpcap (see pcap.h).
 *
 * Layer: sim (host only). pcap_open_dead(linktype, snaplen) gives a handle
 * without any capture device; pcap_dump() writes each record with a
 * wall-clock timestamp. Records are flushed per write so a killed process
 * still leaves a readable file; closing flushes and closes on a clean exit.
 * Named sim_pcap_* so nothing clashes with libpcap's own pcap_* symbols.
 */
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <pcap/pcap.h>

#include "pcap.h"

int sim_pcap_file_open(sim_pcap_file_t *f, int linktype, int snaplen, const char *option,
                       const char *path)
{
    f->dumper = NULL;
    f->handle = pcap_open_dead(linktype, snaplen);
    if (f->handle == NULL) {
        fprintf(stderr, "stm32net-sim: %s: cannot create a pcap handle\n", option);
        return -1;
    }
    f->dumper = pcap_dump_open(f->handle, path);
    if (f->dumper == NULL) {
        fprintf(stderr, "stm32net-sim: %s %s: %s\n", option, path, pcap_geterr(f->handle));
        pcap_close(f->handle);
        f->handle = NULL;
        return -1;
    }
    return 0;
}

void sim_pcap_file_write(sim_pcap_file_t *f, const struct timeval *ts, const uint8_t *data,
                         uint32_t len)
{
    if (f->dumper == NULL || data == NULL) {
        return;
    }
    struct pcap_pkthdr h;
    memset(&h, 0, sizeof h);
    if (ts != NULL) {
        h.ts = *ts;
    } else {
        gettimeofday(&h.ts, NULL);
    }
    h.caplen = len;
    h.len = len;
    pcap_dump((u_char *)f->dumper, &h, data);
    (void)pcap_dump_flush(f->dumper);
}

void sim_pcap_file_close(sim_pcap_file_t *f)
{
    if (f->dumper != NULL) {
        (void)pcap_dump_flush(f->dumper);
        pcap_dump_close(f->dumper);
        f->dumper = NULL;
    }
    if (f->handle != NULL) {
        pcap_close(f->handle);
        f->handle = NULL;
    }
}

/* ------------------------------------------------------------ --pcap */

static sim_pcap_file_t eth;

int sim_pcap_open(const char *path)
{
    return sim_pcap_file_open(&eth, DLT_EN10MB, 65535, "--pcap", path);
}

void sim_pcap_frame(bool tx, const uint8_t *frame, uint16_t len)
{
    (void)tx;  /* the file has no direction field; the MACs tell it */
    sim_pcap_file_write(&eth, NULL, frame, len);
}

void sim_pcap_close(void)
{
    sim_pcap_file_close(&eth);
}
