UNIT_TESTS += stm32_pma
test_stm32_pma_SRCS := firmware/port/stm32f072/stm32_pma.c
