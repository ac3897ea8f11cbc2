UNIT_TESTS += usbip_server
test_usbip_server_SRCS := usbip_bridge/usbip_server.c usbip_bridge/usbip_sched.c \
                        usbip_bridge/usbip_backend_sim.c usbip_bridge/usbip_proto.c hal_stub/udc_sim.c
