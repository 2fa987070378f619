// AVX2 + FMA fused attention (see attention_avx2.h; this file alone is compiled with -mavx2 -mfma on x86-64).
#include "model/attention_avx2.h"

#include "model/small_linear.h"

#include <algorithm>

#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

#include "model/simd_helpers.h"

namespace radlite::model {
namespace {

constexpr std::int64_t kRows = 4;  // query rows per block

float horizontal_max(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
  return _mm_cvtss_f32(m);
}

float horizontal_sum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

constexpr std::int64_t kKeys = 16;  // keys per step (two vectors)

// One (sequence, head), as in attention_avx512.cpp with 16 keys per block: n real tokens, their rows ld floats apart
// in q, k and v (ld_out in out), copied first into kt ([np / 16][dh][16], keys n .. np - 1 zero) and vc ([n][dh])
// with rows prefetched ahead; score rows rs = np + 16 floats apart.
void one_head(const float* q, const float* k, const float* v, std::int64_t ld, std::int64_t n, std::int64_t nq,
              std::int64_t dh, float scale, float* out, std::int64_t ld_out, float* kt, float* vc, float* scores) {
  const std::int64_t np = (n + kKeys - 1) / kKeys * kKeys, rs = np + 16;
  const std::int64_t row_bytes = dh * static_cast<std::int64_t>(sizeof(float));
  radlite_attention_copy_keys_values(k, v, ld, n, dh, kKeys, kt, vc);
  // e^(scale (s - max)) = 2^(s c - max c): the scale and the change of base in one FMA per 8 scores.
  const float c2 = scale * 1.44269504088896341f;
  const __m256 vc2 = _mm256_set1_ps(c2);
  for (std::int64_t i0 = 0; i0 < nq; i0 += kRows) {  // query rows: the first nq
    const std::int64_t rows = std::min(kRows, nq - i0);
    const float* qi = q + i0 * ld;
    for (std::int64_t r = i0 + kRows; r < std::min(nq, i0 + 2 * kRows); ++r)  // the next block's query rows
      radlite_prefetch_rows(q + r * ld, nullptr, row_bytes);
    // Scores of up to 4 rows against all keys, unscaled (the softmax applies the scale): 4 x 16 accumulators, one
    // pass over kt per 16 keys.
    for (std::int64_t j = 0; j < np; j += kKeys) {
      const float* kb = kt + (j / kKeys) * dh * kKeys;
      __m256 a00 = _mm256_setzero_ps(), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
      const float* q0 = qi;
      const float* q1 = rows > 1 ? qi + ld : qi;
      const float* q2 = rows > 2 ? qi + 2 * ld : qi;
      const float* q3 = rows > 3 ? qi + 3 * ld : qi;
      for (std::int64_t d = 0; d < dh; ++d) {
        const __m256 k0 = _mm256_loadu_ps(kb + d * kKeys), k1 = _mm256_loadu_ps(kb + d * kKeys + 8);
        __m256 b = _mm256_broadcast_ss(q0 + d);
        a00 = _mm256_fmadd_ps(b, k0, a00);
        a01 = _mm256_fmadd_ps(b, k1, a01);
        b = _mm256_broadcast_ss(q1 + d);
        a10 = _mm256_fmadd_ps(b, k0, a10);
        a11 = _mm256_fmadd_ps(b, k1, a11);
        b = _mm256_broadcast_ss(q2 + d);
        a20 = _mm256_fmadd_ps(b, k0, a20);
        a21 = _mm256_fmadd_ps(b, k1, a21);
        b = _mm256_broadcast_ss(q3 + d);
        a30 = _mm256_fmadd_ps(b, k0, a30);
        a31 = _mm256_fmadd_ps(b, k1, a31);
      }
      _mm256_storeu_ps(scores + 0 * rs + j, a00);
      _mm256_storeu_ps(scores + 0 * rs + j + 8, a01);
      _mm256_storeu_ps(scores + 1 * rs + j, a10);
      _mm256_storeu_ps(scores + 1 * rs + j + 8, a11);
      _mm256_storeu_ps(scores + 2 * rs + j, a20);
      _mm256_storeu_ps(scores + 2 * rs + j + 8, a21);
      _mm256_storeu_ps(scores + 3 * rs + j, a30);
      _mm256_storeu_ps(scores + 3 * rs + j + 8, a31);
    }
    // Softmax numerators in place (keys n .. np - 1 set to 0), and 1 / sum per row.
    float inv[kRows];
    const std::int64_t nv = n / 8 * 8;
    for (std::int64_t r = 0; r < rows; ++r) {
      float* s = scores + r * rs;
      __m256 m8 = _mm256_set1_ps(-3.4e38f);
      for (std::int64_t j = 0; j < nv; j += 8) m8 = _mm256_max_ps(m8, _mm256_loadu_ps(s + j));
      float m = horizontal_max(m8);
      for (std::int64_t j = nv; j < n; ++j) m = std::max(m, s[j]);
      for (std::int64_t j = n; j < np; ++j) s[j] = -3.4e38f;  // exp gives exactly 0
      const __m256 mv = _mm256_set1_ps(-m * c2);
      __m256 sum8 = _mm256_setzero_ps();
      for (std::int64_t j = 0; j < np; j += 8) {
        const __m256 e = radlite_exp2_nonpositive_avx2(_mm256_fmadd_ps(_mm256_loadu_ps(s + j), vc2, mv));
        _mm256_storeu_ps(s + j, e);
        sum8 = _mm256_add_ps(sum8, e);
      }
      inv[r] = 1.0f / horizontal_sum(sum8);
    }
    // Output rows: sum_j e_j v_j, 16 columns at a time for 4 rows, then times 1 / sum.
    for (std::int64_t c = 0; c < dh; c += 16) {
      const bool two = c + 8 < dh;
      __m256 o00 = _mm256_setzero_ps(), o01 = o00, o10 = o00, o11 = o00, o20 = o00, o21 = o00, o30 = o00, o31 = o00;
      const float* s0 = scores;
      const float* s1 = scores + rs;
      const float* s2 = scores + 2 * rs;
      const float* s3 = scores + 3 * rs;
      for (std::int64_t j = 0; j < n; ++j) {
        const float* vj = vc + j * dh + c;
        const __m256 v0 = _mm256_loadu_ps(vj);
        const __m256 v1 = two ? _mm256_loadu_ps(vj + 8) : _mm256_setzero_ps();
        __m256 b = _mm256_broadcast_ss(s0 + j);
        o00 = _mm256_fmadd_ps(b, v0, o00);
        o01 = _mm256_fmadd_ps(b, v1, o01);
        b = _mm256_broadcast_ss(s1 + j);
        o10 = _mm256_fmadd_ps(b, v0, o10);
        o11 = _mm256_fmadd_ps(b, v1, o11);
        b = _mm256_broadcast_ss(s2 + j);
        o20 = _mm256_fmadd_ps(b, v0, o20);
        o21 = _mm256_fmadd_ps(b, v1, o21);
        b = _mm256_broadcast_ss(s3 + j);
        o30 = _mm256_fmadd_ps(b, v0, o30);
        o31 = _mm256_fmadd_ps(b, v1, o31);
      }
      const __m256 acc[kRows][2] = {{o00, o01}, {o10, o11}, {o20, o21}, {o30, o31}};
      for (std::int64_t r = 0; r < rows; ++r) {
        float* o = out + (i0 + r) * ld_out + c;
        const __m256 f = _mm256_set1_ps(inv[r]);
        _mm256_storeu_ps(o, _mm256_mul_ps(acc[r][0], f));
        if (two) _mm256_storeu_ps(o + 8, _mm256_mul_ps(acc[r][1], f));
      }
    }
  }
}

}  // namespace

bool attention_avx2_available() { return small_linear_available(); }  // the same instructions: AVX2 + FMA

bool attention_avx2_supports(std::int64_t head_size) { return head_size > 0 && head_size % 8 == 0 && head_size <= 256; }

std::int64_t attention_work_floats(std::int64_t L, std::int64_t dh) {
  // Keys padded to 16 here, to 32 in attention_avx512.cpp, plus 16 (the row stride): the keys transposed, the
  // values copied (attention_avx512.cpp) and the score rows (4 here, 8 there).
  const std::int64_t rs = (L + 31) / 32 * 32 + 16;
  return (2 * dh + 8) * rs;
}

void attention_avx2(const AttentionArgs& a, std::int64_t g_begin, std::int64_t g_end, float* work) {
  const std::int64_t rs = (a.max_length + kKeys - 1) / kKeys * kKeys + 16;  // one_head's np + 16, at most
  float* kt = work;
  float* vc = kt + a.dh * rs;
  float* scores = vc + a.dh * rs;
  for (std::int64_t g = g_begin; g < g_end; ++g) {
    const std::int64_t b = g / a.heads, col = (g % a.heads) * a.dh;
    const std::int64_t in = a.starts[b] * a.ld + col;
    const std::int64_t n = a.lengths[b], nq = a.query_rows > 0 ? std::min(n, a.query_rows) : n;
    one_head(a.q + in, a.k + in, a.v + in, a.ld, n, nq, a.dh, a.scale, a.out + a.starts[b] * a.ld_out + col, a.ld_out,
             kt, vc, scores);
  }
}

}  // namespace radlite::model

#else

namespace radlite::model {
bool attention_avx2_available() { return false; }
bool attention_avx2_supports(std::int64_t) { return false; }
std::int64_t attention_work_floats(std::int64_t, std::int64_t) { return 0; }
void attention_avx2(const AttentionArgs&, std::int64_t, std::int64_t, float*) {}
}  // namespace radlite::model

#endif
