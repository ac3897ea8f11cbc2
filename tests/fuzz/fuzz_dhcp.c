/*
 * fuzz_dhcp.c - libFuzzer target: DHCP datagrams into the DHCP server
 * (firmware/net/dhcps.c, RFC 2131/2132) through lwIP and the unit tests'
 * lwip_harness. Layer: tests/fuzz.
 *
 * Input: up to FUZZ_DHCP_MAX_MSGS records, each
 *   u8 flags   bit0: unicast from 192.168.7.<2 + flags/16> to the device, else
 *                    broadcast from 0.0.0.0 (a client without an address);
 *              bits1-3: which of 8 client MACs sends it
 *   u8 dt      lwIP timers advanced by dt * 1 s afterwards (leases age on
 *              a 60 s timer, so a few records cross expiry)
 *   u16 len    then len bytes of BOOTP/DHCP payload (UDP 68 -> 67)
 * Oracle: ASan/UBSan, and harness_teardown() after every input: every lwIP
 * pool and the heap back to their idle counts (nothing leaked).
 */
#include <string.h>

#include "fuzz_common.h"
#include "dhcps.h"
#include "fake_board.h"
#include "lwip_harness.h"
#include "config.h"
#include "ident.h"

#define FUZZ_DHCP_MAX_MSGS 8u
#define FUZZ_DHCP_MAX_LEN  (HARNESS_FRAME_MAX - 42u)

/* The client's who-has for the device (RFC 826), so lwIP knows its MAC.
 * Not harness_arp_seed(): that insists on exactly one frame out, but lwIP
 * also sends the packet it held for that address (one per ARP entry). */
static void arp_from(const uint8_t ip[4], const uint8_t mac[6])
{
    uint8_t f[42];
    memset(f, 0xff, 6);
    memcpy(f + 6, mac, 6);
    f[12] = 0x08, f[13] = 0x06;
    f[14] = 0, f[15] = 1, f[16] = 0x08, f[17] = 0, f[18] = 6, f[19] = 4, f[20] = 0, f[21] = 1;
    memcpy(f + 22, mac, 6);
    memcpy(f + 28, ip, 4);
    memset(f + 32, 0, 6);
    memcpy(f + 38, fw_config.ip, 4);
    harness_input(f, sizeof f);
    harness_out_clear();
}

FUZZ_DEFAULT_INITIALIZE

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t bcast_mac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    static const uint8_t bcast_ip[4] = {255, 255, 255, 255};
    static const uint8_t zero_ip[4];
    static uint8_t frame[HARNESS_FRAME_MAX];
    fuzz_in_t in;

    fuzz_in_init(&in, data, size);
    harness_init();
    dhcps_init();
    harness_on_teardown(dhcps_deinit);
    harness_mark();

    for (unsigned m = 0; m < FUZZ_DHCP_MAX_MSGS && fuzz_in_more(&in); m++) {
        uint8_t flags = fuzz_u8(&in);
        uint8_t dt = fuzz_u8(&in);
        uint16_t plen;
        const uint8_t *payload = fuzz_record(&in, FUZZ_DHCP_MAX_LEN, &plen);
        uint8_t mac[6] = {0x02, 0x00, 0x00, 0x00, 0x10, (uint8_t)((flags >> 1) & 7u)};
        uint8_t src_ip[4] = {fw_config.ip[0], fw_config.ip[1], fw_config.ip[2], (uint8_t)(2u + (flags >> 4))};
        uint16_t n;

        if (flags & 1u) {
            uint8_t dev_mac[6];
            ident_device_mac(dev_mac);
            arp_from(src_ip, mac);
            n = harness_build_udp(frame, sizeof frame, mac, dev_mac, src_ip, fw_config.ip, 68,
                                  67, payload, plen);
        } else {
            n = harness_build_udp(frame, sizeof frame, mac, bcast_mac, zero_ip, bcast_ip, 68, 67,
                                  payload, plen);
        }
        if (n != 0) {
            harness_input(frame, n);
        }
        harness_out_clear();
        harness_advance_steps((uint32_t)dt * 1000u, 1000u);
        harness_out_clear();
    }
    harness_teardown();
    return 0;
}
