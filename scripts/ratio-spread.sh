#!/usr/bin/env bash
# The spread of the benchmark's ratios over many processes. One process's
# ratio can sit on either side of a goal when the host's speed drifts between
# runs (the cross-thread rows here swing by a third from one process to the
# next), so a target near its goal is judged on many processes, each one the
# suite's own run: the same binary, arguments and ratio column as the README's.
#
#   scripts/ratio-spread.sh PROCESSES GOAL BENCH-ARGS...
#
# e.g. scripts/ratio-spread.sh 30 0.5 --quick --filter spsc/threads/u64 \
#        --only zerocast --only rtrb --only floor
#
# For each scenario and implementation it prints the median, lowest and
# highest ratio and ns/msg, and in how many processes the ratio was at or
# under GOAL. BIN=path runs that benchmark binary instead of building one
# (to compare two builds, copy each binary aside and run them in turn).
set -euo pipefail
# A relative BIN names a file from where the script was called.
bin=${BIN:-}
[ -z "$bin" ] || bin=$(realpath "$bin")
cd "$(dirname "$0")/.."
[ $# -ge 3 ] || { sed -n 2,16p "$0" | sed 's/^# \{0,1\}//'; exit 2; }
processes=$1
goal=$2
shift 2
if [ -z "$bin" ]; then
  cargo build --release -p zerocast-bench >&2
  bin=target/release/zerocast-bench
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for i in $(seq 1 "$processes"); do
  "$bin" "$@" --json "$out/$i.json" >/dev/null
done
python3 - "$out" "$goal" <<'PY'
import glob, json, statistics, sys

out, goal = sys.argv[1], float(sys.argv[2])
rows = {}
for path in sorted(glob.glob(f"{out}/*.json")):
    for r in json.load(open(path))["results"]:
        if r.get("ratio") is not None and r.get("ns_per_msg") is not None:
            key = (r["scenario"], r["implementation"])
            rows.setdefault(key, []).append((r["ratio"], r["ns_per_msg"]))
print(f"| scenario | implementation | processes | ratio median | ratio min-max | ns/msg min-max | ratio <= {goal} |")
print("|---|---|---:|---:|---:|---:|---:|")
for (scenario, implementation), runs in sorted(rows.items()):
    ratios = sorted(r for r, _ in runs)
    ns = sorted(n for _, n in runs)
    met = sum(r <= goal for r in ratios)
    print(
        f"| {scenario} | {implementation} | {len(runs)} | {statistics.median(ratios):.2f}x"
        f" | {ratios[0]:.2f}-{ratios[-1]:.2f} | {ns[0]:.1f}-{ns[-1]:.1f} | {met} of {len(runs)} |"
    )
PY
