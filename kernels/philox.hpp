#pragma once
// Philox4x32-10 counter-based generator: Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as easy
// as 1, 2, 3", SC'11. Output is a pure function of (counter, key): no state crosses paths or threads.
#include "kernels/hl_hd.hpp"

namespace hl {

struct U32x4 {
  std::uint32_t v[4];
};

// 32 x 32 -> 64-bit product of one word, split into high and low halves. The CPU's vector of words
// (simd_avx2.hpp) brings its own overload.
HL_HD void mulhilo32(std::uint32_t m, std::uint32_t x, std::uint32_t& hi, std::uint32_t& lo) {
#if defined(__CUDA_ARCH__)
  lo = m * x;
  hi = __umulhi(m, x);
#else
  const std::uint64_t p = static_cast<std::uint64_t>(m) * x;
  lo = static_cast<std::uint32_t>(p);
  hi = static_cast<std::uint32_t>(p >> 32);
#endif
}

// Philox4x32 with 10 rounds, written once for any word type W: std::uint32_t (one counter) or a vector
// of counters (simd_avx2.hpp). Multipliers and Weyl key increments from the SC'11 paper (Random123).
template <class W>
HL_HD void philox4x32_10_words(W c[4], std::uint32_t k0, std::uint32_t k1) {
#if defined(__CUDA_ARCH__)
#pragma unroll
#endif
  for (int round = 0; round < 10; ++round) {
    W hi0, lo0, hi1, lo1;
    mulhilo32(0xD2511F53u, c[0], hi0, lo0);
    mulhilo32(0xCD9E8D57u, c[2], hi1, lo1);
    const W n0 = hi1 ^ c[1] ^ k0, n2 = hi0 ^ c[3] ^ k1;
    c[0] = n0;
    c[1] = lo1;
    c[2] = n2;
    c[3] = lo0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
}

HL_HD U32x4 philox4x32_10(U32x4 ctr, std::uint32_t k0, std::uint32_t k1) {
  philox4x32_10_words(ctr.v, k0, k1);
  return ctr;
}

// Random-number streams within one (seed, path): the counter's word 1. Every model draws its diffusion
// normals from stream 0, so models compare on common random numbers; their other draws have streams
// of their own. Kou's k-th jump of a step uses stream kStreamJumpSize + 256 (k / 2).
enum Stream : std::uint32_t {
  kStreamDiffusion = 0,
  kStreamJumpCount = 1,  // one uniform per step: the number of jumps
  kStreamJumpSize = 2,   // merton: one normal per step with jumps; kou: one uniform per jump
  kStreamVariance = 3,   // heston: the variance's normal
  kStreamRegime = 4      // regime: one uniform per step, the switch
};

// The counter layout used everywhere: word 0 = block (step index / 2 for normal pairs),
// word 1 = stream, words 2-3 = path index; key = seed. With stream 0 this is cuRAND's device Philox
// after curand_init(seed, subsequence = path, offset = 4 block).
HL_HD U32x4 philox_draw(std::uint64_t seed, std::uint64_t path, std::uint32_t stream, std::uint32_t block) {
  const U32x4 ctr{{block, stream, static_cast<std::uint32_t>(path), static_cast<std::uint32_t>(path >> 32)}};
  return philox4x32_10(ctr, static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32));
}

}  // namespace hl
