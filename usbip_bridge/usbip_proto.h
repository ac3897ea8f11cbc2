/*
 * usbip_proto.h - the USB/IP wire protocol (Linux Documentation/usb/
 * usbip_protocol.rst, protocol version 1.1.1): pure pack/unpack functions over
 * byte buffers, no I/O, no allocation.
 *
 * Layer: usbip_bridge (host only). Includes <stdint.h>/<stddef.h>/<stdbool.h>.
 * All multi-byte fields are big-endian (network order). Every unpack checks
 * the length it is given and each field's range; callers treat any negative
 * result as "malformed, close the connection".
 * Limits: USBIP_MAX_TRANSFER bytes per URB; isochronous URBs are rejected
 * (our device has no isochronous endpoint).
 */
#ifndef USBIP_PROTO_H
#define USBIP_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef USBIP_MAX_TRANSFER      /* largest transfer_buffer_length accepted */
#define USBIP_MAX_TRANSFER 16384u
#endif

#define USBIP_VERSION           0x0111u

/* Operation codes of the "OP" phase (before import) */
#define USBIP_OP_REQ_DEVLIST    0x8005u
#define USBIP_OP_REP_DEVLIST    0x0005u
#define USBIP_OP_REQ_IMPORT     0x8003u
#define USBIP_OP_REP_IMPORT     0x0003u

/* Status values of OP replies (usbip_common.h: ST_OK, ST_NA, ST_DEV_BUSY, ...) */
#define USBIP_ST_OK             0u
#define USBIP_ST_NA             1u
#define USBIP_ST_DEV_BUSY       2u
#define USBIP_ST_DEV_ERR        3u

/* Commands of the URB phase */
#define USBIP_CMD_SUBMIT        0x00000001u
#define USBIP_CMD_UNLINK        0x00000002u
#define USBIP_RET_SUBMIT        0x00000003u
#define USBIP_RET_UNLINK        0x00000004u

#define USBIP_DIR_OUT           0u
#define USBIP_DIR_IN            1u

#define USBIP_SPEED_FULL        2u          /* enum usb_device_speed */
#define USBIP_URB_SHORT_NOT_OK  0x00000001u /* transfer_flags (Linux URB_SHORT_NOT_OK) */
#define USBIP_URB_ZERO_PACKET   0x00000040u /* transfer_flags */
#define USBIP_NO_ISO            0xFFFFFFFFu /* number_of_packets of non-ISO URBs */

#define USBIP_OP_HDR_SIZE       8u
#define USBIP_PATH_SIZE         256u
#define USBIP_BUSID_SIZE        32u
#define USBIP_DEV_SIZE          312u
#define USBIP_INTF_SIZE         4u
#define USBIP_REQ_IMPORT_SIZE   (USBIP_OP_HDR_SIZE + USBIP_BUSID_SIZE)
#define USBIP_HDR_SIZE          48u
#define USBIP_ISO_DESC_SIZE     16u

/* Negative results of the parse functions */
#define USBIP_E_VERSION   (-1)
#define USBIP_E_CODE      (-2)  /* unknown operation or command */
#define USBIP_E_FIELD     (-3)  /* a field out of range */
#define USBIP_E_LENGTH    (-4)  /* transfer_buffer_length > USBIP_MAX_TRANSFER */
#define USBIP_E_ISO       (-5)
#define USBIP_E_ROOM      (-6)  /* output buffer too small */

typedef struct {
    uint16_t version;
    uint16_t code;
    uint32_t status;
} usbip_op_hdr_t;

/* The 312-byte exported device record */
typedef struct {
    char path[USBIP_PATH_SIZE];
    char busid[USBIP_BUSID_SIZE];   /* bytes, not necessarily NUL-terminated */
    uint32_t busnum;
    uint32_t devnum;
    uint32_t speed;
    uint16_t idVendor;
    uint16_t idProduct;
    uint16_t bcdDevice;
    uint8_t bDeviceClass;
    uint8_t bDeviceSubClass;
    uint8_t bDeviceProtocol;
    uint8_t bConfigurationValue;
    uint8_t bNumConfigurations;
    uint8_t bNumInterfaces;
} usbip_dev_t;

typedef struct {
    uint8_t bInterfaceClass;
    uint8_t bInterfaceSubClass;
    uint8_t bInterfaceProtocol;
} usbip_intf_t;

/* One OP request: DEVLIST or IMPORT (busid set only for IMPORT) */
typedef struct {
    uint16_t code;
    uint8_t busid[USBIP_BUSID_SIZE];
} usbip_op_req_t;

/* The 48-byte header of the URB phase; which union member is valid follows
 * from command. */
typedef struct {
    uint32_t command;
    uint32_t seqnum;
    uint32_t devid;
    uint32_t direction;
    uint32_t ep;
    union {
        struct {
            uint32_t transfer_flags;
            uint32_t transfer_buffer_length;
            uint32_t start_frame;
            uint32_t number_of_packets;
            uint32_t interval;
            uint8_t setup[8];
        } submit;
        struct {
            uint32_t unlink_seqnum;
        } unlink;
        struct {
            int32_t status;
            uint32_t actual_length;
            uint32_t start_frame;
            uint32_t number_of_packets;
            uint32_t error_count;
        } ret_submit;
        struct {
            int32_t status;
        } ret_unlink;
    } u;
} usbip_hdr_t;

/* Pack functions return the bytes written, or 0 when room is too small. */
size_t usbip_pack_op_hdr(uint8_t *out, size_t room, const usbip_op_hdr_t *h);
size_t usbip_pack_dev(uint8_t *out, size_t room, const usbip_dev_t *d);
size_t usbip_pack_intf(uint8_t *out, size_t room, const usbip_intf_t *i);
size_t usbip_pack_hdr(uint8_t *out, size_t room, const usbip_hdr_t *h);

/* Unpack functions of fixed-size records: 0 on success, USBIP_E_ROOM when
 * len is short, another negative value when a field is out of range. */
int usbip_unpack_op_hdr(const uint8_t *in, size_t len, usbip_op_hdr_t *h);
int usbip_unpack_dev(const uint8_t *in, size_t len, usbip_dev_t *d);
int usbip_unpack_intf(const uint8_t *in, size_t len, usbip_intf_t *i);
/* Any of the four commands; checks command, direction (0/1), ep (0..15) and,
 * for CMD_SUBMIT, transfer_buffer_length <= USBIP_MAX_TRANSFER. */
int usbip_unpack_hdr(const uint8_t *in, size_t len, usbip_hdr_t *h);

/* Stream parsers for what a server receives. Return the length of the whole
 * message (> 0) once it is complete in in[0..len), 0 when more bytes are
 * needed, or a negative USBIP_E_* when it can never become valid (checked as
 * early as possible, so a hostile length never makes us wait for it). */
int usbip_parse_op_req(const uint8_t *in, size_t len, usbip_op_req_t *req);
/* CMD_SUBMIT (with its OUT data, *data points at it) or CMD_UNLINK. ISO
 * (number_of_packets other than 0 and 0xFFFFFFFF) -> USBIP_E_ISO. */
int usbip_parse_cmd(const uint8_t *in, size_t len, usbip_hdr_t *h, const uint8_t **data);

const char *usbip_strerror(int err);

#endif
