/*
 * config.h - run-time configuration of the device, filled from the build-time
 * defaults of stm32net_opt.h. On the chip it never changes; the simulator's
 * command line may change it before fw_init().
 *
 * Layer: portable. Limits: hostname and zone are plain DNS labels
 * (letters, digits, '-'), at most 31 characters.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stdint.h>

#define CONFIG_NAME_MAX 32u   /* incl. the terminating NUL */

typedef struct {
    uint8_t ip[4];
    uint8_t netmask[4];
    char hostname[CONFIG_NAME_MAX];
    char zone[CONFIG_NAME_MAX];
} fw_config_t;

extern fw_config_t fw_config;

/* 1 if s is a usable DNS label for hostname/zone (1..31 chars of [A-Za-z0-9-],
 * not starting or ending with '-'), else 0. */
int config_label_ok(const char *s);

#endif
