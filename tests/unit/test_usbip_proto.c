/* test_usbip_proto.c - USB/IP wire format (usbip_bridge/usbip_proto.c): every
 * message packed to the exact bytes written out by hand from
 * Documentation/usb/usbip_protocol.rst, unpacked back, every truncated length
 * and every out-of-range field rejected. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "usbip_proto.h"

static void test_op_hdr_bytes(void **state)
{
    (void)state;
    uint8_t out[16];
    usbip_op_hdr_t h = {.version = USBIP_VERSION, .code = USBIP_OP_REP_IMPORT, .status = 2};
    const uint8_t want[8] = {0x01, 0x11, 0x00, 0x03, 0x00, 0x00, 0x00, 0x02};
    assert_int_equal(usbip_pack_op_hdr(out, sizeof out, &h), 8);
    assert_memory_equal(out, want, 8);
    assert_int_equal(usbip_pack_op_hdr(out, 7, &h), 0);
    usbip_op_hdr_t back;
    assert_int_equal(usbip_unpack_op_hdr(want, 8, &back), 0);
    assert_int_equal(back.version, 0x0111);
    assert_int_equal(back.code, 0x0003);
    assert_int_equal(back.status, 2);
    for (size_t n = 0; n < 8; n++) {
        assert_int_equal(usbip_unpack_op_hdr(want, n, &back), USBIP_E_ROOM);
    }
}

static void test_dev_record_bytes(void **state)
{
    (void)state;
    usbip_dev_t d;
    memset(&d, 0, sizeof d);
    strcpy(d.path, "/sys/x");
    strcpy(d.busid, "1-1");
    d.busnum = 1;
    d.devnum = 2;
    d.speed = USBIP_SPEED_FULL;
    d.idVendor = 0x1209;
    d.idProduct = 0x0001;
    d.bcdDevice = 0x0100;
    d.bDeviceClass = 0x02;
    d.bDeviceSubClass = 0x00;
    d.bDeviceProtocol = 0x00;
    d.bConfigurationValue = 1;
    d.bNumConfigurations = 1;
    d.bNumInterfaces = 2;

    uint8_t want[312];
    memset(want, 0, sizeof want);
    memcpy(want, "/sys/x", 6);
    memcpy(want + 256, "1-1", 3);
    const uint8_t tail[24] = {0, 0, 0, 1,   0, 0, 0, 2,   0, 0, 0, 2,
                              0x12, 0x09, 0x00, 0x01, 0x01, 0x00,
                              0x02, 0x00, 0x00, 0x01, 0x01, 0x02};
    memcpy(want + 288, tail, sizeof tail);

    uint8_t out[400];
    memset(out, 0xEE, sizeof out);
    assert_int_equal(usbip_pack_dev(out, sizeof out, &d), 312);
    assert_memory_equal(out, want, 312);
    assert_int_equal(out[312], 0xEE);  /* nothing written past the record */
    assert_int_equal(usbip_pack_dev(out, 311, &d), 0);

    usbip_dev_t back;
    assert_int_equal(usbip_unpack_dev(want, 312, &back), 0);
    assert_memory_equal(&back, &d, sizeof d);
    assert_int_equal(usbip_unpack_dev(want, 311, &back), USBIP_E_ROOM);
    assert_int_equal(usbip_unpack_dev(want, 0, &back), USBIP_E_ROOM);
}

static void test_intf_record_bytes(void **state)
{
    (void)state;
    usbip_intf_t i = {0x02, 0x06, 0x00}, back;
    uint8_t out[4] = {9, 9, 9, 9};
    const uint8_t want[4] = {0x02, 0x06, 0x00, 0x00};
    assert_int_equal(usbip_pack_intf(out, 4, &i), 4);
    assert_memory_equal(out, want, 4);
    assert_int_equal(usbip_pack_intf(out, 3, &i), 0);
    assert_int_equal(usbip_unpack_intf(want, 4, &back), 0);
    assert_int_equal(back.bInterfaceSubClass, 0x06);
    assert_int_equal(usbip_unpack_intf(want, 3, &back), USBIP_E_ROOM);
}

static const uint8_t submit_out_bytes[48 + 3] = {
    0x00, 0x00, 0x00, 0x01,  /* command CMD_SUBMIT */
    0x00, 0x00, 0x00, 0x2A,  /* seqnum 42 */
    0x00, 0x01, 0x00, 0x02,  /* devid 1-2 */
    0x00, 0x00, 0x00, 0x00,  /* direction OUT */
    0x00, 0x00, 0x00, 0x02,  /* ep 2 */
    0x00, 0x00, 0x00, 0x40,  /* transfer_flags ZERO_PACKET */
    0x00, 0x00, 0x00, 0x03,  /* transfer_buffer_length 3 */
    0x00, 0x00, 0x00, 0x00,  /* start_frame */
    0xFF, 0xFF, 0xFF, 0xFF,  /* number_of_packets: not ISO */
    0x00, 0x00, 0x00, 0x00,  /* interval */
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,  /* setup */
    0xAA, 0xBB, 0xCC,        /* OUT data */
};

static void test_cmd_submit_bytes(void **state)
{
    (void)state;
    usbip_hdr_t h;
    memset(&h, 0, sizeof h);
    h.command = USBIP_CMD_SUBMIT;
    h.seqnum = 42;
    h.devid = 0x00010002;
    h.direction = USBIP_DIR_OUT;
    h.ep = 2;
    h.u.submit.transfer_flags = USBIP_URB_ZERO_PACKET;
    h.u.submit.transfer_buffer_length = 3;
    h.u.submit.number_of_packets = USBIP_NO_ISO;
    const uint8_t setup[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    memcpy(h.u.submit.setup, setup, 8);
    uint8_t out[48];
    assert_int_equal(usbip_pack_hdr(out, sizeof out, &h), 48);
    assert_memory_equal(out, submit_out_bytes, 48);
    assert_int_equal(usbip_pack_hdr(out, 47, &h), 0);

    usbip_hdr_t back;
    const uint8_t *data;
    assert_int_equal(usbip_parse_cmd(submit_out_bytes, sizeof submit_out_bytes, &back, &data), 51);
    assert_int_equal(back.seqnum, 42);
    assert_int_equal(back.devid, 0x00010002);
    assert_int_equal(back.ep, 2);
    assert_int_equal(back.u.submit.transfer_flags, 0x40);
    assert_int_equal(back.u.submit.transfer_buffer_length, 3);
    assert_memory_equal(back.u.submit.setup, setup, 8);
    assert_ptr_equal(data, submit_out_bytes + 48);
    /* every truncation of the message only asks for more bytes */
    for (size_t n = 0; n < sizeof submit_out_bytes; n++) {
        assert_int_equal(usbip_parse_cmd(submit_out_bytes, n, &back, &data), 0);
        if (n < 48) {
            assert_int_equal(usbip_unpack_hdr(submit_out_bytes, n, &back), USBIP_E_ROOM);
        }
    }
}

static void test_cmd_submit_in_has_no_data(void **state)
{
    (void)state;
    uint8_t msg[48];
    memcpy(msg, submit_out_bytes, 48);
    msg[15] = 0x01;                /* direction IN */
    msg[26] = 0x06; msg[27] = 0x00; /* transfer_buffer_length 1536 */
    msg[32] = msg[33] = msg[34] = msg[35] = 0;  /* number_of_packets 0 is fine too */
    usbip_hdr_t h;
    const uint8_t *data = (const uint8_t *)1;
    assert_int_equal(usbip_parse_cmd(msg, 48, &h, &data), 48);
    assert_null(data);
    assert_int_equal(h.direction, USBIP_DIR_IN);
    assert_int_equal(h.u.submit.transfer_buffer_length, 1536);
}

static void test_cmd_submit_rejects(void **state)
{
    (void)state;
    uint8_t msg[48];
    usbip_hdr_t h;
    const uint8_t *data;

    memcpy(msg, submit_out_bytes, 48);
    msg[24] = 0x7F;  /* absurd transfer_buffer_length, judged before the data */
    assert_int_equal(usbip_parse_cmd(msg, 48, &h, &data), USBIP_E_LENGTH);

    memcpy(msg, submit_out_bytes, 48);
    msg[26] = (uint8_t)((USBIP_MAX_TRANSFER + 1u) >> 8);
    msg[27] = (uint8_t)(USBIP_MAX_TRANSFER + 1u);
    assert_int_equal(usbip_parse_cmd(msg, 48, &h, &data), USBIP_E_LENGTH);

    memcpy(msg, submit_out_bytes, 48);
    msg[35] = 0x00; msg[32] = msg[33] = msg[34] = 0; msg[35] = 4;  /* 4 ISO packets */
    assert_int_equal(usbip_parse_cmd(msg, 48, &h, &data), USBIP_E_ISO);

    memcpy(msg, submit_out_bytes, 48);
    msg[15] = 2;  /* direction */
    assert_int_equal(usbip_parse_cmd(msg, 48, &h, &data), USBIP_E_FIELD);

    memcpy(msg, submit_out_bytes, 48);
    msg[19] = 16;  /* ep */
    assert_int_equal(usbip_parse_cmd(msg, 48, &h, &data), USBIP_E_FIELD);

    memcpy(msg, submit_out_bytes, 48);
    msg[3] = 3;  /* a RET_SUBMIT is no request */
    assert_int_equal(usbip_parse_cmd(msg, 4, &h, &data), USBIP_E_CODE);
    msg[0] = 0x80; msg[3] = 1;
    assert_int_equal(usbip_parse_cmd(msg, 4, &h, &data), USBIP_E_CODE);
    assert_int_equal(usbip_unpack_hdr(msg, 48, &h), USBIP_E_CODE);
}

static void test_unlink_and_returns_bytes(void **state)
{
    (void)state;
    usbip_hdr_t h, back;
    uint8_t out[48];
    const uint8_t *data;

    memset(&h, 0, sizeof h);
    h.command = USBIP_CMD_UNLINK;
    h.seqnum = 7;
    h.devid = 0x00010002;
    h.direction = USBIP_DIR_IN;
    h.ep = 2;
    h.u.unlink.unlink_seqnum = 5;
    uint8_t want[48] = {0, 0, 0, 2,  0, 0, 0, 7,  0, 1, 0, 2,  0, 0, 0, 1,  0, 0, 0, 2,
                        0, 0, 0, 5};
    assert_int_equal(usbip_pack_hdr(out, 48, &h), 48);
    assert_memory_equal(out, want, 48);
    assert_int_equal(usbip_parse_cmd(want, 48, &back, &data), 48);
    assert_int_equal(back.u.unlink.unlink_seqnum, 5);
    assert_int_equal(usbip_parse_cmd(want, 47, &back, &data), 0);

    memset(&h, 0, sizeof h);
    h.command = USBIP_RET_SUBMIT;
    h.seqnum = 42;
    h.u.ret_submit.status = -32;  /* -EPIPE */
    h.u.ret_submit.actual_length = 18;
    uint8_t want2[48] = {0, 0, 0, 3,  0, 0, 0, 42,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,
                         0xFF, 0xFF, 0xFF, 0xE0,  0, 0, 0, 18};
    memset(out, 0x55, sizeof out);
    assert_int_equal(usbip_pack_hdr(out, 48, &h), 48);
    assert_memory_equal(out, want2, 48);
    assert_int_equal(usbip_unpack_hdr(want2, 48, &back), 0);
    assert_int_equal(back.u.ret_submit.status, -32);
    assert_int_equal(back.u.ret_submit.actual_length, 18);

    memset(&h, 0, sizeof h);
    h.command = USBIP_RET_UNLINK;
    h.seqnum = 7;
    h.u.ret_unlink.status = -104;  /* -ECONNRESET */
    uint8_t want3[48] = {0, 0, 0, 4,  0, 0, 0, 7,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,
                         0xFF, 0xFF, 0xFF, 0x98};
    assert_int_equal(usbip_pack_hdr(out, 48, &h), 48);
    assert_memory_equal(out, want3, 48);
    assert_int_equal(usbip_unpack_hdr(want3, 48, &back), 0);
    assert_int_equal(back.u.ret_unlink.status, -104);

    h.command = 9;
    assert_int_equal(usbip_pack_hdr(out, 48, &h), 0);
}

static void test_op_requests(void **state)
{
    (void)state;
    usbip_op_req_t req;
    const uint8_t devlist[8] = {0x01, 0x11, 0x80, 0x05, 0, 0, 0, 0};
    for (size_t n = 0; n < 8; n++) {
        assert_int_equal(usbip_parse_op_req(devlist, n, &req), 0);
    }
    assert_int_equal(usbip_parse_op_req(devlist, 8, &req), 8);
    assert_int_equal(req.code, USBIP_OP_REQ_DEVLIST);

    uint8_t import[40] = {0x01, 0x11, 0x80, 0x03, 0, 0, 0, 0, '1', '-', '1'};
    for (size_t n = 0; n < 40; n++) {
        assert_int_equal(usbip_parse_op_req(import, n, &req), 0);
    }
    assert_int_equal(usbip_parse_op_req(import, 40, &req), 40);
    assert_int_equal(req.code, USBIP_OP_REQ_IMPORT);
    assert_memory_equal(req.busid, import + 8, 32);

    uint8_t bad[8];
    memcpy(bad, devlist, 8);
    bad[1] = 0x06;  /* version 0x0106 */
    assert_int_equal(usbip_parse_op_req(bad, 2, &req), USBIP_E_VERSION);
    memcpy(bad, devlist, 8);
    bad[0] = 'G';   /* "GET / HTTP" */
    assert_int_equal(usbip_parse_op_req(bad, 1, &req), USBIP_E_VERSION);
    memcpy(bad, devlist, 8);
    bad[3] = 0x07;  /* unknown request code */
    assert_int_equal(usbip_parse_op_req(bad, 8, &req), USBIP_E_CODE);
    memcpy(bad, devlist, 8);
    bad[2] = 0x00;  /* a reply code sent as a request */
    assert_int_equal(usbip_parse_op_req(bad, 3, &req), USBIP_E_CODE);
    memcpy(bad, devlist, 8);
    bad[7] = 1;     /* status must be 0 in a request */
    assert_int_equal(usbip_parse_op_req(bad, 8, &req), USBIP_E_FIELD);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_op_hdr_bytes),
        cmocka_unit_test(test_dev_record_bytes),
        cmocka_unit_test(test_intf_record_bytes),
        cmocka_unit_test(test_cmd_submit_bytes),
        cmocka_unit_test(test_cmd_submit_in_has_no_data),
        cmocka_unit_test(test_cmd_submit_rejects),
        cmocka_unit_test(test_unlink_and_returns_bytes),
        cmocka_unit_test(test_op_requests),
    };
    return cmocka_run_group_tests_name("usbip_proto", tests, NULL, NULL);
}
