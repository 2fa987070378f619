// IEEE 754 binary16 <-> float conversions for stored vectors (internal to radlite), portable C++.
// float -> half rounds to nearest, ties to even (as F16C's _MM_FROUND_TO_NEAREST_INT does), so a vector
// stores the same bits whichever CPU wrote it; half -> float is exact. The AVX2 kernels convert with F16C
// (dense_kernels_avx2.cpp) and give the same floats.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

namespace radlite::float16 {

inline float to_float(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t exp = (h >> 10) & 0x1Fu, mant = h & 0x3FFu;
  std::uint32_t bits;
  if (exp == 0) {
    // Zero or subnormal: mant * 2^-24, exact in float.
    float v = static_cast<float>(mant) * 5.9604644775390625e-08f;
    std::memcpy(&bits, &v, 4);
    bits |= sign;
  } else if (exp == 31) {
    bits = sign | 0x7F800000u | (mant << 13);  // inf, nan
  } else {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

inline std::uint16_t from_float(float f) {
  std::uint32_t x;
  std::memcpy(&x, &f, 4);
  const std::uint32_t sign = (x >> 16) & 0x8000u, ax = x & 0x7FFFFFFFu;
  if (ax >= 0x7F800000u) return static_cast<std::uint16_t>(sign | 0x7C00u | (ax > 0x7F800000u ? 0x200u : 0u));
  if (ax >= 0x477FF000u) return static_cast<std::uint16_t>(sign | 0x7C00u);  // >= 65520 rounds to infinity
  if (ax < 0x38800000u) {
    // Below 2^-14: a subnormal half, mant = value * 2^24 rounded to nearest even (1024 is the smallest normal).
    float v;
    std::memcpy(&v, &ax, 4);
    return static_cast<std::uint16_t>(sign | static_cast<std::uint32_t>(std::nearbyint(v * 16777216.0f)));
  }
  std::uint32_t h = (((ax >> 23) - 112) << 10) | ((ax >> 13) & 0x3FFu);
  const std::uint32_t rest = ax & 0x1FFFu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;  // a carry moves into the exponent, as it should
  return static_cast<std::uint16_t>(sign | h);
}

inline bool is_finite(std::uint16_t h) { return (h & 0x7C00u) != 0x7C00u; }

}  // namespace radlite::float16
