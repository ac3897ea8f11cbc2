#!/usr/bin/env bash
# Fetches the lwIP 2.1.3 source from Debian's source archive into DEST
# (default third_party/lwip-2.1.3, ignored by git). apt verifies the signed
# Sources index and the hashes of the .dsc and tarball; we then check the
# version inside the tree. Nothing here hard-codes a mirror: the deb-src entry
# is derived from the machine's own apt sources.
# Then our patches in scripts/lwip-patches/ (fixes of lwIP 2.1.3 bugs that a
# remote peer can trigger, issue 10) are applied with `patch` (a dependency of
# dpkg-dev) and recorded in the stamp: a tree whose stamp names another patch
# set is fetched and patched again. With --check DIR (a user's LWIP_DIR) the
# tree must be 2.1.3 with every patch applied; we say which one is missing and
# how to apply it, and never change a user's tree.
set -euo pipefail

WANT=2.1.3
DEST=${1:-third_party/lwip-$WANT}
[ "$DEST" != "--check" ] || DEST=/nonexistent
STAMP="$DEST/.stm32net-lwip-ok"
PATCHES=$(cd "$(dirname "$0")/lwip-patches" && pwd)
patch_list() { LC_ALL=C ls "$PATCHES"/*.patch 2>/dev/null; }
# what the stamp records: the version and a hash of the patch set
PATCH_ID=$(patch_list | xargs cat 2>/dev/null | sha256sum | cut -c1-16)

check_tree() {
  local h="$1/src/include/lwip/init.h"
  [ -f "$h" ] || return 1
  local maj min rev
  # upstream ships this header with CRLF line ends
  maj=$(tr -d '\r' < "$h" | awk '/define LWIP_VERSION_MAJOR/{print $3}')
  min=$(tr -d '\r' < "$h" | awk '/define LWIP_VERSION_MINOR/{print $3}')
  rev=$(tr -d '\r' < "$h" | awk '/define LWIP_VERSION_REVISION/{print $3}')
  [ "$maj.$min.$rev" = "$WANT" ]
}

if [ "${1:-}" = "--check" ]; then
  # LWIP_DIR=... names someone's own tree: use it only if it is 2.1.3.
  dir=${2:?usage: fetch-lwip.sh --check DIR}
  if ! check_tree "$dir"; then
    echo "fetch-lwip: $dir does not hold the lwIP $WANT sources (src/include/lwip/init.h)" >&2
    exit 1
  fi
  command -v patch >/dev/null 2>&1 || { echo "fetch-lwip: needs 'patch' to check $dir" >&2; exit 1; }
  miss=0
  for p in $(patch_list); do
    # applied = it reverses cleanly
    if ! patch -p1 -R --dry-run --batch -s -f -d "$dir" < "$p" >/dev/null 2>&1; then
      echo "fetch-lwip: $dir lacks $(basename "$p") (a remote DoS fix, see its header);" \
           "apply it: patch -p1 -d $dir < $p" >&2
      miss=1
    fi
  done
  exit $miss
fi

if [ -f "$STAMP" ] && grep -qx "[^ ]* patches=$PATCH_ID" "$STAMP" &&
   check_tree "$DEST"; then
  exit 0
fi
[ ! -f "$STAMP" ] || echo "fetch-lwip: $DEST was made with another patch set; fetching it again"
command -v patch >/dev/null 2>&1 || { echo "fetch-lwip: 'patch' is missing (run: make deps)" >&2; exit 1; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || {
    echo "fetch-lwip: not root and no sudo: cannot add the deb-src entry (or set LWIP_DIR)" >&2; exit 2; }
  SUDO=sudo
fi

# 1. A deb-src entry mirroring the machine's deb entries (same URIs, suites).
SRCFILE=/etc/apt/sources.list.d/stm32net-deb-src.sources
if ! apt-cache showsrc lwip 2>/dev/null | grep -q '^Version:'; then
  tmp=$(mktemp)
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && [ "$f" != "$SRCFILE" ] || continue
    # deb822 stanzas: keep those whose URIs point at a Debian archive.
    awk 'BEGIN{RS=""; ORS="\n\n"} /Types:[^\n]*deb/ && /URIs:/ {
           gsub(/Types:[^\n]*/, "Types: deb-src"); print }' "$f" >> "$tmp"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    grep -E '^deb ' "$f" | sed -E 's/^deb /deb-src /' | while read -r _ rest; do
      # one-line form -> deb822 stanza
      set -- $rest
      opts=""; if [[ "$1" == \[* ]]; then opts="$1"; shift; fi
      uri=$1; suite=$2; shift 2
      printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: %s\n' "$uri" "$suite" "$*"
      if [[ "$opts" == *signed-by=* ]]; then
        sb=${opts#*signed-by=}; sb=${sb%%[] ]*}; printf 'Signed-By: %s\n' "$sb"
      fi
      printf '\n'
    done >> "$tmp"
  done
  if ! [ -s "$tmp" ]; then
    echo "fetch-lwip: no apt sources found to derive a deb-src entry from" >&2; exit 1
  fi
  $SUDO install -m 0644 "$tmp" "$SRCFILE"; rm -f "$tmp"
  $SUDO apt-get update -q >/dev/null 2>&1 || true
fi

ver=$(apt-cache showsrc lwip 2>/dev/null | awk '/^Version:/{print $2; exit}')
case "$ver" in
  "$WANT"+*|"$WANT"-*) ;;
  "") echo "fetch-lwip: Debian's archive offers no lwip source package" >&2; exit 1 ;;
  *) echo "fetch-lwip: Debian offers lwip $ver, but stm32net needs $WANT (set LWIP_DIR to your own $WANT tree)" >&2; exit 1 ;;
esac

dl=$(mktemp -d)
trap 'rm -rf "$dl"' EXIT
( cd "$dl" && apt-get source --download-only "lwip=$ver" >/dev/null 2>"$dl/err" ) || {
  cat "$dl/err" >&2; echo "fetch-lwip: download of lwip $ver failed" >&2; exit 1; }
orig=$(ls "$dl"/lwip_*.orig.tar.* 2>/dev/null | head -n1)
[ -n "$orig" ] || { echo "fetch-lwip: no .orig tarball downloaded" >&2; exit 1; }

rm -rf "$DEST"; mkdir -p "$DEST"
tar -xf "$orig" -C "$DEST" --strip-components=1
if ! check_tree "$DEST"; then
  echo "fetch-lwip: the unpacked tree is not lwIP $WANT" >&2; exit 1
fi
for p in $(patch_list); do
  patch -p1 --forward --batch -s -d "$DEST" < "$p" ||
    { echo "fetch-lwip: $(basename "$p") does not apply to lwIP $ver" >&2; exit 1; }
  echo "fetch-lwip: applied $(basename "$p")"
done
echo "$ver patches=$PATCH_ID" > "$STAMP"
echo "fetch-lwip: lwIP $ver unpacked in $DEST (patches $PATCH_ID)"
