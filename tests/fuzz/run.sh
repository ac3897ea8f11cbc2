#!/usr/bin/env bash
# tests/fuzz/run.sh BINDIR SECONDS TARGET... - make fuzz: each target in turn
# for SECONDS on a scratch copy of its corpus (build/fuzz/work/TARGET, so new
# inputs never land in git), crashes into build/fuzz/artifacts/TARGET/.
# Prints one line per target: execs, execs/s, coverage, new inputs, result.
# Exit status 1 if any target found a crash, leak or timeout.
set -uo pipefail
cd "$(dirname "$0")/../.."
bindir=$1; secs=$2; shift 2
fail=0; summary=()
for t in "$@"; do
  work=$bindir/work/$t; art=$bindir/artifacts/$t
  mkdir -p "$work" "$art"
  cp -n tests/fuzz/corpus/"$t"/* "$work"/ 2>/dev/null || true
  log=$bindir/fuzz_$t.log
  echo "== fuzz $t for $secs s (log $log)"
  rc=0
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "$bindir/fuzz_$t" -max_total_time="$secs" -timeout=10 -max_len=4096 -print_final_stats=1 \
    -artifact_prefix="$art/" "$work" >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  added=$(sed -n 's/^stat::new_units_added: *//p' "$log")
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
  res=ok
  if [ "$rc" -ne 0 ]; then
    res="FOUND A BUG (exit $rc): $(ls -t "$art" | head -1) - see $log"; fail=1
    grep -E "^==[0-9]+==ERROR|SUMMARY|runtime error" "$log" | head -5
  fi
  summary+=("$(printf '%-8s execs %-10s execs/s %-7s %-22s new inputs %-5s %s' "$t" "${execs:-?}" "${eps:-?}" "${cov:-cov: ?}" "${added:-?}" "$res")")
done
printf '%s\n' "${summary[@]}"
exit $fail
