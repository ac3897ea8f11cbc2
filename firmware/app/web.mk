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

# The build id shown on the page and in /api/info: `git describe` of the
# source tree (with -dirty for local changes). The header is rewritten only
# when the id changes, so app.c (which depends on it through -MMD) is rebuilt
# exactly then. The generated fsdata waits for it, and every firmware object
# waits for fsdata, so it exists before app.c's first compile.
BUILD_ID_H := $(BUILD)/gen/build_id.h
.PHONY: build-id-force
$(BUILD_ID_H): build-id-force
	@mkdir -p $(dir $@)
	@id=$$(git describe --always --dirty 2>/dev/null | tr -cd 'A-Za-z0-9._+-' | cut -c1-32); \
	 printf '#define APP_BUILD_ID "%s"\n' "$${id:-unknown}" > $@.tmp; \
	 if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
$(FSDATA_C): | $(BUILD_ID_H)
