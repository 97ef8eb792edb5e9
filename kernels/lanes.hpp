#pragma once
// The per-path code is written once over a lane type R: double (one path: CUDA threads, scalar CPU)
// or, on the CPU, a vector of paths in lockstep (simd_avx2.hpp). These are the scalar overloads; every
// operation is elementwise, so a path's result never depends on the other lanes.
#include "kernels/hl_hd.hpp"

namespace hl {

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

}  // namespace hl
