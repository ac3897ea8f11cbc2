# web.mk - turns firmware/app/web/* into $(FSDATA_C) with lwIP's makefsdata,
# built from the fetched lwIP source against our lwipopts.h. The output is
# generated at build time and never committed. Included by the Makefile.

MAKEFSDATA := $(BUILD)/tools/makefsdata
WEB_FILES := $(shell find firmware/app/web -type f 2>/dev/null | LC_ALL=C sort)

# chksum.c: lwipopts.h names it as lwIP's LWIP_CHKSUM, which makefsdata links
$(MAKEFSDATA): $(LWIP_DIR)/src/apps/http/makefsdata/makefsdata.c firmware/net/lwipopts.h firmware/net/chksum.c | $(LWIP_STAMP)
	@mkdir -p $(dir $@)
	$(CC) -O1 -w '-DLWIP_PLATFORM_ASSERT(x)=abort()' -Ifirmware -Ifirmware/net -I$(LWIP_DIR)/src/include -o $@ $< firmware/net/chksum.c

# The page is served gzip-compressed (RFC 7230 4.2.3, RFC 7231 3.1.2.2): it
# is most of the flash the web files take (11.5 KB -> about 4.5 KB). lwIP
# 2.1.3's makefsdata compresses only with miniz, which it does not ship, and
# writes "deflate"; so the files in WEB_GZIP are gzipped (-n: no name or time,
# the build stays reproducible) into a staging copy, makefsdata builds fsdata
# from it as usual (Content-Length is the compressed size), and a
# "Content-Encoding: gzip" header line is added in front of each such file's
# Content-Type line. The recipe fails if makefsdata's output no longer has
# that shape. Our HTTP server (net/http_srv.c) serves the stored bytes and does
# not look at Accept-Encoding, so every client
# gets gzip: browsers and curl --compressed decode it, a plain wget saves the
# gzip bytes (RFC 7231 5.3.4: with no Accept-Encoding any coding is
# acceptable; a client that refuses gzip outright is not served correctly).
# The error pages are tiny and stay plain.
WEB_GZIP := index.html
WEB_STAGE := $(BUILD)/gen/web-stage
$(FSDATA_C): $(MAKEFSDATA) $(WEB_FILES) firmware/app/web.mk
	@mkdir -p $(dir $@)
	rm -rf $(WEB_STAGE) && mkdir -p $(WEB_STAGE)/web
	cp firmware/app/web/* $(WEB_STAGE)/web/
	for f in $(WEB_GZIP); do gzip -9n < firmware/app/web/$$f > $(WEB_STAGE)/web/$$f; done
	cd $(WEB_STAGE) && $(abspath $(MAKEFSDATA)) web -nossi -svr:stm32net -f:$(abspath $@).raw >/dev/null
	hex=$$(printf 'Content-Encoding: gzip\r\n' | od -An -tx1 -v | tr -s ' \n' ' ' | sed 's/ \([0-9a-f][0-9a-f]\)/0x\1,/g'); \
	cp $@.raw $@.tmp; \
	for f in $(WEB_GZIP); do v=data__$$(echo "$$f" | tr './-' '___'); \
	  awk -v v="$$v" -v hex="$$hex" ' \
	    $$0 ~ "unsigned char .* " v "\\[\\]" { blk = 1 } \
	    blk && !done && /^\/\* "Content-Type: / { print "/* \"Content-Encoding: gzip\" (web.mk) */"; print hex; done = 1 } \
	    { print } END { exit done ? 0 : 1 }' $@.tmp > $@.tmp2 || { echo "web.mk: no Content-Type line for $$f in makefsdata output" >&2; exit 1; }; \
	  mv $@.tmp2 $@.tmp; done
	rm -f $@.raw
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
