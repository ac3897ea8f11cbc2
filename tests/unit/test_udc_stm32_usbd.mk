UNIT_TESTS += udc_stm32_usbd
# the core on the chip driver on the USB FS register model (issue 9)
test_udc_stm32_usbd_SRCS := firmware/usb/usbd.c firmware/usb/usb_desc.c firmware/ident.c \
                            firmware/port/stm32f072/udc_stm32.c firmware/port/stm32f072/stm32_epr.c \
                            firmware/port/stm32f072/stm32_pma.c tests/unit/usbfs_hooks.c sim/chip/usbfs.c \
                            tests/unit/fake_board.c
