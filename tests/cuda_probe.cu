#include <curand_kernel.h>

#include <stdexcept>
#include <string>

#include "tests/cuda_probe.hpp"

namespace hl::probe {
namespace {
__global__ void probe_kernel(std::uint64_t seed, const std::uint64_t* paths, const std::uint32_t* blocks, int n,
                             U32x4* ours, U32x4* theirs) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  ours[i] = philox_draw(seed, paths[i], kStreamDiffusion, blocks[i]);
  curandStatePhilox4_32_10_t st;
  curand_init(seed, paths[i], 4ull * blocks[i], &st);
  const uint4 r = curand4(&st);
  theirs[i] = U32x4{{r.x, r.y, r.z, r.w}};
}
void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(e));
}
}  // namespace

void philox_on_device(std::uint64_t seed, const std::vector<std::uint64_t>& paths,
                      const std::vector<std::uint32_t>& blocks, std::vector<U32x4>& ours,
                      std::vector<U32x4>& curand) {
  const int n = static_cast<int>(paths.size());
  std::uint64_t* dp;
  std::uint32_t* db;
  U32x4 *d1, *d2;
  check(cudaMalloc(&dp, n * sizeof(std::uint64_t)), "cudaMalloc");
  check(cudaMalloc(&db, n * sizeof(std::uint32_t)), "cudaMalloc");
  check(cudaMalloc(&d1, n * sizeof(U32x4)), "cudaMalloc");
  check(cudaMalloc(&d2, n * sizeof(U32x4)), "cudaMalloc");
  check(cudaMemcpy(dp, paths.data(), n * sizeof(std::uint64_t), cudaMemcpyHostToDevice), "cudaMemcpy");
  check(cudaMemcpy(db, blocks.data(), n * sizeof(std::uint32_t), cudaMemcpyHostToDevice), "cudaMemcpy");
  probe_kernel<<<(n + 127) / 128, 128>>>(seed, dp, db, n, d1, d2);
  check(cudaGetLastError(), "probe_kernel");
  ours.resize(n);
  curand.resize(n);
  check(cudaMemcpy(ours.data(), d1, n * sizeof(U32x4), cudaMemcpyDeviceToHost), "cudaMemcpy");
  check(cudaMemcpy(curand.data(), d2, n * sizeof(U32x4), cudaMemcpyDeviceToHost), "cudaMemcpy");
  cudaFree(dp);
  cudaFree(db);
  cudaFree(d1);
  cudaFree(d2);
}
}  // namespace hl::probe
