/*
 * usbip_proto.c - pack/unpack of USB/IP messages (see usbip_proto.h).
 *
 * Layer: usbip_bridge (host only). Includes <string.h> and usbip_proto.h only:
 * pure functions over caller-provided buffers, no I/O, no allocation.
 * Byte order: every field is big-endian (usbip_protocol.rst, "all fields are
 * in network byte order"); helpers below do it byte by byte, so the code does
 * not depend on the host's endianness or on struct layout.
 */
#include <string.h>

#include "usbip_proto.h"

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(((unsigned)p[0] << 8) | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

size_t usbip_pack_op_hdr(uint8_t *out, size_t room, const usbip_op_hdr_t *h)
{
    if (out == NULL || h == NULL || room < USBIP_OP_HDR_SIZE) {
        return 0;
    }
    put16(out, h->version);
    put16(out + 2, h->code);
    put32(out + 4, h->status);
    return USBIP_OP_HDR_SIZE;
}

int usbip_unpack_op_hdr(const uint8_t *in, size_t len, usbip_op_hdr_t *h)
{
    if (in == NULL || h == NULL || len < USBIP_OP_HDR_SIZE) {
        return USBIP_E_ROOM;
    }
    h->version = get16(in);
    h->code = get16(in + 2);
    h->status = get32(in + 4);
    return 0;
}

/* Offsets inside the 312-byte device record (usbip_protocol.rst, OP_REP_DEVLIST
 * 0x0C..0x143, the same record follows OP_REP_IMPORT at 0x08). */
enum {
    DEV_PATH = 0,
    DEV_BUSID = 256,
    DEV_BUSNUM = 288,
    DEV_DEVNUM = 292,
    DEV_SPEED = 296,
    DEV_VID = 300,
    DEV_PID = 302,
    DEV_BCD = 304,
    DEV_CLASS = 306,
    DEV_SUBCLASS = 307,
    DEV_PROTOCOL = 308,
    DEV_CONFVAL = 309,
    DEV_NUMCONF = 310,
    DEV_NUMINTF = 311,
};

size_t usbip_pack_dev(uint8_t *out, size_t room, const usbip_dev_t *d)
{
    if (out == NULL || d == NULL || room < USBIP_DEV_SIZE) {
        return 0;
    }
    memcpy(out + DEV_PATH, d->path, USBIP_PATH_SIZE);
    memcpy(out + DEV_BUSID, d->busid, USBIP_BUSID_SIZE);
    put32(out + DEV_BUSNUM, d->busnum);
    put32(out + DEV_DEVNUM, d->devnum);
    put32(out + DEV_SPEED, d->speed);
    put16(out + DEV_VID, d->idVendor);
    put16(out + DEV_PID, d->idProduct);
    put16(out + DEV_BCD, d->bcdDevice);
    out[DEV_CLASS] = d->bDeviceClass;
    out[DEV_SUBCLASS] = d->bDeviceSubClass;
    out[DEV_PROTOCOL] = d->bDeviceProtocol;
    out[DEV_CONFVAL] = d->bConfigurationValue;
    out[DEV_NUMCONF] = d->bNumConfigurations;
    out[DEV_NUMINTF] = d->bNumInterfaces;
    return USBIP_DEV_SIZE;
}

int usbip_unpack_dev(const uint8_t *in, size_t len, usbip_dev_t *d)
{
    if (in == NULL || d == NULL || len < USBIP_DEV_SIZE) {
        return USBIP_E_ROOM;
    }
    memcpy(d->path, in + DEV_PATH, USBIP_PATH_SIZE);
    memcpy(d->busid, in + DEV_BUSID, USBIP_BUSID_SIZE);
    d->busnum = get32(in + DEV_BUSNUM);
    d->devnum = get32(in + DEV_DEVNUM);
    d->speed = get32(in + DEV_SPEED);
    d->idVendor = get16(in + DEV_VID);
    d->idProduct = get16(in + DEV_PID);
    d->bcdDevice = get16(in + DEV_BCD);
    d->bDeviceClass = in[DEV_CLASS];
    d->bDeviceSubClass = in[DEV_SUBCLASS];
    d->bDeviceProtocol = in[DEV_PROTOCOL];
    d->bConfigurationValue = in[DEV_CONFVAL];
    d->bNumConfigurations = in[DEV_NUMCONF];
    d->bNumInterfaces = in[DEV_NUMINTF];
    return 0;
}

size_t usbip_pack_intf(uint8_t *out, size_t room, const usbip_intf_t *i)
{
    if (out == NULL || i == NULL || room < USBIP_INTF_SIZE) {
        return 0;
    }
    out[0] = i->bInterfaceClass;
    out[1] = i->bInterfaceSubClass;
    out[2] = i->bInterfaceProtocol;
    out[3] = 0;  /* padding */
    return USBIP_INTF_SIZE;
}

int usbip_unpack_intf(const uint8_t *in, size_t len, usbip_intf_t *i)
{
    if (in == NULL || i == NULL || len < USBIP_INTF_SIZE) {
        return USBIP_E_ROOM;
    }
    i->bInterfaceClass = in[0];
    i->bInterfaceSubClass = in[1];
    i->bInterfaceProtocol = in[2];
    return 0;
}

size_t usbip_pack_hdr(uint8_t *out, size_t room, const usbip_hdr_t *h)
{
    if (out == NULL || h == NULL || room < USBIP_HDR_SIZE) {
        return 0;
    }
    memset(out, 0, USBIP_HDR_SIZE);  /* padding is zero on the wire */
    put32(out, h->command);
    put32(out + 4, h->seqnum);
    put32(out + 8, h->devid);
    put32(out + 12, h->direction);
    put32(out + 16, h->ep);
    switch (h->command) {
    case USBIP_CMD_SUBMIT:
        put32(out + 20, h->u.submit.transfer_flags);
        put32(out + 24, h->u.submit.transfer_buffer_length);
        put32(out + 28, h->u.submit.start_frame);
        put32(out + 32, h->u.submit.number_of_packets);
        put32(out + 36, h->u.submit.interval);
        memcpy(out + 40, h->u.submit.setup, 8);
        break;
    case USBIP_CMD_UNLINK:
        put32(out + 20, h->u.unlink.unlink_seqnum);
        break;
    case USBIP_RET_SUBMIT:
        put32(out + 20, (uint32_t)h->u.ret_submit.status);
        put32(out + 24, h->u.ret_submit.actual_length);
        put32(out + 28, h->u.ret_submit.start_frame);
        put32(out + 32, h->u.ret_submit.number_of_packets);
        put32(out + 36, h->u.ret_submit.error_count);
        break;
    case USBIP_RET_UNLINK:
        put32(out + 20, (uint32_t)h->u.ret_unlink.status);
        break;
    default:
        return 0;
    }
    return USBIP_HDR_SIZE;
}

int usbip_unpack_hdr(const uint8_t *in, size_t len, usbip_hdr_t *h)
{
    if (in == NULL || h == NULL || len < USBIP_HDR_SIZE) {
        return USBIP_E_ROOM;
    }
    memset(h, 0, sizeof *h);
    h->command = get32(in);
    h->seqnum = get32(in + 4);
    h->devid = get32(in + 8);
    h->direction = get32(in + 12);
    h->ep = get32(in + 16);
    switch (h->command) {
    case USBIP_CMD_SUBMIT:
        h->u.submit.transfer_flags = get32(in + 20);
        h->u.submit.transfer_buffer_length = get32(in + 24);
        h->u.submit.start_frame = get32(in + 28);
        h->u.submit.number_of_packets = get32(in + 32);
        h->u.submit.interval = get32(in + 36);
        memcpy(h->u.submit.setup, in + 40, 8);
        if (h->u.submit.transfer_buffer_length > USBIP_MAX_TRANSFER) {
            return USBIP_E_LENGTH;
        }
        break;
    case USBIP_CMD_UNLINK:
        h->u.unlink.unlink_seqnum = get32(in + 20);
        break;
    case USBIP_RET_SUBMIT:
        h->u.ret_submit.status = (int32_t)get32(in + 20);
        h->u.ret_submit.actual_length = get32(in + 24);
        h->u.ret_submit.start_frame = get32(in + 28);
        h->u.ret_submit.number_of_packets = get32(in + 32);
        h->u.ret_submit.error_count = get32(in + 36);
        if (h->u.ret_submit.actual_length > USBIP_MAX_TRANSFER) {
            return USBIP_E_LENGTH;
        }
        break;
    case USBIP_RET_UNLINK:
        h->u.ret_unlink.status = (int32_t)get32(in + 20);
        break;
    default:
        return USBIP_E_CODE;
    }
    /* USB endpoint numbers are 4 bits (USB 2.0 9.6.6); direction is 0 or 1. */
    if (h->direction > USBIP_DIR_IN || h->ep > 15u) {
        return USBIP_E_FIELD;
    }
    return 0;
}

int usbip_parse_op_req(const uint8_t *in, size_t len, usbip_op_req_t *req)
{
    usbip_op_hdr_t h;
    if (in == NULL || req == NULL) {
        return USBIP_E_FIELD;
    }
    /* Judge every byte as soon as it is there: a client that sent a wrong
     * version is dropped without waiting for the rest. */
    if (len >= 1u && in[0] != (uint8_t)(USBIP_VERSION >> 8)) {
        return USBIP_E_VERSION;
    }
    if (len >= 2u && in[1] != (uint8_t)USBIP_VERSION) {
        return USBIP_E_VERSION;
    }
    if (len >= 3u && in[2] != 0x80u) {
        return USBIP_E_CODE;  /* requests all have the 0x80 request bit */
    }
    if (len < USBIP_OP_HDR_SIZE) {
        return 0;
    }
    (void)usbip_unpack_op_hdr(in, len, &h);
    memset(req, 0, sizeof *req);
    req->code = h.code;
    if (h.status != USBIP_ST_OK) {
        return USBIP_E_FIELD;  /* requests carry status 0 */
    }
    if (h.code == USBIP_OP_REQ_DEVLIST) {
        return (int)USBIP_OP_HDR_SIZE;
    }
    if (h.code != USBIP_OP_REQ_IMPORT) {
        return USBIP_E_CODE;
    }
    if (len < USBIP_REQ_IMPORT_SIZE) {
        return 0;
    }
    memcpy(req->busid, in + USBIP_OP_HDR_SIZE, USBIP_BUSID_SIZE);
    return (int)USBIP_REQ_IMPORT_SIZE;
}

int usbip_parse_cmd(const uint8_t *in, size_t len, usbip_hdr_t *h, const uint8_t **data)
{
    if (in == NULL || h == NULL || data == NULL) {
        return USBIP_E_FIELD;
    }
    *data = NULL;
    /* The command word comes first: reject unknown ones without waiting. */
    if (len >= 4u) {
        uint32_t cmd = get32(in);
        if (cmd != USBIP_CMD_SUBMIT && cmd != USBIP_CMD_UNLINK) {
            return USBIP_E_CODE;
        }
    }
    if (len < USBIP_HDR_SIZE) {
        return 0;
    }
    int rc = usbip_unpack_hdr(in, len, h);
    if (rc < 0) {
        return rc;
    }
    if (h->command == USBIP_CMD_UNLINK) {
        return (int)USBIP_HDR_SIZE;
    }
    uint32_t np = h->u.submit.number_of_packets;
    if (np != 0u && np != USBIP_NO_ISO) {
        return USBIP_E_ISO;
    }
    size_t total = USBIP_HDR_SIZE;
    if (h->direction == USBIP_DIR_OUT) {
        total += h->u.submit.transfer_buffer_length;  /* bounded by unpack */
    }
    if (len < total) {
        return 0;
    }
    if (total > USBIP_HDR_SIZE) {
        *data = in + USBIP_HDR_SIZE;
    }
    return (int)total;
}

const char *usbip_strerror(int err)
{
    switch (err) {
    case USBIP_E_VERSION: return "unsupported protocol version";
    case USBIP_E_CODE: return "unknown operation/command code";
    case USBIP_E_FIELD: return "field out of range";
    case USBIP_E_LENGTH: return "transfer length above the limit";
    case USBIP_E_ISO: return "isochronous URB (not supported)";
    case USBIP_E_ROOM: return "message too short";
    default: return "malformed message";
    }
}
