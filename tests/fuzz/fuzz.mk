# tests/fuzz/fuzz.mk - libFuzzer targets (clang, ASan + UBSan), included by
# the Makefile.
#
#   make fuzz [FUZZ_SECONDS=300] [FUZZ_TARGETS_RUN="dhcp dns"]
#        runs each target for FUZZ_SECONDS on a scratch copy of its corpus
#        (build/fuzz/work/NAME), prints execs, execs/s and coverage; crashes
#        land in build/fuzz/artifacts/NAME (copy one into
#        tests/fuzz/corpus/NAME/ once fixed: it then replays in make test)
#   make fuzz-replay
#        every committed corpus file and reproducer once under the
#        sanitizers (part of make test, seconds), and the seed corpus's
#        coverage against the floor in tests/fuzz/floors.txt
#
# Adding a target is one line: tests/fuzz/fuzz_NAME.c (LLVMFuzzerTestOneInput)
# plus
#   $(eval $(call FUZZ_target,NAME,production and fake .c files,1 if it links lwIP))
# and a seed corpus in tests/fuzz/corpus/NAME/ with a floor in floors.txt.

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 300
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# The same defines and includes as the unit tests: the same code, the same fakes.
FUZZ_CFLAGS := $(CSTD) -g -O1 $(FUZZ_SAN) -fsanitize=fuzzer-no-link \
               -DSTM32NET_UNIT_TEST -D_DEFAULT_SOURCE $(INCLUDES) -Itests/unit -Itests/fuzz \
               -Ihal_stub -Iusbip_bridge
FUZZ_BINS :=
FUZZ_NAMES :=

$(BUILD)/fuzz/lwip/%.o: $(LWIP_DIR)/%.c | $(LWIP_STAMP)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(LWIP_WARN) -MMD -c $< -o $@
$(BUILD)/fuzz/lwip/src/apps/http/fs.o: $(FSDATA_C)
# + our LWIP_CHKSUM routine, which lwipopts.h makes lwIP call
$(BUILD)/fuzz/liblwip.a: $(patsubst $(LWIP_DIR)/%.c,$(BUILD)/fuzz/lwip/%.o,$(LWIP_SRCS)) $(BUILD)/fuzz/obj/firmware/net/chksum.o
	@rm -f $@; ar rcs $@ $^
$(BUILD)/fuzz/obj/%.o: %.c | $(LWIP_STAMP) $(FSDATA_C)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(WARN) -MMD -c $< -o $@

# FUZZ_target NAME, SRCS, LWIP(1 or empty)
define FUZZ_target
$(BUILD)/fuzz/fuzz_$(1): $(BUILD)/fuzz/obj/tests/fuzz/fuzz_$(1).o $(patsubst %.c,$(BUILD)/fuzz/obj/%.o,$(2)) \
    $(if $(filter 1,$(3)),$(BUILD)/fuzz/liblwip.a)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $$@ $$^ -lcmocka
FUZZ_BINS += $(BUILD)/fuzz/fuzz_$(1)
FUZZ_NAMES += $(1)
endef

# What the lwIP targets share: the harness and the services' dependencies.
FUZZ_NET := tests/unit/lwip_harness.c tests/unit/fake_board.c firmware/ident.c firmware/config.c \
            firmware/net/sys_arch.c

$(eval $(call FUZZ_target,dhcp,$(FUZZ_NET) firmware/net/dhcps.c,1))
$(eval $(call FUZZ_target,dns,$(FUZZ_NET) firmware/net/dnss.c,1))
$(eval $(call FUZZ_target,net,$(FUZZ_NET) firmware/net/net.c firmware/net/dhcps.c firmware/net/dnss.c firmware/net/http_api.c firmware/net/http_info.c firmware/net/http_srv.c firmware/net/net_mem.c firmware/app/app.c firmware/net/mdns.c firmware/net/mdns_name.c firmware/link_stats.c,1))
$(eval $(call FUZZ_target,usb,firmware/usb/usbd.c firmware/usb/usb_desc.c firmware/usb/ecm.c firmware/usb/usb_buf.c firmware/usb/usb_cdc.c firmware/usb/dfu_rt.c firmware/ident.c firmware/link_stats.c tests/unit/fake_udc.c tests/unit/fake_board.c))
FUZZ_NCM_SRCS := firmware/usb/usbd.c firmware/usb/usb_desc.c firmware/usb/ncm.c firmware/usb/usb_buf.c firmware/usb/usb_cdc.c firmware/usb/dfu_rt.c firmware/ident.c firmware/link_stats.c tests/unit/fake_udc.c tests/unit/fake_board.c
$(eval $(call FUZZ_target,usb_ncm,$(FUZZ_NCM_SRCS)))
$(eval $(call FUZZ_target,ncm_ntb,$(FUZZ_NCM_SRCS)))
$(eval $(call FUZZ_target,usbip,usbip_bridge/usbip_server.c usbip_bridge/usbip_sched.c usbip_bridge/usbip_backend_sim.c usbip_bridge/usbip_proto.c hal_stub/udc_sim.c firmware/usb/usbd.c firmware/usb/usb_desc.c firmware/usb/ecm.c firmware/usb/usb_buf.c firmware/usb/usb_cdc.c firmware/usb/dfu_rt.c firmware/ident.c firmware/link_stats.c tests/unit/fake_board.c))

.PHONY: fuzz fuzz-run fuzz-build fuzz-replay
fuzz-build: $(FUZZ_BINS)

fuzz-replay: fuzz-build
	@bash tests/fuzz/replay.sh $(BUILD)/fuzz $(FUZZ_NAMES)

fuzz: deps
	@$(MAKE) --no-print-directory fuzz-run
fuzz-run: fuzz-build
	@bash tests/fuzz/run.sh $(BUILD)/fuzz $(FUZZ_SECONDS) $(or $(FUZZ_TARGETS_RUN),$(FUZZ_NAMES))
