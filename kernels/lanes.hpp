#pragma once
// The per-path code is written once over a lane type R: double or float (one path: CUDA threads,
// scalar CPU) or, on the CPU, a vector of paths in lockstep (simd_avx2.hpp). These are the scalar
// overloads; every operation is elementwise, so a path's result never depends on the other lanes.
//
// Precision (study.precision): fp64 runs R = double; fp32 runs R = float for the path, the deltas and
// the accumulated cash; mixed runs R = float for the path and the deltas and an accumulator lane
// A = double for cash, costs and P&L. Constants and parameters (double on the host) enter float
// arithmetic through scalar_t<R>(x), so that a float lane never computes in double: the float
// instantiation is compiled with -Werror=double-promotion (CMakeLists.txt) to keep it so.
#include "kernels/hl_hd.hpp"

namespace hl {

// The scalar type of a lane type: double for double and the AVX2 d4, float for float.
template <class R>
struct lane_traits {
  using scalar = R;
};
template <class R>
using scalar_t = typename lane_traits<R>::scalar;

// A tiny positive floor that does not underflow in T (guards of divisions and logs).
template <class T>
HL_HD constexpr double tiny_of() {
  return sizeof(T) == sizeof(double) ? 1e-300 : 1e-30;
}

// Entry k of a per-step table in the scalar type T: the double table, or its float copy (PathParams'
// discount_f, sqrt_tau_f, inv_sqrt_tau_f), so that float loops convert nothing per step.
template <class T>
HL_HD T step_table(const double* d, const float* f, long long k) {
  if constexpr (sizeof(T) == sizeof(float))
    return f[k];
  else
    return d[k];
}

// A lane's values in the accumulator type A (mixed precision: float path, double cash); the identity
// when A = R.
template <class A, class R>
HL_HD A widen(R x) {
  return static_cast<A>(x);
}

HL_HD double vexp(double x) { return exp(x); }
HL_HD double vlog(double x) { return log(x); }
HL_HD double verfc(double x) { return erfc(x); }
HL_HD double vsqrt(double x) { return sqrt(x); }
HL_HD double vabs(double x) { return fabs(x); }
HL_HD double vpos(double x) { return fmax(x, 0.0); }                // max(x, 0)
HL_HD double vabove(double x, double eps) { return x > eps ? 1.0 : 0.0; }  // 1 where x > eps, else 0
HL_HD double vmin(double a, double b) { return fmin(a, b); }
HL_HD double vmax(double a, double b) { return fmax(a, b); }
HL_HD double vround(double x) { return rint(x); }  // to nearest, ties to even
HL_HD double vcbrt(double x) { return cbrt(x); }
HL_HD double vpow(double x, double y) { return pow(x, y); }
// Masks: the result of a lane comparison, and a per-lane choice between two values.
HL_HD bool vgt(double a, double b) { return a > b; }
HL_HD double vselect(bool m, double a, double b) { return m ? a : b; }
HL_HD bool vany(bool m) { return m; }  // any lane set: a uniform branch around rare work (jumps)
HL_HD double vfloor(double x) { return floor(x); }
// p[k] for an integral k >= 0 held as a double (table lookups at a per-lane index).
HL_HD double vgather(const double* p, double k) { return p[static_cast<long long>(k)]; }
HL_HD void vsincos_2pi(double u, double& s, double& c) {             // sin and cos of 2 pi u
#if defined(__CUDA_ARCH__)
  sincospi(2.0 * u, &s, &c);
#else
  s = sin(kTwoPi * u);
  c = cos(kTwoPi * u);
#endif
}


// float lanes (fp32 and mixed precision): single-precision library math.
HL_HD float vexp(float x) { return expf(x); }
HL_HD float vlog(float x) { return logf(x); }
HL_HD float verfc(float x) { return erfcf(x); }
HL_HD float vsqrt(float x) { return sqrtf(x); }
HL_HD float vabs(float x) { return fabsf(x); }
HL_HD float vpos(float x) { return fmaxf(x, 0.0f); }
HL_HD float vabove(float x, float eps) { return x > eps ? 1.0f : 0.0f; }
HL_HD float vmin(float a, float b) { return fminf(a, b); }
HL_HD float vmax(float a, float b) { return fmaxf(a, b); }
HL_HD float vround(float x) { return rintf(x); }
HL_HD float vcbrt(float x) { return cbrtf(x); }
HL_HD float vpow(float x, float y) { return powf(x, y); }
HL_HD bool vgt(float a, float b) { return a > b; }
HL_HD float vselect(bool m, float a, float b) { return m ? a : b; }
HL_HD float vfloor(float x) { return floorf(x); }
HL_HD float vgather(const double* p, float k) { return static_cast<float>(p[static_cast<long long>(k)]); }
HL_HD void vsincos_2pi(float u, float& s, float& c) {
#if defined(__CUDA_ARCH__)
  sincospif(2.0f * u, &s, &c);
#else
  s = sinf(static_cast<float>(kTwoPi) * u);
  c = cosf(static_cast<float>(kTwoPi) * u);
#endif
}

}  // namespace hl
