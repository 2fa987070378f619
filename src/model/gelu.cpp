#include "model/gelu.h"

#include <cmath>

namespace radlite::model {

void gelu_erf_reference(float* x, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) {
    const float z = x[i] * 0.70710678118654752f, a = std::fabs(z);
    const float t = 1.0f / std::fma(0.3275911f, a, 1.0f);
    float p = std::fma(1.061405429f, t, -1.453152027f);
    p = std::fma(p, t, 1.421413741f);
    p = std::fma(p, t, -0.284496736f);
    p = std::fma(p, t, 0.254829592f);
    const float e = std::fma(-p * t, std::exp(-(a * a)), 1.0f);  // erf(|z|)
    x[i] = x[i] * 0.5f * (1.0f + std::copysign(e, z));
  }
}

void gelu_erf(float* x, std::int64_t n) {
  static const bool wide = gelu_avx512_available(), narrow = gelu_avx2_available();
  if (wide)
    gelu_erf_avx512(x, n);
  else if (narrow)
    gelu_erf_avx2(x, n);
  else
    gelu_erf_reference(x, n);
}

}  // namespace radlite::model
