#!/usr/bin/env bash
# tests/fuzz/replay.sh BINDIR TARGET... - the regression half of the fuzzers
# (run by make test through make fuzz-replay): every file in
# tests/fuzz/corpus/TARGET/ (seeds and the reproducers of fixed crashes) runs
# once through build/fuzz/fuzz_TARGET under ASan+UBSan, then the coverage the
# corpus reaches is held against tests/fuzz/floors.txt:
#   TARGET MIN_COV FUNC...   libFuzzer's "cov:" figure (edges of the
#                            instrumented code reached) must be >= MIN_COV and
#                            every FUNC must be entered (-print_coverage)
# so a change that makes the seeds miss the code they exist for fails here.
# tests/fuzz/pending/ (reproducers of bugs not fixed yet) is not replayed.
set -uo pipefail
cd "$(dirname "$0")/../.."
bindir=$1; shift
floors=tests/fuzz/floors.txt
fail=0
for t in "$@"; do
  bin=$bindir/fuzz_$t
  dir=tests/fuzz/corpus/$t
  line=$(awk -v t="$t" '$1 == t' "$floors")
  if [ -z "$line" ]; then echo "fuzz-replay $t: FAIL: no floor in $floors"; fail=1; continue; fi
  if [ ! -d "$dir" ] || [ -z "$(ls -A "$dir")" ]; then echo "fuzz-replay $t: FAIL: no corpus in $dir"; fail=1; continue; fi
  read -r _ floor funcs <<<"$line"
  n=$(ls "$dir" | wc -l)
  log=$(mktemp)
  art=$(mktemp -d)   # libFuzzer writes a crashing input again: not into the work tree
  # -runs=0: run the corpus once, generate nothing. Each input has 10 s.
  if ! ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
       "$bin" -runs=0 -timeout=10 -print_coverage=1 -artifact_prefix="$art/" "$dir" >"$log" 2>&1; then
    grep -E "ERROR|SUMMARY|Test failed|FAIL|panic" "$log" | head -20
    echo "fuzz-replay $t: FAIL: an input of $dir crashed (full log above; rerun: $bin $dir/FILE)"
    fail=1; rm -rf "$log" "$art"; continue
  fi
  cov=$(sed -n 's/.*INITED cov: \([0-9]*\).*/\1/p' "$log" | head -1)
  missing=""
  for f in $funcs; do
    grep -qE "^COVERED_FUNC: .* $f " "$log" || missing="$missing $f"
  done
  rm -rf "$log" "$art"
  if [ -z "$cov" ]; then echo "fuzz-replay $t: FAIL: no coverage figure from libFuzzer"; fail=1; continue; fi
  if [ "$cov" -lt "$floor" ]; then
    echo "fuzz-replay $t: FAIL: $n inputs reach cov $cov, below the floor $floor"; fail=1; continue
  fi
  if [ -n "$missing" ]; then
    echo "fuzz-replay $t: FAIL: the corpus never enters:$missing"; fail=1; continue
  fi
  echo "fuzz-replay $t: PASS ($n inputs, cov $cov >= floor $floor, enters $(wc -w <<<"$funcs") named functions)"
done
exit $fail
