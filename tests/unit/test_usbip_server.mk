UNIT_TESTS += usbip_server
test_usbip_server_SRCS := usbip_bridge/usbip_server.c usbip_bridge/usbip_proto.c hal_stub/udc_sim.c
# UNIT_CFLAGS has no -Ihal_stub -Iusbip_bridge (yet): add them for these objects only.
$(BUILD)/unit/obj/tests/unit/test_usbip_server.o $(BUILD)/unit/obj/usbip_bridge/usbip_server.o: \
    UNIT_CFLAGS += -Ihal_stub -Iusbip_bridge
