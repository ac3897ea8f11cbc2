/*
 * usbdesc.c - guest-side probe for the NCM kernel test: reads a device's BOS
 * descriptor and its Microsoft OS 2.0 descriptor set through usbfs
 * (USBDEVFS_CONTROL on /dev/bus/usb/BBB/DDD), as Windows fetches them, and
 * prints them as hex for the host to check.
 *   usbdesc VID:PID
 * Output: "RESULT bos HEX", "RESULT msos20 HEX" and "RESULT msos20_index8 X"
 * (X = stall when the device refuses wIndex 8, else what happened); "-" for
 * a value it could not get. Exit 0 when the device was found, 1 otherwise.
 * Layer: test infrastructure, guest side; compiled static by build-guest.sh
 * (busybox has no lsusb). Linux headers only. Every read is bounded.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <dirent.h>
#include <linux/usbdevice_fs.h>

static int read_sysfs(const char *dir, const char *name, char *out, size_t room)
{
    char path[512];
    snprintf(path, sizeof path, "/sys/bus/usb/devices/%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return -1;
    }
    if (fgets(out, (int)room, f) == NULL) {
        fclose(f);
        return -1;
    }
    fclose(f);
    out[strcspn(out, "\n")] = '\0';
    return 0;
}

static int ctrl(int fd, unsigned char type, unsigned char req, unsigned short value,
                unsigned short index, unsigned char *buf, unsigned short len)
{
    struct usbdevfs_ctrltransfer c = {
        .bRequestType = type, .bRequest = req, .wValue = value, .wIndex = index,
        .wLength = len, .timeout = 2000, .data = buf,
    };
    return ioctl(fd, USBDEVFS_CONTROL, &c);
}

static void hex(const char *key, const unsigned char *b, int n)
{
    printf("RESULT %s ", key);
    if (n <= 0) {
        printf("-");
    }
    for (int i = 0; i < n; i++) {
        printf("%02x", b[i]);
    }
    printf("\n");
}

/* MS OS 2.0 platform capability UUID {D8DD60DF-4589-4CC7-9CD2-659D9E648A9F} */
static const unsigned char ms_uuid[16] = {0xDF, 0x60, 0xDD, 0xD8, 0x89, 0x45, 0xC7, 0x4C,
                                          0x9C, 0xD2, 0x65, 0x9D, 0x9E, 0x64, 0x8A, 0x9F};

int main(int argc, char **argv)
{
    char want[16], vid[16], pid[16], bus[16], dev[16], path[64];
    unsigned char bos[256], set[1024];
    DIR *d;
    struct dirent *e;
    int fd = -1;

    if (argc != 2 || strlen(argv[1]) != 9) {
        fprintf(stderr, "usage: usbdesc VID:PID\n");
        return 2;
    }
    snprintf(want, sizeof want, "%s", argv[1]);
    d = opendir("/sys/bus/usb/devices");
    while (d != NULL && fd < 0 && (e = readdir(d)) != NULL) {
        if (read_sysfs(e->d_name, "idVendor", vid, sizeof vid) != 0 ||
            read_sysfs(e->d_name, "idProduct", pid, sizeof pid) != 0 ||
            strncmp(want, vid, 4) != 0 || strcmp(want + 5, pid) != 0 ||
            read_sysfs(e->d_name, "busnum", bus, sizeof bus) != 0 ||
            read_sysfs(e->d_name, "devnum", dev, sizeof dev) != 0) {
            continue;
        }
        snprintf(path, sizeof path, "/dev/bus/usb/%03d/%03d", atoi(bus), atoi(dev));
        fd = open(path, O_RDWR);
        if (fd < 0) {
            printf("GUEST usbdesc: open %s: %s\n", path, strerror(errno));
        }
    }
    if (d != NULL) {
        closedir(d);
    }
    if (fd < 0) {
        printf("RESULT bos -\nRESULT msos20 -\nRESULT msos20_index8 -\n");
        return 1;
    }
    /* USB 3.2 9.6.2: the 5-byte header first, then wTotalLength */
    int n = ctrl(fd, 0x80, 6, 0x0F00, 0, bos, 5);
    int total = n == 5 ? bos[2] | (bos[3] << 8) : 0;
    if (total > (int)sizeof bos) {
        total = (int)sizeof bos;
    }
    n = total >= 5 ? ctrl(fd, 0x80, 6, 0x0F00, 0, bos, (unsigned short)total) : -1;
    hex("bos", bos, n);
    /* find the MS OS 2.0 platform capability: vendor code and set length */
    int code = -1, setlen = 0;
    for (int off = 5; n > 0 && off + 3 <= n && bos[off] >= 3; off += bos[off]) {
        if (bos[off + 1] == 0x10 && bos[off + 2] == 0x05 && bos[off] >= 28 && off + 28 <= n &&
            memcmp(&bos[off + 4], ms_uuid, 16) == 0) {
            setlen = bos[off + 24] | (bos[off + 25] << 8);
            code = bos[off + 26];
        }
    }
    if (setlen > (int)sizeof set) {
        setlen = (int)sizeof set;
    }
    n = code >= 0 && setlen > 0 ? ctrl(fd, 0xC0, (unsigned char)code, 0, 7, set,
                                       (unsigned short)setlen) : -1;
    hex("msos20", set, n);
    if (code >= 0) {
        n = ctrl(fd, 0xC0, (unsigned char)code, 0, 8, set, 16);
        printf("RESULT msos20_index8 %s\n", n < 0 && errno == EPIPE ? "stall" : n < 0 ? "error" : "data");
    } else {
        printf("RESULT msos20_index8 -\n");
    }
    close(fd);
    return 0;
}
