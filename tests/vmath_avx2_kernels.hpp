#pragma once
// The AVX2 lane functions over arrays (tests/vmath_avx2_kernels.cpp, compiled with -mavx2 -mfma).
#include <cstdint>

namespace hl::test {
// sin and cos of 2 pi u (vmath::sincos_2pi).
void avx2_sincos_2pi(const double* u, double* s, double* c, long n);
}  // namespace hl::test
