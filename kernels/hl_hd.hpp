#pragma once
// Per-path code is compiled by nvcc (device and host) and by g++ (CPU backend) from these headers.
// HL_HD marks a function usable on both; plain structs by value, no allocation, no exceptions.
#include <cmath>
#include <cstdint>

#if defined(__CUDACC__)
#define HL_HD __host__ __device__ __forceinline__
#else
#define HL_HD inline
#endif

namespace hl {
constexpr double kSqrt1_2 = 0.70710678118654752440;      // 1/sqrt(2)
constexpr double kInvSqrt2Pi = 0.39894228040143267794;   // 1/sqrt(2 pi)
constexpr double kTwoPi = 6.28318530717958647693;
}  // namespace hl
