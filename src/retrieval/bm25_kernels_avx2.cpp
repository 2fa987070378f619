// AVX2 + FMA variant of BM25's screening scan (see bm25_kernels.h; this file alone is compiled with
// -mavx2 -mfma on x86-64).
#include "retrieval/bm25_kernels.h"

#include "retrieval/dense_kernels.h"

#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

namespace radlite::bm25_kernels {

bool scan_avx2_available() { return dense_kernels::avx2_available(); }

std::size_t scan_candidates_avx2(const ScanTerm* terms, std::size_t n_terms, const double* norms, std::uint32_t count,
                                 float threshold, std::uint32_t* out) {
  const __m256 thr = _mm256_set1_ps(threshold), grow = _mm256_set1_ps(1.0f + kScanMargin);
  const __m256 zero = _mm256_setzero_ps(), tiny = _mm256_set1_ps(1e-30f), huge = _mm256_set1_ps(1e30f),
               cap = _mm256_set1_ps(255.0f);
  std::size_t found = 0;
  std::uint32_t d = 0;
  for (; count - d >= 8; d += 8) {
    const __m128 n0 = _mm256_cvtpd_ps(_mm256_loadu_pd(norms + d));
    const __m128 n1 = _mm256_cvtpd_ps(_mm256_loadu_pd(norms + d + 4));
    const __m256 norm = _mm256_insertf128_ps(_mm256_castps128_ps256(n0), n1, 1);
    __m256 acc = zero;
    for (std::size_t j = 0; j < n_terms; ++j) {
      const __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(terms[j].tf + d));
      __m256 tf = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(bytes));
      tf = _mm256_blendv_ps(tf, huge, _mm256_cmp_ps(tf, cap, _CMP_EQ_OQ));  // 255 or more: ratio 1
      const __m256 ratio = _mm256_div_ps(tf, _mm256_max_ps(_mm256_add_ps(tf, norm), tiny));
      acc = _mm256_fmadd_ps(_mm256_set1_ps(terms[j].weight), ratio, acc);
    }
    const __m256 hit = _mm256_and_ps(_mm256_cmp_ps(_mm256_mul_ps(acc, grow), thr, _CMP_GE_OQ),
                                     _mm256_cmp_ps(acc, zero, _CMP_GT_OQ));
    unsigned mask = static_cast<unsigned>(_mm256_movemask_ps(hit));
    while (mask != 0) {
      out[found++] = d + static_cast<std::uint32_t>(__builtin_ctz(mask));
      mask &= mask - 1;
    }
  }
  if (d < count) {  // the last few documents: the portable kernel on the shifted range
    ScanTerm rest[kMaxScanTerms];
    for (std::size_t j = 0; j < n_terms; ++j) rest[j] = {terms[j].tf + d, terms[j].weight};
    const std::size_t tail = scan_candidates(rest, n_terms, norms + d, count - d, threshold, out + found);
    for (std::size_t i = found; i < found + tail; ++i) out[i] += d;
    found += tail;
  }
  return found;
}

}  // namespace radlite::bm25_kernels

#else

namespace radlite::bm25_kernels {
bool scan_avx2_available() { return false; }
std::size_t scan_candidates_avx2(const ScanTerm*, std::size_t, const double*, std::uint32_t, float, std::uint32_t*) {
  return 0;
}
}  // namespace radlite::bm25_kernels

#endif
