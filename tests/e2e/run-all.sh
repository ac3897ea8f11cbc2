#!/usr/bin/env bash
# Runs every end-to-end test (tests/e2e/[0-9]*.sh) in order, each in its own
# bash, and prints one summary line. A test that cannot run prints why and
# fails: skipping is never the normal path.
set -uo pipefail
cd "$(dirname "$0")/../.."

pass=0; fail=0; failed=()
for t in tests/e2e/[0-9]*.sh; do
  [ -f "$t" ] || continue
  echo "== e2e $t"
  start=$(date +%s)
  if bash "$t"; then
    pass=$((pass + 1)); echo "== PASS $t ($(( $(date +%s) - start )) s)"
  else
    fail=$((fail + 1)); failed+=("$t"); echo "== FAIL $t ($(( $(date +%s) - start )) s)"
  fi
done
[ ${#failed[@]} -eq 0 ] || printf 'failed: %s\n' "${failed[@]}"
echo "e2e: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
