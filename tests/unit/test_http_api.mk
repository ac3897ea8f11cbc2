UNIT_TESTS += http_api
test_http_api_SRCS := firmware/net/http_api.c firmware/net/http_info.c firmware/net/dhcps.c firmware/net/http_srv.c \
                      firmware/net/net_mem.c firmware/app/app.c firmware/net/mdns_name.c firmware/config.c firmware/ident.c \
                      firmware/link_stats.c firmware/net/sys_arch.c \
                      tests/unit/fake_board.c tests/unit/lwip_harness.c tests/unit/tcp_client.c
test_http_api_LWIP := 1
