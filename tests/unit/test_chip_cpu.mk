UNIT_TESTS += chip_cpu
# The emulated Cortex-M0 (sim/chip/chip_cpu.c on Unicorn) with the chip's
# models, running tiny hand-written Thumb images (tests/unit/chip_img/*.S,
# assembled here with the cross toolchain; the flash image starts with the
# vector table at 0x08000000).
CHIP_MODEL_SRCS := sim/chip/chip_bus.c sim/chip/chip_crs.c sim/chip/chip_flash.c \
                   sim/chip/chip_gpio.c sim/chip/chip_iwdg.c sim/chip/chip_nvic.c sim/chip/chip_rcc.c \
                   sim/chip/chip_scb.c sim/chip/chip_syscfg.c sim/chip/chip_sysmem.c \
                   sim/chip/chip_systick.c sim/chip/chip_time.c sim/chip/usbfs.c
test_chip_cpu_SRCS := sim/chip/chip_cpu.c sim/chip/chip_elf.c $(CHIP_MODEL_SRCS)
test_chip_cpu_LIBS := $(UNICORN_LIBS)
CHIP_IMG_DIR := $(BUILD)/unit/chip_img
test_chip_cpu_CFLAGS := -DCHIP_IMG_DIR='"$(CHIP_IMG_DIR)"'
CHIP_IMGS := $(addprefix $(CHIP_IMG_DIR)/,exc.elf prio.elf reset.elf systick.elf \
             fault1.elf fault2.elf fault3.elf fault4.elf fault5.elf fault6.elf \
             rom1.elf rom2.elf rom3.elf rom4.elf iwdg1.elf iwdg2.elf)
CHIP_IMG_FLAGS := -mcpu=cortex-m0 -mthumb -nostdlib -nostartfiles -Itests/unit/chip_img \
                  -Wl,-Ttext=0x08000000 -Wl,-e,reset -Wl,--no-warn-rwx-segments
$(CHIP_IMG_DIR)/fault%.elf: tests/unit/chip_img/fault.S tests/unit/chip_img/vectors.inc
	@mkdir -p $(dir $@)
	$(CROSS_CC) $(CHIP_IMG_FLAGS) -DCASE=$* -o $@ $<
$(CHIP_IMG_DIR)/rom%.elf: tests/unit/chip_img/rom.S tests/unit/chip_img/vectors.inc
	@mkdir -p $(dir $@)
	$(CROSS_CC) $(CHIP_IMG_FLAGS) -DCASE=$* -o $@ $<
$(CHIP_IMG_DIR)/iwdg%.elf: tests/unit/chip_img/iwdg.S tests/unit/chip_img/vectors.inc
	@mkdir -p $(dir $@)
	$(CROSS_CC) $(CHIP_IMG_FLAGS) -DCASE=$* -o $@ $<
$(CHIP_IMG_DIR)/%.elf: tests/unit/chip_img/%.S tests/unit/chip_img/vectors.inc
	@mkdir -p $(dir $@)
	$(CROSS_CC) $(CHIP_IMG_FLAGS) -o $@ $<
$(BUILD)/unit/test_chip_cpu: | $(CHIP_IMGS)
