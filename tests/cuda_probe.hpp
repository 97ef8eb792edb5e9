#pragma once
// Device-side probes for the CUDA tests (compiled by nvcc in cuda_probe.cu).
#include <cstdint>
#include <vector>

#include "kernels/philox.hpp"

namespace hl::probe {
// For each (path, block): our philox_draw(seed, path, stream 0, block) computed on the device, and
// cuRAND's device Philox: curand_init(seed, subsequence = path, offset = 4 block) then curand4().
void philox_on_device(std::uint64_t seed, const std::vector<std::uint64_t>& paths,
                      const std::vector<std::uint32_t>& blocks, std::vector<U32x4>& ours,
                      std::vector<U32x4>& curand);
}  // namespace hl::probe
