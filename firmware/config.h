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

/* The device's link: the USB class in use (or the simulator's TAP) */
typedef enum { CONFIG_CLASS_ECM = 0, CONFIG_CLASS_NCM = 1, CONFIG_CLASS_TAP = 2 } config_class_t;

typedef struct {
    uint8_t ip[4];
    uint8_t netmask[4];
    char hostname[CONFIG_NAME_MAX];
    char zone[CONFIG_NAME_MAX];
} fw_config_t;

extern fw_config_t fw_config;
/* config_class_t: the class asked for before fw_init(), the active one after */
extern uint8_t config_usb_class;

/* 1 if s is a usable DNS label for hostname/zone (1..31 chars of [A-Za-z0-9-],
 * not starting or ending with '-'), else 0. */
int config_label_ok(const char *s);
/* "ecm", "ncm" or "tap" (/api/status link.class) */
const char *config_class_name(uint8_t cls);

#endif
