// AVX2 + FMA dot-product kernels over float32 and float16 rows (this file alone is compiled with -mavx2
// -mfma -mf16c on x86-64; see dense_kernels.h for why it contains no templates or shared inline code).
#include "retrieval/dense_kernels.h"

#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
#include <cpuid.h>
#include <immintrin.h>

namespace radlite::dense_kernels {
namespace {

inline float horizontal_sum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

}  // namespace

void dot_rows_avx2(const float* rows, std::size_t n, std::size_t dim, const float* query, float* scores) {
  const std::size_t vec_end = dim - dim % 8;
  std::size_t i = 0;
  // Four rows at a time: four independent FMA chains, each query vector load reused four times.
  for (; i + 4 <= n; i += 4) {
    const float* r0 = rows + i * dim;
    const float* r1 = r0 + dim;
    const float* r2 = r1 + dim;
    const float* r3 = r2 + dim;
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    for (std::size_t j = 0; j < vec_end; j += 8) {
      const __m256 q = _mm256_loadu_ps(query + j);
      a0 = _mm256_fmadd_ps(_mm256_loadu_ps(r0 + j), q, a0);
      a1 = _mm256_fmadd_ps(_mm256_loadu_ps(r1 + j), q, a1);
      a2 = _mm256_fmadd_ps(_mm256_loadu_ps(r2 + j), q, a2);
      a3 = _mm256_fmadd_ps(_mm256_loadu_ps(r3 + j), q, a3);
    }
    float s0 = horizontal_sum(a0), s1 = horizontal_sum(a1), s2 = horizontal_sum(a2), s3 = horizontal_sum(a3);
    for (std::size_t j = vec_end; j < dim; ++j) {
      s0 += r0[j] * query[j];
      s1 += r1[j] * query[j];
      s2 += r2[j] * query[j];
      s3 += r3[j] * query[j];
    }
    scores[i] = s0;
    scores[i + 1] = s1;
    scores[i + 2] = s2;
    scores[i + 3] = s3;
  }
  for (; i < n; ++i) {
    const float* r = rows + i * dim;
    __m256 a = _mm256_setzero_ps();
    for (std::size_t j = 0; j < vec_end; j += 8)
      a = _mm256_fmadd_ps(_mm256_loadu_ps(r + j), _mm256_loadu_ps(query + j), a);
    float s = horizontal_sum(a);
    for (std::size_t j = vec_end; j < dim; ++j) s += r[j] * query[j];
    scores[i] = s;
  }
}

float dot_avx2(const float* a, const float* b, std::size_t dim) {
  const std::size_t vec_end = dim - dim % 16;
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
  for (std::size_t j = 0; j < vec_end; j += 16) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j), _mm256_loadu_ps(b + j), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j + 8), _mm256_loadu_ps(b + j + 8), s1);
  }
  float s = horizontal_sum(_mm256_add_ps(s0, s1));
  for (std::size_t j = vec_end; j < dim; ++j) s += a[j] * b[j];
  return s;
}

bool avx2_available() { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }

bool f16c_available() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  return avx2_available() && __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & bit_F16C) != 0;
}

namespace {
inline __m256 load_halves(const std::uint16_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
}  // namespace

void dot_rows_f16_avx2(const std::uint16_t* rows, std::size_t n, std::size_t dim, const float* query, float* scores) {
  const std::size_t vec_end = dim - dim % 8;
  std::size_t i = 0;
  // As dot_rows_avx2: four rows at a time, each converted 8 halves at a time.
  for (; i + 4 <= n; i += 4) {
    const std::uint16_t* r0 = rows + i * dim;
    const std::uint16_t* r1 = r0 + dim;
    const std::uint16_t* r2 = r1 + dim;
    const std::uint16_t* r3 = r2 + dim;
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    for (std::size_t j = 0; j < vec_end; j += 8) {
      const __m256 q = _mm256_loadu_ps(query + j);
      a0 = _mm256_fmadd_ps(load_halves(r0 + j), q, a0);
      a1 = _mm256_fmadd_ps(load_halves(r1 + j), q, a1);
      a2 = _mm256_fmadd_ps(load_halves(r2 + j), q, a2);
      a3 = _mm256_fmadd_ps(load_halves(r3 + j), q, a3);
    }
    float s[4] = {horizontal_sum(a0), horizontal_sum(a1), horizontal_sum(a2), horizontal_sum(a3)};
    const std::uint16_t* r[4] = {r0, r1, r2, r3};
    for (std::size_t j = vec_end; j < dim; ++j)
      for (int k = 0; k < 4; ++k) s[k] += _cvtsh_ss(r[k][j]) * query[j];
    for (int k = 0; k < 4; ++k) scores[i + k] = s[k];
  }
  for (; i < n; ++i) {
    const std::uint16_t* r = rows + i * dim;
    __m256 a = _mm256_setzero_ps();
    for (std::size_t j = 0; j < vec_end; j += 8) a = _mm256_fmadd_ps(load_halves(r + j), _mm256_loadu_ps(query + j), a);
    float s = horizontal_sum(a);
    for (std::size_t j = vec_end; j < dim; ++j) s += _cvtsh_ss(r[j]) * query[j];
    scores[i] = s;
  }
}

void halves_to_floats_f16c(const std::uint16_t* in, std::size_t n, float* out) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, load_halves(in + i));
  for (; i < n; ++i) out[i] = _cvtsh_ss(in[i]);
}

}  // namespace radlite::dense_kernels

#else

namespace radlite::dense_kernels {

bool avx2_available() { return false; }
bool f16c_available() { return false; }
void dot_rows_f16_avx2(const std::uint16_t*, std::size_t, std::size_t, const float*, float*) {}
void halves_to_floats_f16c(const std::uint16_t*, std::size_t, float*) {}

void dot_rows_avx2(const float*, std::size_t, std::size_t, const float*, float*) {}

float dot_avx2(const float*, const float*, std::size_t) { return 0.0f; }

}  // namespace radlite::dense_kernels

#endif
