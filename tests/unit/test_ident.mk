UNIT_TESTS += ident
test_ident_SRCS := firmware/ident.c firmware/config.c tests/unit/fake_board.c
