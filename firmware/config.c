/*
 * config.c - the device's run-time configuration (see config.h).
 * Layer: portable.
 */
#include "config.h"
#include "stm32net_opt.h"

fw_config_t fw_config = {
    .ip = STM32NET_IP,
    .netmask = STM32NET_NETMASK,
    .hostname = STM32NET_HOSTNAME,
    .zone = STM32NET_DNS_ZONE,
};

uint8_t config_usb_class = STM32NET_USB_CLASS ? CONFIG_CLASS_NCM : CONFIG_CLASS_ECM;

int config_label_ok(const char *s)
{
    unsigned n = 0;
    if (s == 0 || s[0] == '\0' || s[0] == '-') {
        return 0;
    }
    for (; s[n] != '\0'; n++) {
        char c = s[n];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9') || c == '-';
        if (!ok || n + 1u >= CONFIG_NAME_MAX) {
            return 0;
        }
    }
    return s[n - 1u] != '-';
}

const char *config_class_name(uint8_t cls)
{
    switch (cls) {
    case CONFIG_CLASS_NCM: return "ncm";
    case CONFIG_CLASS_TAP: return "tap";
    default: return "ecm";
    }
}
