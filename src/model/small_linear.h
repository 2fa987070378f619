// A float32 Linear layer for few rows (one short query), reading the weights in the layout they are stored in
// (internal to radlite).
//
// With few rows a GEMM is bound by reading the weights: each weight is used once per row, and a base model's
// Linear weights (340 MB) do not fit in any cache. OpenBLAS copies (packs) the whole weight matrix into its own
// layout on every call, which at 32 rows costs about half as much as the arithmetic. This kernel instead computes
// each output as a dot product of an input row with a weight row, both contiguous, 6 weight rows at a time while
// the next 6 are prefetched: every weight is read from memory once per call, and the threads split the columns.
//
// The kernel's translation unit (small_linear_avx2.cpp) is compiled with -mavx2 -mfma and holds no shared inline or
// template code (see retrieval/dense_kernels.h for why); it is called only when the CPU has AVX2 and FMA.
#pragma once

#include <cstdint>

namespace radlite::model {

/// Rows up to which small_linear is used instead of OpenBLAS's GEMM. Measured with RoBERTa-base's four shapes,
/// all four together: at 32 rows 1.3x as fast on one thread and 1.4x on two, at 96 rows even on one thread and
/// 1.1x on two; at 128 rows OpenBLAS is 1.05x as fast on one thread (it reuses each weight across more rows).
constexpr std::int64_t kSmallLinearMaxRows = 96;

/// True when this build has the AVX2 kernel and the CPU supports AVX2 and FMA.
bool small_linear_available();

/// out[m][j] = bias[j] + sum_i x[m][i] * w[j][i], for m < rows and j < n: x is [rows, k], w is [n, k], out is
/// [rows, n], all row-major and contiguous; bias may be null. Splits the columns over ATen's intra-op threads.
/// Only call when small_linear_available().
void small_linear(const float* x, std::int64_t rows, std::int64_t k, const float* w, const float* bias, std::int64_t n,
                  float* out);

/// The single-threaded kernel behind small_linear: the columns [n_begin, n_end) of out, every row.
void small_linear_columns_avx2(const float* x, std::int64_t rows, std::int64_t k, const float* w, const float* bias,
                               std::int64_t n, std::int64_t n_begin, std::int64_t n_end, float* out);

}  // namespace radlite::model
