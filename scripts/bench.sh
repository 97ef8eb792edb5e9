#!/usr/bin/env bash
# Benchmarks: builds, installs the baselines (QuantLib's example, NumPy) where missing, runs
# scripts/bench.py and appends the figures to results/bench/records.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
bash scripts/install_deps.sh quantlib-examples
python3 -c "import numpy, scipy" 2>/dev/null || python3 -m pip install -q numpy scipy
exec python3 scripts/bench.py "$@"
