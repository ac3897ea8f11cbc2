UNIT_TESTS += stm32_epr
# the EPnR helpers alone, then the USB driver that uses them against a model
# of the peripheral (udc_stm32.c built with STM32NET_UNIT_TEST register hooks)
test_stm32_epr_SRCS := firmware/port/stm32f072/stm32_epr.c firmware/port/stm32f072/stm32_pma.c \
                       tests/unit/usbfs_hooks.c sim/chip/usbfs.c \
                       firmware/port/stm32f072/udc_stm32.c
