UNIT_TESTS += chksum
test_chksum_SRCS := firmware/net/chksum.c
