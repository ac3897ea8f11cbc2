/*
 * mdnsq.c - a one-shot mDNS querier for the end-to-end tests, built static
 * so it runs in the QEMU guest (busybox's nslookup connects its socket to
 * the server, so an answer to a query sent to 224.0.0.251 - which comes from
 * the responder's own address - never reaches it).
 *
 * Layer: test tool (host gcc, libc only). Usage:
 *   mdnsq legacy|multicast NAME LOCAL_IP [TRIES]
 * legacy: from an ephemeral port (RFC 6762 6.7), answer expected by unicast;
 * multicast: from port 5353 with the group joined on LOCAL_IP, answer
 * expected on 224.0.0.251. Sends to 224.0.0.251:5353 through LOCAL_IP's
 * interface (IP_MULTICAST_IF), TRIES times (default 3), waiting 1 s each.
 * Prints one line: "ANSWER from=IP:PORT id=0x.. qd=N an=N class=0x.. ttl=N
 * a=IP" for the first response that carries an A record, else "NOANSWER".
 * Exit status 0 either way, 2 on bad arguments or socket errors.
 * Limits: reads only the first answer record; names in it are skipped, never
 * followed; every read is checked against the datagram's length.
 */
#define _DEFAULT_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int skip_name(const uint8_t *m, int len, int p)
{
    while (p < len) {
        if ((m[p] & 0xC0) == 0xC0) {
            return p + 2 <= len ? p + 2 : -1;
        }
        if (m[p] == 0) {
            return p + 1;
        }
        p += 1 + m[p];
    }
    return -1;
}

static unsigned get16(const uint8_t *p) { return (unsigned)(p[0] << 8 | p[1]); }

int main(int argc, char **argv)
{
    if (argc < 4 || (strcmp(argv[1], "legacy") != 0 && strcmp(argv[1], "multicast") != 0)) {
        fprintf(stderr, "usage: mdnsq legacy|multicast NAME LOCAL_IP [TRIES]\n");
        return 2;
    }
    int legacy = strcmp(argv[1], "legacy") == 0;
    struct in_addr local, group;
    if (inet_aton(argv[3], &local) == 0 || inet_aton("224.0.0.251", &group) == 0) {
        fprintf(stderr, "mdnsq: bad address %s\n", argv[3]);
        return 2;
    }
    int tries = argc > 4 ? atoi(argv[4]) : 3;
    if (tries < 1 || tries > 30) {
        fprintf(stderr, "mdnsq: TRIES must be 1..30\n");
        return 2;
    }
    uint8_t q[300];
    size_t n = 12;
    memset(q, 0, 12);
    if (legacy) {
        q[0] = 0x2B;
        q[1] = 0x1D;
    }
    q[5] = 1;
    const char *name = argv[2];
    while (*name != '\0') {
        const char *dot = strchr(name, '.');
        size_t l = dot ? (size_t)(dot - name) : strlen(name);
        if (l == 0 || l > 63 || n + l + 6 > sizeof q) {
            fprintf(stderr, "mdnsq: bad name\n");
            return 2;
        }
        q[n++] = (uint8_t)l;
        memcpy(q + n, name, l);
        n += l;
        name += l + (dot ? 1 : 0);
    }
    q[n++] = 0;
    q[n++] = 0;
    q[n++] = 1;   /* A */
    q[n++] = 0;
    q[n++] = 1;   /* IN */

    int s = socket(AF_INET, SOCK_DGRAM, 0);
    int one = 1;
    unsigned char ttl = 255;
    struct sockaddr_in me = { .sin_family = AF_INET };
    me.sin_port = htons(legacy ? 0 : 5353);
    if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(s, (struct sockaddr *)&me, sizeof me) != 0 ||
        setsockopt(s, IPPROTO_IP, IP_MULTICAST_IF, &local, sizeof local) != 0 ||
        setsockopt(s, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl) != 0) {
        perror("mdnsq: socket");
        return 2;
    }
    if (!legacy) {
        struct ip_mreq mr = { .imr_multiaddr = group, .imr_interface = local };
        if (setsockopt(s, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof mr) != 0) {
            perror("mdnsq: IP_ADD_MEMBERSHIP");
            return 2;
        }
    }
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(5353), .sin_addr = group };
    for (int t = 0; t < tries; t++) {
        if (sendto(s, q, n, 0, (struct sockaddr *)&to, sizeof to) < 0) {
            perror("mdnsq: sendto");
            return 2;
        }
        struct pollfd pf = { .fd = s, .events = POLLIN };
        while (poll(&pf, 1, 1000) == 1) {
            uint8_t m[1500];
            struct sockaddr_in from;
            socklen_t fl = sizeof from;
            int len = (int)recvfrom(s, m, sizeof m, 0, (struct sockaddr *)&from, &fl);
            if (len < 12 || (m[2] & 0x80) == 0 || get16(m + 6) == 0) {
                continue;   /* a query (ours, looped back) or no answer */
            }
            int p = 12;
            for (unsigned i = 0; i < get16(m + 4) && p >= 0; i++) {
                p = skip_name(m, len, p);
                p = (p >= 0 && p + 4 <= len) ? p + 4 : -1;
            }
            p = p >= 0 ? skip_name(m, len, p) : -1;
            if (p < 0 || p + 14 > len || get16(m + p) != 1 || get16(m + p + 8) != 4) {
                continue;
            }
            char fromip[16], aip[16];
            inet_ntop(AF_INET, &from.sin_addr, fromip, sizeof fromip);
            inet_ntop(AF_INET, m + p + 10, aip, sizeof aip);
            printf("ANSWER from=%s:%u id=0x%x qd=%u an=%u class=0x%x ttl=%lu a=%s\n", fromip,
                   ntohs(from.sin_port), get16(m), get16(m + 4), get16(m + 6), get16(m + p + 2),
                   (unsigned long)get16(m + p + 4) << 16 | get16(m + p + 6), aip);
            return 0;
        }
    }
    printf("NOANSWER\n");
    close(s);
    return 0;
}
