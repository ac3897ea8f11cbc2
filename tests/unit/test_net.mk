UNIT_TESTS += net
test_net_SRCS := firmware/net/net.c firmware/net/dhcps.c firmware/link_stats.c \
                 tests/unit/lwip_harness.c tests/unit/fake_board.c \
                 firmware/ident.c firmware/config.c firmware/net/sys_arch.c
test_net_LWIP := 1
