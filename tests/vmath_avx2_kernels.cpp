// Array entry points to the AVX2 lane functions, for tests/test_vmath.cpp. Compiled with -mavx2 -mfma
// like kernels/hedge_cpu_avx2.cpp; call only where cpu_simd() is "avx2".
#include "kernels/simd_avx2.hpp"
#include "vmath_avx2_kernels.hpp"

namespace hl::test {

void avx2_sincos_2pi(const double* u, double* s, double* c, long n) {
  for (long i = 0; i < n; i += 4) {
    d4 v{};
    for (long l = 0; l < 4 && i + l < n; ++l) v[l] = u[i + l];
    d4 vs, vc;
    vmath::sincos_2pi(v, vs, vc);
    for (long l = 0; l < 4 && i + l < n; ++l) s[i + l] = vs[l], c[i + l] = vc[l];
  }
}

}  // namespace hl::test
