/*
 * chip_elf.h - firmware ELF loader of the emulated chip (see chip_elf.c).
 * Layer: sim/chip (host only).
 */
#ifndef CHIP_ELF_H
#define CHIP_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Programs flash (erased to 0xFF first) from the ELF at path. *used gets the
 * highest programmed offset + 1. 0, or -1 with a message in err. */
int chip_elf_load(const char *path, uint8_t *flash, uint32_t flash_base, uint32_t flash_size,
                  uint32_t *used, char *err, size_t errlen);

#endif
