// The portable half of radlite's int8 GEMM: weight packing and the plain C++ reference (see int8_gemm.h).
#include "model/int8_gemm.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "radlite/error.h"

namespace radlite::model {

Int8PackedWeights int8_pack_weights(const float* w, const float* bias, std::int64_t n, std::int64_t k) {
  if (k < 1 || n < 1 || k > kInt8MaxDepth)
    throw InvalidArgument("int8 GEMM: a Linear layer of shape [" + std::to_string(n) + ", " + std::to_string(k) +
                          "] is outside what the int8 kernel sums exactly (1 <= k <= " +
                          std::to_string(kInt8MaxDepth) + ")");
  Int8PackedWeights p;
  p.n = n, p.k = k, p.kp = (k + 3) / 4 * 4, p.panels = (n + kInt8PanelCols - 1) / kInt8PanelCols;
  const std::int64_t cols = p.panels * kInt8PanelCols;
  p.data.assign(static_cast<std::size_t>(cols * p.kp), 0);
  p.scale.assign(cols, 0.0f);
  p.bias.assign(cols, 0.0f);
  p.colsum.assign(cols, 0);
  for (std::int64_t j = 0; j < n; ++j) {
    const float* row = w + j * k;
    float amax = 0;
    for (std::int64_t i = 0; i < k; ++i) amax = std::max(amax, std::fabs(row[i]));
    const float s = amax > 0 ? amax / 127.0f : 1.0f;
    std::int8_t* panel = p.data.data() + (j / kInt8PanelCols) * p.kp * kInt8PanelCols;
    const std::int64_t c = j % kInt8PanelCols;
    std::int32_t sum = 0;
    for (std::int64_t i = 0; i < k; ++i) {
      const auto v = static_cast<std::int32_t>(std::clamp(std::nearbyint(row[i] / s), -127.0f, 127.0f));
      panel[(i / 4) * 4 * kInt8PanelCols + c * 4 + i % 4] = static_cast<std::int8_t>(v);
      sum += v;
    }
    p.scale[j] = s;
    p.bias[j] = bias ? bias[j] : 0.0f;
    p.colsum[j] = sum;
  }
  return p;
}

void int8_quantize_rows_reference(const float* x, std::int64_t k, std::int64_t kp, std::int64_t r0, std::int64_t r1,
                                  std::uint8_t* q, float* scale, std::int32_t* zero) {
  for (std::int64_t r = r0; r < r1; ++r) {
    const float* xr = x + r * k;
    float lo = 0, hi = 0;
    for (std::int64_t i = 0; i < k; ++i) lo = std::min(lo, xr[i]), hi = std::max(hi, xr[i]);
    float s = (hi - lo) / 127.0f;
    if (!(s > 0.0f)) s = 1.0f;
    const float inv = 1.0f / s;
    const auto z = static_cast<std::int32_t>(std::nearbyint(-lo / s));
    scale[r] = s;
    zero[r] = z;
    for (std::int64_t i = 0; i < kp; ++i) {
      const std::int32_t v = i < k ? static_cast<std::int32_t>(std::nearbyint(xr[i] * inv)) + z : 0;
      q[r * kp + i] = static_cast<std::uint8_t>(std::clamp(v, 0, 127));
    }
  }
}

void int8_gemm_reference(const Int8PackedWeights& w, const std::uint8_t* q, const float* scale,
                         const std::int32_t* zero, std::int64_t rows, float* out) {
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t j = 0; j < w.n; ++j) {
      const std::int8_t* panel = w.data.data() + (j / kInt8PanelCols) * w.kp * kInt8PanelCols;
      const std::int64_t c = j % kInt8PanelCols;
      std::int32_t acc = 0;
      for (std::int64_t i = 0; i < w.kp; ++i)
        acc += std::int32_t{q[r * w.kp + i]} * panel[(i / 4) * 4 * kInt8PanelCols + c * 4 + i % 4];
      out[r * w.n + j] = std::fma(static_cast<float>(acc - zero[r] * w.colsum[j]), scale[r] * w.scale[j], w.bias[j]);
    }
}

void int8_epilogue_reference(const std::int32_t* acc, std::int64_t n, const float* wscale, const float* bias,
                             const std::int32_t* colsum, const float* scale, const std::int32_t* zero,
                             std::int64_t r0, std::int64_t r1, float* out) {
  for (std::int64_t r = r0; r < r1; ++r)
    for (std::int64_t j = 0; j < n; ++j)
      out[r * n + j] =
          std::fma(static_cast<float>(acc[r * n + j] - zero[r] * colsum[j]), scale[r] * wscale[j], bias[j]);
}

}  // namespace radlite::model
