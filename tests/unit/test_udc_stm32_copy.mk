UNIT_TESTS += udc_stm32_copy
# the chip driver's packet-memory copies, on the emulated chip's USB FS model
test_udc_stm32_copy_SRCS := tests/unit/usbfs_hooks.c sim/chip/usbfs.c firmware/port/stm32f072/udc_stm32.c \
                            firmware/port/stm32f072/stm32_epr.c firmware/port/stm32f072/stm32_pma.c
