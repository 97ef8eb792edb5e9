// The body of the per-block sums (stat_sums.hpp), included by stat_sums.cpp and stat_sums_avx2.cpp
// inside a namespace of their own (HL_SUMS_NS), so that the two builds never share an inline function.
// No FMA may contract these expressions: the AVX2 file is compiled with -mavx2 only (and GCC does not
// contract in ISO C++ mode, -std=c++17, in any case).
#include <cstdint>
#include <cstring>

#include "host/stat_sums.hpp"

namespace hl {
namespace HL_SUMS_NS {

typedef double v4d __attribute__((vector_size(32)));
static_assert(kSumLanes == 4, "one v4d per lane set");

#define HL_SUMS_INLINE inline __attribute__((always_inline))

HL_SUMS_INLINE v4d splat(double x) { return v4d{x, x, x, x}; }
HL_SUMS_INLINE v4d vabs(v4d a) { return a < 0.0 ? -a : a; }

// Neumaier's sum in four lanes.
struct VSum {
  v4d s = {0.0, 0.0, 0.0, 0.0}, c = {0.0, 0.0, 0.0, 0.0};
  HL_SUMS_INLINE void add(v4d x) {
    const v4d t = s + x;
    c += vabs(s) >= vabs(x) ? (s - t) + x : (x - t) + s;
    s = t;
  }
  void store(LaneSum& out) const {
    std::memcpy(out.s, &s, sizeof s);
    std::memcpy(out.c, &c, sizeof c);
  }
};

// Four values from p[i], or from the first `valid` of them with zeros after (the last, short vector).
HL_SUMS_INLINE v4d load(const double* p, std::int64_t i, int valid) {
  if (valid == 4) return v4d{p[i], p[i + 1], p[i + 2], p[i + 3]};
  double t[4] = {0.0, 0.0, 0.0, 0.0};
  for (int l = 0; l < valid; ++l) t[l] = p[i + l];
  return v4d{t[0], t[1], t[2], t[3]};
}
// Lanes at or past `valid` set to 0, which leaves their sums unchanged.
HL_SUMS_INLINE v4d keep(v4d w, int valid) {
  if (valid == 4) return w;
  const v4d lane = {0.0, 1.0, 2.0, 3.0};
  return lane < static_cast<double>(valid) ? w : splat(0.0);
}

// For each vector of four paths: f(i, valid), the short last one included.
template <class F>
HL_SUMS_INLINE void vectors(std::int64_t n, F&& f) {
  std::int64_t i = 0;
  for (; i + 4 <= n; i += 4) f(i, 4);
  if (i < n) f(i, static_cast<int>(n - i));
}

template <int P, bool HasP, bool HasM>
void powers(const double* a, const double* p, const double* m, std::int64_t n, double k, LaneSum* out) {
  VSum s[P];
  const v4d kv = splat(k);
  vectors(n, [&](std::int64_t i, int valid) {
    v4d u = load(a, i, valid);
    if constexpr (HasP) u = u + load(p, i, valid);
    if constexpr (HasM) u = u - load(m, i, valid);
    u = keep(u - kv, valid);
    s[0].add(u);
    if constexpr (P >= 2) {
      const v4d u2 = u * u;
      s[1].add(u2);
      if constexpr (P == 4) {
        s[2].add(u2 * u);
        s[3].add(u2 * u2);
      }
    }
  });
  for (int j = 0; j < P; ++j) s[j].store(out[j]);
}

template <int P>
void powers_of(const double* a, const double* p, const double* m, std::int64_t n, double k, LaneSum* out) {
  if (p && m)
    powers<P, true, true>(a, p, m, n, k, out);
  else if (p)
    powers<P, true, false>(a, p, m, n, k, out);
  else if (m)
    powers<P, false, true>(a, p, m, n, k, out);
  else
    powers<P, false, false>(a, p, m, n, k, out);
}

void shifted_power_sums(const double* a, const double* p, const double* m, std::int64_t n, double k, int powers,
                        LaneSum* out) {
  if (powers == 1)
    powers_of<1>(a, p, m, n, k, out);
  else if (powers == 2)
    powers_of<2>(a, p, m, n, k, out);
  else
    powers_of<4>(a, p, m, n, k, out);
}

// Series [G0, G1) of the 14 paired ones, in one pass over the paths (a few sums at a time stay in
// registers).
template <int G0, int G1>
void paired_group(const double* x, const double* b, std::int64_t n, double kd, double kx, double kb, LaneSum* out) {
  VSum s[G1 - G0];
  const v4d kdv = splat(kd), kxv = splat(kx), kbv = splat(kb);
  vectors(n, [&](std::int64_t i, int valid) {
    const v4d xv = load(x, i, valid), bv = load(b, i, valid);
    const v4d d = keep((xv - bv) - kdv, valid), e = keep((xv - kxv) + (bv - kbv), valid);
    const v4d dd = d * d, ee = e * e;
    const v4d w[14] = {d,      e,      dd,      d * e,          ee,      dd * d,         dd * e,
                       d * ee, ee * e, dd * dd, (dd * d) * e, dd * ee, d * (ee * e), ee * ee};
    for (int j = G0; j < G1; ++j) s[j - G0].add(w[j]);
  });
  for (int j = G0; j < G1; ++j) s[j - G0].store(out[j]);
}

void paired_power_sums(const double* x, const double* b, std::int64_t n, double kd, double kx, double kb,
                       LaneSum* out) {
  paired_group<0, 5>(x, b, n, kd, kx, kb, out);
  paired_group<5, 9>(x, b, n, kd, kx, kb, out);
  paired_group<9, 14>(x, b, n, kd, kx, kb, out);
}

#undef HL_SUMS_INLINE

}  // namespace HL_SUMS_NS
}  // namespace hl
