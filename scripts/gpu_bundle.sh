#!/usr/bin/env bash
# For a GPU machine that reaches no package registry (this workplace's device tool): run HERE. Builds
# with CUDA (sm_90 + PTX) and puts the binaries, with every shared library they load except glibc's
# own, into .gpu/ (git-ignored). Then, through the device tool:
#   run(command="bash scripts/gpu_run.sh", carry=[".gpu"])
# The CUDA runtime is linked statically; the driver (libcuda) is the GPU machine's. The GPU machine's
# glibc must be 2.35 or newer (the newest symbol version the binaries need: libmvec's erfc); libstdc++
# and every other library travel in .gpu/lib.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
grep -q "CUDA backend ON" build.log || { echo "gpu_bundle: nvcc was not found, so build/ has no CUDA backend" >&2; exit 1; }
rm -rf .gpu
mkdir -p .gpu/bin .gpu/lib
cp build/hedgelab build/tests/hedgelab_tests build/tests/hedgelab_cuda_tests .gpu/bin/
for b in .gpu/bin/*; do ldd "$b" | awk '$2 == "=>" && $3 ~ /^\// {print $3}'; done | sort -u |
  grep -v -E '/(libc|libm|libmvec|libpthread|libdl|librt|libresolv|ld-linux-x86-64)\.so' |
  while read -r lib; do cp -L "$lib" .gpu/lib/; done
du -sh .gpu >&2
