UNIT_TESTS += usbd
test_usbd_SRCS := firmware/usb/usbd.c firmware/usb/usb_desc.c firmware/ident.c \
                  tests/unit/fake_udc.c tests/unit/fake_board.c
