/*
 * ident.c - serial number and MAC addresses from the board's unique ID.
 * Layer: portable. The MACs come from a 32-bit FNV-1a hash of the ID, so two
 * boards of one wafer (IDs differ in few bits) still get unrelated MACs.
 */
#include "ident.h"
#include "board.h"

static const char hexdig[] = "0123456789ABCDEF";

uint32_t ident_fnv1a(const uint8_t *p, unsigned n, uint32_t h)
{
    for (unsigned i = 0; i < n; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

void ident_host_mac(uint8_t mac[6])
{
    uint8_t id[BOARD_UID_LEN];
    board_unique_id(id);
    uint32_t h1 = ident_fnv1a(id, BOARD_UID_LEN, 2166136261u);
    uint32_t h2 = ident_fnv1a(id, BOARD_UID_LEN, h1 ^ 0x5bd1e995u);
    mac[0] = 0x02;  /* locally administered, unicast */
    mac[1] = (uint8_t)(h1 >> 24);
    mac[2] = (uint8_t)(h1 >> 16);
    mac[3] = (uint8_t)(h1 >> 8);
    mac[4] = (uint8_t)h1;
    mac[5] = (uint8_t)h2;
}

void ident_device_mac(uint8_t mac[6])
{
    ident_host_mac(mac);
    mac[0] = 0x06;  /* still locally administered unicast, never equal to the host's */
}

void ident_serial(char out[IDENT_SERIAL_LEN + 1u])
{
    uint8_t id[BOARD_UID_LEN];
    board_unique_id(id);
    for (unsigned i = 0; i < BOARD_UID_LEN; i++) {
        out[2 * i] = hexdig[id[i] >> 4];
        out[2 * i + 1] = hexdig[id[i] & 0x0F];
    }
    out[IDENT_SERIAL_LEN] = '\0';
}

void ident_host_mac_string(char out[13])
{
    uint8_t mac[6];
    ident_host_mac(mac);
    for (unsigned i = 0; i < 6; i++) {
        out[2 * i] = hexdig[mac[i] >> 4];
        out[2 * i + 1] = hexdig[mac[i] & 0x0F];
    }
    out[12] = '\0';
}
