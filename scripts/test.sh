#!/usr/bin/env bash
# The test suite: builds if needed, then runs every test through ctest. CUDA tests are reported as
# skipped on a machine without a GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
ctest --test-dir build --output-on-failure -j"$(nproc)"
