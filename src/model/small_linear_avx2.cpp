// AVX2 + FMA kernel of small_linear (this file alone is compiled with -mavx2 -mfma on x86-64; see small_linear.h).
#include "model/small_linear.h"

#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#include <algorithm>
#include <cstring>

namespace radlite::model {
namespace {

// Weight rows per block and the stretch of k walked at once: 6 rows x 768 floats (18 KB) stay in the L1 cache
// while every input row passes over them, so each weight comes from memory once per call.
constexpr std::int64_t kBlockCols = 6;
constexpr std::int64_t kDepth = 768;

inline float horizontal_sum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

// out[r][c] (+)= sum over i < len of x[r * ldx + i] * w[c * ldw + i], for r < ROWS and c < COLS. The first
// stretch of k starts from the bias (or zero), later ones add to what is in out. While it runs, it prefetches
// `prefetch_rows` rows (stride `ldp`) of the weights that come next. Internal linkage: no other translation unit
// can end up with this AVX2 code.
template <int ROWS, int COLS>
void block(const float* x, std::int64_t ldx, const float* w, std::int64_t ldw, std::int64_t len, const float* bias,
           bool first, float* out, std::int64_t ldo, const float* prefetch, std::int64_t ldp, int prefetch_rows) {
  __m256 acc[ROWS][COLS];
  for (int r = 0; r < ROWS; ++r)
    for (int c = 0; c < COLS; ++c) acc[r][c] = _mm256_setzero_ps();
  const std::int64_t vec_end = len - len % 8;
  for (std::int64_t i = 0; i < vec_end; i += 8) {
    for (int p = 0; p < prefetch_rows; ++p)
      _mm_prefetch(reinterpret_cast<const char*>(prefetch + p * ldp + i), _MM_HINT_T0);
    __m256 xv[ROWS];
    for (int r = 0; r < ROWS; ++r) xv[r] = _mm256_loadu_ps(x + r * ldx + i);
    for (int c = 0; c < COLS; ++c) {
      __m256 wv = _mm256_loadu_ps(w + c * ldw + i);
      // Keeps the weights in a register: folded into each FMA, the load would be issued once per input row, and
      // the loads, not the FMAs, would then bound the loop.
      __asm__("" : "+x"(wv));
      for (int r = 0; r < ROWS; ++r) acc[r][c] = _mm256_fmadd_ps(xv[r], wv, acc[r][c]);
    }
  }
  if constexpr (COLS == 6) {
    if (vec_end == len) {
      // The six sums of a row with horizontal adds, four and two at a time, instead of one reduction per sum.
      for (int r = 0; r < ROWS; ++r) {
        const __m256 q = _mm256_hadd_ps(_mm256_hadd_ps(acc[r][0], acc[r][1]), _mm256_hadd_ps(acc[r][2], acc[r][3]));
        const __m256 h = _mm256_hadd_ps(acc[r][4], acc[r][5]);
        const __m256 d = _mm256_hadd_ps(h, h);
        __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(q), _mm256_extractf128_ps(q, 1));
        __m128 s2 = _mm_add_ps(_mm256_castps256_ps128(d), _mm256_extractf128_ps(d, 1));
        float* o = out + r * ldo;
        const float* base = first ? bias : o;
        if (base) {
          s4 = _mm_add_ps(s4, _mm_loadu_ps(base));
          s2 = _mm_add_ps(s2, _mm_loadl_pi(_mm_setzero_ps(), reinterpret_cast<const __m64*>(base + 4)));
        }
        _mm_storeu_ps(o, s4);
        _mm_storel_pi(reinterpret_cast<__m64*>(o + 4), s2);
      }
      return;
    }
  }
  for (int r = 0; r < ROWS; ++r)
    for (int c = 0; c < COLS; ++c) {
      float s = horizontal_sum(acc[r][c]);
      for (std::int64_t i = vec_end; i < len; ++i) s += x[r * ldx + i] * w[c * ldw + i];
      float* o = out + r * ldo + c;
      *o = first ? (bias ? bias[c] : 0.0f) + s : *o + s;
    }
}

// Every input row over COLS weight rows (stride ldw). Meanwhile the next block's weight rows (`next`, stride k,
// null if none) are prefetched, a share per pair of input rows: without it the first pair would wait on memory
// for every weight, the others not at all.
template <int COLS>
void rows_pass(const float* x, std::int64_t rows, std::int64_t k, const float* w, std::int64_t ldw, std::int64_t len,
               const float* bias, bool first, float* out, std::int64_t ldo, const float* next) {
  const std::int64_t pairs = (rows + 1) / 2;
  const std::int64_t share = next ? (kBlockCols + pairs - 1) / pairs : 0;
  std::int64_t r = 0;
  for (std::int64_t p = 0; r < rows; r += 2, ++p) {
    const std::int64_t p0 = std::min(kBlockCols, p * share), p1 = std::min(kBlockCols, p0 + share);
    const float* pf = next ? next + p0 * k : nullptr;
    const int pn = static_cast<int>(p1 - p0);
    if (r + 2 <= rows)
      block<2, COLS>(x + r * k, k, w, ldw, len, bias, first, out + r * ldo, ldo, pf, k, pn);
    else
      block<1, COLS>(x + r * k, k, w, ldw, len, bias, first, out + r * ldo, ldo, pf, k, pn);
  }
}

}  // namespace

bool small_linear_available() { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }

void small_linear_columns_avx2(const float* x, std::int64_t rows, std::int64_t k, const float* w, const float* bias,
                               std::int64_t n, std::int64_t n_begin, std::int64_t n_end, float* out) {
  // Where k is longer than one stretch, a block's weight rows lie k floats apart; with k a multiple of 1024 (the
  // FFN's 3072) they all map to the same L1 cache set and evict each other. Each block's stretch is then copied
  // to a contiguous buffer first (it is read from memory once either way).
  alignas(64) float packed[kBlockCols * kDepth];
  const bool pack = k > kDepth && rows >= 8;  // a copy per row would cost more than the conflicts
  for (std::int64_t k0 = 0; k0 < k; k0 += kDepth) {
    const std::int64_t len = k - k0 < kDepth ? k - k0 : kDepth;
    const bool first = k0 == 0;
    std::int64_t j = n_begin;
    for (; j + kBlockCols <= n_end; j += kBlockCols) {
      const float* next = j + 2 * kBlockCols <= n_end ? w + (j + kBlockCols) * k + k0 : nullptr;
      const float* src = w + j * k + k0;
      std::int64_t ldw = k;
      if (pack) {
        for (std::int64_t c = 0; c < kBlockCols; ++c) std::memcpy(packed + c * len, src + c * k, len * sizeof(float));
        src = packed, ldw = len;
      }
      rows_pass<kBlockCols>(x + k0, rows, k, src, ldw, len, bias ? bias + j : nullptr, first, out + j, n, next);
    }
    for (; j < n_end; ++j)
      rows_pass<1>(x + k0, rows, k, w + j * k + k0, k, len, bias ? bias + j : nullptr, first, out + j, n, nullptr);
  }
}

}  // namespace radlite::model

#else

namespace radlite::model {

bool small_linear_available() { return false; }
void small_linear_columns_avx2(const float*, std::int64_t, std::int64_t, const float*, const float*, std::int64_t,
                               std::int64_t, std::int64_t, float*) {}

}  // namespace radlite::model

#endif
