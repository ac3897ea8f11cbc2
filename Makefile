# stm32net - one Makefile for the host unit tests, the simulator, the
# cross-compile check of the portable firmware and the end-to-end tests.
#
#   make run     build and start the simulator (installs what it needs)
#   make test    all tests: unit (ASan+UBSan), fuzz corpus replay, cross check, chip image size, end to end
#   make fuzz [FUZZ_SECONDS=300]   every libFuzzer target (tests/fuzz/fuzz.mk)
#   make firmware / size / flash   STM32F072 image, budget check, dfu-util (PROGRAMMER=openocd|stlink)
#   make screenshot [OUT=file.png] the web page in headless Chromium;  make bench  benchmarks
#
# lwIP 2.1.3 is fetched from Debian's source archive into third_party/ (ignored
# by git); LWIP_DIR=/path/to/lwip-2.1.3 uses your own copy instead.

SHELL := /bin/bash
.DEFAULT_GOAL := all

LWIP_DEFAULT := third_party/lwip-2.1.3
LWIP_DIR ?= $(LWIP_DEFAULT)
LWIP_STAMP := $(LWIP_DIR)/src/include/lwip/init.h
BUILD := build

# Fetch lwIP before any rule is read that names its files. `test` and `run`
# install the packages first and then run make again, which fetches then.
NO_FETCH_GOALS := help clean deps test run bench soak fuzz
ifneq ($(filter-out $(NO_FETCH_GOALS),$(or $(MAKECMDGOALS),all)),)
  ifeq ($(LWIP_DIR),$(LWIP_DEFAULT))
    # the script's stamp records the version and our patch set
    # (scripts/lwip-patches); it returns at once when they match
    LWIP_FETCH := $(shell bash scripts/fetch-lwip.sh "$(LWIP_DIR)" 1>&2 && echo ok)
    ifneq ($(LWIP_FETCH),ok)
      $(error lwIP 2.1.3 could not be fetched (see above); LWIP_DIR=... names your own copy)
    endif
  else
    LWIP_CHECK := $(shell bash scripts/fetch-lwip.sh --check "$(LWIP_DIR)" 1>&2 && echo ok)
    ifneq ($(LWIP_CHECK),ok)
      $(error LWIP_DIR=$(LWIP_DIR) is not lwIP 2.1.3 with scripts/lwip-patches applied (see above))
    endif
  endif
endif

CC ?= cc
CROSS_CC := arm-none-eabi-gcc

WARN := -Wall -Wextra -Werror
CSTD := -std=c11
INCLUDES := -Ifirmware -Ifirmware/net -I$(LWIP_DIR)/src/include -I$(BUILD)/gen
# IPERF=0 leaves lwIP's iperf server (firmware/net/iperf.c) out of every build; `make clean` after changing it
IPERF ?= 1
INCLUDES += -DSTM32NET_IPERF=$(IPERF)
# lwIP's own sources: warnings shown, not fatal (third-party code we do not edit)
LWIP_WARN := -Wall -Wno-unused-parameter -Wno-address

SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
UNIT_CFLAGS := $(CSTD) -g -O1 $(SAN) -DSTM32NET_UNIT_TEST -D_DEFAULT_SOURCE $(INCLUDES) -Itests/unit \
               -Ihal_stub -Iusbip_bridge -Isim/chip
SIM_CFLAGS := $(CSTD) -g -O2 -DFW_NO_MAIN -DSTM32NET_SIM -D_DEFAULT_SOURCE $(INCLUDES) -Ihal_stub -Iusbip_bridge -Isim -Isim/chip
CROSS_CFLAGS := $(CSTD) -mcpu=cortex-m0 -mthumb -Os -ffunction-sections -fdata-sections \
                $(WARN) $(INCLUDES)

# lwIP 2.1.3's files, named (not globbed: the tree may not be fetched yet when
# make reads this). Modules switched off in lwipopts.h compile to nothing.
LWIP_CORE := def inet_chksum init ip mem memp netif pbuf raw stats sys tcp tcp_in tcp_out \
             timeouts udp altcp altcp_alloc altcp_tcp dns
LWIP_IPV4 := autoip dhcp etharp icmp igmp ip4 ip4_addr ip4_frag
LWIP_SRCS := $(patsubst %,$(LWIP_DIR)/src/core/%.c,$(LWIP_CORE)) \
             $(patsubst %,$(LWIP_DIR)/src/core/ipv4/%.c,$(LWIP_IPV4)) \
             $(LWIP_DIR)/src/netif/ethernet.c \
             $(LWIP_DIR)/src/apps/http/fs.c   # fs only: firmware/net/http_srv.c is our server
LWIP_SRCS += $(LWIP_DIR)/src/apps/lwiperf/lwiperf.c

# Portable firmware: identical in every build.
FW_SRCS := firmware/config.c firmware/debounce.c firmware/ident.c firmware/link_stats.c firmware/main.c \
           $(wildcard firmware/usb/*.c firmware/net/*.c firmware/app/*.c)
SIM_SRCS := $(wildcard hal_stub/*.c usbip_bridge/*.c sim/*.c sim/chip/*.c)
# the emulated chip (--chip) runs on Unicorn (Debian's libunicorn-dev)
UNICORN_LIBS := $(shell pkg-config --libs unicorn 2>/dev/null || echo -lunicorn)
SIM_BIN := $(BUILD)/stm32net-sim

# Each fragment may add rules (e.g. the web pages -> fsdata generator).
FSDATA_C := $(BUILD)/gen/fsdata_stm32net.c
-include firmware/app/web.mk
# The STM32F072 build (make firmware / size / flash) lives with its port.
-include firmware/port/stm32f072/port.mk
# libFuzzer targets: make fuzz, make fuzz-replay (tests/fuzz/fuzz.mk).
-include tests/fuzz/fuzz.mk

.PHONY: all deps lwip unit cross-check sim run test e2e clean help guest screenshot docs-screenshot bench bench-run soak soak-run
all: sim

help:
	@sed -n '3,12p' Makefile

deps:
	@bash scripts/deps.sh

lwip: $(LWIP_STAMP)
$(LWIP_STAMP):
	@if [ "$(LWIP_DIR)" = "$(LWIP_DEFAULT)" ]; then bash scripts/fetch-lwip.sh "$(LWIP_DIR)"; \
	 else echo "LWIP_DIR=$(LWIP_DIR) does not hold lwIP 2.1.3 sources" >&2; exit 1; fi

# ---------------------------------------------------------------- unit tests
# tests/unit/test_NAME.mk declares:  UNIT_TESTS += NAME
#                                    test_NAME_SRCS := production .c + fakes
#                                    test_NAME_LWIP := 1   (link lwIP + httpd)
include $(wildcard tests/unit/*.mk)

UNIT_LWIP_OBJS = $(patsubst $(LWIP_DIR)/%.c,$(BUILD)/unit/lwip/%.o,$(LWIP_SRCS))
$(BUILD)/unit/lwip/%.o: $(LWIP_DIR)/%.c | $(LWIP_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) $(LWIP_WARN) -MMD -c $< -o $@
$(BUILD)/unit/lwip/src/apps/http/fs.o: $(FSDATA_C)
# lwipopts.h makes lwIP call our checksum (firmware/net/chksum.c): it goes with lwIP
$(BUILD)/unit/liblwip.a: $(UNIT_LWIP_OBJS) $(BUILD)/unit/obj/firmware/net/chksum.o
	@rm -f $@; ar rcs $@ $^

$(BUILD)/unit/obj/%.o: %.c | $(LWIP_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) $(WARN) -MMD -c $< -o $@

# test_NAME_LIBS (optional): extra libraries to link, e.g. -lpcap or Unicorn.
# test_NAME_CFLAGS (optional): extra flags for that test's own objects, e.g. a
# different buffer size; such a test gets its own object folder.
define UNIT_template
$(1)_OBJDIR := $(BUILD)/unit/$(if $(test_$(1)_CFLAGS),obj-$(1),obj)
$(BUILD)/unit/test_$(1): $$($(1)_OBJDIR)/tests/unit/test_$(1).o \
    $(patsubst %.c,$$($(1)_OBJDIR)/%.o,$(test_$(1)_SRCS)) \
    $(if $(filter 1,$(test_$(1)_LWIP)),$(BUILD)/unit/liblwip.a)
	$(CC) $(SAN) -o $$@ $$^ -lcmocka $(test_$(1)_LIBS)
ifneq ($(test_$(1)_CFLAGS),)
$(BUILD)/unit/obj-$(1)/%.o: %.c | $(LWIP_STAMP)
	@mkdir -p $$(dir $$@)
	$(CC) $(UNIT_CFLAGS) $(test_$(1)_CFLAGS) $(WARN) -MMD -c $$< -o $$@
endif
UNIT_BINS += $(BUILD)/unit/test_$(1)
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call UNIT_template,$(t))))

unit: $(UNIT_BINS)
	@fail=0; for t in $(UNIT_BINS); do echo "== $$t"; \
	  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  $$t || fail=1; done; exit $$fail

# ------------------------------------------------------ cross compile check
CROSS_OBJS = $(patsubst %.c,$(BUILD)/cross/%.o,$(FW_SRCS)) \
             $(patsubst $(LWIP_DIR)/%.c,$(BUILD)/cross/lwip/%.o,$(LWIP_SRCS))
$(BUILD)/cross/%.o: %.c | $(LWIP_STAMP)
	@mkdir -p $(dir $@)
	$(CROSS_CC) $(CROSS_CFLAGS) -MMD -c $< -o $@
$(BUILD)/cross/lwip/%.o: $(LWIP_DIR)/%.c | $(LWIP_STAMP)
	@mkdir -p $(dir $@)
	$(CROSS_CC) $(filter-out -Werror,$(CROSS_CFLAGS)) $(LWIP_WARN) -MMD -c $< -o $@
$(BUILD)/cross/lwip/src/apps/http/fs.o: $(FSDATA_C)
# Sources that include generated files depend on them.
$(patsubst %.c,$(BUILD)/cross/%.o,$(FW_SRCS)): | $(FSDATA_C)

cross-check: $(CROSS_OBJS)
	@echo "cross-check: $(words $(CROSS_OBJS)) files compile for Cortex-M0 (-Os -Werror for ours)"

# ---------------------------------------------------------------- simulator
SIM_OBJS = $(patsubst %.c,$(BUILD)/sim/%.o,$(FW_SRCS) $(SIM_SRCS)) \
           $(patsubst $(LWIP_DIR)/%.c,$(BUILD)/sim/lwip/%.o,$(LWIP_SRCS))
$(BUILD)/sim/%.o: %.c | $(LWIP_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(SIM_CFLAGS) $(WARN) -MMD -c $< -o $@
$(BUILD)/sim/lwip/%.o: $(LWIP_DIR)/%.c | $(LWIP_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(SIM_CFLAGS) $(LWIP_WARN) -MMD -c $< -o $@
$(BUILD)/sim/lwip/src/apps/http/fs.o: $(FSDATA_C)
$(patsubst %.c,$(BUILD)/sim/%.o,$(FW_SRCS)): | $(FSDATA_C)

$(SIM_BIN): $(SIM_OBJS)
	$(CC) -o $@ $^ -lpcap $(UNICORN_LIBS)

sim: $(SIM_BIN)

run: deps
	@$(MAKE) --no-print-directory sim
	exec $(SIM_BIN) $(ARGS)

# ---------------------------------------------------------------- all tests
e2e: sim firmware
	@bash tests/e2e/run-all.sh

test: deps
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory fuzz-replay
	@$(MAKE) --no-print-directory cross-check
	@$(MAKE) --no-print-directory size
	@$(MAKE) --no-print-directory e2e

guest:
	@bash scripts/guest/build-guest.sh $(BUILD)/guest

# Numbers, not pass/fail: HTTP/DNS/ICMP in TAP mode and through a real kernel
# over USB/IP. Not part of make test. Needs root (network namespaces).
# MODE=chip: only the emulated chip's figures (build/chip-bench, virtual time).
CHIP_BENCH := $(BUILD)/chip-bench
CHIP_BENCH_SRCS := sim/chip/bench/chip_bench.c $(filter-out sim/chip/chip_sim.c,$(wildcard sim/chip/*.c)) \
                   usbip_bridge/usbip_sched.c
$(CHIP_BENCH): $(patsubst %.c,$(BUILD)/sim/%.o,$(CHIP_BENCH_SRCS))
	$(CC) -o $@ $^ $(UNICORN_LIBS)
# bench, soak and fuzz install what they need first, as test and run do
# (on a fresh machine the packages and lwIP come before the rules that use them)
bench: deps
	@$(MAKE) --no-print-directory bench-run
bench-run: sim firmware $(CHIP_BENCH)
	@$(MAKE) --no-print-directory firmware USB_CLASS=ncm >/dev/null   # the chip's NCM image (build/firmware-ncm)
	@$(CHIP_BENCH) $(FW_ELF) $(FW_STACK) > $(BUILD)/chip-bench.txt && cat $(BUILD)/chip-bench.txt
	@if [ "$(MODE)" != chip ]; then bash scripts/bench.sh $(or $(MODE),all); fi

# Long mixed load and faults in TAP mode (scripts/soak.sh). Needs root.
soak: deps
	@$(MAKE) --no-print-directory soak-run
soak-run: sim
	@bash scripts/soak.sh

screenshot: sim
	@bash scripts/screenshot.sh $(or $(OUT),$(BUILD)/screenshot.png)

# The README's picture of the page: a deliberate, committed doc asset.
docs-screenshot: sim
	@bash scripts/screenshot.sh docs/page.png 1024,720

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
