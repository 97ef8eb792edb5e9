// The per-block sums built for AVX2 (compiled with -mavx2, without -mfma: see stat_sums_impl.hpp).
#define HL_SUMS_NS sums_avx2
#include "host/stat_sums_impl.hpp"

namespace hl {
void shifted_power_sums_avx2(const double* a, const double* p, const double* m, std::int64_t n, double k, int powers,
                             LaneSum* out) {
  sums_avx2::shifted_power_sums(a, p, m, n, k, powers, out);
}
void paired_power_sums_avx2(const double* x, const double* b, std::int64_t n, double kd, double kx, double kb,
                            LaneSum* out) {
  sums_avx2::paired_power_sums(x, b, n, kd, kx, kb, out);
}
}  // namespace hl
