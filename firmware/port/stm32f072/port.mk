# port.mk - the STM32F072 build: make firmware / size / flash.
# Included by the top Makefile; uses FW_SRCS, LWIP_SRCS, LWIP_DIR, LWIP_STAMP,
# FSDATA_C, INCLUDES, CROSS_CC, WARN, CSTD and BUILD from there.
#
#   make firmware   build/firmware/stm32net.{elf,bin,hex,map}
#   make size       flash/RAM table and worst-case stack depth; fails over budget or with malloc/printf
#   make flash      dfu-util via the ROM bootloader (PROGRAMMER=openocd|stlink)
#
# FW_LTO=0 turns link-time optimisation off; FW_STACK sets the stack reserve;
# FW_IWDG=0 builds without the watchdog (for a debugger, which does not
# freeze it; `make clean` first: objects do not track this flag).
# USB_CLASS=ecm|ncm is the class the board starts with (default ecm, in
# build/firmware; ncm in build/firmware-ncm; the user
# button held at plug-in selects the other one for that run).

PORT_DIR := firmware/port/stm32f072
PORT_SRCS := $(PORT_DIR)/startup.c $(PORT_DIR)/clock.c $(PORT_DIR)/board.c \
             $(PORT_DIR)/udc_stm32.c $(PORT_DIR)/stm32_pma.c $(PORT_DIR)/stm32_epr.c
PORT_LD := $(PORT_DIR)/stm32f072.ld

USB_CLASS ?= ecm
ifeq ($(filter ecm ncm,$(USB_CLASS)),)
  $(error USB_CLASS=$(USB_CLASS): expected ecm or ncm)
endif
# an NCM-default image has its own folder, so both can exist side by side
FW_OUT := $(BUILD)/firmware$(if $(filter ncm,$(USB_CLASS)),-ncm)
FW_ELF := $(FW_OUT)/stm32net.elf
FW_LTO ?= 1
FW_STACK ?= 2048
FW_IWDG ?= 1
CROSS_PREFIX := $(patsubst %gcc,%,$(CROSS_CC))
FW_OBJCOPY := $(CROSS_PREFIX)objcopy

FW_ARCH := -mcpu=cortex-m0 -mthumb
FW_CFLAGS := $(CSTD) $(FW_ARCH) -Os -g -ffunction-sections -fdata-sections \
             $(if $(filter 1,$(FW_LTO)),-flto) -DSTM32NET_FIRMWARE \
             -DSTM32NET_USB_CLASS=$(if $(filter ncm,$(USB_CLASS)),1,0) \
             -DBOARD_IWDG=$(if $(filter 0,$(FW_IWDG)),0,1) $(INCLUDES)
FW_LDFLAGS := $(FW_ARCH) -Os $(if $(filter 1,$(FW_LTO)),-flto -flto-partition=one) -nostartfiles \
              --specs=nano.specs -T$(PORT_LD) -Wl,--gc-sections \
              -Wl,--defsym=__stack_size=$(FW_STACK) -Wl,-Map=$(FW_OUT)/stm32net.map \
              -Wl,--no-warn-rwx-segments

# LTO and plain objects cannot be mixed: each variant has its own folder.
FW_OBJDIR := $(FW_OUT)/$(if $(filter 1,$(FW_LTO)),lto,plain)
FW_OBJS = $(patsubst %.c,$(FW_OBJDIR)/%.o,$(FW_SRCS) $(PORT_SRCS)) \
          $(patsubst $(LWIP_DIR)/%.c,$(FW_OBJDIR)/lwip/%.o,$(LWIP_SRCS))

$(FW_OBJDIR)/%.o: %.c | $(LWIP_STAMP)
	@mkdir -p $(dir $@)
	$(CROSS_CC) $(FW_CFLAGS) $(WARN) -MMD -c $< -o $@
$(FW_OBJDIR)/lwip/%.o: $(LWIP_DIR)/%.c | $(LWIP_STAMP)
	@mkdir -p $(dir $@)
	$(CROSS_CC) $(FW_CFLAGS) $(LWIP_WARN) -MMD -c $< -o $@
$(FW_OBJDIR)/lwip/src/apps/http/fs.o: $(FSDATA_C)
$(patsubst %.c,$(FW_OBJDIR)/%.o,$(FW_SRCS)): | $(FSDATA_C)

# Relinked when the variant changes (the stamp names it).
$(FW_OUT)/.variant-$(FW_LTO)-$(FW_STACK):
	@mkdir -p $(dir $@); rm -f $(FW_OUT)/.variant-*; touch $@
$(FW_ELF): $(FW_OBJS) $(PORT_LD) $(FW_OUT)/.variant-$(FW_LTO)-$(FW_STACK)
	$(CROSS_CC) $(FW_LDFLAGS) -o $@ $(FW_OBJS)
$(FW_OUT)/stm32net.bin: $(FW_ELF)
	$(FW_OBJCOPY) -O binary $< $@
$(FW_OUT)/stm32net.hex: $(FW_ELF)
	$(FW_OBJCOPY) -O ihex $< $@

.PHONY: firmware size flash
firmware: $(FW_ELF) $(FW_OUT)/stm32net.bin $(FW_OUT)/stm32net.hex
	@echo "firmware: $(FW_ELF) (.bin .hex .map)"

# Worst-case stack depth: each source once more without LTO, for GCC's
# call graph with frame sizes (-fcallgraph-info=su writes a .ci next to the
# object); scripts/stack-depth.py walks it from the roots.
FW_SU_DIR := $(FW_OUT)/stack
FW_SU_CFLAGS := $(filter-out -flto,$(FW_CFLAGS)) -fcallgraph-info=su
FW_SU_CIS = $(patsubst %.c,$(FW_SU_DIR)/%.ci,$(FW_SRCS) $(PORT_SRCS)) \
            $(patsubst $(LWIP_DIR)/%.c,$(FW_SU_DIR)/lwip/%.ci,$(LWIP_SRCS))
$(FW_SU_DIR)/%.ci: %.c | $(LWIP_STAMP) $(FSDATA_C)
	@mkdir -p $(dir $@)
	@$(CROSS_CC) $(FW_SU_CFLAGS) $(WARN) -MMD -MT $@ -c $< -o $(@:.ci=.o)
$(FW_SU_DIR)/lwip/%.ci: $(LWIP_DIR)/%.c | $(LWIP_STAMP) $(FSDATA_C)
	@mkdir -p $(dir $@)
	@$(CROSS_CC) $(FW_SU_CFLAGS) $(LWIP_WARN) -MMD -MT $@ -c $< -o $(@:.ci=.o)

size: firmware $(FW_SU_CIS)
	@CROSS_PREFIX=$(CROSS_PREFIX) bash scripts/size-report.sh $(FW_ELF)
	@python3 scripts/stack-depth.py $(FW_STACK) $(FW_SU_DIR)

# dfu-util: BOOT0 high at reset (or board_enter_bootloader()) starts the ROM
# DFU bootloader (0483:df11); ":leave" starts the new image afterwards.
PROGRAMMER ?= dfu
flash: firmware
ifeq ($(PROGRAMMER),dfu)
	@sh scripts/flash-dfu.sh $(FW_OUT)/stm32net.bin
else ifeq ($(PROGRAMMER),openocd)
	@command -v openocd >/dev/null || { echo "make flash: needs openocd (apt-get install openocd)" >&2; exit 2; }
	openocd -f board/stm32f0discovery.cfg -c "program $(FW_ELF) verify reset exit"
else ifeq ($(PROGRAMMER),stlink)
	@command -v st-flash >/dev/null || { echo "make flash: needs st-flash (apt-get install stlink-tools)" >&2; exit 2; }
	st-flash --reset write $(FW_OUT)/stm32net.bin 0x08000000
else
	@echo "PROGRAMMER must be dfu, openocd or stlink" >&2; exit 2
endif
