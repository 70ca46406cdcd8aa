#!/usr/bin/env bash
# Runs the --quick benchmark, writes docs/bench/ (JSON, markdown, SVG charts)
# and splices the markdown table into README.md between the bench markers.
# Run it from a clean commit so the figures name the code they measured.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release -p zerocast-bench -- --quick \
  --json docs/bench/quick.json --markdown docs/bench/quick.md --svg docs/bench
python3 - <<'PY'
import re
readme = open("README.md").read()
table = open("docs/bench/quick.md").read().strip()
start, end = "<!-- bench:start -->", "<!-- bench:end -->"
pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
if not pattern.search(readme):
    raise SystemExit("README.md has no bench markers")
readme = pattern.sub(lambda _: f"{start}\n{table}\n{end}", readme)
open("README.md", "w").write(readme)
PY
echo "README.md and docs/bench/ updated"
