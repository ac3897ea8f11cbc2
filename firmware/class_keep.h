/*
 * class_keep.h - which USB class a start-up runs: the configured default, or
 * the other one once the user held the button at a start-up since the last
 * power-up (issue 11: "holding the user button while the board is plugged in
 * selects the other class until the next power-up").
 *
 * Layer: portable, header-only (used by port/stm32f072/board.c; unit-tested
 * on the host). Includes <stdbool.h>/<stdint.h> only.
 * Assumptions: the board gives a word of RAM that survives the resets that
 * keep RAM (reset pin, watchdog, fault, software reset) and says whether this
 * start is a power-up (then the word holds whatever the RAM woke up with).
 * Rules: power-up: the word is not trusted; button held: the other class;
 * otherwise a word left by the previous start says which class it ran. Any
 * value but the two below counts as "default", so random RAM cannot pick NCM.
 * Limits: the choice is per power cycle; to return to the default, power up
 * again without the button.
 */
#ifndef CLASS_KEEP_H
#define CLASS_KEEP_H

#include <stdbool.h>
#include <stdint.h>

#define CLASS_KEEP_DEFAULT 0xC1A55000u
#define CLASS_KEEP_OTHER   0xC1A550A1u

/* At start-up, once: true for "run the other class"; leaves the word for the
 * next start. */
static inline bool class_keep_start(volatile uint32_t *word, bool power_up, bool button_held)
{
    bool other = button_held || (!power_up && *word == CLASS_KEEP_OTHER);
    *word = other ? CLASS_KEEP_OTHER : CLASS_KEEP_DEFAULT;
    return other;
}

#endif
