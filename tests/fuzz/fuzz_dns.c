/*
 * fuzz_dns.c - libFuzzer target: DNS messages (RFC 1035) to the DNS server
 * (firmware/net/dnss.c), over UDP through lwIP and the unit tests'
 * lwip_harness, and straight into dnss_answer() with a reply buffer of
 * exactly the room it is told (so ASan sees one byte written too far).
 * Layer: tests/fuzz.
 *
 * Input: up to FUZZ_DNS_MAX_MSGS records, each
 *   u8 room    reply room for the direct dnss_answer() call: room * 2 bytes
 *              (0..510; DNSS_REPLY_MAX is below that)
 *   u8 sport   UDP source port 1024 + sport * 16 (a few distinct clients)
 *   u16 len    then len bytes of DNS message (UDP payload to port 53)
 * Oracle: ASan/UBSan, the reply dnss_answer() returns fits its room, and
 * harness_teardown() finds every lwIP pool and the heap idle again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "config.h"
#include "dnss.h"
#include "ident.h"
#include "lwip_harness.h"

#define FUZZ_DNS_MAX_MSGS 6u
#define FUZZ_DNS_MAX_LEN  (HARNESS_FRAME_MAX - 42u)

FUZZ_DEFAULT_INITIALIZE

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t host_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x10, 0x00};
    static const uint8_t host_ip[4] = {192, 168, 7, 2};
    static uint8_t frame[HARNESS_FRAME_MAX];
    uint8_t dev_mac[6];
    fuzz_in_t in;

    fuzz_in_init(&in, data, size);
    ident_device_mac(dev_mac);
    harness_init();
    dnss_init();
    harness_on_teardown(dnss_deinit);   /* its TCP listener and connections */
    harness_mark();
    harness_arp_seed(host_ip, host_mac);

    for (unsigned m = 0; m < FUZZ_DNS_MAX_MSGS && fuzz_in_more(&in); m++) {
        uint16_t room = (uint16_t)(fuzz_u8(&in) * 2u);
        uint16_t sport = (uint16_t)(1024u + fuzz_u8(&in) * 16u);
        uint16_t qlen;
        const uint8_t *q = fuzz_record(&in, FUZZ_DNS_MAX_LEN, &qlen);

        /* exactly room bytes (at least one, so the pointer is valid) */
        uint8_t *out = malloc(room ? room : 1u);
        if (out == NULL) {
            abort();
        }
        uint16_t n = dnss_answer(q, qlen, out, room);
        if (n > room) {
            fprintf(stderr, "dnss_answer: %u bytes into room %u\n", n, room);
            abort();
        }
        free(out);

        uint16_t flen = harness_build_udp(frame, sizeof frame, host_mac, dev_mac, host_ip,
                                          fw_config.ip, sport, 53, q, qlen);
        if (flen != 0) {
            harness_input(frame, flen);
        }
        harness_out_clear();
    }
    harness_teardown();
    return 0;
}
