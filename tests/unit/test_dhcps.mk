UNIT_TESTS += dhcps
test_dhcps_SRCS := firmware/net/dhcps.c tests/unit/lwip_harness.c tests/unit/fake_board.c \
                   firmware/ident.c firmware/config.c firmware/net/sys_arch.c
test_dhcps_LWIP := 1
