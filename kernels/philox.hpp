#pragma once
// Philox4x32-10 counter-based generator: Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as easy
// as 1, 2, 3", SC'11. Output is a pure function of (counter, key): no state crosses paths or threads.
#include "kernels/hl_hd.hpp"

namespace hl {

struct U32x4 {
  std::uint32_t v[4];
};

HL_HD void philox_mulhilo(std::uint32_t a, std::uint32_t b, std::uint32_t& hi, std::uint32_t& lo) {
#if defined(__CUDA_ARCH__)
  lo = a * b;
  hi = __umulhi(a, b);
#else
  const std::uint64_t p = static_cast<std::uint64_t>(a) * b;
  lo = static_cast<std::uint32_t>(p);
  hi = static_cast<std::uint32_t>(p >> 32);
#endif
}

// Philox4x32 with 10 rounds; multipliers and Weyl key increments from the SC'11 paper (Random123).
HL_HD U32x4 philox4x32_10(U32x4 ctr, std::uint32_t k0, std::uint32_t k1) {
  constexpr std::uint32_t M0 = 0xD2511F53u, M1 = 0xCD9E8D57u;
  constexpr std::uint32_t W0 = 0x9E3779B9u, W1 = 0xBB67AE85u;
#if defined(__CUDA_ARCH__)
#pragma unroll
#endif
  for (int round = 0; round < 10; ++round) {
    std::uint32_t hi0, lo0, hi1, lo1;
    philox_mulhilo(M0, ctr.v[0], hi0, lo0);
    philox_mulhilo(M1, ctr.v[2], hi1, lo1);
    ctr = U32x4{{hi1 ^ ctr.v[1] ^ k0, lo1, hi0 ^ ctr.v[3] ^ k1, lo0}};
    k0 += W0;
    k1 += W1;
  }
  return ctr;
}

// Random-number streams within one (seed, path): the counter's word 1. Later models add streams.
enum Stream : std::uint32_t { kStreamDiffusion = 0 };

// The counter layout used everywhere: word 0 = block (step index / 2 for normal pairs),
// word 1 = stream, words 2-3 = path index; key = seed.
HL_HD U32x4 philox_draw(std::uint64_t seed, std::uint64_t path, std::uint32_t stream, std::uint32_t block) {
  const U32x4 ctr{{block, stream, static_cast<std::uint32_t>(path), static_cast<std::uint32_t>(path >> 32)}};
  return philox4x32_10(ctr, static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32));
}

}  // namespace hl
