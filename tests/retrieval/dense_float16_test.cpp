// float16 vector storage (DenseOptions::dtype): the conversions (round to nearest even, exact round trip),
// the F16C kernels against the portable ones, search against a float64 oracle over the rounded vectors and
// against float32 storage, the file format (half the bytes), and bad input.
#include <radlite/error.h>
#include <radlite/retrieval/dense.h>

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <set>
#include <sstream>

#include "retrieval/dense_kernels.h"
#include "retrieval/float16.h"

using radlite::DenseIndex;
using radlite::DenseMetric;
using radlite::Hit;
using radlite::Matrix;
using radlite::VectorDtype;
namespace f16 = radlite::float16;

namespace {

Matrix random_matrix(std::size_t rows, std::size_t cols, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  Matrix m(rows, cols);
  for (std::size_t i = 0; i < m.size(); ++i) m.data()[i] = dist(rng);
  return m;
}

std::string saved(const DenseIndex& index) {
  std::stringstream ss;
  index.save(ss);
  return ss.str();
}

}  // namespace

TEST(Float16, RoundsToNearestEvenAndRoundTripsExactly) {
  EXPECT_EQ(f16::from_float(1.0f), 0x3C00);
  EXPECT_EQ(f16::from_float(-2.0f), 0xC000);
  EXPECT_EQ(f16::from_float(0.1f), 0x2E66);
  EXPECT_EQ(f16::from_float(65504.0f), 0x7BFF);                          // the largest half
  EXPECT_EQ(f16::from_float(65519.0f), 0x7BFF);                          // below the halfway point to infinity
  EXPECT_EQ(f16::from_float(65520.0f), 0x7C00);                          // halfway: to even, which is infinity
  EXPECT_EQ(f16::from_float(std::ldexp(1.0f, -24)), 0x0001);             // the smallest subnormal
  EXPECT_EQ(f16::from_float(std::ldexp(1.0f, -26)), 0x0000);             // below half of it
  EXPECT_EQ(f16::from_float(1.0f + std::ldexp(1.0f, -11)), 0x3C00);      // tie: to even (down)
  EXPECT_EQ(f16::from_float(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3C02);  // tie: to even (up)
  EXPECT_EQ(f16::from_float(-0.0f), 0x8000);
  EXPECT_TRUE(std::isnan(f16::to_float(f16::from_float(std::nanf("")))));
  // Every finite half converts to a float and back to itself; infinities too.
  for (std::uint32_t h = 0; h < 0x10000; ++h) {
    const auto half = static_cast<std::uint16_t>(h);
    if (!f16::is_finite(half) && (half & 0x3FF) != 0) continue;  // NaNs
    ASSERT_EQ(f16::from_float(f16::to_float(half)), half) << std::hex << h;
  }
  EXPECT_EQ(f16::to_float(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(f16::to_float(0x3555), 0.333251953125f);
}

TEST(Float16, SimdAndPortableKernelsAgree) {
  for (std::size_t dim : {1, 7, 8, 13, 64, 100}) {
    const Matrix m = random_matrix(9, dim, 3);
    std::vector<std::uint16_t> rows(m.size());
    for (std::size_t i = 0; i < m.size(); ++i) rows[i] = f16::from_float(m.data()[i]);
    const Matrix q = random_matrix(1, dim, 4);
    std::vector<float> simd(9), plain(9), a(m.size()), b(m.size());
    radlite::dense_kernels::dot_rows_f16(rows.data(), 9, dim, q.row(0), simd.data(), true);
    radlite::dense_kernels::dot_rows_f16(rows.data(), 9, dim, q.row(0), plain.data(), false);
    for (std::size_t i = 0; i < 9; ++i) {
      double want = 0.0;
      for (std::size_t j = 0; j < dim; ++j) want += double(f16::to_float(rows[i * dim + j])) * q(0, j);
      EXPECT_NEAR(simd[i], want, 1e-5 * (1.0 + dim)) << dim;
      EXPECT_NEAR(plain[i], want, 1e-5 * (1.0 + dim)) << dim;
    }
    radlite::dense_kernels::halves_to_floats(rows.data(), rows.size(), a.data(), true);
    radlite::dense_kernels::halves_to_floats(rows.data(), rows.size(), b.data(), false);
    EXPECT_EQ(a, b) << dim;  // conversions are exact either way
  }
  std::printf("F16C kernels available on this CPU: %s\n", radlite::dense_kernels::f16c_available() ? "yes" : "no");
}

TEST(DenseFloat16, SearchIsExactOverTheRoundedVectorsAndCloseToFloat32) {
  const std::size_t n = 3000, dim = 96;
  const Matrix docs = random_matrix(n, dim, 1), queries = random_matrix(20, dim, 2);
  DenseIndex full(dim, {DenseMetric::kCosine}), half(dim, {DenseMetric::kCosine, VectorDtype::kFloat16});
  full.add(docs);
  half.add(docs);
  EXPECT_EQ(half.vector_bytes() * 2, full.vector_bytes());
  EXPECT_THROW(half.vector(0), radlite::InvalidArgument);
  std::vector<float> v(dim), w(dim);
  double overlap = 0;
  const auto batch = half.search(queries, 10);
  for (std::size_t q = 0; q < queries.rows(); ++q) {
    std::vector<float> query(queries.row(q), queries.row(q) + dim);
    const auto a = full.search(query, 10), b = half.search(query, 10);
    ASSERT_EQ(b.size(), 10u);
    // Oracle: the stored halves (each the float32-stored value rounded) scored in double.
    half.prepare_query(query.data());
    for (const Hit& h : b) {
      half.copy_vector(h.doc, v.data());
      full.copy_vector(h.doc, w.data());
      double want = 0.0;
      for (std::size_t j = 0; j < dim; ++j) {
        EXPECT_EQ(v[j], f16::to_float(f16::from_float(w[j])));
        want += double(v[j]) * query[j];
      }
      EXPECT_NEAR(h.score, want, 1e-5);
      EXPECT_NEAR(half.score(h.doc, query.data()), want, 1e-5);
    }
    ASSERT_EQ(batch[q].size(), b.size());
    for (std::size_t i = 0; i < b.size(); ++i) EXPECT_NEAR(batch[q][i].score, b[i].score, 1e-5);
    std::set<std::size_t> top;
    for (const Hit& h : a) top.insert(h.doc);
    for (const Hit& h : b) overlap += top.count(h.doc) / 10.0;
    for (std::size_t i = 0; i < 10; ++i) EXPECT_NEAR(a[i].score, b[i].score, 2e-3);
  }
  EXPECT_GE(overlap / queries.rows(), 0.95);
}

TEST(DenseFloat16, FilesHoldHalfTheBytesAndLoadOrMapBack) {
  const std::size_t n = 200, dim = 24;
  const Matrix docs = random_matrix(n, dim, 5);
  DenseIndex full(dim, {DenseMetric::kInnerProduct}), half(dim, {DenseMetric::kInnerProduct, VectorDtype::kFloat16});
  full.add(docs);
  half.add(docs);
  const std::string a = saved(full), b = saved(half);
  EXPECT_EQ(b.size() - 72, (a.size() - 72) / 2);  // 64-byte header and 8-byte end marker
  std::istringstream in(b);
  const DenseIndex loaded = DenseIndex::load(in, "mem");
  auto bytes = std::make_shared<std::string>(b);
  const DenseIndex mapped = DenseIndex::view(bytes->data(), bytes->size(), bytes, "mem");
  EXPECT_TRUE(mapped.mapped());
  EXPECT_EQ(loaded.options().dtype, VectorDtype::kFloat16);
  EXPECT_EQ(mapped.options().dtype, VectorDtype::kFloat16);
  const Matrix q = random_matrix(3, dim, 6);
  for (const DenseIndex* other : {&loaded, &mapped}) {
    const auto x = half.search(q, 5), y = other->search(q, 5);
    for (std::size_t r = 0; r < 3; ++r)
      for (std::size_t i = 0; i < 5; ++i) {
        EXPECT_EQ(x[r][i].doc, y[r][i].doc);
        EXPECT_EQ(x[r][i].score, y[r][i].score);
      }
    EXPECT_EQ(saved(*other), b);
  }
  // Merging copies stored vectors through floats: float16 -> float -> float16 keeps every bit.
  DenseIndex copy(dim, {DenseMetric::kInnerProduct, VectorDtype::kFloat16});
  std::vector<float> v(dim);
  for (std::size_t i = 0; i < n; ++i) {
    mapped.copy_vector(i, v.data());
    copy.add_stored(v.data(), 1);
  }
  EXPECT_EQ(saved(copy), b);
}

TEST(DenseFloat16, BadInputIsRefused) {
  DenseIndex half(4, {DenseMetric::kInnerProduct, VectorDtype::kFloat16});
  Matrix big(2, 4);
  big(1, 2) = 1e5f;  // beyond float16: refused, nothing stored
  EXPECT_THROW(half.add(big), radlite::InvalidArgument);
  EXPECT_EQ(half.size(), 0u);
  Matrix ok(3, 4);
  for (std::size_t i = 0; i < ok.size(); ++i) ok.data()[i] = 0.5f * static_cast<float>(i);
  half.add(ok);
  const std::string good = saved(half);
  auto expect_format_error = [](std::string bytes, const char* what) {
    auto owner = std::make_shared<std::string>(std::move(bytes));
    EXPECT_THROW(DenseIndex::view(owner->data(), owner->size(), owner, "mem"), radlite::FormatError) << what;
    std::istringstream in(*owner);
    EXPECT_THROW(DenseIndex::load(in, "mem"), radlite::FormatError) << what;
  };
  std::string bad = good;
  bad[13] = 2;  // the dtype byte
  expect_format_error(bad, "unknown dtype");
  bad = good;
  const std::uint16_t nan = 0x7E00;
  std::memcpy(&bad[64 + 2 * 5], &nan, 2);
  expect_format_error(bad, "NaN value");
  expect_format_error(good.substr(0, good.size() - 1), "truncated");
  bad = good;
  bad[8] = 4;  // version
  expect_format_error(bad, "unknown version");
}
