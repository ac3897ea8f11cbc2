UNIT_TESTS += usbip_proto
test_usbip_proto_SRCS := usbip_bridge/usbip_proto.c
# UNIT_CFLAGS has no -Iusbip_bridge (yet): add it for this test's object only.
$(BUILD)/unit/obj/tests/unit/test_usbip_proto.o: UNIT_CFLAGS += -Iusbip_bridge
