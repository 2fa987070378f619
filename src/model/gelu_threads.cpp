// The threaded entry of radlite's GELU (gelu.h): rows shared over ATen's intra-op threads. Apart from gelu.cpp,
// which stays free of ATen.
#include <ATen/Parallel.h>

#include <algorithm>

#include "model/gelu.h"

namespace radlite::model {

void gelu_erf_rows(float* x, std::int64_t rows, std::int64_t n) {
  at::parallel_for(0, rows, std::max<std::int64_t>(1, (1 << 14) / std::max<std::int64_t>(n, 1)),
                   [&](std::int64_t r0, std::int64_t r1) { gelu_erf(x + r0 * n, (r1 - r0) * n); });
}

}  // namespace radlite::model
