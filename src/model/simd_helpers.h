// Helpers shared by radlite's SIMD translation units (internal).
//
// e^x for x <= 0 on AVX2 and AVX-512 vectors: x = n ln 2 + r with |r| <= ln 2 / 2, e^r by a
// degree-6 polynomial (Cephes' expf coefficients), times 2^n built in the exponent bits. Relative error about 2 ulp;
// below -87.3 the result is 0, as float's exp underflows there.
//
// Only for the translation units compiled with -mavx2 -mfma or -mavx512f (attention_*.cpp, gelu_*.cpp). The
// functions are static: each of those units keeps its own copy, so the linker cannot hand an AVX-512 body to code
// built for an older CPU (the reason the kernels share no inline functions otherwise; see dense_kernels.h).
#pragma once

#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

// Asks for the cache lines of `bytes` bytes from a (and from b, unless null): rows a loop will read soon from
// places the hardware prefetchers do not run ahead to (a row per page).
static inline void radlite_prefetch_rows(const float* a, const float* b, std::int64_t bytes) {
  const char* pa = reinterpret_cast<const char*>(a);
  const char* pb = reinterpret_cast<const char*>(b);
  for (std::int64_t o = 0; o < bytes + 63; o += 64) {
    const std::int64_t at = std::min(o, bytes - 1);
    _mm_prefetch(pa + at, _MM_HINT_T0);
    if (pb) _mm_prefetch(pb + at, _MM_HINT_T0);
  }
}

// The fused attention's copies of one (sequence, head) (attention_avx2.cpp, attention_avx512.cpp): its n keys and
// values, rows ld floats apart, into kt, the keys transposed in blocks of `keys` ([np / keys][dh][keys], keys n ..
// np - 1 zero, np = n rounded up to `keys`), and vc, the values [n][dh]. Rows 8 keys ahead are prefetched: they
// come from a buffer the projection has just written, one row per page, where the hardware prefetchers do not run
// ahead, and each would otherwise stall on a cache miss.
static inline void radlite_attention_copy_keys_values(const float* k, const float* v, std::int64_t ld, std::int64_t n,
                                                      std::int64_t dh, std::int64_t keys, float* kt, float* vc) {
  const std::int64_t np = (n + keys - 1) / keys * keys, ahead = 8;
  const std::int64_t bytes = dh * static_cast<std::int64_t>(sizeof(float));
  for (std::int64_t j = 0; j < n; ++j) {
    if (j + ahead < n) radlite_prefetch_rows(k + (j + ahead) * ld, v + (j + ahead) * ld, bytes);
    float* block = kt + (j / keys) * dh * keys + j % keys;
    const float* kj = k + j * ld;
    for (std::int64_t d = 0; d < dh; ++d) block[d * keys] = kj[d];
    std::copy(v + j * ld, v + j * ld + dh, vc + j * dh);
  }
  for (std::int64_t j = n; j < np; ++j) {
    float* block = kt + (j / keys) * dh * keys + j % keys;
    for (std::int64_t d = 0; d < dh; ++d) block[d * keys] = 0.0f;
  }
}

static inline __m256 radlite_exp_nonpositive_avx2(__m256 x) {
  const __m256 low = _mm256_set1_ps(-87.3f);
  const __m256 underflow = _mm256_cmp_ps(x, low, _CMP_LT_OQ);
  x = _mm256_max_ps(x, low);
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_andnot_ps(underflow, _mm256_mul_ps(p, _mm256_castsi256_ps(bits)));
}
#endif

// 2^t for t <= 0 on AVX2, as radlite_exp2_nonpositive_avx512 below (same polynomial): 2^n is built in the exponent
// bits, and results under 2^-126 are 0 (a compare and an AND instead of AVX-512's masked VSCALEFPS). Fifteen
// instructions, the softmax's FMA for the scale included, to nineteen for radlite_exp_nonpositive_avx2 plus the
// subtraction and the scale's multiply.
static inline __m256 radlite_exp2_nonpositive_avx2(__m256 t) {
  const __m256 normal = _mm256_cmp_ps(t, _mm256_set1_ps(-126.0f), _CMP_GE_OQ);
  const __m256 n = _mm256_round_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const __m256 f = _mm256_sub_ps(t, n);
  __m256 p = _mm256_set1_ps(1.535336188319500e-4f);
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.339887440266574e-3f));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(9.618437357674640e-3f));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(5.550332471162809e-2f));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(2.402264791363012e-1f));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(6.931472028550421e-1f));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.0f));
  // For t < -126 (the padding's -3.4e38 too) n converts to garbage, which the AND discards.
  const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_and_ps(normal, _mm256_mul_ps(p, _mm256_castsi256_ps(bits)));
}

#if defined(__x86_64__) && defined(__AVX512F__) && defined(__FMA__)
// The mask of a 16-float vector's first `count` lanes (all of them from 16 on, none at or below 0).
static inline __mmask16 radlite_first16(std::int64_t count) {
  return count >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>(count <= 0 ? 0 : (1u << count) - 1u);
}

static inline __m512 radlite_exp_nonpositive_avx512(__m512 x) {
  const __m512 low = _mm512_set1_ps(-87.3f);
  const __mmask16 underflow = _mm512_cmp_ps_mask(x, low, _CMP_LT_OQ);
  x = _mm512_max_ps(x, low);
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  const __m512i bits = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
  return _mm512_maskz_mul_ps(static_cast<__mmask16>(~underflow), p, _mm512_castsi512_ps(bits));
}

// 2^t for t <= 0 (or barely above through rounding) on AVX-512: t = n + f with |f| <= 1/2, 2^f = 1 + f P(f) with
// Cephes' exp2f minimax coefficients (relative error about 2e-7), times 2^n by VSCALEFPS. Results below 2^-126
// (denormals, whose products cost microcode assists) are 0. Ten instructions to radlite_exp_nonpositive_avx512's
// seventeen: for the softmax, where e^(scale (s - max)) = 2^(s c - max c) with c = scale log2(e) in one FMA.
static inline __m512 radlite_exp2_nonpositive_avx512(__m512 t) {
  const __mmask16 normal = _mm512_cmp_ps_mask(t, _mm512_set1_ps(-126.0f), _CMP_GE_OQ);
  const __m512 n = _mm512_roundscale_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const __m512 f = _mm512_sub_ps(t, n);
  __m512 p = _mm512_set1_ps(1.535336188319500e-4f);
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.339887440266574e-3f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(9.618437357674640e-3f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(5.550332471162809e-2f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(2.402264791363012e-1f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(6.931472028550421e-1f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f));
  return _mm512_maskz_scalef_ps(normal, p, n);
}
#endif
