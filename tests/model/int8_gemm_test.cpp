// radlite's int8 GEMM (model/int8_gemm.h): the AVX2 kernels and oneDNN's int32 sums with radlite's epilogue
// (model/int8_dnnl.h) against the plain C++ reference bit for bit, the reference against its own definition, and the
// result against the float product.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "model/int8_dnnl.h"
#include "model/int8_gemm.h"
#include "radlite/error.h"

namespace {

using namespace radlite::model;

std::vector<float> normal(std::size_t n, unsigned seed, float sd = 1.0f) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> d(0.0f, sd);
  std::vector<float> v(n);
  for (float& f : v) f = d(gen);
  return v;
}

struct Quantized {
  std::vector<std::uint8_t> q;
  std::vector<float> scale;
  std::vector<std::int32_t> zero;
};

// Rows rounded up to whole tiles of 4, as the kernel reads them. The buffer starts as garbage (0xAB): the quantizer
// must write every byte of its rows, padding included; the padding rows past the last stay garbage (the kernel
// reads them and must not write their results).
Quantized quantize(const std::vector<float>& x, std::int64_t rows, std::int64_t k, std::int64_t kp, bool avx2) {
  const std::int64_t padded = (rows + 3) / 4 * 4;
  Quantized z{std::vector<std::uint8_t>(padded * kp, 0xAB), std::vector<float>(padded, 1.0f),
              std::vector<std::int32_t>(padded, 0)};
  (avx2 ? int8_quantize_rows_avx2 : int8_quantize_rows_reference)(x.data(), k, kp, 0, rows, z.q.data(), z.scale.data(),
                                                                  z.zero.data());
  return z;
}

// Rows that reach every case of the quantizer: ordinary, all zero, all positive (the range is widened to hold 0),
// all negative, one huge outlier, and every value the same.
std::vector<float> awkward_rows(std::int64_t rows, std::int64_t k, unsigned seed) {
  std::vector<float> x = normal(rows * k, seed);
  for (std::int64_t r = 0; r < rows; ++r) {
    float* row = x.data() + r * k;
    switch (r % 6) {
      case 1:
        std::fill(row, row + k, 0.0f);
        break;
      case 2:
        for (std::int64_t i = 0; i < k; ++i) row[i] = std::fabs(row[i]) + 0.5f;
        break;
      case 3:
        for (std::int64_t i = 0; i < k; ++i) row[i] = -std::fabs(row[i]) * 3;
        break;
      case 4:
        row[k / 2] = 1000.0f;
        break;
      case 5:
        std::fill(row, row + k, 2.5f);
        break;
      default:
        break;
    }
  }
  return x;
}

TEST(Int8Gemm, QuantizedRowsMatchTheReferenceAndTheirDefinition) {
  if (!int8_gemm_available()) GTEST_SKIP() << "no AVX2 kernel on this CPU";
  for (const std::int64_t k : {1, 5, 8, 13, 770}) {
    const std::int64_t rows = 12, kp = (k + 3) / 4 * 4;
    const std::vector<float> x = awkward_rows(rows, k, 7 + static_cast<unsigned>(k));
    const Quantized a = quantize(x, rows, k, kp, true), ref = quantize(x, rows, k, kp, false);
    EXPECT_EQ(a.q, ref.q) << "k " << k;
    EXPECT_EQ(a.zero, ref.zero) << "k " << k;
    EXPECT_EQ(0, std::memcmp(a.scale.data(), ref.scale.data(), rows * sizeof(float))) << "k " << k;
    // The definition: (q - zero) * scale is x to within half a step, every byte in [0, 127], padding 0.
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t i = 0; i < kp; ++i) {
        const std::uint8_t q = ref.q[r * kp + i];
        ASSERT_LE(q, 127);
        if (i >= k) {
          ASSERT_EQ(q, 0) << "padding, row " << r << " k " << k;
          continue;
        }
        const float s = ref.scale[r], back = (float(q) - float(ref.zero[r])) * s;
        ASSERT_LE(std::fabs(back - x[r * k + i]), 0.5f * s * (1 + 1e-4f) + 1e-30f)
            << "row " << r << " column " << i << " of k " << k;
      }
  }
}

struct Shape {
  std::int64_t rows, k, n;
};

TEST(Int8Gemm, KernelMatchesTheReferenceBitForBit) {
  if (!int8_gemm_available()) GTEST_SKIP() << "no AVX2 kernel on this CPU";
  // Rows below, at and past a tile of 4; k with and without padding to 4; whole and partial panels of 16 columns.
  for (const Shape s :
       {Shape{1, 4, 16}, Shape{3, 7, 17}, Shape{4, 64, 40}, Shape{5, 771, 3}, Shape{9, 130, 33}, Shape{33, 384, 48}}) {
    const std::string where = std::to_string(s.rows) + "x" + std::to_string(s.k) + "x" + std::to_string(s.n);
    const std::vector<float> x = awkward_rows(s.rows, s.k, 11), w = normal(s.n * s.k, 12, 0.05f), b = normal(s.n, 13);
    const Int8PackedWeights p = int8_pack_weights(w.data(), b.data(), s.n, s.k);
    const Quantized z = quantize(x, s.rows, s.k, p.kp, false);
    std::vector<float> want(s.rows * s.n), whole(s.rows * s.n, NAN), pieces(s.rows * s.n, NAN);
    int8_gemm_reference(p, z.q.data(), z.scale.data(), z.zero.data(), s.rows, want.data());
    int8_gemm_panels_avx2(p.data.data(), p.scale.data(), p.bias.data(), p.colsum.data(), p.n, p.kp, z.q.data(),
                          z.scale.data(), z.zero.data(), 0, s.rows, 0, p.panels, whole.data());
    // The same in pieces, as the threads split it: blocks of 4 rows by single panels.
    for (std::int64_t r0 = 0; r0 < s.rows; r0 += 4)
      for (std::int64_t p0 = 0; p0 < p.panels; ++p0)
        int8_gemm_panels_avx2(p.data.data(), p.scale.data(), p.bias.data(), p.colsum.data(), p.n, p.kp, z.q.data(),
                              z.scale.data(), z.zero.data(), r0, std::min(s.rows, r0 + 4), p0, p0 + 1, pieces.data());
    EXPECT_EQ(0, std::memcmp(want.data(), whole.data(), want.size() * sizeof(float))) << where;
    EXPECT_EQ(0, std::memcmp(want.data(), pieces.data(), want.size() * sizeof(float))) << where;
  }
}

TEST(Int8Gemm, ExtremeValuesSumExactly) {
  if (!int8_gemm_available()) GTEST_SKIP() << "no AVX2 kernel on this CPU";
  // Every activation at 127 against weights of +-127: each pair of products is +-32,258, the most vpmaddubsw sees.
  // A kernel that saturated, or lost the int16 pairs' signs, would differ from the exact sum.
  const std::int64_t rows = 4, k = 256, n = 16;
  std::vector<float> x(rows * k, 3.0f), w(n * k);
  for (std::int64_t j = 0; j < n; ++j)
    for (std::int64_t i = 0; i < k; ++i) w[j * k + i] = (j % 3 == 0 || (i / 2) % (j + 1) == 0) ? 1.0f : -1.0f;
  const Int8PackedWeights p = int8_pack_weights(w.data(), nullptr, n, k);
  const Quantized z = quantize(x, rows, k, p.kp, true);
  ASSERT_EQ(z.q[0], 127);
  ASSERT_EQ(z.zero[0], 0);
  std::vector<float> got(rows * n);
  int8_gemm_panels_avx2(p.data.data(), p.scale.data(), p.bias.data(), p.colsum.data(), p.n, p.kp, z.q.data(),
                        z.scale.data(), z.zero.data(), 0, rows, 0, p.panels, got.data());
  for (std::int64_t j = 0; j < n; ++j) {
    double exact = 0;
    for (std::int64_t i = 0; i < k; ++i) exact += 3.0 * w[j * k + i];
    EXPECT_NEAR(got[j], exact, 1e-4 * k * 3) << "column " << j;
  }
}

TEST(Int8Gemm, CloseToTheFloatProductWithPerRowScales) {
  if (!int8_gemm_available()) GTEST_SKIP() << "no AVX2 kernel on this CPU";
  const std::int64_t rows = 24, k = 768, n = 64;
  std::vector<float> x = normal(rows * k, 21), w = normal(n * k, 22, 0.05f), b = normal(n, 23);
  for (std::int64_t i = 0; i < k; ++i) x[i] *= 1000.0f;  // row 0: an outlier token, 1000x the others' range
  const Int8PackedWeights p = int8_pack_weights(w.data(), b.data(), n, k);
  const Quantized z = quantize(x, rows, k, p.kp, true);
  std::vector<float> got(rows * n);
  int8_gemm_panels_avx2(p.data.data(), p.scale.data(), p.bias.data(), p.colsum.data(), p.n, p.kp, z.q.data(),
                        z.scale.data(), z.zero.data(), 0, rows, 0, p.panels, got.data());
  // Each row's error against its own magnitude: per-row scales keep rows 1..23 as accurate as row 0.
  double worst = 0, smallest = 1;
  for (std::int64_t r = 0; r < rows; ++r) {
    double err = 0, mag = 0;
    for (std::int64_t j = 0; j < n; ++j) {
      double ref = b[j];
      for (std::int64_t i = 0; i < k; ++i) ref += double(x[r * k + i]) * w[j * k + i];
      err = std::max(err, std::fabs(ref - got[r * n + j]));
      mag = std::max(mag, std::fabs(ref));
    }
    worst = std::max(worst, err / mag);
    smallest = std::min(smallest, err / mag);
  }
  std::cout << "[int8 gemm] 24x768x64, max |error| / max |output| per row: worst " << worst << "\n";
  EXPECT_LT(worst, 0.03);
  EXPECT_GT(smallest, 0.0);  // it really is quantized
}

TEST(Int8Gemm, PackingRefusesDepthsTheSumsCannotHold) {
  std::vector<float> w(kInt8MaxDepth + 1, 1.0f);
  EXPECT_THROW(int8_pack_weights(w.data(), nullptr, 1, kInt8MaxDepth + 1), radlite::InvalidArgument);
  EXPECT_THROW(int8_pack_weights(w.data(), nullptr, 1, 0), radlite::InvalidArgument);
  EXPECT_NO_THROW(int8_pack_weights(w.data(), nullptr, 1, kInt8MaxDepth));
}

TEST(Int8Gemm, EpilogueMatchesTheReferenceBitForBit) {
  if (!int8_gemm_available()) GTEST_SKIP() << "no AVX2 kernel on this CPU";
  const std::int64_t rows = 7, n = 37;  // 37: four vectors of 8 and a tail of 5
  std::mt19937 gen(31);
  std::uniform_int_distribution<std::int32_t> big(-5000000, 5000000), z(0, 127), cs(-20000, 20000);
  std::vector<std::int32_t> acc(rows * n), zero(rows), colsum(n);
  for (auto& v : acc) v = big(gen);
  for (auto& v : zero) v = z(gen);
  for (auto& v : colsum) v = cs(gen);
  const std::vector<float> ws = normal(n, 32, 0.01f), bias = normal(n, 33), scale = normal(rows, 34, 0.1f);
  std::vector<float> want(rows * n, NAN), got(rows * n, NAN);
  int8_epilogue_reference(acc.data(), n, ws.data(), bias.data(), colsum.data(), scale.data(), zero.data(), 0, rows,
                          want.data());
  int8_epilogue_avx2(acc.data(), n, ws.data(), bias.data(), colsum.data(), scale.data(), zero.data(), 0, 3, got.data());
  int8_epilogue_avx2(acc.data(), n, ws.data(), bias.data(), colsum.data(), scale.data(), zero.data(), 3, rows,
                     got.data());
  EXPECT_EQ(0, std::memcmp(want.data(), got.data(), want.size() * sizeof(float)));
}

// oneDNN sums the int32 products (whatever kernel it picks on this CPU: AMX, VNNI, AVX2) and radlite's epilogue
// applies the scales: the outputs must equal the reference's bit for bit, so int8 gives the same numbers on every CPU.
TEST(Int8Gemm, OneDnnSumsMatchTheReferenceBitForBit) {
  if (!int8_dnnl_available()) GTEST_SKIP() << "this build has no oneDNN";
  for (const Shape s : {Shape{1, 4, 16}, Shape{3, 7, 17}, Shape{5, 771, 3}, Shape{9, 130, 33}, Shape{33, 384, 48},
                        Shape{130, 768, 96}}) {
    const std::string where = std::to_string(s.rows) + "x" + std::to_string(s.k) + "x" + std::to_string(s.n);
    const std::vector<float> x = awkward_rows(s.rows, s.k, 41), w = normal(s.n * s.k, 42, 0.05f), b = normal(s.n, 43);
    const Int8PackedWeights p = int8_pack_weights(w.data(), b.data(), s.n, s.k);
    const Int8DnnlWeightsPtr d = int8_dnnl_pack(p);
    Quantized z = quantize(x, s.rows, s.k, p.kp, false);
    std::vector<float> want(s.rows * s.n), got(s.rows * s.n, NAN);
    int8_gemm_reference(p, z.q.data(), z.scale.data(), z.zero.data(), s.rows, want.data());
    std::vector<std::int32_t> acc(s.rows * s.n, -1);
    int8_dnnl_gemm(*d, z.q.data(), s.rows, acc.data());
    int8_epilogue_reference(acc.data(), p.n, p.scale.data(), p.bias.data(), p.colsum.data(), z.scale.data(),
                            z.zero.data(), 0, s.rows, got.data());
    EXPECT_EQ(0, std::memcmp(want.data(), got.data(), want.size() * sizeof(float)))
        << where << " on " << int8_dnnl_kernel_name(*d, s.rows);
    // The comparison can fail: one activation byte changed changes that row's outputs.
    z.q[0] ^= 1;
    int8_dnnl_gemm(*d, z.q.data(), s.rows, acc.data());
    int8_epilogue_reference(acc.data(), p.n, p.scale.data(), p.bias.data(), p.colsum.data(), z.scale.data(),
                            z.zero.data(), 0, s.rows, got.data());
    EXPECT_NE(0, std::memcmp(want.data(), got.data(), s.n * sizeof(float))) << where;
  }
  std::cout << "[int8 gemm] oneDNN kernel at 130x768x96: "
            << int8_dnnl_kernel_name(*int8_dnnl_pack(int8_pack_weights(normal(96 * 768, 1).data(), nullptr, 96, 768)),
                                     130)
            << "\n";
}

TEST(Int8Gemm, OneDnnExtremeValuesSumExactly) {
  if (!int8_dnnl_available()) GTEST_SKIP() << "this build has no oneDNN";
  // Activations at 127 against weights of +-127 over a depth of 3,072 (an FFN's down projection): sums up to
  // 49.5 million, far past int16; oneDNN's AVX2 kernel (vpmaddubsw) would saturate with 8-bit activations.
  const std::int64_t rows = 3, k = 3072, n = 20;
  std::vector<float> w(n * k);
  for (std::int64_t j = 0; j < n; ++j)
    for (std::int64_t i = 0; i < k; ++i) w[j * k + i] = (j % 3 == 0 || (i / 2) % (j + 1) == 0) ? 1.0f : -1.0f;
  const Int8PackedWeights p = int8_pack_weights(w.data(), nullptr, n, k);
  std::vector<std::uint8_t> q(rows * p.kp, 127);
  std::vector<std::int32_t> acc(rows * n);
  int8_dnnl_gemm(*int8_dnnl_pack(p), q.data(), rows, acc.data());
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t j = 0; j < n; ++j) {
      std::int64_t exact = 0;
      for (std::int64_t i = 0; i < k; ++i) exact += 127 * static_cast<std::int64_t>(w[j * k + i] * 127);
      ASSERT_EQ(acc[r * n + j], exact) << "row " << r << " column " << j;
    }
}

}  // namespace
