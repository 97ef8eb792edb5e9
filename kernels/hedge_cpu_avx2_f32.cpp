// AVX2 loops of the single-precision CPU backend (study.precision = fp32 or mixed): sixteen paths per
// pass of the hedging loop in float lanes (f16: two vectors of eight); mixed keeps the cash, costs and
// P&L of the sixteen paths in double lanes (d16). Compiled with -mavx2 -mfma -Werror=double-promotion (CMakeLists.txt).
// simd_avx2.hpp first: the vector overloads must be declared where hedge_path's template is defined.
#include "kernels/simd_avx2.hpp"
// clang-format off
#include "kernels/cpu_loop.hpp"
// clang-format on

namespace hl {

namespace {

// Packs the low 32-bit halves of two vectors of four 64-bit lanes (paths 0-3 and 4-7, as Philox's u4
// code leaves its words) into eight 32-bit lanes, in path order.
inline w8 pack_words(__m256i a, __m256i b) {
  const __m256i idx = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
  return (w8)_mm256_permute2x128_si256(_mm256_permutevar8x32_epi32(a, idx), _mm256_permutevar8x32_epi32(b, idx),
                                       0x20);
}

// The float normals and uniforms of eight paths, from the words of PhiloxNormalsF (normal.hpp) for each
// path: the Box-Muller radius from word 0 (uniform_radius_f), the angle from word 2 (uniform_open_f).
// Philox runs as in the fp64 AVX2 loop, on two vectors of four paths; the diffusion pair is drawn one
// pair ahead (LookaheadNormals in simd_avx2.hpp says why).
struct NormalsF8 {
  PhiloxNormalsT<d4, u4> p[2];  // the other streams, four paths each
  DiffusionPhiloxX4 d[2];
  int steps;
  int block = -1;
  f8 z0, z1, n0, n1;
  NormalsF8(std::uint64_t seed, std::uint64_t path0, int steps_)
      : p{philox_normals_x4(seed, path0), philox_normals_x4(seed, path0 + 4)},
        d{DiffusionPhiloxX4(seed, p[0].path_lo, p[0].path_hi), DiffusionPhiloxX4(seed, p[1].path_lo, p[1].path_hi)},
        steps(steps_) {}
  void pair(std::uint32_t b, f8& x, f8& y) const {
    __m256i w0[4], w1[4];
    d[0].words(b, w0);
    d[1].words(b, w1);
    box_muller(uniform_radius_f(pack_words(w0[0], w1[0])), uniform_open_f(pack_words(w0[2], w1[2])), x, y);
  }
  f8 operator()(int j) {
    return normal_ahead(j, steps, block, z0, z1, n0, n1,
                        [this](std::uint32_t b, f8& x, f8& y) { pair(b, x, y); });
  }
  // Words 0 and 2 of counter (blk, stream) for the eight paths.
  void words(std::uint32_t stream, std::uint32_t blk, w8& c0, w8& c2) const {
    u4 a[4] = {u4{} + blk, u4{} + stream, p[0].path_lo, p[0].path_hi};
    u4 b[4] = {u4{} + blk, u4{} + stream, p[1].path_lo, p[1].path_hi};
    philox4x32_10_words(a, static_cast<std::uint32_t>(p[0].seed), static_cast<std::uint32_t>(p[0].seed >> 32));
    philox4x32_10_words(b, static_cast<std::uint32_t>(p[1].seed), static_cast<std::uint32_t>(p[1].seed >> 32));
    c0 = pack_words((__m256i)a[0], (__m256i)b[0]);
    c2 = pack_words((__m256i)a[2], (__m256i)b[2]);
  }
  void uniform_pair(std::uint32_t stream, std::uint32_t blk, f8& u0, f8& u1) const {
    w8 c0, c2;
    words(stream, blk, c0, c2);
    u0 = uniform_open_f(c0);
    u1 = uniform_open_f(c2);
  }
  void normal_pair(std::uint32_t stream, std::uint32_t blk, f8& x, f8& y) const {
    w8 c0, c2;
    words(stream, blk, c0, c2);
    box_muller(uniform_radius_f(c0), uniform_open_f(c2), x, y);
  }
};

// Sixteen paths per pass: two NormalsF8 side by side (paths path0 .. path0 + 7 and path0 + 8 .. + 15).
struct NormalsF16 {
  NormalsF8 a, b;
  NormalsF16(std::uint64_t seed, std::uint64_t path0, int steps)
      : a(seed, path0, steps), b(seed, path0 + 8, steps) {}
  f16 operator()(int j) { return f16{a(j), b(j)}; }
  void uniform_pair(std::uint32_t stream, std::uint32_t blk, f16& u0, f16& u1) const {
    a.uniform_pair(stream, blk, u0.a, u1.a);
    b.uniform_pair(stream, blk, u0.b, u1.b);
  }
  void normal_pair(std::uint32_t stream, std::uint32_t blk, f16& x, f16& y) const {
    a.normal_pair(stream, blk, x.a, y.a);
    b.normal_pair(stream, blk, x.b, y.b);
  }
};

// The lane type, its normals and its double accumulators (mixed).
using LanesF = f16;
using LanesD = d16;

template <class A>
__attribute__((flatten)) void paths_f16(const PathParams& P, const CellParams* cells, int ncells,
                                        double short_gamma, std::int64_t p0, std::int64_t p1, const CpuOut& out) {
  hedge_paths_lanes<LanesF, A, kCellsPadded>(P, cells, ncells, short_gamma, p0, p1, out,
                                             [&](std::uint64_t p) { return NormalsF16(P.seed, p, P.steps); });
}

template <class A>
double trace_f16(const PathParams& P, const CellParams* cells, int ncells, double short_gamma, std::uint64_t path,
                 int cell, std::vector<LedgerLine>& lines) {
  return trace_path_lanes<LanesF, A, kCellsPadded>(P, cells, ncells, short_gamma, path, cell, lines,
                                                   [&](std::uint64_t p) { return NormalsF16(P.seed, p, P.steps); });
}

}  // namespace

void hedge_paths_fp32_avx2(const PathParams& P, const CellParams* cells, int ncells, double short_gamma,
                           std::int64_t p0, std::int64_t p1, const CpuOut& out) {
  paths_f16<LanesF>(P, cells, ncells, short_gamma, p0, p1, out);
}

void hedge_paths_mixed_avx2(const PathParams& P, const CellParams* cells, int ncells, double short_gamma,
                            std::int64_t p0, std::int64_t p1, const CpuOut& out) {
  paths_f16<LanesD>(P, cells, ncells, short_gamma, p0, p1, out);
}

void trace_path_f32_avx2(const PathParams& P, const CellParams* cells, int ncells, double short_gamma,
                         std::uint64_t path, int cell, std::vector<LedgerLine>& lines, double& pnl, int precision) {
  pnl = precision == kPrecisionMixed ? trace_f16<LanesD>(P, cells, ncells, short_gamma, path, cell, lines)
                                     : trace_f16<LanesF>(P, cells, ncells, short_gamma, path, cell, lines);
}

}  // namespace hl
