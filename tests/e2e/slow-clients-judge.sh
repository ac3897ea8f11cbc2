# shellcheck shell=bash
# Judges the RESULT lines of scripts/guest/slow-clients.sh (sc_run) for
# tests/e2e/35-slow-clients.sh (TAP) and 55-kernel-slow-clients.sh (guest).
# Layer: test infrastructure, sourced after lib.sh (uses e2e_ok / e2e_no).
# sc_judge FILE [LIMIT_MS]: every answer within LIMIT_MS (default 200), all
# of them while the stalled clients held (before their 408 at 2 s), and
# GET /api/mem at idle again afterwards. Other RESULT keys are left in SC_GOT.
declare -A SC_GOT=()
sc_judge() {
  local file=$1 limit=${2:-200} k v w before
  while read -r _ k v; do SC_GOT[$k]=$v; done < <(tr -d '\r' < "$file" | grep -a '^RESULT ')
  for k in sc_dns sc_dhcp sc_http; do e2e_expect "$k" ok "${SC_GOT[$k]:-<missing>}"; done
  for k in sc_ping_ms sc_dns_ms sc_dhcp_ms sc_http_ms; do
    v=${SC_GOT[$k]:-<missing>}
    if [[ "$v" =~ ^[0-9]+$ ]] && [ "$v" -le "$limit" ]; then e2e_ok "$k $v ms (<= $limit)"
    else e2e_no "$k: got \"$v\", expected <= $limit ms"; fi
  done
  w=${SC_GOT[sc_window_ms]:-x}
  if [[ "$w" =~ ^[0-9]+$ ]] && [ "$w" -lt 2000 ]; then
    e2e_ok "all answered ${w} ms after the stalled clients came (before their 408)"
  else e2e_no "measurements took \"$w\" ms: not all inside the stall"; fi
  before=${SC_GOT[sc_mem_before]:-none}
  if [ "$before" != none ] && [ "$before" = "${SC_GOT[sc_mem_after]:-}" ]; then
    e2e_ok "pools and heap back at idle: $before"
  else e2e_no "pools/heap before \"$before\", after \"${SC_GOT[sc_mem_after]:-<missing>}\""; fi
}
