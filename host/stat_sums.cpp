// The per-block sums for any x86-64, and the run-time choice of the AVX2 build.
#define HL_SUMS_NS sums_generic
#include "host/stat_sums_impl.hpp"

#include <cstring>

#include "kernels/cpu_paths.hpp"

namespace hl {

void shifted_power_sums_avx2(const double* a, const double* p, const double* m, std::int64_t n, double k, int powers,
                             LaneSum* out);
void paired_power_sums_avx2(const double* x, const double* b, std::int64_t n, double kd, double kx, double kb,
                            LaneSum* out);

bool stat_sums_avx2() {
  static const bool yes = std::strcmp(cpu_simd(), "avx2") == 0;  // the CPU loop's choice, env included
  return yes;
}

void shifted_power_sums(const double* a, const double* p, const double* m, std::int64_t n, double k, int powers,
                        LaneSum* out, bool avx2) {
  if (avx2)
    shifted_power_sums_avx2(a, p, m, n, k, powers, out);
  else
    sums_generic::shifted_power_sums(a, p, m, n, k, powers, out);
}

void paired_power_sums(const double* x, const double* b, std::int64_t n, double kd, double kx, double kb,
                       LaneSum* out, bool avx2) {
  if (avx2)
    paired_power_sums_avx2(x, b, n, kd, kx, kb, out);
  else
    sums_generic::paired_power_sums(x, b, n, kd, kx, kb, out);
}

}  // namespace hl
