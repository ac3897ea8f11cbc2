#!/usr/bin/env bash
# Makes the local image debian:bookworm when it is missing, for machines that
# reach Debian's package archive but no image registry: debootstrap a minbase
# bookworm from the machine's own Debian mirror (taken from its apt sources,
# nothing hard-coded) and `docker import` it. On a normal machine `docker
# build` simply pulls debian:bookworm and this script is not needed.
set -euo pipefail

IMAGE=${1:-debian:bookworm}
if docker image inspect "$IMAGE" >/dev/null 2>&1; then exit 0; fi

mirror=""
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  mirror=$(awk '/^URIs:/ && $2 ~ /debian\/?$/ {print $2; exit}' "$f")
  [ -n "$mirror" ] && break
done
if [ -z "$mirror" ]; then
  mirror=$(awk '$1=="deb" && $0 ~ /bookworm/ {for(i=2;i<=NF;i++) if ($i ~ /^http/) {print $i; exit}}' \
             /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -n1)
fi
[ -n "$mirror" ] || { echo "docker-base: no Debian mirror in the apt sources" >&2; exit 1; }

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
echo "docker-base: debootstrap bookworm from $mirror"
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.log" 2>&1 || {
  tail -20 "$root.log" >&2; rm -f "$root.log"; exit 1; }
rm -f "$root.log"
# what an official image also leaves out: package caches and lists
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
tar -C "$root" -c . | docker import - "$IMAGE" >/dev/null
echo "docker-base: imported $IMAGE"
