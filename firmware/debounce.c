/*
 * debounce.c - see debounce.h. Layer: portable, no I/O.
 */
#include "debounce.h"

void debounce_init(debounce_t *d, bool raw, uint32_t now_ms)
{
    d->presses = 0;
    d->since_ms = now_ms;
    d->level = raw;
    d->raw = raw;
}

bool debounce_sample(debounce_t *d, bool raw, uint32_t now_ms)
{
    if (raw != d->raw) {
        /* a bounce (or the start of a real change): restart the wait */
        d->raw = raw;
        d->since_ms = now_ms;
        return false;
    }
    /* unsigned difference: right across the 2^32 ms wrap */
    if (raw == d->level || (uint32_t)(now_ms - d->since_ms) < DEBOUNCE_MS) {
        return false;
    }
    d->level = raw;
    if (raw) {
        d->presses++;
        return true;
    }
    return false;
}
