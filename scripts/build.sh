#!/usr/bin/env bash
# Installs what is missing, then configures and builds hedgelab in build/ (Release). The CUDA backend
# is built when nvcc is found (PATH or /usr/local/cuda), the CPU backend always.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >build.log 2>&1 || { cat build.log; exit 1; }
cmake --build build -j"$(nproc)" >>build.log 2>&1 || { tail -50 build.log; exit 1; }
echo "built build/hedgelab ($(grep -o 'CUDA backend [A-Z]*' build.log | head -1))" >&2
