/*
 * chip_gpio.c - STM32F072 GPIO ports A..F (RM0091 8.4), base 0x48000000,
 * 0x400 apart.
 *
 * Layer: sim/chip (host only), plain C.
 * Rules (8.4.1-8.4.11): MODER (00 input, 01 output, 10 alternate, 11
 * analog), OTYPER, OSPEEDR, PUPDR, LCKR, AFRL, AFRH are read/write; reset
 * values are 0 except GPIOA (MODER 0x28000000, OSPEEDR 0x0C000000, PUPDR
 * 0x24000000: the SWD pins). ODR is read/write. BSRR and BRR are write-only
 * (read 0): BSRR's low half sets, its high half resets, set wins when both;
 * BRR resets. IDR is read-only: an output pin reads back its ODR bit, an
 * input pin the external level if something drives it (the board's button),
 * else its pull (PUPDR 01 -> 1, otherwise 0), an analog pin reads 0. Byte,
 * half-word and word accesses (8.4: "can be accessed by bytes, half-words or
 * words"). The port clock (RCC_AHBENR.IOPxEN) is checked by the bus.
 * Limits: no LCKR lock sequence, no alternate-function behaviour, no EXTI.
 */
#include <string.h>

#include "chip_periph.h"

typedef struct {
    uint32_t moder, otyper, ospeedr, pupdr, odr, lckr, afrl, afrh;
    uint32_t ext_level, ext_driven;
} gpio_t;

static gpio_t ports[CHIP_GPIO_PORTS];
static void (*odr_hook)(unsigned, uint32_t, uint32_t);

void chip_set_gpio_hook(void (*hook)(unsigned port, uint32_t old_odr, uint32_t new_odr))
{
    odr_hook = hook;
}

void chip_gpio_reset(void)
{
    for (unsigned p = 0; p < CHIP_GPIO_PORTS; p++) {
        uint32_t lvl = ports[p].ext_level, drv = ports[p].ext_driven;  /* the board stays */
        memset(&ports[p], 0, sizeof ports[p]);
        ports[p].ext_level = lvl;
        ports[p].ext_driven = drv;
    }
    ports[0].moder = 0x28000000u;
    ports[0].ospeedr = 0x0C000000u;
    ports[0].pupdr = 0x24000000u;
}

uint32_t chip_gpio_odr(unsigned port)
{
    return port < CHIP_GPIO_PORTS ? ports[port].odr : 0u;
}

void chip_gpio_set_input(unsigned port, unsigned pin, bool high)
{
    if (port >= CHIP_GPIO_PORTS || pin > 15u) {
        return;
    }
    ports[port].ext_driven |= 1u << pin;
    ports[port].ext_level = high ? (ports[port].ext_level | (1u << pin))
                                 : (ports[port].ext_level & ~(1u << pin));
}

static uint32_t idr(const gpio_t *g)
{
    uint32_t v = 0;
    for (unsigned pin = 0; pin < 16u; pin++) {
        unsigned mode = (g->moder >> (2u * pin)) & 3u;
        unsigned pull = (g->pupdr >> (2u * pin)) & 3u;
        uint32_t bit = 1u << pin;
        uint32_t level;
        if (mode == 1u || mode == 2u) {
            level = g->odr & bit;
        } else if (mode == 3u) {
            level = 0;
        } else if (g->ext_driven & bit) {
            level = g->ext_level & bit;
        } else {
            level = pull == 1u ? bit : 0u;
        }
        v |= level;
    }
    return v;
}

static uint32_t *reg(gpio_t *g, uint32_t off)
{
    switch (off) {
    case 0x00: return &g->moder;
    case 0x04: return &g->otyper;
    case 0x08: return &g->ospeedr;
    case 0x0C: return &g->pupdr;
    case 0x14: return &g->odr;
    case 0x1C: return &g->lckr;
    case 0x20: return &g->afrl;
    case 0x24: return &g->afrh;
    default: return NULL;
    }
}

static bool width_ok(uint32_t off, unsigned size)
{
    return (size == 1u || size == 2u || size == 4u) && (off & (size - 1u)) == 0u;
}

bool chip_gpio_read(unsigned port, uint32_t off, unsigned size, uint32_t *val)
{
    if (port >= CHIP_GPIO_PORTS || !width_ok(off, size)) {
        return false;
    }
    gpio_t *g = &ports[port];
    uint32_t word = off & ~3u, v;
    if (word == 0x10u) {
        v = idr(g);
    } else if (word == 0x18u || word == 0x28u) {
        v = 0;  /* write-only */
    } else {
        uint32_t *r = reg(g, word);
        if (r == NULL) {
            return false;
        }
        v = *r;
    }
    unsigned sh = 8u * (off & 3u);
    *val = (v >> sh) & (size == 4u ? 0xFFFFFFFFu : ((1u << (8u * size)) - 1u));
    return true;
}

bool chip_gpio_write(unsigned port, uint32_t off, unsigned size, uint32_t val)
{
    if (port >= CHIP_GPIO_PORTS || !width_ok(off, size)) {
        return false;
    }
    gpio_t *g = &ports[port];
    uint32_t word = off & ~3u;
    unsigned sh = 8u * (off & 3u);
    uint32_t m = (size == 4u ? 0xFFFFFFFFu : ((1u << (8u * size)) - 1u)) << sh;
    uint32_t v = (val << sh) & m;
    uint32_t old = g->odr;
    if (word == 0x10u) {
        return true;  /* IDR read-only */
    } else if (word == 0x18u) {
        g->odr = ((g->odr & ~(v >> 16)) | (v & 0xFFFFu)) & 0xFFFFu;
    } else if (word == 0x28u) {
        g->odr &= ~(v & 0xFFFFu);
    } else {
        uint32_t *r = reg(g, word);
        if (r == NULL) {
            return false;
        }
        *r = (*r & ~m) | v;
        if (r == &g->odr) {
            g->odr &= 0xFFFFu;
        }
    }
    if (g->odr != old && odr_hook != NULL) {
        odr_hook(port, old, g->odr);
    }
    return true;
}
