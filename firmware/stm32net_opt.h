/*
 * stm32net_opt.h - build-time defaults for the whole firmware, the lwIP way:
 * every option is #ifndef-guarded, and app/stm32net_config.h (included first)
 * or -D flags override them.
 *
 * Layer: portable (firmware/...). No OS or vendor headers.
 */
#ifndef STM32NET_OPT_H
#define STM32NET_OPT_H

#include "app/stm32net_config.h"

/* USB identity (pid.codes test VID:PID by default) */
#ifndef USBD_VID
#define USBD_VID 0x1209
#endif
#ifndef USBD_PID
#define USBD_PID 0x0001
#endif
#ifndef USBD_BCD_DEVICE
#define USBD_BCD_DEVICE 0x0100
#endif
#ifndef USBD_MANUFACTURER
#define USBD_MANUFACTURER "stm32net"
#endif
#ifndef USBD_PRODUCT
#define USBD_PRODUCT "stm32net CDC-ECM"
#endif
#ifndef USBD_PRODUCT_NCM          /* the product string in NCM mode */
#define USBD_PRODUCT_NCM "stm32net CDC-NCM"
#endif

/* USB class at start-up: 0 = CDC-ECM, 1 = CDC-NCM (make USB_CLASS=ecm|ncm sets
 * it). On the chip, holding the user button while plugging in selects the
 * other one for that run. */
#ifndef STM32NET_USB_CLASS
#define STM32NET_USB_CLASS 0
#endif

/* Network defaults; the simulator may change fw_config before fw_init(). */
#ifndef STM32NET_IP
#define STM32NET_IP        {192, 168, 7, 1}
#endif
#ifndef STM32NET_NETMASK
#define STM32NET_NETMASK   {255, 255, 255, 0}
#endif
#ifndef STM32NET_HOSTNAME
#define STM32NET_HOSTNAME  "stm32net"
#endif
#ifndef STM32NET_DNS_ZONE
#define STM32NET_DNS_ZONE  "usb"
#endif

/* DHCP server */
#ifndef DHCPS_POOL_FIRST          /* last octet of the first leased address */
#define DHCPS_POOL_FIRST   2
#endif
#ifndef DHCPS_POOL_SIZE
#define DHCPS_POOL_SIZE    4
#endif
#ifndef DHCPS_LEASE_S
#define DHCPS_LEASE_S      3600u
#endif
#ifndef DHCPS_OFFER_ROUTER        /* 0: no option 3, the host keeps its default route */
#define DHCPS_OFFER_ROUTER 0
#endif

/* Ethernet frames over ECM: 14-byte header + 1500 payload, no FCS */
#ifndef ECM_MAX_SEGMENT
#define ECM_MAX_SEGMENT    1514u
#endif

#endif
