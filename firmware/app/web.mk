# web.mk - turns firmware/app/web/* into $(FSDATA_C) with lwIP's makefsdata,
# built from the fetched lwIP source against our lwipopts.h. The output is
# generated at build time and never committed. Included by the Makefile.

MAKEFSDATA := $(BUILD)/tools/makefsdata
WEB_FILES := $(shell find firmware/app/web -type f 2>/dev/null | LC_ALL=C sort)

$(MAKEFSDATA): $(LWIP_DIR)/src/apps/http/makefsdata/makefsdata.c firmware/net/lwipopts.h | $(LWIP_STAMP)
	@mkdir -p $(dir $@)
	$(CC) -O1 -w '-DLWIP_PLATFORM_ASSERT(x)=abort()' -Ifirmware -Ifirmware/net -I$(LWIP_DIR)/src/include -o $@ $<

# makefsdata writes its output in the current folder's terms; run it from the
# web folder's parent so the URLs are "/index.html" etc.
$(FSDATA_C): $(MAKEFSDATA) $(WEB_FILES)
	@mkdir -p $(dir $@)
	cd firmware/app && $(abspath $(MAKEFSDATA)) web -nossi -svr:stm32net -f:$(abspath $@).tmp >/dev/null
	mv $@.tmp $@
