UNIT_TESTS += udc_conf_stm32
# the udc.h conformance suite on the chip driver and the USB FS register model
test_udc_conf_stm32_SRCS := tests/unit/udc_conformance.c tests/unit/usbfs_hooks.c sim/chip/usbfs.c \
                            firmware/port/stm32f072/udc_stm32.c firmware/port/stm32f072/stm32_epr.c \
                            firmware/port/stm32f072/stm32_pma.c
