UNIT_TESTS += ncm_ntb
test_ncm_ntb_SRCS := firmware/usb/ncm.c firmware/usb/usb_buf.c firmware/usb/usb_cdc.c firmware/usb/dfu_rt.c firmware/usb/usbd.c firmware/usb/usb_desc.c \
                     firmware/ident.c firmware/link_stats.c tests/unit/fake_udc.c tests/unit/fake_board.c
