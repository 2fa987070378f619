// AVX-512 fused attention: the AVX2 kernel's algorithm (attention_avx2.h) with 16-float vectors, for CPUs with
// AVX-512F (this file alone is compiled with -mavx512f -mfma on x86-64). Query rows eight at a time against 32 keys
// per step, the softmax 16 scores per instruction, output rows 32 columns per step (masked past the head size). Eight
// rows rather than the AVX2 kernel's four: 16 independent accumulators hide the multiply-add latency; measured on
// the AMX Xeon, one thread, MiniLM's head size 32 at 512 tokens, 82 GFLOP/s against 73 with four rows.
#include "model/attention_avx2.h"

#include <algorithm>

#if defined(__x86_64__) && defined(__AVX512F__) && defined(__FMA__)
#include <immintrin.h>

#include "model/simd_helpers.h"

namespace radlite::model {
namespace {

constexpr std::int64_t kRows = 8;   // query rows per block
constexpr std::int64_t kKeys = 32;  // keys per step (two vectors)

// Output rows of a block, 32 columns from v's first: sum_j e_j v_j over the n keys for 8 score rows, times 1 / sum,
// stored for the first `rows`. kFull: all 32 columns exist (no masks in the loop); otherwise m0 / m1 mask them.
template <bool kFull>
void output_rows(const float* v, std::int64_t ld, const float* scores, std::int64_t rs, std::int64_t n, __mmask16 m0,
                 __mmask16 m1, const float* inv, std::int64_t rows, float* out, std::int64_t ld_out) {
  __m512 o00 = _mm512_setzero_ps(), o01 = o00, o10 = o00, o11 = o00, o20 = o00, o21 = o00, o30 = o00, o31 = o00;
  __m512 o40 = o00, o41 = o00, o50 = o00, o51 = o00, o60 = o00, o61 = o00, o70 = o00, o71 = o00;
  const float* s0 = scores;
  for (std::int64_t j = 0; j < n; ++j) {
    const float* vj = v + j * ld;
    const __m512 v0 = kFull ? _mm512_loadu_ps(vj) : _mm512_maskz_loadu_ps(m0, vj);
    const __m512 v1 = kFull ? _mm512_loadu_ps(vj + 16) : _mm512_maskz_loadu_ps(m1, vj + 16);
    __m512 b = _mm512_set1_ps(s0[j]);
    o00 = _mm512_fmadd_ps(b, v0, o00);
    o01 = _mm512_fmadd_ps(b, v1, o01);
    b = _mm512_set1_ps(s0[rs + j]);
    o10 = _mm512_fmadd_ps(b, v0, o10);
    o11 = _mm512_fmadd_ps(b, v1, o11);
    b = _mm512_set1_ps(s0[2 * rs + j]);
    o20 = _mm512_fmadd_ps(b, v0, o20);
    o21 = _mm512_fmadd_ps(b, v1, o21);
    b = _mm512_set1_ps(s0[3 * rs + j]);
    o30 = _mm512_fmadd_ps(b, v0, o30);
    o31 = _mm512_fmadd_ps(b, v1, o31);
    b = _mm512_set1_ps(s0[4 * rs + j]);
    o40 = _mm512_fmadd_ps(b, v0, o40);
    o41 = _mm512_fmadd_ps(b, v1, o41);
    b = _mm512_set1_ps(s0[5 * rs + j]);
    o50 = _mm512_fmadd_ps(b, v0, o50);
    o51 = _mm512_fmadd_ps(b, v1, o51);
    b = _mm512_set1_ps(s0[6 * rs + j]);
    o60 = _mm512_fmadd_ps(b, v0, o60);
    o61 = _mm512_fmadd_ps(b, v1, o61);
    b = _mm512_set1_ps(s0[7 * rs + j]);
    o70 = _mm512_fmadd_ps(b, v0, o70);
    o71 = _mm512_fmadd_ps(b, v1, o71);
  }
  const __m512 acc[kRows][2] = {{o00, o01}, {o10, o11}, {o20, o21}, {o30, o31},
                                {o40, o41}, {o50, o51}, {o60, o61}, {o70, o71}};
  for (std::int64_t r = 0; r < rows; ++r) {
    float* o = out + r * ld_out;
    const __m512 f = _mm512_set1_ps(inv[r]);
    if (kFull) {
      _mm512_storeu_ps(o, _mm512_mul_ps(acc[r][0], f));
      _mm512_storeu_ps(o + 16, _mm512_mul_ps(acc[r][1], f));
    } else {
      _mm512_mask_storeu_ps(o, m0, _mm512_mul_ps(acc[r][0], f));
      _mm512_mask_storeu_ps(o + 16, m1, _mm512_mul_ps(acc[r][1], f));
    }
  }
}

// One (sequence, head): n real tokens, its rows ld floats apart in q, k and v (ld_out in out). Copied first, so that
// the loops below read them sequentially (in the packed layout consecutive keys are several KB apart, a new page
// each, which the hardware prefetchers do not follow):
// - kt: the keys transposed in blocks of 32, [np / 32][dh][32], keys n .. np - 1 zero (np: n rounded up to 32);
// - vc: the values [n][dh], contiguous.
// Score rows are rs = np + 16 floats apart: at a power-of-two stride (np = 512: 2 KB) the 8 rows read together would
// share few of L1's sets.
void one_head(const float* q, const float* k, const float* v, std::int64_t ld, std::int64_t n, std::int64_t nq,
              std::int64_t dh, float scale, float* out, std::int64_t ld_out, float* kt, float* vc, float* scores) {
  const std::int64_t np = (n + kKeys - 1) / kKeys * kKeys, rs = np + 16;
  const std::int64_t row_bytes = dh * static_cast<std::int64_t>(sizeof(float));
  radlite_attention_copy_keys_values(k, v, ld, n, dh, kKeys, kt, vc);
  // e^(scale (s - max)) = 2^(s c - max c): the scale and the change of base in one FMA per 16 scores.
  const float c2 = scale * 1.44269504088896341f;
  const __m512 vc2 = _mm512_set1_ps(c2);
  for (std::int64_t i0 = 0; i0 < nq; i0 += kRows) {  // query rows: the first nq
    const std::int64_t rows = std::min(kRows, nq - i0);
    for (std::int64_t r = i0 + kRows; r < std::min(nq, i0 + 2 * kRows); ++r)  // the next block's query rows
      radlite_prefetch_rows(q + r * ld, nullptr, row_bytes);
    const float* qr[kRows];
    for (std::int64_t r = 0; r < kRows; ++r) qr[r] = q + (i0 + (r < rows ? r : 0)) * ld;
    for (std::int64_t j = 0; j < np; j += kKeys) {
      __m512 a00 = _mm512_setzero_ps(), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
      __m512 a40 = a00, a41 = a00, a50 = a00, a51 = a00, a60 = a00, a61 = a00, a70 = a00, a71 = a00;
      const float *q0 = qr[0], *q1 = qr[1], *q2 = qr[2], *q3 = qr[3], *q4 = qr[4], *q5 = qr[5], *q6 = qr[6],
                  *q7 = qr[7];
      const float* kb = kt + (j / kKeys) * dh * kKeys;
      for (std::int64_t d = 0; d < dh; ++d) {
        const __m512 k0 = _mm512_loadu_ps(kb + d * kKeys), k1 = _mm512_loadu_ps(kb + d * kKeys + 16);
        __m512 b = _mm512_set1_ps(q0[d]);
        a00 = _mm512_fmadd_ps(b, k0, a00);
        a01 = _mm512_fmadd_ps(b, k1, a01);
        b = _mm512_set1_ps(q1[d]);
        a10 = _mm512_fmadd_ps(b, k0, a10);
        a11 = _mm512_fmadd_ps(b, k1, a11);
        b = _mm512_set1_ps(q2[d]);
        a20 = _mm512_fmadd_ps(b, k0, a20);
        a21 = _mm512_fmadd_ps(b, k1, a21);
        b = _mm512_set1_ps(q3[d]);
        a30 = _mm512_fmadd_ps(b, k0, a30);
        a31 = _mm512_fmadd_ps(b, k1, a31);
        b = _mm512_set1_ps(q4[d]);
        a40 = _mm512_fmadd_ps(b, k0, a40);
        a41 = _mm512_fmadd_ps(b, k1, a41);
        b = _mm512_set1_ps(q5[d]);
        a50 = _mm512_fmadd_ps(b, k0, a50);
        a51 = _mm512_fmadd_ps(b, k1, a51);
        b = _mm512_set1_ps(q6[d]);
        a60 = _mm512_fmadd_ps(b, k0, a60);
        a61 = _mm512_fmadd_ps(b, k1, a61);
        b = _mm512_set1_ps(q7[d]);
        a70 = _mm512_fmadd_ps(b, k0, a70);
        a71 = _mm512_fmadd_ps(b, k1, a71);
      }
      const __m512 acc[kRows][2] = {{a00, a01}, {a10, a11}, {a20, a21}, {a30, a31},
                                    {a40, a41}, {a50, a51}, {a60, a61}, {a70, a71}};
      for (std::int64_t r = 0; r < kRows; ++r) {  // unscaled: the softmax applies the scale
        _mm512_storeu_ps(scores + r * rs + j, acc[r][0]);
        _mm512_storeu_ps(scores + r * rs + j + 16, acc[r][1]);
      }
    }
    // Softmax numerators in place (keys n .. np - 1 set to 0), and 1 / sum per row.
    float inv[kRows];
    const std::int64_t nv = n / 16 * 16;
    for (std::int64_t r = 0; r < rows; ++r) {
      float* s = scores + r * rs;
      __m512 m16 = _mm512_set1_ps(-3.4e38f);
      for (std::int64_t j = 0; j < nv; j += 16) m16 = _mm512_max_ps(m16, _mm512_loadu_ps(s + j));
      float m = _mm512_reduce_max_ps(m16);
      for (std::int64_t j = nv; j < n; ++j) m = std::max(m, s[j]);
      for (std::int64_t j = n; j < np; ++j) s[j] = -3.4e38f;  // exp gives exactly 0
      const __m512 mv = _mm512_set1_ps(-m * c2);
      __m512 sum16 = _mm512_setzero_ps();
      for (std::int64_t j = 0; j < np; j += 16) {
        const __m512 e = radlite_exp2_nonpositive_avx512(_mm512_fmadd_ps(_mm512_loadu_ps(s + j), vc2, mv));
        _mm512_storeu_ps(s + j, e);
        sum16 = _mm512_add_ps(sum16, e);
      }
      inv[r] = 1.0f / _mm512_reduce_add_ps(sum16);
    }
    // Output rows: sum_j e_j v_j, 32 columns at a time for 8 rows, then times 1 / sum.
    for (std::int64_t c = 0; c < dh; c += 32) {
      const __mmask16 m0 = radlite_first16(dh - c), m1 = radlite_first16(dh - c - 16);
      if (dh - c >= 32)
        output_rows<true>(vc + c, dh, scores, rs, n, m0, m1, inv, rows, out + i0 * ld_out + c, ld_out);
      else
        output_rows<false>(vc + c, dh, scores, rs, n, m0, m1, inv, rows, out + i0 * ld_out + c, ld_out);
    }
  }
}

}  // namespace

bool attention_avx512_available() { return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma"); }

void attention_avx512(const AttentionArgs& a, std::int64_t g_begin, std::int64_t g_end, float* work) {
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
bool attention_avx512_available() { return false; }
void attention_avx512(const AttentionArgs&, std::int64_t, std::int64_t, float*) {}
}  // namespace radlite::model

#endif
