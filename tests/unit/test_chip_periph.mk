UNIT_TESTS += chip_periph
# The emulated chip's peripheral models and bus without the CPU: RCC, FLASH
# ACR, CRS, SYSCFG, GPIO, IWDG, SysTick, NVIC, SCB, system memory, clock gating.
test_chip_periph_SRCS := sim/chip/chip_bus.c sim/chip/chip_crs.c sim/chip/chip_flash.c \
                         sim/chip/chip_gpio.c sim/chip/chip_iwdg.c sim/chip/chip_nvic.c sim/chip/chip_rcc.c \
                         sim/chip/chip_scb.c sim/chip/chip_syscfg.c sim/chip/chip_sysmem.c \
                         sim/chip/chip_systick.c sim/chip/chip_time.c sim/chip/usbfs.c
