#!/usr/bin/env bash
# End to end through a real Linux kernel in CDC-NCM mode: the same check as
# 50-kernel-usbip.sh with the simulator started as --class ncm, so the guest's
# cdc_ncm binds (IAD, NTB16 both ways), DHCP/DNS/HTTP/ping work, pings cover
# 64..1472-byte payloads, and the guest reads the BOS descriptor and the
# MS OS 2.0 set (compatible ID WINNCM) through usbfs.
# Layer: e2e test, host side (see 50-kernel-usbip.sh for needs and network rules).
set -euo pipefail
E2E_CLASS=ncm exec bash "$(dirname "$0")/50-kernel-usbip.sh" "$@"
