# shellcheck shell=bash
# Shared helpers for the end-to-end tests (sourced, not run).
# Layer: test infrastructure. Needs bash 4+, coreutils, iproute2; the QEMU
# helpers need qemu-system-x86_64, cpio, gzip.
# Conventions: every helper is bounded in time; a test registers what it starts
# (e2e_track_pid, e2e_track_netns, e2e_track_dir) and e2e_cleanup, installed as
# the EXIT trap by e2e_init, removes all of it. Missing tools make the test
# FAIL with a reason (e2e_need), never skip.
# Network rule: helpers only address loopback, the QEMU guest and namespaces
# the test created itself.

E2E_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
E2E_SIM=${E2E_SIM:-$E2E_ROOT/build/stm32net-sim}
E2E_PIDS=()
E2E_NETNS=()
E2E_DIRS=()
E2E_NAME=${E2E_NAME:-$(basename "${0%.sh}")}

e2e_log() { echo "[$E2E_NAME] $*"; }
e2e_fail() { echo "[$E2E_NAME] FAIL: $*" >&2; exit 1; }

# e2e_need TOOL... : fail (not skip) when a tool is missing.
e2e_need() {
  local t miss=()
  for t in "$@"; do command -v "$t" >/dev/null 2>&1 || miss+=("$t"); done
  [ ${#miss[@]} -eq 0 ] || e2e_fail "missing: ${miss[*]} (run: make deps)"
}

e2e_need_root() {
  [ "$(id -u)" -eq 0 ] || e2e_fail "needs root (network namespaces / TAP)"
}

# e2e_need_sim: the simulator binary must exist (make sim builds it).
e2e_need_sim() {
  [ -x "$E2E_SIM" ] || e2e_fail "no simulator at $E2E_SIM (run: make sim)"
}

e2e_track_pid() { E2E_PIDS+=("$1"); }
e2e_track_netns() { E2E_NETNS+=("$1"); }
e2e_track_dir() { E2E_DIRS+=("$1"); }

# Stop our processes (TERM, then KILL after 3 s), delete namespaces and dirs.
e2e_cleanup() {
  local rc=$? p i n d
  set +e
  for p in "${E2E_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${E2E_PIDS[@]}"; do
    for i in $(seq 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  for n in "${E2E_NETNS[@]}"; do
    # Anything still running inside (started by ip netns exec) goes first.
    for p in $(ip netns pids "$n" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
    ip netns delete "$n" 2>/dev/null
  done
  for d in "${E2E_DIRS[@]}"; do rm -rf -- "$d"; done
  return $rc
}

# e2e_init: temp dir in $E2E_TMP, cleanup trap on EXIT/INT/TERM.
e2e_init() {
  E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/stm32net-e2e.XXXXXX")
  e2e_track_dir "$E2E_TMP"
  trap e2e_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# e2e_free_port: a TCP port on 127.0.0.1 nobody listens on right now.
e2e_free_port() {
  local p i
  for i in $(seq 50); do
    p=$(( 20000 + RANDOM % 30000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  return 1
}

# e2e_wait_line FILE REGEX SECONDS: wait until a line of FILE matches (ERE);
# prints that line. Fails after SECONDS.
e2e_wait_line() {
  local file=$1 re=$2 secs=$3 end line
  end=$(( $(date +%s%N) / 1000000 + secs * 1000 ))
  while [ $(( $(date +%s%N) / 1000000 )) -lt "$end" ]; do
    if [ -f "$file" ] && line=$(grep -E -m1 -- "$re" "$file"); then
      echo "$line"; return 0
    fi
    sleep 0.1
  done
  return 1
}

# e2e_wait_pid_line PID FILE REGEX SECONDS: as above, but give up early when
# the process died.
e2e_wait_pid_line() {
  local pid=$1 file=$2 re=$3 secs=$4 end line
  end=$(( $(date +%s%N) / 1000000 + secs * 1000 ))
  while [ $(( $(date +%s%N) / 1000000 )) -lt "$end" ]; do
    if [ -f "$file" ] && line=$(grep -E -m1 -- "$re" "$file"); then
      echo "$line"; return 0
    fi
    kill -0 "$pid" 2>/dev/null || { sleep 0.2; grep -E -m1 -- "$re" "$file" 2>/dev/null && return 0; return 1; }
    sleep 0.1
  done
  return 1
}

# e2e_dump TITLE FILE: print a log file framed, for failure reports.
e2e_dump() {
  echo "----- $1 ($2) -----"
  if [ -f "$2" ]; then cat -v -- "$2"; else echo "(missing)"; fi
  echo "----- end $1 -----"
}

# ----------------------------------------------------------- simulator

# e2e_sim_start LOG ARGS...: start the simulator in the background (stdout and
# stderr to LOG), sets E2E_SIM_PID. Use "ip netns exec NS" via E2E_SIM_PREFIX.
e2e_sim_start() {
  local log=$1; shift
  # shellcheck disable=SC2086
  ${E2E_SIM_PREFIX:-} "$E2E_SIM" "$@" >"$log" 2>&1 &
  E2E_SIM_PID=$!
  e2e_track_pid "$E2E_SIM_PID"
}

# e2e_usbip_sim LOG [SIM ARGS...]: start the simulator exporting over USB/IP
# on 127.0.0.1 (a free port, line-buffered so its first line shows up at
# once) and wait for its export line; sets E2E_SIM_PID, E2E_PORT, E2E_BUSID.
# Must run in the test's own shell (it tracks the simulator).
e2e_usbip_sim() {
  local log=$1 line secs=${E2E_SIM_START_TIMEOUT:-10}; shift
  E2E_SIM_PREFIX="stdbuf -oL -eL" e2e_sim_start "$log" --listen 127.0.0.1:0 "$@"
  line=$(e2e_wait_pid_line "$E2E_SIM_PID" "$log" '^stm32net-sim: exporting ' "$secs") || {
    e2e_dump "simulator log" "$log"; e2e_fail "simulator did not print its export line within $secs s"; }
  e2e_log "$line"
  E2E_PORT=$(sed -n 's/^stm32net-sim: exporting [^ ]* on 127\.0\.0\.1:\([0-9][0-9]*\) .*/\1/p' <<<"$line")
  E2E_BUSID=$(sed -n 's/^stm32net-sim: exporting \([^ ]*\) on .*/\1/p' <<<"$line")
  [[ "$E2E_PORT" =~ ^[0-9]+$ ]] && [ "$E2E_PORT" -gt 0 ] || e2e_fail "cannot read the port from: $line"
}

# ----------------------------------------------------------- namespaces

# e2e_netns_add NAME: a fresh namespace with loopback up, deleted on exit.
e2e_netns_add() {
  local ns=$1
  ip netns add "$ns" || e2e_fail "ip netns add $ns failed"
  e2e_track_netns "$ns"
  ip netns exec "$ns" ip link set lo up
}

# e2e_ns_wait_link NS IFNAME SECONDS: wait until IFNAME exists in NS.
e2e_ns_wait_link() {
  local ns=$1 ifn=$2 secs=$3 i
  for i in $(seq $((secs * 10))); do
    ip netns exec "$ns" ip link show "$ifn" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

# e2e_udhcpc_script PATH: a udhcpc script that prints the lease as
# "LEASE key value" lines and configures the interface (no default route:
# the device offers none, and we never route off the link anyway).
e2e_udhcpc_script() {
  cat >"$1" <<'EOF'
#!/bin/sh
# udhcpc event script: print the lease, configure the address only.
case "$1" in
  bound|renew)
    echo "LEASE ip ${ip:-none}"
    # busybox: $subnet is the dotted mask, $mask the prefix length
    echo "LEASE subnet ${subnet:-none}"
    echo "LEASE mask ${mask:-none}"
    echo "LEASE router ${router:-none}"
    echo "LEASE dns ${dns:-none}"
    echo "LEASE domain ${domain:-none}"
    echo "LEASE serverid ${serverid:-none}"
    echo "LEASE lease ${lease:-none}"
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
  chmod +x "$1"
}

# ----------------------------------------------------------- QEMU guest

E2E_GUEST_DIR=${E2E_GUEST_DIR:-$E2E_ROOT/build/guest}

# e2e_guest_build: build or reuse the cached kernel + initramfs.
e2e_guest_build() {
  bash "$E2E_ROOT/scripts/guest/build-guest.sh" "$E2E_GUEST_DIR" ||
    e2e_fail "guest build failed"
}

# e2e_guest_run SCRIPT CONSOLE_LOG TIMEOUT: boot the guest with SCRIPT as its
# /test.sh (a second cpio archive appended to the cached initramfs) and wait
# for it to power off. Returns qemu's status (124 on timeout).
e2e_guest_run() {
  local script=$1 log=$2 secs=$3 ov rc
  ov=$(mktemp -d "$E2E_TMP/overlay.XXXXXX")
  install -m 0755 "$script" "$ov/test.sh"
  (cd "$ov" && echo test.sh | cpio -o -H newc --owner=0:0 --quiet) | gzip -1 > "$ov.cpio.gz"
  cat "$E2E_GUEST_DIR/initramfs.gz" "$ov.cpio.gz" > "$ov.initrd"
  # TCG, not KVM: KVM hangs in the BIOS on the test machines (TESTBED.md).
  # -nic user: the guest sees the host's loopback as 10.0.2.2, nothing is
  # forwarded into the guest.
  timeout -k 5 "$secs" qemu-system-x86_64 -accel tcg -m 384 -nographic -no-reboot \
    -kernel "$E2E_GUEST_DIR/vmlinuz" -initrd "$ov.initrd" \
    -append "console=ttyS0 quiet panic=-1" \
    -nic user,model=e1000 -monitor none -serial stdio </dev/null >"$log" 2>&1 &
  E2E_QEMU_PID=$!
  e2e_track_pid "$E2E_QEMU_PID"
  rc=0; wait "$E2E_QEMU_PID" || rc=$?
  return $rc
}

# ----------------------------------------------------------- TAP mode

# e2e_tap_sim NS LOG [SIM ARGS...]: in namespace NS (created by the caller),
# start the simulator with --tap tap0 (plus ARGS), wait for its
# "TAP tap0 up" line and bring tap0 up. The host side gets no address here.
# Sets E2E_SIM_PID; must not run in a subshell ($()), or nothing is tracked.
e2e_tap_sim() {
  local ns=$1 log=$2; shift 2
  E2E_SIM_PREFIX="ip netns exec $ns stdbuf -oL -eL" e2e_sim_start "$log" --tap tap0 "$@"
  local line
  line=$(e2e_wait_pid_line "$E2E_SIM_PID" "$log" '^stm32net-sim: TAP tap0 up' 10) || {
    e2e_dump "simulator log" "$log"; e2e_fail "simulator did not report 'TAP tap0 up' within 10 s"; }
  e2e_log "$line"
  e2e_ns_wait_link "$ns" tap0 5 || e2e_fail "tap0 does not exist in $ns"
  ip netns exec "$ns" ip link set tap0 up
}

# e2e_stop_pid PID SECONDS: SIGTERM, wait up to SECONDS; sets E2E_STOP_RC to
# the exit status, or "timeout" (after which it is killed). Not for use in $():
# only this shell can wait for its own children.
e2e_stop_pid() {
  local pid=$1 secs=$2 i
  E2E_STOP_RC=0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq $((secs * 10))); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
    E2E_STOP_RC=timeout; return 0
  fi
  wait "$pid" 2>/dev/null || E2E_STOP_RC=$?
}

# e2e_chromium_flags DIR: the flags TESTBED.md verified for headless Chromium
# as root, with a fresh profile in DIR.
e2e_chromium_flags() {
  printf '%s\n' --headless --no-sandbox --disable-gpu --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --disable-default-apps --disable-extensions --no-default-browser-check \
    "--user-data-dir=$1"
}

# e2e_browser_ns PREFIX: the set-up the browser tests share - checks root,
# tools, the simulator and Chromium (sets CHROMIUM), e2e_init, a namespace
# PREFIX-<pid> (sets NS) with the simulator in TAP mode (log in SIM_LOG) and
# the static host address 192.168.7.2/24 on tap0 (the page, not DHCP, is
# what these test). On failure the EXIT trap prints the simulator log and
# Chromium's stderr ($E2E_TMP/chromium.err) before cleaning up. Must run in
# the test's own shell (it installs the trap and tracks the simulator).
e2e_browser_ns() {
  e2e_need_root
  e2e_need ip stdbuf timeout
  e2e_need_sim
  CHROMIUM=$(e2e_find_chromium)
  e2e_init
  NS=$1-$$
  SIM_LOG=$E2E_TMP/sim.log
  e2e_netns_add "$NS"
  trap 'rc=$?; [ $rc -eq 0 ] || { e2e_dump "simulator log" "$SIM_LOG"; e2e_dump "chromium stderr" "$E2E_TMP/chromium.err"; }; e2e_cleanup' EXIT
  e2e_tap_sim "$NS" "$SIM_LOG"
  ip netns exec "$NS" ip addr add 192.168.7.2/24 dev tap0
}

# e2e_chromium STDOUT ARGS...: headless Chromium in $NS (e2e_browser_ns)
# with the e2e_chromium_flags profile in $E2E_TMP, bounded to 60 s; stdout to
# STDOUT, stderr to $E2E_TMP/chromium.err. Sets E2E_CHROMIUM_RC (124 =
# timeout), never fails by itself.
e2e_chromium() {
  local out=$1 flags; shift
  mapfile -t flags < <(e2e_chromium_flags "$E2E_TMP/profile")
  E2E_CHROMIUM_RC=0
  HOME=$E2E_TMP ip netns exec "$NS" timeout -k 5 60 "$CHROMIUM" "${flags[@]}" "$@" \
    >"$out" 2>"$E2E_TMP/chromium.err" || E2E_CHROMIUM_RC=$?
}

# e2e_find_chromium: prints the chromium binary or fails.
e2e_find_chromium() {
  local c
  for c in chromium chromium-browser; do
    command -v "$c" >/dev/null 2>&1 && { command -v "$c"; return 0; }
  done
  e2e_fail "chromium is not installed (Debian package 'chromium'; run: apt-get install chromium)"
}

# ----------------------------------------------------------- checks

# e2e_ok / e2e_no MESSAGE: one check line ("ok" / "FAIL"); e2e_no sets
# E2E_BAD=1, which the test turns into its exit status at the end.
E2E_BAD=0
e2e_ok() { printf '  ok    %s\n' "$*"; }
e2e_no() { printf '  FAIL  %s\n' "$*"; E2E_BAD=1; }
# e2e_expect NAME EXPECTED ACTUAL
e2e_expect() { if [ "$2" = "$3" ]; then e2e_ok "$1: $3"; else e2e_no "$1: got \"$3\", expected \"$2\""; fi; }

# e2e_tap_lease NS LOG [SIM ARGS...]: e2e_tap_sim, then one DHCP lease for
# tap0 (busybox udhcpc; the host side becomes 192.168.7.2). Fails the test
# without a lease. Like e2e_tap_sim, not for use in a subshell.
e2e_tap_lease() {
  local ns=$1
  e2e_tap_sim "$@"
  e2e_udhcpc_script "$E2E_TMP/udhcpc-lease.sh"
  ip netns exec "$ns" timeout 30 busybox udhcpc -i tap0 -s "$E2E_TMP/udhcpc-lease.sh" -n -q -t 5 -T 2 -f \
    >/dev/null 2>&1 || e2e_fail "udhcpc got no lease on tap0"
}

# e2e_tap_client PREFIX: the usual TAP-mode test set-up after e2e_init: NS
# (PREFIX-<pid>), SIM_LOG, DEV; nsx CMD... runs CMD in NS; the simulator on
# tap0 with a DHCP lease for the client side; on failure (exit status or
# E2E_BAD) the simulator log is printed; cleanup on exit.
e2e_tap_client() {
  NS=$1-$$
  SIM_LOG=$E2E_TMP/sim.log
  DEV=192.168.7.1
  e2e_netns_add "$NS"
  trap 'rc=$?; [ $rc -eq 0 ] && [ $E2E_BAD -eq 0 ] || e2e_dump "simulator log" "$SIM_LOG"; e2e_cleanup' EXIT
  e2e_tap_lease "$NS" "$SIM_LOG"
}
nsx() { ip netns exec "$NS" "$@"; }

# e2e_api_mem: GET /api/mem from inside NS (lwIP's pools and heap in use);
# e2e_mem_used NAME JSON: the "used" figure of pool NAME (or heap) in JSON.
e2e_api_mem() { nsx curl -sS -m 5 "http://$DEV/api/mem" 2>&1 || true; }
e2e_mem_used() { sed -n "s/.*\"$1\":{\"used\":\([0-9]*\).*/\1/p" <<<"$2"; }

# e2e_guest_test_init [TOOL...]: the set-up every real-kernel test starts with:
# qemu and the other tools it needs (plus TOOLs), build/stm32net-sim, the temp
# folder, the cached guest image; SIM_LOG and CONSOLE name the logs in it.
e2e_guest_test_init() {
  e2e_need qemu-system-x86_64 cpio gzip timeout stdbuf "$@"
  e2e_need_sim
  e2e_init
  e2e_guest_build
  SIM_LOG=$E2E_TMP/sim.log
  CONSOLE=$E2E_TMP/console.log
}
