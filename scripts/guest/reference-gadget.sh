#!/usr/bin/env bash
# Reference device for comparison: boots the test guest as a *device*, with
# Linux's own CDC-ECM or CDC-NCM gadget (configfs + usb_f_ecm / usb_f_ncm)
# bound to usbip-vudc and exported by usbipd, forwarded to 127.0.0.1:PORT on
# the host. REF_FUNC=ecm|ncm (default ecm) picks the function; REF_SPEED
# (default full-speed, as our device; high-speed is vudc's own default) is
# written to the gadget's max_speed (bulk 64 vs 512). Another guest (or
# tests/e2e/50-kernel-usbip.sh with E2E_SIM pointing at a wrapper) can attach
# it exactly like the simulator and compare what a real gadget does.
#   scripts/guest/reference-gadget.sh PORT [SERIAL]      (runs until killed)
# The gadget uses the simulator's identity (1209:0001, iMACAddress derived from
# SERIAL as firmware/ident.c does) and serves DHCP (busybox udhcpd: 192.168.7.2..,
# dns 192.168.7.1, domain usb, no router), a static HTTP page + /api/status and
# an iperf 2 server on port 5001 (as the device's lwiperf; make bench).
# It has no DNS server. First stdout line: "reference: exporting usbip-vudc.0 on
# 127.0.0.1:PORT". Layer: developer tool; not run by make test.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
port=${1:?usage: reference-gadget.sh PORT [SERIAL]}
serial=${2:-0123456789ABCDEF01234567}
if ! [[ "$port" =~ ^[0-9]+$ ]] || [ "$port" -lt 1 ] || [ "$port" -gt 65535 ]; then echo "bad port" >&2; exit 2; fi
[[ "$serial" =~ ^[0-9A-F]{24}$ ]] || { echo "SERIAL must be 24 uppercase hex digits" >&2; exit 2; }
func=${REF_FUNC:-ecm}
case "$func" in ecm|ncm) ;; *) echo "REF_FUNC must be ecm or ncm" >&2; exit 2 ;; esac
speed=${REF_SPEED:-full-speed}
case "$speed" in full-speed|high-speed) ;; *) echo "REF_SPEED must be full-speed or high-speed" >&2; exit 2 ;; esac

guest=${E2E_GUEST_DIR:-$root/build/guest}
bash "$here/build-guest.sh" "$guest" >&2

# Same derivation as firmware/ident.c (FNV-1a over the unique ID bytes).
h1=2166136261
for ((i = 0; i < 24; i += 2)); do h1=$(( ((h1 ^ 16#${serial:i:2}) * 16777619) & 0xffffffff )); done
h2=$(( h1 ^ 0x5bd1e995 ))
for ((i = 0; i < 24; i += 2)); do h2=$(( ((h2 ^ 16#${serial:i:2}) * 16777619) & 0xffffffff )); done
tail5=$(printf '%02x:%02x:%02x:%02x:%02x' $((h1 >> 24)) $(((h1 >> 16) & 255)) $(((h1 >> 8) & 255)) $((h1 & 255)) $((h2 & 255)))

tmp=$(mktemp -d)
qpid=""
trap '[ -z "$qpid" ] || kill "$qpid" 2>/dev/null; rm -rf "$tmp"' EXIT
trap 'exit 143' TERM INT   # so a kill runs the EXIT trap (stops the QEMU)
mkdir -p "$tmp/ov"
cat > "$tmp/ov/test.sh" <<EOF
#!/bin/sh
SERIAL=$serial
HOST_ADDR=02:$tail5
DEV_ADDR=06:$tail5
F=$func.usb0
SPEED=$speed
EOF
cat >> "$tmp/ov/test.sh" <<'EOF'
while read -r m; do insmod "/lib/modules/stm32net/$m.ko" || echo "insmod $m failed"; done < /gadget.order
mount -t configfs none /sys/kernel/config
G=/sys/kernel/config/usb_gadget/g1
mkdir -p $G/strings/0x409 $G/functions/$F $G/configs/c.1/strings/0x409
echo 0x1209 > $G/idVendor
echo 0x0001 > $G/idProduct
echo "$SERIAL" > $G/strings/0x409/serialnumber
echo "reference" > $G/strings/0x409/manufacturer
echo "Linux ${F%.usb0} gadget" > $G/strings/0x409/product
echo "$SPEED" > $G/max_speed
echo "$HOST_ADDR" > $G/functions/$F/host_addr
echo "$DEV_ADDR" > $G/functions/$F/dev_addr
echo "${F%.usb0}" > $G/configs/c.1/strings/0x409/configuration
ln -s $G/functions/$F $G/configs/c.1/
echo usbip-vudc.0 > $G/UDC
ifn=$(cat $G/functions/$F/ifname)
ip addr add 192.168.7.1/24 dev "$ifn"
ip link set "$ifn" up
mkdir -p /var/lib/misc /www/api
touch /var/lib/misc/udhcpd.leases
printf 'start 192.168.7.2\nend 192.168.7.20\ninterface %s\nopt dns 192.168.7.1\nopt subnet 255.255.255.0\nopt domain usb\nopt lease 3600\n' "$ifn" > /etc/udhcpd.conf
udhcpd /etc/udhcpd.conf
echo '<html><body><span id="time">--</span></body></html>' > /www/index.html
mkdir -p /www/cgi-bin
printf '#!/bin/sh\necho "Content-Type: application/json"\necho\necho "{\\"hostname\\":\\"reference\\",\\"uptime_ms\\":0,\\"time\\":\\"-\\",\\"leds\\":[0,0,0,0],\\"button\\":0,\\"link\\":{}}"\n' > /www/cgi-bin/status
chmod +x /www/cgi-bin/status
ln -s ../cgi-bin/status /www/api/status
httpd -p 80 -h /www
iperf -s -p 5001 >/dev/null 2>&1 &
usbipd --device -D
echo "REFERENCE ready ifname=$ifn function=$F max_speed=$SPEED"
while true; do sleep 3600; done
EOF
(cd "$tmp/ov" && echo test.sh | cpio -o -H newc --owner=0:0 --quiet) | gzip -1 > "$tmp/ov.cpio.gz"
cat "$guest/initramfs.gz" "$tmp/ov.cpio.gz" > "$tmp/initrd"
qemu-system-x86_64 -accel tcg -m 384 -nographic -no-reboot -kernel "$guest/vmlinuz" -initrd "$tmp/initrd" \
  -append "console=ttyS0 quiet panic=-1" \
  -nic "user,model=e1000,hostfwd=tcp:127.0.0.1:$port-:3240" </dev/null > "$tmp/console.log" 2>&1 &
qpid=$!
for _ in $(seq 600); do
  grep -q 'REFERENCE ready' "$tmp/console.log" 2>/dev/null && break
  kill -0 "$qpid" 2>/dev/null || { cat "$tmp/console.log" >&2; exit 1; }
  sleep 0.1
done
grep -q 'REFERENCE ready' "$tmp/console.log" || { cat "$tmp/console.log" >&2; echo "reference: not ready after 60 s" >&2; exit 1; }
echo "reference: exporting usbip-vudc.0 on 127.0.0.1:$port (attach: usbip --tcp-port $port attach -r 127.0.0.1 -b usbip-vudc.0)"
tail -f "$tmp/console.log" --pid="$qpid" >&2 &
wait "$qpid"
