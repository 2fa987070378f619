// LayerNorm over float32 rows on the CPU (internal to radlite), optionally of the sum of two buffers: out[r] =
// (s - mean(s)) / sqrt(var(s) + eps) * gamma + beta with s = a[r] (+ b[r]), the variance biased (divided by n), as
// torch.nn.LayerNorm computes it. Mean and variance in two passes over the row (8 partial sums each), so results
// agree with libtorch's layer_norm to float rounding.
//
// Why: ATen's layer_norm returns a new tensor; a batch's [tokens, hidden] activations (39 MB for 50 pairs of 512
// MiniLM tokens) are above glibc's mmap threshold, so each of the 24 calls per pass mapped fresh pages and faulted
// them in. Writing into the encoder's own buffer avoids that, and int8 layers add their residual here instead of in
// a separate pass.
//
// layer_norm_avx2 lives in layer_norm_avx2.cpp, compiled with -mavx2 -mfma; call it only when
// layer_norm_avx2_available(). out may be b (each element is read before it is written), not a.
#pragma once

#include <cstdint>

namespace radlite::model {

bool layer_norm_avx2_available();
void layer_norm_avx2(const float* a, const float* b, std::int64_t rows, std::int64_t n, const float* gamma,
                     const float* beta, float eps, float* out);

/// The same over [rows, n] buffers, rows shared over ATen's intra-op threads (layer_norm_threads.cpp).
void layer_norm_rows(const float* a, const float* b, std::int64_t rows, std::int64_t n, const float* gamma,
                     const float* beta, float eps, float* out);

}  // namespace radlite::model
