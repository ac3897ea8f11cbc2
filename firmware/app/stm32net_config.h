/*
 * stm32net_config.h - the application's overrides of stm32net_opt.h defaults.
 * Empty means "all defaults"; define an option here (or with -D) to change it.
 */
#ifndef STM32NET_CONFIG_H
#define STM32NET_CONFIG_H

#endif
