// Philox against cuRAND's host generator, which runs on the CPU: no GPU needed, so this runs in CI
// wherever the CUDA toolkit is installed. Its own executable, so that the main suite needs no CUDA.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <curand.h>
#include <doctest/doctest.h>

#include <vector>

#include "kernels/philox.hpp"

TEST_CASE("rng: Philox matches cuRAND's host Philox4x32-10 generator") {
  // With its default ordering, cuRAND's host generator writes word w of Philox(counter = (b, 0, t, 0),
  // key = seed) at output 4 (65536 b + t) + w: 65536 subsequences t, then the next block b. Observed
  // with CUDA 13.0; it is the same counter layout as philox_draw(seed, path = t, stream 0, block = b).
  const unsigned long long seed = 0x123456789abcULL;
  const std::size_t threads = 65536, blocks = 3;
  curandGenerator_t g;
  REQUIRE(curandCreateGeneratorHost(&g, CURAND_RNG_PSEUDO_PHILOX4_32_10) == CURAND_STATUS_SUCCESS);
  REQUIRE(curandSetPseudoRandomGeneratorSeed(g, seed) == CURAND_STATUS_SUCCESS);
  std::vector<unsigned> out(4 * threads * blocks);
  REQUIRE(curandGenerate(g, out.data(), out.size()) == CURAND_STATUS_SUCCESS);
  curandDestroyGenerator(g);
  std::size_t mismatches = 0;
  for (std::size_t b = 0; b < blocks; ++b)
    for (std::size_t t = 0; t < threads; ++t) {
      const hl::U32x4 r = hl::philox_draw(seed, t, hl::kStreamDiffusion, static_cast<std::uint32_t>(b));
      for (int w = 0; w < 4; ++w) mismatches += r.v[w] != out[4 * (threads * b + t) + w];
    }
  CHECK(mismatches == 0);
}
