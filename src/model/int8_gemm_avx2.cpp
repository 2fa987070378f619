// AVX2 kernels of radlite's int8 GEMM (this file alone is compiled with -mavx2 -mfma on x86-64; see int8_gemm.h).
#include "model/int8_gemm.h"

#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

#include <cmath>

namespace radlite::model {
namespace {

// 4 rows x 16 columns of int32 sums over the whole depth: 8 accumulators, 2 weight vectors, 1 broadcast row and the
// vector of ones fit AVX2's 16 registers. Each step takes 4 values of k: a row's 4 activations are broadcast to
// every lane, vpmaddubsw multiplies them with 8 columns' 4 weights and adds pairs (exact, see int8_gemm.h), and
// vpmaddwd by ones adds the two pairs into int32. Not inlined: inlined into the caller's loop, GCC 12 spilled
// accumulators to the stack and the kernel ran at 70% of this speed (measured, 137 against 180 G ops/s).
__attribute__((noinline)) void tile(const std::uint8_t* a, std::int64_t kp, const std::int8_t* b, __m256i* acc) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i c0 = _mm256_setzero_si256(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
  const std::uint8_t *a0 = a, *a1 = a + kp, *a2 = a + 2 * kp, *a3 = a + 3 * kp;
  for (std::int64_t i = 0; i < kp; i += 4) {
    const __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + i * 16));
    const __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + i * 16 + 32));
    std::int32_t word;
    __builtin_memcpy(&word, a0 + i, 4);
    __m256i x = _mm256_set1_epi32(word);
    c0 = _mm256_add_epi32(c0, _mm256_madd_epi16(_mm256_maddubs_epi16(x, b0), ones));
    c1 = _mm256_add_epi32(c1, _mm256_madd_epi16(_mm256_maddubs_epi16(x, b1), ones));
    __builtin_memcpy(&word, a1 + i, 4);
    x = _mm256_set1_epi32(word);
    c2 = _mm256_add_epi32(c2, _mm256_madd_epi16(_mm256_maddubs_epi16(x, b0), ones));
    c3 = _mm256_add_epi32(c3, _mm256_madd_epi16(_mm256_maddubs_epi16(x, b1), ones));
    __builtin_memcpy(&word, a2 + i, 4);
    x = _mm256_set1_epi32(word);
    c4 = _mm256_add_epi32(c4, _mm256_madd_epi16(_mm256_maddubs_epi16(x, b0), ones));
    c5 = _mm256_add_epi32(c5, _mm256_madd_epi16(_mm256_maddubs_epi16(x, b1), ones));
    __builtin_memcpy(&word, a3 + i, 4);
    x = _mm256_set1_epi32(word);
    c6 = _mm256_add_epi32(c6, _mm256_madd_epi16(_mm256_maddubs_epi16(x, b0), ones));
    c7 = _mm256_add_epi32(c7, _mm256_madd_epi16(_mm256_maddubs_epi16(x, b1), ones));
  }
  acc[0] = c0, acc[1] = c1, acc[2] = c2, acc[3] = c3, acc[4] = c4, acc[5] = c5, acc[6] = c6, acc[7] = c7;
}

inline float hmin(__m256 v) {
  __m128 s = _mm_min_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_min_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_min_ss(s, _mm_shuffle_ps(s, s, 1)));
}

inline float hmax(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_max_ss(s, _mm_shuffle_ps(s, s, 1)));
}

// Round to nearest, ties to even (the MXCSR default, as std::nearbyint in the reference).
inline std::int32_t rne(float v) { return _mm_cvtss_si32(_mm_set_ss(v)); }

}  // namespace

bool int8_gemm_available() { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }

void int8_quantize_rows_avx2(const float* x, std::int64_t k, std::int64_t kp, std::int64_t r0, std::int64_t r1,
                             std::uint8_t* q, float* scale, std::int32_t* zero) {
  const std::int64_t vec_end = k - k % 8;
  for (std::int64_t r = r0; r < r1; ++r) {
    const float* xr = x + r * k;
    __m256 lo_v = _mm256_setzero_ps(), hi_v = _mm256_setzero_ps();  // the range always holds 0
    for (std::int64_t i = 0; i < vec_end; i += 8) {
      const __m256 v = _mm256_loadu_ps(xr + i);
      lo_v = _mm256_min_ps(lo_v, v);
      hi_v = _mm256_max_ps(hi_v, v);
    }
    float lo = hmin(lo_v), hi = hmax(hi_v);
    for (std::int64_t i = vec_end; i < k; ++i) {
      lo = xr[i] < lo ? xr[i] : lo;
      hi = xr[i] > hi ? xr[i] : hi;
    }
    float s = (hi - lo) / 127.0f;
    if (!(s > 0.0f)) s = 1.0f;
    const float inv = 1.0f / s;
    const std::int32_t z = rne(-lo / s);
    scale[r] = s;
    zero[r] = z;
    const __m256 inv_v = _mm256_set1_ps(inv);
    const __m256i z_v = _mm256_set1_epi32(z), lo_q = _mm256_setzero_si256(), hi_q = _mm256_set1_epi32(127);
    std::uint8_t* qr = q + r * kp;
    for (std::int64_t i = 0; i < vec_end; i += 8) {
      __m256i v = _mm256_add_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(xr + i), inv_v)), z_v);
      v = _mm256_min_epi32(_mm256_max_epi32(v, lo_q), hi_q);
      __m128i w = _mm_packus_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
      _mm_storel_epi64(reinterpret_cast<__m128i*>(qr + i), _mm_packus_epi16(w, w));
    }
    for (std::int64_t i = vec_end; i < k; ++i) {
      const std::int32_t v = rne(xr[i] * inv) + z;
      qr[i] = static_cast<std::uint8_t>(v < 0 ? 0 : v > 127 ? 127 : v);
    }
    for (std::int64_t i = k; i < kp; ++i) qr[i] = 0;
  }
}

void int8_gemm_panels_avx2(const std::int8_t* panels, const float* wscale, const float* bias,
                           const std::int32_t* colsum, std::int64_t n, std::int64_t kp, const std::uint8_t* q,
                           const float* scale, const std::int32_t* zero, std::int64_t r0, std::int64_t r1,
                           std::int64_t p0, std::int64_t p1, float* out) {
  alignas(32) __m256i acc[8];
  alignas(32) float partial[16];
  for (std::int64_t p = p0; p < p1; ++p) {
    const std::int8_t* b = panels + p * kp * kInt8PanelCols;
    const std::int64_t j0 = p * kInt8PanelCols;
    const __m256 ws0 = _mm256_loadu_ps(wscale + j0), ws1 = _mm256_loadu_ps(wscale + j0 + 8);
    const __m256 bias0 = _mm256_loadu_ps(bias + j0), bias1 = _mm256_loadu_ps(bias + j0 + 8);
    const __m256i cs0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(colsum + j0));
    const __m256i cs1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(colsum + j0 + 8));
    const std::int64_t cols = n - j0 < kInt8PanelCols ? n - j0 : kInt8PanelCols;
    for (std::int64_t r = r0; r < r1; r += kInt8TileRows) {
      tile(q + r * kp, kp, b, acc);
      for (std::int64_t t = 0; t < kInt8TileRows && r + t < r1; ++t) {
        const __m256i z = _mm256_set1_epi32(zero[r + t]);
        const __m256 sa = _mm256_set1_ps(scale[r + t]);
        const __m256 v0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(acc[2 * t], _mm256_mullo_epi32(z, cs0))),
                                          _mm256_mul_ps(sa, ws0), bias0);
        const __m256 v1 =
            _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(acc[2 * t + 1], _mm256_mullo_epi32(z, cs1))),
                            _mm256_mul_ps(sa, ws1), bias1);
        float* o = out + (r + t) * n + j0;
        if (cols == kInt8PanelCols) {
          _mm256_storeu_ps(o, v0);
          _mm256_storeu_ps(o + 8, v1);
        } else {
          _mm256_store_ps(partial, v0);
          _mm256_store_ps(partial + 8, v1);
          for (std::int64_t c = 0; c < cols; ++c) o[c] = partial[c];
        }
      }
    }
  }
}

void int8_epilogue_avx2(const std::int32_t* acc, std::int64_t n, const float* wscale, const float* bias,
                        const std::int32_t* colsum, const float* scale, const std::int32_t* zero, std::int64_t r0,
                        std::int64_t r1, float* out) {
  for (std::int64_t r = r0; r < r1; ++r) {
    const std::int32_t* a = acc + r * n;
    float* o = out + r * n;
    const __m256i z = _mm256_set1_epi32(zero[r]);
    const __m256 sa = _mm256_set1_ps(scale[r]);
    std::int64_t j = 0;
    for (; j + 8 <= n; j += 8) {
      const __m256i d =
          _mm256_sub_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + j)),
                           _mm256_mullo_epi32(z, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(colsum + j))));
      _mm256_storeu_ps(o + j, _mm256_fmadd_ps(_mm256_cvtepi32_ps(d), _mm256_mul_ps(sa, _mm256_loadu_ps(wscale + j)),
                                              _mm256_loadu_ps(bias + j)));
    }
    for (; j < n; ++j) o[j] = std::fma(static_cast<float>(a[j] - zero[r] * colsum[j]), scale[r] * wscale[j], bias[j]);
  }
}

}  // namespace radlite::model

#else

namespace radlite::model {

bool int8_gemm_available() { return false; }
void int8_quantize_rows_avx2(const float*, std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::uint8_t*,
                             float*, std::int32_t*) {}
void int8_gemm_panels_avx2(const std::int8_t*, const float*, const float*, const std::int32_t*, std::int64_t,
                           std::int64_t, const std::uint8_t*, const float*, const std::int32_t*, std::int64_t,
                           std::int64_t, std::int64_t, std::int64_t, float*) {}
void int8_epilogue_avx2(const std::int32_t*, std::int64_t, const float*, const float*, const std::int32_t*,
                        const float*, const std::int32_t*, std::int64_t, std::int64_t, float*) {}

}  // namespace radlite::model

#endif
