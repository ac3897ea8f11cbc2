UNIT_TESTS += debounce
test_debounce_SRCS := firmware/debounce.c
