UNIT_TESTS += http_info
test_http_info_SRCS := firmware/net/http_info.c firmware/app/app.c firmware/config.c firmware/ident.c \
                       firmware/link_stats.c tests/unit/fake_board.c
test_http_info_SRCS += firmware/net/iperf_stats.c
