// GELU (gelu.h) on 16-float vectors; this file alone is compiled with -mavx512f -mfma on x86-64.
#include "model/gelu.h"

#if defined(__x86_64__) && defined(__AVX512F__) && defined(__FMA__)
#include <immintrin.h>

#include "model/simd_helpers.h"

namespace radlite::model {

bool gelu_avx512_available() { return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma"); }

void gelu_erf_avx512(float* x, std::int64_t n) {
  const __m512 one = _mm512_set1_ps(1.0f), half = _mm512_set1_ps(0.5f);
  const __m512i sign = _mm512_set1_epi32(static_cast<int>(0x80000000u));
  for (std::int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << (n - i)) - 1u);
    const __m512 v = _mm512_maskz_loadu_ps(m, x + i);
    const __m512 z = _mm512_mul_ps(v, _mm512_set1_ps(0.70710678118654752f));
    const __m512i zbits = _mm512_castps_si512(z);
    const __m512 a = _mm512_castsi512_ps(_mm512_andnot_si512(sign, zbits));
    const __m512 t = _mm512_div_ps(one, _mm512_fmadd_ps(_mm512_set1_ps(0.3275911f), a, one));
    __m512 p = _mm512_fmadd_ps(_mm512_set1_ps(1.061405429f), t, _mm512_set1_ps(-1.453152027f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(1.421413741f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-0.284496736f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(0.254829592f));
    const __m512 e = radlite_exp_nonpositive_avx512(_mm512_sub_ps(_mm512_setzero_ps(), _mm512_mul_ps(a, a)));
    const __m512 erf_a = _mm512_fnmadd_ps(_mm512_mul_ps(p, t), e, one);
    const __m512 erf = _mm512_castsi512_ps(
        _mm512_or_si512(_mm512_castps_si512(erf_a), _mm512_and_si512(sign, zbits)));
    _mm512_mask_storeu_ps(x + i, m, _mm512_mul_ps(_mm512_mul_ps(v, half), _mm512_add_ps(one, erf)));
  }
}

}  // namespace radlite::model

#else

namespace radlite::model {
bool gelu_avx512_available() { return false; }
void gelu_erf_avx512(float* x, std::int64_t n) { gelu_erf_reference(x, n); }
}  // namespace radlite::model

#endif
