#!/usr/bin/env bash
# DFU runtime end to end (issue 12): a QEMU guest attaches the simulator over
# USB/IP, Debian's dfu-util lists the DFU runtime interface, and make flash's
# script (scripts/flash-dfu.sh) detaches it with dfu-util -e;
# the simulator logs that the chip would now enter its ROM bootloader, pulls
# the cable (the USB/IP connection closes, the guest's kernel sees the device
# leave); started with --after-detach replug it is back a second later and
# the guest attaches it again (cdc_ether binds). The plain "exit 0 after the
# detach" is 30-tap-services' (POST /api/bootloader takes the same path).
# Layer: e2e test, host side; the guest side is scripts/guest/dfu-check.sh.
# Needs: build/stm32net-sim, qemu-system-x86_64, the guest image (with dfu-util).
# Network: as 50-kernel-usbip.sh (127.0.0.1 only; the guest sees it as 10.0.2.2).
# 58-chip-dfu-detach.sh runs this same test on the emulated chip: it sets
# E2E_NAME, E2E_SIM_ARGS (extra simulator arguments: --chip ELF), E2E_DETACH_LOG
# (the simulator's line for "the ROM bootloader is entered now") and may define
# e2e_extra_checks (more checks on $SIM_LOG, 0 = pass).
set -euo pipefail
E2E_NAME=${E2E_NAME:-56-dfu-detach}
E2E_SIM_ARGS=${E2E_SIM_ARGS:-}
E2E_DETACH_LOG=${E2E_DETACH_LOG:-enter the ROM DFU bootloader}
source "$(dirname "$0")/lib.sh"

e2e_guest_test_init
# shellcheck disable=SC2086  # E2E_SIM_ARGS: words, no spaces in them
e2e_usbip_sim "$SIM_LOG" --after-detach replug $E2E_SIM_ARGS
port=$E2E_PORT

script=$E2E_TMP/test.sh
{ echo "PORT=$port"; echo "BUSID=1-1"; cat "$E2E_ROOT/scripts/guest/dfu-check.sh"; } > "$script"
qrc=0; e2e_guest_run "$script" "$CONSOLE" "${QEMU_TIMEOUT:-90}" || qrc=$?
trap 'rc=$?; [ $rc -eq 0 ] || { e2e_dump "guest console" "$CONSOLE"; e2e_dump "simulator log" "$SIM_LOG"; }; e2e_cleanup' EXIT
[ "$qrc" -eq 0 ] || e2e_fail "qemu exited with $qrc (124 = timeout)"

declare -A got=()
while read -r _ k v; do got[$k]=$v; done < <(tr -d '\r' < "$CONSOLE" | grep -a '^RESULT ')
bad=0
for c in "attach ok" "iface cdc_ether" "dfu_list runtime" "dfu_intf 2" "dfu_name stm32net_DFU_runtime" \
         "dfu_detach ok" "flash_no_rom exit2" "dev_gone yes" "iface_gone yes" "flash_no_device exit2" \
         "attach2 ok" "iface2 cdc_ether" "dfu_list2 runtime" "done yes"; do
  k=${c%% *}; want=${c#* }
  if [ "${got[$k]:-<missing>}" = "$want" ]; then printf '  ok    %-12s %s\n' "$k" "$want"
  else printf '  FAIL  %-12s got "%s", expected "%s"\n' "$k" "${got[$k]:-<missing>}" "$want"; bad=1; fi
done
# --after-detach replug: the simulator unplugged, came back and still runs
if kill -0 "$E2E_SIM_PID" 2>/dev/null; then echo "  ok    sim_running  after the replug"
else echo "  FAIL  sim_running  the simulator exited"; bad=1; fi
for l in "$E2E_DETACH_LOG" 'unplugged; back in 1 s' 'replugged, exporting again'; do
  if grep -q "$l" "$SIM_LOG"; then echo "  ok    sim_log      $l"
  else echo "  FAIL  sim_log      no '$l'"; bad=1; fi
done
if declare -F e2e_extra_checks >/dev/null; then
  e2e_extra_checks || bad=1
fi
[ $bad -eq 0 ] || e2e_fail "DFU checks failed"
e2e_log "PASS"
