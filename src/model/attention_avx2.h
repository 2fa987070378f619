// Fused float32 self-attention for the CPU (internal to radlite): softmax(scale * q k^T) v for one (sequence,
// head) at a time, its keys limited to the sequence's real tokens.
//
// Why: with the head sizes of these models (32 for MiniLM-L12-H384, 64 for base models) each attention GEMM has
// an inner dimension of 32-64 or an output of 32-64 columns, where OpenBLAS spends much of its time packing, and
// libtorch's softmax makes three passes over [L, L] scores. Measured with MiniLM-L12's shapes (16 sequences of 400
// tokens, 2 threads), attention ran at about 40 GFLOP/s and took 38% of a layer. This kernel computes four query
// rows at a time: their scores against all keys (kept in L1), the softmax on them, and their output rows, so the
// scores never go to memory; keys are transposed once per (sequence, head). It reads the heads in place from the
// projections' output rows and writes its output rows where the attention-output projection reads them: no copies
// into per-head layouts.
//
// Sequences are packed without padding: padded keys would weigh exactly 0 (exp(lowest - max) is 0 in float), so
// leaving them out gives the masked result.
//
// As small_linear_avx2.cpp, the translation unit is compiled with -mavx2 -mfma and holds no shared inline or
// template code; call only when attention_avx2_available().
#pragma once

#include <cstdint>
#include <string>

namespace radlite::model {

/// True when this build has the AVX2 kernel and the CPU supports AVX2 and FMA.
bool attention_avx2_available();

/// Head sizes the kernel takes (a multiple of 8, at most 256).
bool attention_avx2_supports(std::int64_t head_size);

/// Where a fused attention call reads and writes: token-major rows, as the encoder's projections produce them.
/// Sequence b's real tokens are rows starts[b] .. starts[b] + lengths[b] - 1 (lengths[b] >= 1); head h of a row is
/// its dh floats from column h * dh. Query, key and value rows are `ld` floats apart (3 * hidden when they are the
/// three thirds of the fused QKV projection's output), output rows `ld_out`. Padded positions do not exist in this
/// layout, so nothing reads or writes them.
struct AttentionArgs {
  const float* q = nullptr;
  const float* k = nullptr;
  const float* v = nullptr;
  std::int64_t ld = 0;
  float* out = nullptr;
  std::int64_t ld_out = 0;
  const std::int64_t* starts = nullptr;
  const std::int64_t* lengths = nullptr;
  std::int64_t heads = 0, dh = 0;
  float scale = 1.0f;
  std::int64_t max_length = 0;  // the largest lengths[b]: sizes the scratch
  // Output rows per sequence: its first min(lengths[b], query_rows) query rows are computed and written (against
  // all its keys), the others neither; 0 for all of them.
  std::int64_t query_rows = 0;
  // Allows bfloat16 products (attention_amx) where the CPU has AMX-BF16 and the head size suits it; the int8
  // models set it, float32 ones never do.
  bool bf16_products = false;
  // bfloat16 rows instead of float32 ones (a bfloat16 model; attention_amx only, which attention_fused then
  // requires): q16, k16, v16 and out16 are used in place of q, k, v and out, with the same strides in elements.
  const std::uint16_t* q16 = nullptr;
  const std::uint16_t* k16 = nullptr;
  const std::uint16_t* v16 = nullptr;
  std::uint16_t* out16 = nullptr;
};

/// For each (sequence, head) index g in [g_begin, g_end) (sequence g / heads, head g % heads): row i of its output
/// gets sum_j softmax_j(scale * q_i . k_j) v_j over the sequence's tokens j. `work` holds at least
/// attention_work_floats(a.max_length, a.dh) floats, used by this call only.
void attention_avx2(const AttentionArgs& a, std::int64_t g_begin, std::int64_t g_end, float* work);

/// The same computation with AVX-512 vectors (attention_avx512.cpp), for CPUs with AVX-512F; the results agree
/// with attention_avx2's to rounding (sums in another order), not bit for bit.
bool attention_avx512_available();
void attention_avx512(const AttentionArgs& a, std::int64_t g_begin, std::int64_t g_end, float* work);

/// Floats of scratch one attention_avx2 or attention_avx512 call needs.
std::int64_t attention_work_floats(std::int64_t L, std::int64_t dh);

/// The same computation on AMX tiles with q, k, the softmax numerators and v rounded to bfloat16, sums in float32
/// (attention_amx.cpp): about 1e-3 of the values' scale from the float32 kernels' results. For CPUs with AMX-BF16,
/// AVX512-BF16 and AVX512BW whose kernel grants the tile state; head sizes that are multiples of 32, up to 256.
bool attention_amx_available();
bool attention_amx_supports(std::int64_t head_size);
std::int64_t attention_amx_work_floats(std::int64_t L, std::int64_t dh);
void attention_amx(const AttentionArgs& a, std::int64_t g_begin, std::int64_t g_end, float* work);

/// The same rounding and sums in another order without tiles, with AVX512-BF16's VDPBF16PS, for CPUs that have it
/// but no AMX (AMD Zen 4 and later); same head sizes and scratch (attention_amx_work_floats).
bool attention_avx512bf16_available();
void attention_avx512bf16(const AttentionArgs& a, std::int64_t g_begin, std::int64_t g_end, float* work);

/// attention_amx or attention_avx512bf16: either is there.
bool attention_bf16_available();

/// Whether int8 models take bfloat16 products in attention: by default where the CPU has AMX;
/// RADLITE_INT8_ATTENTION=f32 never, =bf16 wherever attention_bf16_available() (read on each call). Any other
/// value is an InvalidArgument; bf16 on a CPU without a bfloat16 kernel a ModelError.
bool int8_attention_bf16();

/// The kernel attention_fused runs for head sizes every kernel takes (64): "amx-bf16", "avx512-bf16", "avx512-f32",
/// "avx2-f32", or "aten" where there is none (the encoder's ATen path). bf16_products: as AttentionArgs'.
std::string attention_kernel_name(bool bf16_products);

/// attention_amx (when a.bf16_products or a.q16 and the CPU and head size allow it; attention_avx512bf16 where the
/// CPU has no AMX or RADLITE_ATTENTION_NO_AMX is set), else attention_avx512 (where available,
/// and RADLITE_ATTENTION_AVX2 is unset) or attention_avx2 over all sequences * heads (sequence, head) pairs, shared
/// over ATen's intra-op threads (attention.cpp).
void attention_fused(const AttentionArgs& a, std::int64_t sequences);

}  // namespace radlite::model
