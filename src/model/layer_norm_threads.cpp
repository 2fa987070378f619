// The threaded entry of radlite's LayerNorm (layer_norm.h): rows shared over ATen's intra-op threads.
#include <ATen/Parallel.h>

#include <algorithm>

#include "model/layer_norm.h"

namespace radlite::model {

void layer_norm_rows(const float* a, const float* b, std::int64_t rows, std::int64_t n, const float* gamma,
                     const float* beta, float eps, float* out) {
  at::parallel_for(0, rows, std::max<std::int64_t>(1, (1 << 14) / std::max<std::int64_t>(n, 1)),
                   [&](std::int64_t r0, std::int64_t r1) {
                     layer_norm_avx2(a + r0 * n, b ? b + r0 * n : nullptr, r1 - r0, n, gamma, beta, eps,
                                     out + r0 * n);
                   });
}

}  // namespace radlite::model
