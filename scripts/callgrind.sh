#!/usr/bin/env bash
# Instructions per message of the single-thread scenarios, under callgrind:
# instruction counts do not depend on what else the machine is doing, so they
# compare implementations where wall-clock timings swing.
#
# Each implementation runs twice, with A and B messages in one timing round;
# (Ir(B) - Ir(A)) / (B - A) cancels start-up, set-up, warm-up and the
# allocation round, leaving the cost of one message: for single/* that is one
# publish plus one consume (both halves run; only one is timed), plus the
# harness's in-order check, the same for every implementation.
#
#   scripts/callgrind.sh [scenario ...]     (default: the single-thread ones)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)"; exit 1; }
cargo build --release -p zerocast-bench >&2
bin=target/release/zerocast-bench
A=20480
B=40960
scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(single/publish/u64 pool/acquire-release/1033 spsc/async/u64)
out=$(mktemp -d)
instructions() { # scenario implementation messages
  valgrind --tool=callgrind --callgrind-out-file="$out/cg" "$bin" --quick --rounds 1 \
    --filter "$1" --only "$2" --messages "$3" >/dev/null 2>&1
  awk '/^(summary|totals):/ { print $2; exit }' "$out/cg"
}
echo "| scenario | implementation | instructions/msg |"
echo "|---|---|---:|"
for scenario in "${scenarios[@]}"; do
  impls=$("$bin" --list --filter "$scenario" | awk -v s="$scenario" '$1 == s { $1 = ""; print }' \
    | tr ',' '\n' | grep -v 'n/a' | tr -d ' ')
  for impl in $impls; do
    a=$(instructions "$scenario" "$impl" "$A")
    b=$(instructions "$scenario" "$impl" "$B")
    awk -v s="$scenario" -v i="$impl" -v a="$a" -v b="$b" -v na="$A" -v nb="$B" \
      'BEGIN { printf "| %s | %s | %.1f |\n", s, i, (b - a) / (nb - na) }'
  done
done
rm -rf "$out"
