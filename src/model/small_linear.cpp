#include "model/small_linear.h"

#include <ATen/Parallel.h>

#include <algorithm>

namespace radlite::model {

void small_linear(const float* x, std::int64_t rows, std::int64_t k, const float* w, const float* bias, std::int64_t n,
                  float* out) {
  // The threads split the columns in whole blocks of the kernel (6 weight rows), so each reads its own weights;
  // one parallel region per call. A call too small to share stays on the calling thread.
  constexpr std::int64_t kUnit = 6;
  const std::int64_t units = (n + kUnit - 1) / kUnit;
  const std::int64_t grain = std::max<std::int64_t>(1, (1 << 18) / std::max<std::int64_t>(1, rows * k * kUnit));
  at::parallel_for(0, units, grain, [&](std::int64_t u0, std::int64_t u1) {
    small_linear_columns_avx2(x, rows, k, w, bias, n, u0 * kUnit, std::min(n, u1 * kUnit), out);
  });
}

}  // namespace radlite::model
