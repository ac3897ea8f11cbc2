UNIT_TESTS += usbip_proto
test_usbip_proto_SRCS := usbip_bridge/usbip_proto.c
