#pragma once
// The per-block sums of the streaming statistics (stats.cpp): compensated sums of powers of shifted
// series, each kept in kSumLanes lanes (path i of a block in lane i % kSumLanes) that the caller folds
// in lane order. The same source is compiled twice, for any x86-64 and with AVX2 (stat_sums_avx2.cpp,
// no FMA), and chosen at run time; both give the same bits, as every lane does the same IEEE additions
// and products in the same order.
#include <cstdint>

namespace hl {

constexpr int kSumLanes = 4;

// One series' Neumaier sum, lane by lane: the running sums s and their compensations c.
struct LaneSum {
  double s[kSumLanes];
  double c[kSumLanes];
};

// Sums over i in [0, n) of u, u^2 (powers >= 2) and u^3, u^4 (powers = 4), with
// u = ((a[i] + p[i]) - m[i]) - k; a null p or m is left out of u. out[0 .. powers).
void shifted_power_sums(const double* a, const double* p, const double* m, std::int64_t n, double k, int powers,
                        LaneSum* out, bool avx2);

// The 14 paired series over i in [0, n): with d = (x[i] - b[i]) - kd and e = (x[i] - kx) + (b[i] - kb),
// d^i e^j for 1 <= i + j <= 4 in the order (1,0) (0,1) (2,0) (1,1) (0,2) (3,0) (2,1) (1,2) (0,3) (4,0)
// (3,1) (2,2) (1,3) (0,4). out[0 .. 14).
void paired_power_sums(const double* x, const double* b, std::int64_t n, double kd, double kx, double kb,
                       LaneSum* out, bool avx2);

// Whether this CPU runs the AVX2 build of the sums: where it runs the AVX2 loop (cpu_simd()).
bool stat_sums_avx2();

}  // namespace hl
