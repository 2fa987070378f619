// LayerNorm rows with AVX2 + FMA (layer_norm.h); this translation unit alone is compiled with -mavx2 -mfma.
#include "model/layer_norm.h"

#include <cmath>

#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

namespace radlite::model {
namespace {

float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

void one_row(const float* a, const float* b, std::int64_t n, const float* gamma, const float* beta, float eps,
             float* out) {
  const std::int64_t nv = n / 8 * 8;
  // The row (or the sum of the two) into out first: one read of a and b, then passes over out while it is in L1.
  if (b) {
    for (std::int64_t i = 0; i < nv; i += 8)
      _mm256_storeu_ps(out + i, _mm256_add_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
    for (std::int64_t i = nv; i < n; ++i) out[i] = a[i] + b[i];
    a = out;
  }
  __m256 s8 = _mm256_setzero_ps();
  for (std::int64_t i = 0; i < nv; i += 8) s8 = _mm256_add_ps(s8, _mm256_loadu_ps(a + i));
  float sum = hsum(s8);
  for (std::int64_t i = nv; i < n; ++i) sum += a[i];
  const float mean = sum / static_cast<float>(n);
  const __m256 m8 = _mm256_set1_ps(mean);
  __m256 q8 = _mm256_setzero_ps();
  for (std::int64_t i = 0; i < nv; i += 8) {
    const __m256 d = _mm256_sub_ps(_mm256_loadu_ps(a + i), m8);
    q8 = _mm256_fmadd_ps(d, d, q8);
  }
  float sq = hsum(q8);
  for (std::int64_t i = nv; i < n; ++i) sq += (a[i] - mean) * (a[i] - mean);
  const float rstd = 1.0f / std::sqrt(sq / static_cast<float>(n) + eps);
  const __m256 r8 = _mm256_set1_ps(rstd);
  for (std::int64_t i = 0; i < nv; i += 8) {
    const __m256 d = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(a + i), m8), r8);
    _mm256_storeu_ps(out + i, _mm256_fmadd_ps(d, _mm256_loadu_ps(gamma + i), _mm256_loadu_ps(beta + i)));
  }
  for (std::int64_t i = nv; i < n; ++i) out[i] = (a[i] - mean) * rstd * gamma[i] + beta[i];
}

}  // namespace

bool layer_norm_avx2_available() { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }

void layer_norm_avx2(const float* a, const float* b, std::int64_t rows, std::int64_t n, const float* gamma,
                     const float* beta, float eps, float* out) {
  for (std::int64_t r = 0; r < rows; ++r)
    one_row(a + r * n, b ? b + r * n : nullptr, n, gamma, beta, eps, out + r * n);
}

}  // namespace radlite::model

#else

namespace radlite::model {
bool layer_norm_avx2_available() { return false; }
void layer_norm_avx2(const float*, const float*, std::int64_t, std::int64_t, const float*, const float*, float,
                     float*) {}
}  // namespace radlite::model

#endif
