// Fused float32 self-attention for the CPU (internal to radlite): softmax(scale * q k^T) v for one (sequence,
// head) at a time, its keys limited to the sequence's real tokens.
//
// Why: with the head sizes of these models (32 for MiniLM-L12-H384, 64 for base models) each attention GEMM has
// an inner dimension of 32-64 or an output of 32-64 columns, where OpenBLAS spends much of its time packing, and
// libtorch's softmax makes three passes over [L, L] scores. Measured with MiniLM-L12's shapes (16 sequences of 400
// tokens, 2 threads), attention ran at about 40 GFLOP/s and took 38% of a layer. This kernel computes four query
// rows at a time: their scores against all keys (kept in L1), the softmax on them, and their output rows, so the
// scores never go to memory; keys are transposed once per (sequence, head).
//
// Padded keys are never read: exp(lowest - max) is exactly 0 in float, so leaving them out gives the masked
// result. Padded query rows are not computed (their outputs are zero; the encoder drops them).
//
// As small_linear_avx2.cpp, the translation unit is compiled with -mavx2 -mfma and holds no shared inline or
// template code; call only when attention_avx2_available().
#pragma once

#include <cstdint>

namespace radlite::model {

/// True when this build has the AVX2 kernel and the CPU supports AVX2 and FMA.
bool attention_avx2_available();

/// Head sizes the kernel takes (a multiple of 8, at most 256).
bool attention_avx2_supports(std::int64_t head_size);

/// For each (sequence, head) index g in [g_begin, g_end): q, k, v and out are [G, L, dh] contiguous, g's sequence
/// is g / heads and has lengths[g / heads] real tokens (>= 1, <= L). Rows i < n of out[g] get
/// sum_j softmax_j(scale * q_i . k_j) v_j over j < n; rows n .. L - 1 get zeros. `work` holds at least
/// attention_work_floats(L, dh) floats, used by this call only.
void attention_avx2(const float* q, const float* k, const float* v, const std::int64_t* lengths, std::int64_t heads,
                    std::int64_t L, std::int64_t dh, float scale, std::int64_t g_begin, std::int64_t g_end, float* out,
                    float* work);

/// The same computation with AVX-512 vectors (attention_avx512.cpp), for CPUs with AVX-512F; the results agree
/// with attention_avx2's to rounding (sums in another order), not bit for bit.
bool attention_avx512_available();
void attention_avx512(const float* q, const float* k, const float* v, const std::int64_t* lengths, std::int64_t heads,
                      std::int64_t L, std::int64_t dh, float scale, std::int64_t g_begin, std::int64_t g_end,
                      float* out, float* work);

/// Floats of scratch one attention_avx2 or attention_avx512 call needs.
std::int64_t attention_work_floats(std::int64_t L, std::int64_t dh);

/// attention_avx512 (where available, and RADLITE_ATTENTION_AVX2 is unset) or attention_avx2 over all `groups`
/// (sequence, head) pairs, shared over ATen's intra-op threads (attention.cpp).
void attention_fused(const float* q, const float* k, const float* v, const std::int64_t* lengths, std::int64_t heads,
                     std::int64_t groups, std::int64_t L, std::int64_t dh, float scale, float* out);

}  // namespace radlite::model
