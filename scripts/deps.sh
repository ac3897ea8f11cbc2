#!/usr/bin/env bash
# Installs every Debian package the project needs (build, unit tests, simulator,
# cross build, end-to-end tests). Idempotent: packages already present are not
# touched, so a second run costs one dpkg query. Uses sudo when not root.
set -euo pipefail

PKGS=(
  build-essential pkg-config make
  libcmocka-dev libpcap-dev libunicorn-dev
  gcc-arm-none-eabi libnewlib-arm-none-eabi binutils-arm-none-eabi
  dpkg-dev xz-utils ca-certificates
  qemu-system-x86 busybox-static usbip cpio kmod dfu-util
  iproute2 ethtool jq tcpdump dnsutils curl udhcpc
  python3        # tests/e2e/raw_tcp.py, http_raw.py, the DNS e2e's raw TCP client
  chromium debootstrap tshark
  knot-dnsutils                         # DNS e2e: kdig (TCP, EDNS padding)
  avahi-daemon avahi-utils dbus         # mDNS e2e: a real mDNS querier (avahi-resolve)
  clang libclang-rt-14-dev   # libFuzzer + sanitizer runtimes: make fuzz, the corpus replay in make test
  iperf
)
# The browser test's driver (puppeteer-core) comes from the npm registry: node
# and npm from Debian unless the machine already has them (NodeSource's
# nodejs bundles npm and conflicts with Debian's npm package).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then PKGS+=(nodejs npm); fi
# The Docker test needs an engine. Debian's docker.io only when no engine is
# there: a machine with Docker's own packages keeps them (they conflict).
if ! command -v dockerd >/dev/null 2>&1; then PKGS+=(docker.io); fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "deps: not root and no sudo; install as root: ${PKGS[*]}" >&2; exit 2
  fi
fi

missing=()
for p in "${PKGS[@]}"; do
  st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$st" = "installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  # A stale or partly unreachable third-party list must not stop us: Debian's
  # own lists are what we need, and apt-get install fails loudly if they are missing.
  $SUDO apt-get update -q || echo "deps: apt-get update reported errors; trying install anyway" >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
  # The mDNS test starts its own avahi-daemon inside a namespace. One that the
  # package starts on a systemd host would announce this machine on its real
  # network: a machine that did not run avahi before does not run it now.
  if [[ " ${missing[*]} " == *" avahi-daemon "* ]] && [ -d /run/systemd/system ]; then
    $SUDO systemctl disable --now avahi-daemon.socket avahi-daemon.service >/dev/null 2>&1 || true
  fi
fi

# puppeteer-core, exactly as tests/browser/package-lock.json pins it, into the
# ignored tests/browser/node_modules; redone only when the lock file changes.
# --ignore-scripts: no install scripts run (puppeteer-core downloads no
# browser anyway; the test uses Debian's chromium).
web=$(cd "$(dirname "$0")/../tests/browser" && pwd)
lock=$(sha256sum "$web/package-lock.json" | cut -d' ' -f1)
if [ "$(cat "$web/node_modules/.stm32net-lock" 2>/dev/null || true)" != "$lock" ]; then
  echo "deps: npm ci (puppeteer-core for the browser test)"
  (cd "$web" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
  echo "$lock" > "$web/node_modules/.stm32net-lock"
fi
