UNIT_TESTS += chip_fw
# The flashed image itself (build/firmware/stm32net.elf, ECM default) on the
# emulated chip in virtual time, the host played through the chip backend:
# the user button's class choice across resets (issue 11).
test_chip_fw_SRCS := sim/chip/chip_cpu.c sim/chip/chip_elf.c sim/chip/chip_backend.c $(CHIP_MODEL_SRCS)
test_chip_fw_LIBS := $(UNICORN_LIBS)
test_chip_fw_CFLAGS := -DCHIP_FW_ELF='"$(BUILD)/firmware/stm32net.elf"'
$(BUILD)/unit/test_chip_fw: | firmware
