UNIT_TESTS += http_info
test_http_info_SRCS := firmware/net/http_info.c firmware/app/app.c firmware/net/mdns_name.c firmware/config.c firmware/ident.c \
                       firmware/link_stats.c tests/unit/fake_board.c
