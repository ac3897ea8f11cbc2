UNIT_TESTS += app
test_app_SRCS := firmware/app/app.c firmware/net/mdns_name.c firmware/config.c firmware/ident.c firmware/link_stats.c tests/unit/fake_board.c
