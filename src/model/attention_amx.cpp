// Fused attention on AMX tiles with bfloat16 products (attention_avx2.h), for CPUs with AMX-BF16 and AVX512-BF16.
// Only the int8 models use it (transformer.cpp): their Linear layers already round activations to 7 bits, and
// rounding q, k, the softmax weights and v to bfloat16 (8 significant bits; products summed in float32) moves
// their embeddings far less than that (the accuracy section of bench_cpu measures both against float32). float32
// models keep the float32 kernels: they must match the references to 1e-5.
//
// Per (sequence, head): q, k and v are converted once into the layouts the tile instructions read (q as rows of
// 32 bfloat16, k and v as pairs of bfloat16 in each 32-bit element, "VNNI" layout); then for each block of 16
// query rows: scores = q k^T as 16 x 16 float32 tiles (TDPBF16PS: 16 x 16 x 32 products per instruction), the
// softmax in AVX-512 registers (float32, keys past the sequence's end weigh 0), its numerators rounded to
// bfloat16, and the output rows = weights v, divided by the row's sum in float32. Head sizes: multiples of 32.
//
// This file alone is compiled with -mavx512f -mavx512bw -mavx512bf16 -mamx-tile -mamx-bf16; call
// attention_amx() only when attention_amx_available(), which also asks Linux for the tile state (arch_prctl).
#include "model/attention_avx2.h"

#include <algorithm>
#include <cstring>

#if defined(__x86_64__) && defined(__AMX_TILE__) && defined(__AMX_BF16__) && defined(__AVX512BF16__) && \
    defined(__AVX512BW__) && defined(__linux__)
#include <cpuid.h>
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "model/simd_helpers.h"

namespace radlite::model {
namespace {

constexpr std::int64_t kBlock = 16;  // query rows per block, keys per score tile, columns per output tile

std::int64_t round_up(std::int64_t x, std::int64_t m) { return (x + m - 1) / m * m; }

// The tile configuration (palette 1): every tile used here has 16 rows of 64 bytes.
struct alignas(64) TileConfig {
  std::uint8_t palette = 1, start_row = 0, reserved[14] = {};
  std::uint16_t colsb[16] = {};
  std::uint8_t rows[16] = {};
};

void load_tile_config() {
  TileConfig c;
  for (int t = 0; t < 8; ++t) {
    c.colsb[t] = 64;
    c.rows[t] = 16;
  }
  _tile_loadconfig(&c);
}

// 32 floats (two vectors) as 32 bfloat16, in order (round to nearest even).
__m512i to_bf16(__m512 lo, __m512 hi) { return (__m512i)_mm512_cvtne2ps_pbh(hi, lo); }

std::uint16_t* aligned(void* p) {
  return reinterpret_cast<std::uint16_t*>((reinterpret_cast<std::uintptr_t>(p) + 63) / 64 * 64);
}

struct Scratch {
  std::uint16_t* qb;  // [16 * ceil(n / 16)][dh] bfloat16, rows past n zero
  std::uint32_t* kb;  // per 16 keys and 32 columns: 16 x 16 pairs, [column pair][key] (the B operand of q k^T)
  std::uint32_t* vb;  // per 32 keys and 16 columns: 16 x 16 pairs, [key pair][column] (the B operand of p v)
  float* scores;      // [16][rs]
  std::uint16_t* pb;  // [16][ps] bfloat16 softmax numerators
  float* ctx;         // [16][64]
};

Scratch carve(float* work, std::int64_t L, std::int64_t dh) {
  const std::int64_t np = round_up(std::max<std::int64_t>(L, 1), 32), rs = np + 16, ps = np + 32;
  char* p = reinterpret_cast<char*>(work);
  Scratch s;
  s.qb = aligned(p);
  s.kb = reinterpret_cast<std::uint32_t*>(aligned(s.qb + np * dh));
  s.vb = reinterpret_cast<std::uint32_t*>(aligned(s.kb + np * dh / 2));
  s.scores = reinterpret_cast<float*>(aligned(s.vb + np * dh / 2));
  s.pb = aligned(s.scores + kBlock * rs);
  s.ctx = reinterpret_cast<float*>(aligned(s.pb + kBlock * ps));
  return s;
}

// 32 or 16 consecutive values as bfloat16, from float32 (rounded to nearest even) or bfloat16 (as they are).
__m512i bf16_32(const float* p) { return to_bf16(_mm512_loadu_ps(p), _mm512_loadu_ps(p + 16)); }
__m512i bf16_32(const std::uint16_t* p) { return _mm512_loadu_si512(p); }
__m256i bf16_16(const float* p) { return (__m256i)_mm512_cvtneps_pbh(_mm512_loadu_ps(p)); }
__m256i bf16_16(const std::uint16_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }

// 16 output values, stored as float32 or rounded to bfloat16.
void store16(float* p, __m512 x) { _mm512_storeu_ps(p, x); }
void store16(std::uint16_t* p, __m512 x) {
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), (__m256i)_mm512_cvtneps_pbh(x));
}

// q, k and v of one (sequence, head) into the tile layouts; keys and rows past n are zero. T: float or bfloat16
// (uint16_t) inputs, rows ld values apart.
template <typename T>
void convert(const T* q, const T* k, const T* v, std::int64_t ld, std::int64_t n, std::int64_t dh, const Scratch& s) {
  const std::int64_t np = round_up(n, 32), nq = round_up(n, kBlock), chunks = dh / 32;
  const std::int64_t bytes = dh * static_cast<std::int64_t>(sizeof(T)), ahead = 8;
  // Column pair p of a 16-key block goes to row p of the tile, key j % 16 to element j % 16 of that row.
  const __m512i rows16 = _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                                            _mm512_set1_epi32(16));
  // Two keys' 16 columns, interleaved: word 2c from the first key, 2c + 1 from the second.
  const __m512i pairs = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8, 23, 7, 22, 6,
                                         21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
  std::memset(s.kb + (np - 32) * dh / 2, 0, static_cast<std::size_t>(32 * dh / 2) * sizeof(std::uint32_t));
  std::memset(s.qb + n * dh, 0, static_cast<std::size_t>((nq - n) * dh) * sizeof(std::uint16_t));
  auto row = [](const T* base) { return reinterpret_cast<const float*>(base); };  // for the prefetch helper
  for (std::int64_t j = 0; j < n; ++j) {
    if (j + ahead < n) {
      radlite_prefetch_rows(row(k + (j + ahead) * ld), row(v + (j + ahead) * ld), bytes);
      radlite_prefetch_rows(row(q + (j + ahead) * ld), nullptr, bytes);
    }
    const T *qj = q + j * ld, *kj = k + j * ld;
    for (std::int64_t c = 0; c < chunks; ++c) {
      _mm512_storeu_si512(s.qb + j * dh + c * 32, bf16_32(qj + c * 32));
      std::uint32_t* block = s.kb + ((j / kBlock) * chunks + c) * 256 + j % kBlock;
      _mm512_i32scatter_epi32(block, rows16, bf16_32(kj + c * 32), 4);
    }
  }
  const std::int64_t col_tiles = dh / kBlock;
  for (std::int64_t j = 0; j < np; j += 2) {
    const T* v0 = v + j * ld;
    const T* v1 = v0 + ld;
    for (std::int64_t c = 0; c < col_tiles; ++c) {
      const __m256i a = j < n ? bf16_16(v0 + c * kBlock) : _mm256_setzero_si256();
      const __m256i b = j + 1 < n ? bf16_16(v1 + c * kBlock) : _mm256_setzero_si256();
      std::uint32_t* dst = s.vb + ((j / 32) * col_tiles + c) * 256 + (j % 32) / 2 * kBlock;
      _mm512_storeu_si512(dst, _mm512_permutexvar_epi16(pairs, _mm512_inserti64x4(_mm512_castsi256_si512(a), b, 1)));
    }
  }
}

// Scores of query rows i0 .. i0 + 15 against all np keys: scores[r][j] = q_r . k_j (unscaled), 32 keys per step.
void score_block(const Scratch& s, std::int64_t i0, std::int64_t np, std::int64_t dh, std::int64_t rs) {
  const std::int64_t chunks = dh / 32;
  for (std::int64_t j0 = 0; j0 < np; j0 += 32) {
    _tile_zero(0);
    _tile_zero(1);
    for (std::int64_t c = 0; c < chunks; ++c) {
      if (chunks > 1 || j0 == 0) _tile_loadd(4, s.qb + i0 * dh + c * 32, dh * 2);
      _tile_loadd(5, s.kb + ((j0 / kBlock) * chunks + c) * 256, 64);
      _tile_loadd(6, s.kb + ((j0 / kBlock + 1) * chunks + c) * 256, 64);
      _tile_dpbf16ps(0, 4, 5);
      _tile_dpbf16ps(1, 4, 6);
    }
    _tile_stored(0, s.scores + j0, rs * 4);
    _tile_stored(1, s.scores + j0 + 16, rs * 4);
  }
}

// Softmax numerators of 16 score rows as bfloat16 (keys n .. np - 1 weigh 0), and 1 / (their sum) per row:
// e^(scale (s - max)) = 2^(s c - max c) with c = scale log2(e).
void softmax_block(const Scratch& s, std::int64_t n, std::int64_t np, std::int64_t rs, std::int64_t ps, float scale,
                   float* inv) {
  const float c = scale * 1.44269504088896341f;
  for (std::int64_t r = 0; r < kBlock; ++r) {
    const float* sr = s.scores + r * rs;
    __m512 m16 = _mm512_set1_ps(-3.4e38f);
    for (std::int64_t j = 0; j < np; j += 16)
      m16 = _mm512_mask_max_ps(m16, radlite_first16(n - j), m16, _mm512_loadu_ps(sr + j));
    const __m512 vc = _mm512_set1_ps(c), mv = _mm512_set1_ps(-_mm512_reduce_max_ps(m16) * c);
    __m512 sum16 = _mm512_setzero_ps();
    std::uint16_t* pr = s.pb + r * ps;
    for (std::int64_t j = 0; j < np; j += 32) {
      const __m512 t0 = _mm512_fmadd_ps(_mm512_loadu_ps(sr + j), vc, mv);
      const __m512 t1 = _mm512_fmadd_ps(_mm512_loadu_ps(sr + j + 16), vc, mv);
      const __m512 e0 = _mm512_maskz_mov_ps(radlite_first16(n - j), radlite_exp2_nonpositive_avx512(t0));
      const __m512 e1 = _mm512_maskz_mov_ps(radlite_first16(n - j - 16), radlite_exp2_nonpositive_avx512(t1));
      sum16 = _mm512_add_ps(sum16, _mm512_add_ps(e0, e1));
      _mm512_storeu_si512(pr + j, to_bf16(e0, e1));
    }
    inv[r] = 1.0f / _mm512_reduce_add_ps(sum16);
  }
}

// Output rows i0 .. i0 + rows - 1: (numerators . v) / sum, 64 columns (four tiles) or 32 (two) per pass.
template <typename T>
void output_block(const Scratch& s, std::int64_t np, std::int64_t dh, std::int64_t ps, const float* inv,
                  std::int64_t rows, T* out, std::int64_t ld_out) {
  const std::int64_t col_tiles = dh / kBlock;
  for (std::int64_t c0 = 0; c0 < col_tiles; c0 += 4) {
    const bool four = col_tiles - c0 >= 4;
    _tile_zero(0);
    _tile_zero(1);
    if (four) {
      _tile_zero(2);
      _tile_zero(3);
    }
    for (std::int64_t j0 = 0; j0 < np; j0 += 32) {
      _tile_loadd(4, s.pb + j0, ps * 2);
      const std::uint32_t* vb = s.vb + ((j0 / 32) * col_tiles + c0) * 256;
      _tile_loadd(5, vb, 64);
      _tile_loadd(6, vb + 256, 64);
      _tile_dpbf16ps(0, 4, 5);
      _tile_dpbf16ps(1, 4, 6);
      if (four) {
        _tile_loadd(7, vb + 512, 64);
        _tile_loadd(5, vb + 768, 64);
        _tile_dpbf16ps(2, 4, 7);
        _tile_dpbf16ps(3, 4, 5);
      }
    }
    _tile_stored(0, s.ctx, 64 * 4);
    _tile_stored(1, s.ctx + 16, 64 * 4);
    if (four) {
      _tile_stored(2, s.ctx + 32, 64 * 4);
      _tile_stored(3, s.ctx + 48, 64 * 4);
    }
    const std::int64_t cols = (four ? 4 : 2) * kBlock;
    for (std::int64_t r = 0; r < rows; ++r) {
      const __m512 f = _mm512_set1_ps(inv[r]);
      for (std::int64_t c = 0; c < cols; c += 16)
        store16(out + r * ld_out + c0 * kBlock + c, _mm512_mul_ps(_mm512_loadu_ps(s.ctx + r * 64 + c), f));
    }
  }
}

// The same two products without tiles, for CPUs with AVX512-BF16 but no AMX: VDPBF16PS adds two bfloat16 products
// per float32 lane, and the tile layouts above are what it reads (a row of a key block: one column pair of 16 keys;
// of a value block: 16 columns of one key pair). 8 query rows against 32 keys (or 32 output columns) per step, in
// 16 accumulators.
__m512 dp(__m512 acc, std::uint32_t pair, __m512i b) {
  return _mm512_dpbf16_ps(acc, (__m512bh)_mm512_set1_epi32(static_cast<int>(pair)), (__m512bh)b);
}

void score_block_dp(const Scratch& s, std::int64_t i0, std::int64_t np, std::int64_t dh, std::int64_t rs) {
  const std::int64_t chunks = dh / 32, pairs = dh / 2;
  const auto* q = reinterpret_cast<const std::uint32_t*>(s.qb);
  for (std::int64_t r0 = i0; r0 < i0 + kBlock; r0 += 8) {
    const std::uint32_t* qr = q + r0 * pairs;
    for (std::int64_t j0 = 0; j0 < np; j0 += 32) {
      __m512 acc[8][2];
      for (auto& r : acc) r[0] = r[1] = _mm512_setzero_ps();
      for (std::int64_t p = 0; p < pairs; ++p) {
        const std::uint32_t* kb = s.kb + ((j0 / kBlock) * chunks + p / 16) * 256 + (p % 16) * kBlock;
        const __m512i k0 = _mm512_loadu_si512(kb), k1 = _mm512_loadu_si512(kb + chunks * 256);
#pragma GCC unroll 8
        for (int r = 0; r < 8; ++r) {
          acc[r][0] = dp(acc[r][0], qr[r * pairs + p], k0);
          acc[r][1] = dp(acc[r][1], qr[r * pairs + p], k1);
        }
      }
      float* out = s.scores + (r0 - i0) * rs + j0;
      for (int r = 0; r < 8; ++r) {
        _mm512_storeu_ps(out + r * rs, acc[r][0]);
        _mm512_storeu_ps(out + r * rs + 16, acc[r][1]);
      }
    }
  }
}

template <typename T>
void output_block_dp(const Scratch& s, std::int64_t np, std::int64_t dh, std::int64_t ps, const float* inv,
                     std::int64_t rows, T* out, std::int64_t ld_out) {
  const std::int64_t col_tiles = dh / kBlock;
  for (std::int64_t r0 = 0; r0 < std::min(rows, kBlock); r0 += 8) {
    const auto* pr = reinterpret_cast<const std::uint32_t*>(s.pb + r0 * ps);
    const std::int64_t pstride = ps / 2;
    for (std::int64_t c0 = 0; c0 < col_tiles; c0 += 2) {
      __m512 acc[8][2];
      for (auto& r : acc) r[0] = r[1] = _mm512_setzero_ps();
      for (std::int64_t p = 0; p < np / 2; ++p) {
        const std::uint32_t* vb = s.vb + ((p / 16) * col_tiles + c0) * 256 + (p % 16) * kBlock;
        const __m512i v0 = _mm512_loadu_si512(vb), v1 = _mm512_loadu_si512(vb + 256);
#pragma GCC unroll 8
        for (int r = 0; r < 8; ++r) {
          acc[r][0] = dp(acc[r][0], pr[r * pstride + p], v0);
          acc[r][1] = dp(acc[r][1], pr[r * pstride + p], v1);
        }
      }
      for (std::int64_t r = 0; r < std::min<std::int64_t>(8, rows - r0); ++r) {
        const __m512 f = _mm512_set1_ps(inv[r0 + r]);
        store16(out + (r0 + r) * ld_out + c0 * kBlock, _mm512_mul_ps(acc[r][0], f));
        store16(out + (r0 + r) * ld_out + c0 * kBlock + 16, _mm512_mul_ps(acc[r][1], f));
      }
    }
  }
}

// AVX512F, AVX512BW and AVX512-BF16 (and, for `tiles`, AMX-TILE and AMX-BF16), from CPUID leaf 7.
bool cpu_has_bf16(bool tiles) {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
  const bool amx = (d >> 22 & 1u) && (d >> 24 & 1u);
  const bool avx512 = (b >> 16 & 1u) && (b >> 30 & 1u);
  if ((tiles && !amx) || !avx512 || !__get_cpuid_count(7, 1, &a, &b, &c, &d)) return false;
  return (a >> 5 & 1u) && __builtin_cpu_supports("avx512f");  // the OS saves the AVX-512 state too
}

// Linux (5.16 and later) hands the tile state to a process that asks for it (the first tile instruction of one
// that did not is killed with SIGILL). oneDNN asks the same way for its AMX kernels; asking twice is harmless.
bool os_grants_tiles() {
  constexpr long kReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;
  return syscall(SYS_arch_prctl, kReqXcompPerm, kXfeatureXtiledata) == 0;
}

}  // namespace

bool attention_amx_available() {
  static const bool available = cpu_has_bf16(true) && os_grants_tiles();
  return available;
}

bool attention_avx512bf16_available() {
  static const bool available = cpu_has_bf16(false);
  return available;
}

bool attention_amx_supports(std::int64_t head_size) { return head_size > 0 && head_size % 32 == 0 && head_size <= 256; }

std::int64_t attention_amx_work_floats(std::int64_t L, std::int64_t dh) {
  const std::int64_t np = round_up(std::max<std::int64_t>(L, 1), 32);
  const std::int64_t bf16 = np * dh + 2 * (np * dh) + kBlock * (np + 32);  // qb, kb + vb, pb (2-byte elements)
  return bf16 / 2 + kBlock * (np + 16) + kBlock * 64 + 6 * 16;             // + scores, ctx, alignment
}

namespace {

template <bool kTiles, typename T>
void heads(const AttentionArgs& a, const T* q, const T* k, const T* v, T* out_base, std::int64_t g_begin,
           std::int64_t g_end, const Scratch& s) {
  for (std::int64_t g = g_begin; g < g_end; ++g) {
    const std::int64_t b = g / a.heads, col = (g % a.heads) * a.dh;
    const std::int64_t in = a.starts[b] * a.ld + col, n = a.lengths[b];
    const std::int64_t nq = a.query_rows > 0 ? std::min(n, a.query_rows) : n;  // query rows: the first nq
    const std::int64_t np = round_up(n, 32), rs = np + 16, ps = np + 32;
    convert(q + in, k + in, v + in, a.ld, n, a.dh, s);
    T* out = out_base + a.starts[b] * a.ld_out + col;
    for (std::int64_t i0 = 0; i0 < nq; i0 += kBlock) {
      float inv[kBlock];
      if (kTiles)
        score_block(s, i0, np, a.dh, rs);
      else
        score_block_dp(s, i0, np, a.dh, rs);
      softmax_block(s, n, np, rs, ps, a.scale, inv);
      if (kTiles)
        output_block(s, np, a.dh, ps, inv, std::min(kBlock, nq - i0), out + i0 * a.ld_out, a.ld_out);
      else
        output_block_dp(s, np, a.dh, ps, inv, std::min(kBlock, nq - i0), out + i0 * a.ld_out, a.ld_out);
    }
  }
}

}  // namespace

void attention_amx(const AttentionArgs& a, std::int64_t g_begin, std::int64_t g_end, float* work) {
  const Scratch s = carve(work, a.max_length, a.dh);
  load_tile_config();
  if (a.q16)
    heads<true>(a, a.q16, a.k16, a.v16, a.out16, g_begin, g_end, s);
  else
    heads<true>(a, a.q, a.k, a.v, a.out, g_begin, g_end, s);
  _tile_release();
}

void attention_avx512bf16(const AttentionArgs& a, std::int64_t g_begin, std::int64_t g_end, float* work) {
  const Scratch s = carve(work, a.max_length, a.dh);
  if (a.q16)
    heads<false>(a, a.q16, a.k16, a.v16, a.out16, g_begin, g_end, s);
  else
    heads<false>(a, a.q, a.k, a.v, a.out, g_begin, g_end, s);
}

}  // namespace radlite::model

#else

namespace radlite::model {
bool attention_amx_available() { return false; }
bool attention_amx_supports(std::int64_t) { return false; }
std::int64_t attention_amx_work_floats(std::int64_t, std::int64_t) { return 0; }
void attention_amx(const AttentionArgs&, std::int64_t, std::int64_t, float*) {}
bool attention_avx512bf16_available() { return false; }
void attention_avx512bf16(const AttentionArgs&, std::int64_t, std::int64_t, float*) {}
}  // namespace radlite::model

#endif
