#!/usr/bin/env bash
# The test suite: builds if needed, then runs every test through ctest. CUDA tests are reported as
# skipped on a machine without a GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
# The figures test needs h5py and matplotlib (PyPI); without them it reports itself skipped.
python3 -c "import h5py, matplotlib, numpy" 2>/dev/null || python3 -m pip install -q h5py matplotlib numpy || true
ctest --test-dir build --output-on-failure -j"$(nproc)"
