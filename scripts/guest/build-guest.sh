#!/usr/bin/env bash
# Builds the QEMU test guest: a Debian kernel + a busybox/usbip initramfs in
# which a real Linux USB stack (vhci_hcd, usbnet, cdc_ether) attaches the
# simulator over USB/IP.
#   scripts/guest/build-guest.sh [OUTDIR]     (default build/guest)
# Output: OUTDIR/vmlinuz, OUTDIR/initramfs.gz, OUTDIR/stamp.
# Layer: test infrastructure, host side. Needs: apt-get/apt-cache (Debian
# archive reachable, lists present), dpkg-deb, modinfo (kmod), cpio, gzip,
# busybox-static, usbip (+ usb.ids), dfu-util installed - scripts/deps.sh provides them.
# Assumptions: the running system is Debian 12 amd64; the kernel package is
# downloaded and unpacked, never installed. Limits: the stamp covers package
# versions and the files packed from this directory (build-guest.sh, init,
# guest-lib.sh, usbdesc.c, ../flash-dfu.sh); delete OUTDIR to force a rebuild.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-build/guest}
mkdir -p "$out"
out=$(cd "$out" && pwd)

die() { echo "build-guest: $*" >&2; exit 2; }
# first_match PATH...: the first of a glob's expansions that exists ("" if none,
# e.g. when the glob stayed unexpanded).
first_match() {
  local f
  for f in "$@"; do
    if [ -e "$f" ]; then printf '%s\n' "$f"; return 0; fi
  done
}
for t in apt-cache apt-get dpkg-deb dpkg-query modinfo cpio gzip ldd sha256sum flock cc; do
  command -v "$t" >/dev/null 2>&1 || die "missing tool '$t' (run: make deps)"
done
[ -x /bin/busybox ] || die "missing /bin/busybox (package busybox-static; run: make deps)"
usbip_bin=$(command -v usbip 2>/dev/null || true)
[ -n "$usbip_bin" ] || [ ! -x /usr/sbin/usbip ] || usbip_bin=/usr/sbin/usbip
[ -n "$usbip_bin" ] || die "missing usbip (package usbip; run: make deps)"
dfu_bin=$(command -v dfu-util 2>/dev/null || true)
[ -n "$dfu_bin" ] || die "missing dfu-util (package dfu-util; run: make deps)"
usbids=/usr/share/misc/usb.ids
for f in init guest-lib.sh usbdesc.c ../flash-dfu.sh; do [ -f "$here/$f" ] || die "missing $here/$f"; done
[ -f "$usbids" ] || die "missing $usbids (package usb.ids; run: make deps)"

# Two tests building at once must not interleave in the same OUTDIR.
exec 9>"$out/.lock"
flock -w 300 9 || die "timed out waiting for $out/.lock"

# The meta package names the current ABI: "Depends: linux-image-6.1.0-NN-amd64".
kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
       sed -n 's/^ *Depends: \(linux-image-[0-9][0-9.]*-[0-9]*-amd64\)$/\1/p' | head -n1)
[ -n "$kpkg" ] || die "cannot resolve linux-image-amd64 -> linux-image-*-amd64 (apt lists missing? run: apt-get update)"
kver=$(apt-cache show --no-all-versions "$kpkg" 2>/dev/null | sed -n 's/^Version: //p' | head -n1)
[ -n "$kver" ] || die "apt-cache knows no version of $kpkg"

pkgver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo none; }
key="kernel=$kpkg/$kver busybox=$(pkgver busybox-static) usbip=$(pkgver usbip) usbids=$(pkgver usb.ids) dfu-util=$(pkgver dfu-util) iperf=$(pkgver iperf)
files=$(cat "$here"/build-guest.sh "$here"/init "$here"/guest-lib.sh "$here"/usbdesc.c "$here"/../flash-dfu.sh |
        sha256sum | cut -d' ' -f1)"

if [ -f "$out/stamp" ] && [ -f "$out/vmlinuz" ] && [ -f "$out/initramfs.gz" ] &&
   [ "$(cat "$out/stamp")" = "$key" ]; then
  echo "build-guest: up to date ($kpkg $kver) in $out"
  exit 0
fi

echo "build-guest: building $kpkg $kver into $out"
dl="$out/dl"
mkdir -p "$dl"
deb=$(first_match "$dl/${kpkg}"_*.deb)
if [ -z "$deb" ] || ! dpkg-deb -f "$deb" Version | grep -qxF "$kver"; then
  rm -f "$dl"/linux-image-*.deb
  # apt's _apt user cannot write here; the download is checked against the
  # signed Release/Packages hashes either way.
  (cd "$dl" || exit 2; timeout 300 apt-get download -q "$kpkg=$kver" 2>&1 | grep -v 'unsandboxed') || true
  deb=$(first_match "$dl/${kpkg}"_*.deb)
  [ -n "$deb" ] || die "apt-get download $kpkg=$kver failed"
fi

work=$(mktemp -d "$out/work.XXXXXX")
trap 'rm -rf "$work"' EXIT
kx="$work/kernel"
root="$work/root"
echo "build-guest: unpacking $(basename "$deb")"
dpkg-deb -x "$deb" "$kx"
vml=$(first_match "$kx"/boot/vmlinuz-*)
moddir=$(first_match "$kx"/lib/modules/*/kernel)
if [ ! -f "$vml" ] || [ ! -d "$moddir" ]; then die "$deb has no vmlinuz or modules"; fi

mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,etc,root} \
         "$root"/lib/modules/stm32net "$root"/lib/stm32net "$root"/usr/share/misc

# Modules in the order that works (TESTBED.md); each one's own dependencies
# (modinfo depends=) go in before it, so a future kernel needing more still loads.
wanted=(e1000 usb-common usbcore usbip-core vhci-hcd mii usbnet cdc_ether cdc_ncm)
declare -A done_mod=()
order=()
modfile() {
  local n=$1 alt=${1//-/_} alt2=${1//_/-}
  find "$moddir" \( -name "$n.ko" -o -name "$alt.ko" -o -name "$alt2.ko" \) | head -n1
}
add_mod() {
  local m=$1 f d depth=${2:-0}
  [ "$depth" -lt 16 ] || die "module dependency loop at $m"
  f=$(modfile "$m")
  [ -n "$f" ] || die "module $m not found in $kpkg (compressed modules are not handled)"
  m=$(basename "$f" .ko)
  [ -z "${done_mod[$m]:-}" ] || return 0
  for d in $(modinfo -F depends "$f" | tr ',' ' '); do add_mod "$d" $((depth + 1)); done
  done_mod[$m]=1
  order+=("$m")
  cp "$f" "$root/lib/modules/stm32net/$m.ko"
}
for m in "${wanted[@]}"; do add_mod "$m"; done
printf '%s\n' "${order[@]}" > "$root/modules.order"
echo "build-guest: modules: ${order[*]}"
# Not loaded by /init: Linux's own CDC-ECM and CDC-NCM gadgets exported with
# usbip-vudc, the reference devices of scripts/guest/reference-gadget.sh (TESTBED.md).
order=()
for m in configfs udc-core libcomposite u_ether usb_f_ecm usb_f_ncm usbip-vudc; do add_mod "$m"; done
printf '%s\n' "${order[@]}" > "$root/gadget.order"

cp "$vml" "$work/vmlinuz"

cp /bin/busybox "$root/bin/busybox"
for a in $(/bin/busybox --list); do
  [ "$a" = busybox ] || ln -s busybox "$root/bin/$a"
done

# usbip is dynamically linked: copy it with every library ldd names and the
# loader at its absolute path.
cp "$usbip_bin" "$root/usr/sbin/usbip"
usbipd_bin=$(dirname "$usbip_bin")/usbipd
[ -x "$usbipd_bin" ] || die "missing $usbipd_bin (package usbip)"
cp "$usbipd_bin" "$root/usr/sbin/usbipd"
# Debian's iperf 2 client for make bench's throughput run (bench-guest.sh).
iperf_bin=$(command -v iperf 2>/dev/null || true)
[ -n "$iperf_bin" ] || die "missing iperf (package iperf; run: make deps)"
# dfu-util (with libusb) and make flash's script for the DFU runtime test
# (tests/e2e/56-dfu-detach.sh)
cp "$dfu_bin" "$root/usr/bin/dfu-util"
install -m 0755 "$here/../flash-dfu.sh" "$root/usr/bin/flash-dfu"
cp "$iperf_bin" "$root/usr/bin/iperf"
ldd "$usbip_bin" "$usbipd_bin" "$dfu_bin" "$iperf_bin" | awk '/=>/ && $3 ~ /^\// {print $3} /^[ \t]+\// {print $1}' | sort -u |
while read -r lib; do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
[ -e "$root/lib64/ld-linux-x86-64.so.2" ] || die "the loader was not copied (ldd output changed?)"
cp "$usbids" "$root/usr/share/misc/usb.ids"

# usbfs probe for the NCM test (BOS, MS OS 2.0 set): busybox has no lsusb
cc -static -Os -Wall -Wextra -Werror -o "$root/usr/bin/usbdesc" "$here/usbdesc.c" ||
  die "cannot compile usbdesc.c (static libc: package libc6-dev, part of build-essential)"

install -m 0755 "$here/init" "$root/init"
# Sourced by the /test.sh scripts (usbip-check.sh, bench-guest.sh).
install -m 0644 "$here/guest-lib.sh" "$root/lib/stm32net/guest-lib.sh"
echo 'root:x:0:0:root:/root:/bin/sh' > "$root/etc/passwd"
echo 'root:x:0:' > "$root/etc/group"
echo 'stm32net-guest' > "$root/etc/hostname"

(cd "$root" && find . -print0 | LC_ALL=C sort -z |
   cpio --null -o -H newc --owner=0:0 --quiet) | gzip -6 > "$work/initramfs.gz"

mv "$work/vmlinuz" "$out/vmlinuz"
mv "$work/initramfs.gz" "$out/initramfs.gz"
printf '%s\n' "$key" > "$out/stamp"
echo "build-guest: done: $out/vmlinuz $out/initramfs.gz ($(du -h "$out/initramfs.gz" | cut -f1))"
