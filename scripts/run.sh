#!/usr/bin/env bash
# The main job: builds if needed and runs the default study, writing results/derman_kamal.h5.
# Extra arguments go to `hedgelab run`, e.g. --set study.paths=1000000 --backend cpu.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
exec ./build/hedgelab run experiments/derman_kamal.toml -o results/derman_kamal.h5 "$@"
