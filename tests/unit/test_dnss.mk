UNIT_TESTS += dnss
test_dnss_SRCS := firmware/net/dnss.c firmware/config.c firmware/ident.c firmware/net/sys_arch.c \
                  tests/unit/fake_board.c tests/unit/lwip_harness.c tests/unit/tcp_client.c
test_dnss_LWIP := 1
