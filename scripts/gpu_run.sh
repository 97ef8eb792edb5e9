#!/usr/bin/env bash
# On the GPU machine, from the repository root, with .gpu carried (see scripts/gpu_bundle.sh): the
# CUDA tests, the CPU suite, and the benchmarks on both backends. Benchmark records go to
# $OUT/records.jsonl when OUT is set (the device tool), else to results/bench/records.jsonl.
set -uo pipefail
export LD_LIBRARY_PATH="$PWD/.gpu/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export HEDGELAB_SOURCE_DIR="$PWD"
records="${OUT:-results/bench}/records.jsonl"
mkdir -p "$(dirname "$records")"
nvidia-smi -L
.gpu/bin/hedgelab info
echo "== CUDA tests"; .gpu/bin/hedgelab_cuda_tests; echo "exit $?"
echo "== CPU tests"; .gpu/bin/hedgelab_tests --no-intro=true | tail -3
echo "== benchmarks"
for args in "--backend cuda" "--backend cuda --cells 48 --steps 240" "--backend cpu"; do
  # shellcheck disable=SC2086
  .gpu/bin/hedgelab bench $args --json | tee -a "$records"
done
.gpu/bin/hedgelab run experiments/derman_kamal.toml --backend cuda -o /tmp/dk_cuda.h5
