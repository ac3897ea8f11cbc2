# shellcheck shell=sh
# Helpers shared by the scripts a test boots as /test.sh in the QEMU guest
# (scripts/guest/usbip-check.sh, scripts/guest/bench-guest.sh). build-guest.sh
# packs this file as /lib/stm32net/guest-lib.sh; a script sources it after the
# PORT=/BUSID= lines the host prepends.
# Layer: test infrastructure, guest side (busybox ash). Uses only busybox
# applets and Debian's usbip as packed by build-guest.sh; defines functions and
# GUEST_* variables only, prints nothing when sourced.
# Assumptions: PORT and BUSID are set before a usbip helper runs; QEMU user
# networking shows the host's loopback as 10.0.2.2; the device's address on the
# USB link is 192.168.7.1.
# Limits: every command here is bounded by timeout or a fixed count. POSIX sh has
# no "local": the helpers that print a value are meant to run inside $(...) so
# their scratch variables stay in the subshell.

GUEST_HOST=10.0.2.2          # the host's loopback, where the simulator listens
# shellcheck disable=SC2034  # used by the scripts that source this file
GUEST_DEV=192.168.7.1        # the device on the USB link (its DHCP/DNS/HTTP)
GUEST_UDHCPC=/tmp/udhcpc.sh  # the udhcpc event script guest_udhcpc_script writes

# guest_now_ms: milliseconds since boot from /proc/uptime (centisecond
# resolution, so only spans of many operations mean anything).
guest_now_ms() {
  read -r up _ < /proc/uptime
  s=${up%.*}; f=${up#*.}; f=${f#0}
  echo $(( s * 1000 + ${f:-0} * 10 ))
}

# guest_udhcpc_script [LEASE_FILE]: write $GUEST_UDHCPC, the event script for
# "udhcpc -s". It puts the leased address on the interface and installs no
# route: the device offers none, and nothing may be routed off the link. With
# LEASE_FILE it also records the lease there as key=value lines (read them with
# guest_lease_get) and prints one "GUEST lease ..." line as evidence.
guest_udhcpc_script() {
  case ${1:-} in
    *[!A-Za-z0-9/._-]*) echo "GUEST bad lease file name '$1'"; return 2 ;;
  esac
  {
    echo '#!/bin/sh'
    echo "lease_file=${1:-}"
    cat <<'EOF'
case "$1" in
  bound|renew)
    if [ -n "$lease_file" ]; then
      {
        # busybox: $subnet is the dotted mask, $mask the prefix length
        echo "ip=${ip:-}"; echo "subnet=${subnet:-}"; echo "mask=${mask:-}"; echo "router=${router:-}"
        echo "dns=${dns:-}"; echo "domain=${domain:-}"; echo "serverid=${serverid:-}"
        echo "lease=${lease:-}"
      } > "$lease_file"
      echo "GUEST lease ip=${ip:-} subnet=${subnet:-} mask=${mask:-} router=${router:-} dns=${dns:-} domain=${domain:-} serverid=${serverid:-} lease=${lease:-}"
    fi
    ip addr flush dev "$interface"
    ip addr add "$ip/${mask:-24}" dev "$interface"
    ;;
  deconfig)
    ip link set "$interface" up
    ip addr flush dev "$interface"
    ;;
esac
exit 0
EOF
  } > "$GUEST_UDHCPC"
  chmod +x "$GUEST_UDHCPC"
}

# guest_lease_get LEASE_FILE KEY: one value the event script recorded ("" if
# none).
guest_lease_get() {
  sed -n "s/^$2=//p" "$1" 2>/dev/null | head -n1
}

# guest_ecm_if: the network interface whose driver is $GUEST_DRIVER (default
# cdc_ether; cdc_ncm for the NCM test); status 1 and no output if there is none.
guest_ecm_if() {
  for d in /sys/class/net/*; do
    drv=$(readlink "$d/device/driver" 2>/dev/null) || continue
    if [ "${drv##*/}" = "${GUEST_DRIVER:-cdc_ether}" ]; then echo "${d##*/}"; return 0; fi
  done
  return 1
}

# guest_wait_ecm_if STEP: poll guest_ecm_if up to 200 times, STEP seconds apart
# (enumeration under TCG takes < 2 s); prints the interface or fails.
guest_wait_ecm_if() {
  i=0
  while [ $i -lt 200 ]; do
    guest_ecm_if && return 0
    i=$((i + 1)); sleep "$1"
  done
  return 1
}

# guest_usb_dev [VID:PID]: the sysfs folder of the USB device with that ID
# (default 1209:0001, the simulator's); status 1 and no output if absent.
guest_usb_dev() {
  for d in /sys/bus/usb/devices/*; do
    [ -f "$d/idVendor" ] || continue
    [ "$(cat "$d/idVendor"):$(cat "$d/idProduct")" = "${1:-1209:0001}" ] && { echo "$d"; return 0; }
  done
  return 1
}

# guest_usbip_list: the simulator's export list (usbip output on stdout).
guest_usbip_list() {
  timeout 20 usbip --tcp-port "$PORT" list -r "$GUEST_HOST" 2>&1
}

# guest_usbip_attach: attach $BUSID from the simulator; usbip's status.
guest_usbip_attach() {
  timeout 20 usbip --tcp-port "$PORT" attach -r "$GUEST_HOST" -b "$BUSID" 2>&1
}

# guest_dhcp IFACE: bring IFACE up and take one lease with $GUEST_UDHCPC
# (5 discovers 2 s apart, 30 s bound); udhcpc's status, its output on stdout.
guest_dhcp() {
  ip link set "$1" up
  timeout 30 udhcpc -i "$1" -s "$GUEST_UDHCPC" -n -q -t 5 -T 2 2>&1
}
