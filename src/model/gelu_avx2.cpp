// GELU (gelu.h) on 8-float vectors; this file alone is compiled with -mavx2 -mfma on x86-64.
#include "model/gelu.h"

#include "model/small_linear.h"

#include <algorithm>

#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

#include "model/simd_helpers.h"

namespace radlite::model {

bool gelu_avx2_available() { return small_linear_available(); }  // the same instructions: AVX2 + FMA

void gelu_erf_avx2(float* x, std::int64_t n) {
  const __m256 sign = _mm256_set1_ps(-0.0f), one = _mm256_set1_ps(1.0f), half = _mm256_set1_ps(0.5f);
  // The last partial vector through masked loads and stores: every element gets the same arithmetic wherever a
  // caller's chunk boundaries fall (the int8 kernels' outputs must not depend on how rows were split).
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  for (std::int64_t i = 0; i < n; i += 8) {
    const __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(std::min<std::int64_t>(n - i, 8))), lane);
    const __m256 v = _mm256_maskload_ps(x + i, m);
    const __m256 z = _mm256_mul_ps(v, _mm256_set1_ps(0.70710678118654752f));
    const __m256 a = _mm256_andnot_ps(sign, z);
    const __m256 t = _mm256_div_ps(one, _mm256_fmadd_ps(_mm256_set1_ps(0.3275911f), a, one));
    __m256 p = _mm256_fmadd_ps(_mm256_set1_ps(1.061405429f), t, _mm256_set1_ps(-1.453152027f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.421413741f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-0.284496736f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.254829592f));
    const __m256 e = radlite_exp_nonpositive_avx2(_mm256_xor_ps(sign, _mm256_mul_ps(a, a)));
    const __m256 erf_a = _mm256_fnmadd_ps(_mm256_mul_ps(p, t), e, one);
    const __m256 erf = _mm256_or_ps(erf_a, _mm256_and_ps(sign, z));
    _mm256_maskstore_ps(x + i, m, _mm256_mul_ps(_mm256_mul_ps(v, half), _mm256_add_ps(one, erf)));
  }
}

}  // namespace radlite::model

#else

namespace radlite::model {
bool gelu_avx2_available() { return false; }
void gelu_erf_avx2(float* x, std::int64_t n) { gelu_erf_reference(x, n); }
}  // namespace radlite::model

#endif
