/*
 * debounce.h - turns the samples of a bouncing mechanical contact into clean
 * presses: a level counts only once it has been seen unchanged for
 * DEBOUNCE_MS, and each accepted change from released to pressed is one press.
 *
 * Layer: portable (used by port/stm32f072/board.c for the user button B1;
 * unit-tested on the host). Includes <stdbool.h>/<stdint.h> only.
 * Assumptions: samples come with a millisecond clock that may wrap (unsigned
 * differences); the caller samples often (the chip's main loop runs at least
 * once per 1 ms SysTick), but irregular gaps only delay acceptance.
 * Limits: a press shorter than DEBOUNCE_MS is not counted (a tap of a real
 * button lasts about 100 ms); a contact that bounces is quiet after < 10 ms on
 * typical tactile switches, so 20 ms keeps well clear of both.
 */
#ifndef DEBOUNCE_H
#define DEBOUNCE_H

#include <stdbool.h>
#include <stdint.h>

#ifndef DEBOUNCE_MS
#define DEBOUNCE_MS 20u
#endif

typedef struct {
    uint32_t presses;   /* accepted released -> pressed changes since init */
    uint32_t since_ms;  /* when raw last changed */
    bool level;         /* the accepted (debounced) level */
    bool raw;           /* the last sample */
} debounce_t;

/* Starts at the contact's current level: a button held at reset is pressed,
 * not a press. */
void debounce_init(debounce_t *d, bool raw, uint32_t now_ms);
/* One sample. Returns true when this sample accepted a new press. */
bool debounce_sample(debounce_t *d, bool raw, uint32_t now_ms);

#endif
