UNIT_TESTS += usb_desc
test_usb_desc_SRCS := firmware/usb/usb_desc.c firmware/ident.c tests/unit/fake_board.c
