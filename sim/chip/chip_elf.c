/*
 * chip_elf.c - loads a firmware ELF the way a flasher programs it: every
 * PT_LOAD segment's file bytes at its physical (load) address, which must lie
 * in the chip's flash.
 *
 * Layer: sim/chip (host only). Includes stdio/string only (ELF32 layout from
 * the System V ABI / ARM ELF supplement, read byte by byte, little endian).
 * The file is untrusted input: every offset and size is checked; any problem
 * gives an error message and no image.
 * Limits: ELF32, little endian, EM_ARM; segments of SRAM-only sections
 * (.bss, .noinit: p_filesz 0) are skipped, as a flasher would.
 */
#include <stdio.h>
#include <string.h>

#include "chip_elf.h"

#define ELF_MAX (4u * 1024u * 1024u)  /* a 128 KB image's ELF with debug info fits */

static uint8_t file[ELF_MAX];

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

int chip_elf_load(const char *path, uint8_t *flash, uint32_t flash_base, uint32_t flash_size,
                  uint32_t *used, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, errlen, "%s: cannot open", path);
        return -1;
    }
    size_t n = fread(file, 1, sizeof file, f);
    bool too_big = n == sizeof file && fgetc(f) != EOF;
    fclose(f);
    if (too_big) {
        snprintf(err, errlen, "%s: larger than %u bytes", path, ELF_MAX);
        return -1;
    }
    if (n < 52u || memcmp(file, "\177ELF", 4) != 0 || file[4] != 1u || file[5] != 1u) {
        snprintf(err, errlen, "%s: not a 32-bit little-endian ELF file", path);
        return -1;
    }
    if (rd16(file + 18) != 40u) {
        snprintf(err, errlen, "%s: not an ARM ELF (e_machine %u)", path, rd16(file + 18));
        return -1;
    }
    uint32_t phoff = rd32(file + 28);
    uint16_t phentsize = rd16(file + 42), phnum = rd16(file + 44);
    if (phentsize < 32u || phnum == 0u || phoff > n || (uint64_t)phnum * phentsize > n - phoff) {
        snprintf(err, errlen, "%s: bad program header table", path);
        return -1;
    }
    memset(flash, 0xFF, flash_size);  /* erased flash */
    uint32_t top = 0;
    unsigned loaded = 0;
    for (unsigned i = 0; i < phnum; i++) {
        const uint8_t *ph = file + phoff + (size_t)i * phentsize;
        uint32_t type = rd32(ph), off = rd32(ph + 4), paddr = rd32(ph + 12);
        uint32_t filesz = rd32(ph + 16);
        if (type != 1u || filesz == 0u) {
            continue;  /* not PT_LOAD, or RAM only */
        }
        if (off > n || filesz > n - off) {
            snprintf(err, errlen, "%s: segment %u lies outside the file", path, i);
            return -1;
        }
        if (paddr < flash_base || paddr - flash_base > flash_size ||
            filesz > flash_size - (paddr - flash_base)) {
            snprintf(err, errlen, "%s: segment %u (0x%08x, %u bytes) is not in flash "
                     "(0x%08x..0x%08x)", path, i, paddr, filesz, flash_base,
                     flash_base + flash_size - 1u);
            return -1;
        }
        memcpy(flash + (paddr - flash_base), file + off, filesz);
        if (paddr - flash_base + filesz > top) {
            top = paddr - flash_base + filesz;
        }
        loaded++;
    }
    if (loaded == 0u) {
        snprintf(err, errlen, "%s: no loadable segment", path);
        return -1;
    }
    *used = top;
    return 0;
}
