UNIT_TESTS += mdns
test_mdns_SRCS := firmware/net/mdns.c firmware/net/mdns_name.c firmware/net/dnss.c firmware/config.c \
                  firmware/ident.c firmware/net/sys_arch.c tests/unit/fake_board.c tests/unit/lwip_harness.c
test_mdns_LWIP := 1
