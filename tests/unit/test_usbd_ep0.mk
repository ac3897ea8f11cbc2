UNIT_TESTS += usbd_ep0
test_usbd_ep0_SRCS := firmware/usb/usbd.c firmware/usb/usb_desc.c firmware/ident.c \
                      tests/unit/fake_udc.c tests/unit/fake_board.c
test_usbd_ep0_CFLAGS := -DUSBD_EP0_BUF_SIZE=256u
