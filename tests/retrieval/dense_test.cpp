#include <radlite/error.h>
#include <radlite/retrieval/dense.h>

#include "retrieval/dense_kernels.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>

using radlite::DenseIndex;
using radlite::DenseMetric;
using radlite::Hit;
using radlite::Matrix;

namespace {

Matrix random_matrix(std::size_t rows, std::size_t cols, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  Matrix m(rows, cols);
  for (std::size_t i = 0; i < m.size(); ++i) m.data()[i] = dist(rng);
  return m;
}

// The oracle: double-precision dot products of every row, fully sorted.
std::vector<Hit> brute_force(const Matrix& docs, const float* q, std::size_t k, bool cosine) {
  std::vector<Hit> all;
  double qn = 0.0;
  for (std::size_t j = 0; j < docs.cols(); ++j) qn += double(q[j]) * q[j];
  for (std::size_t i = 0; i < docs.rows(); ++i) {
    double dot = 0.0, dn = 0.0;
    for (std::size_t j = 0; j < docs.cols(); ++j) {
      dot += double(docs(i, j)) * q[j];
      dn += double(docs(i, j)) * docs(i, j);
    }
    if (cosine) dot = (dn > 0 && qn > 0) ? dot / std::sqrt(dn * qn) : 0.0;
    all.push_back({i, dot});
  }
  std::sort(all.begin(), all.end(), radlite::ranks_before);
  all.resize(std::min(k, all.size()));
  return all;
}

void expect_same(const std::vector<Hit>& got, const std::vector<Hit>& want, double tol) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_NEAR(got[i].score, want[i].score, tol) << "rank " << i;
    // Scores of random vectors are well separated, so the order must match exactly.
    EXPECT_EQ(got[i].doc, want[i].doc) << "rank " << i;
  }
}

}  // namespace

TEST(Dense, InnerProductEqualsBruteForceSingleAndBatched) {
  // 9000 rows: more than two scan blocks, so block boundaries are exercised.
  const Matrix docs = random_matrix(9000, 24, 1);
  const Matrix queries = random_matrix(7, 24, 2);
  DenseIndex index(24);
  index.add(docs);
  EXPECT_EQ(index.size(), 9000u);
  const auto batched = index.search(queries, 10);
  ASSERT_EQ(batched.size(), 7u);
  for (std::size_t q = 0; q < queries.rows(); ++q) {
    const auto want = brute_force(docs, queries.row(q), 10, false);
    expect_same(index.search(queries.row(q), 10), want, 1e-4);
    expect_same(batched[q], want, 1e-4);
  }
  // The oracle comparison can fail: a perturbed query gives different hits.
  std::vector<float> perturbed(queries.row(0), queries.row(0) + 24);
  perturbed[0] += 1.0f;
  const auto moved = index.search(perturbed, 10);
  const auto want = brute_force(docs, queries.row(0), 10, false);
  EXPECT_TRUE(moved[0].doc != want[0].doc || std::fabs(moved[0].score - want[0].score) > 1e-3);
}

TEST(Dense, CosineEqualsBruteForce) {
  Matrix docs = random_matrix(500, 8, 3);
  for (std::size_t j = 0; j < 8; ++j) docs(17, j) = 0.0f;  // a zero vector scores 0
  const Matrix queries = random_matrix(3, 8, 4);
  DenseIndex index(8, {DenseMetric::kCosine});
  index.add(docs);
  for (std::size_t q = 0; q < queries.rows(); ++q) {
    expect_same(index.search(queries.row(q), 500), brute_force(docs, queries.row(q), 500, true), 1e-5);
  }
  double norm = 0.0;
  for (std::size_t j = 0; j < 8; ++j) norm += double(index.vector(3)[j]) * index.vector(3)[j];
  EXPECT_NEAR(norm, 1.0, 1e-6);
}

TEST(Dense, TiesKeepInsertionOrderAndIncrementalAdd) {
  DenseIndex index(2);
  const Matrix a(2, 2, {1, 0, 0, 1});
  const Matrix b(2, 2, {1, 0, 0.5f, 0});
  index.add(a);
  index.add(b);
  const auto hits = index.search(std::vector<float>{2, 0}, 3);
  ASSERT_EQ(hits.size(), 3u);
  EXPECT_EQ(hits[0].doc, 0u);
  EXPECT_EQ(hits[1].doc, 2u);
  EXPECT_EQ(hits[2].doc, 3u);
  EXPECT_EQ(hits[0].score, 2.0);
  EXPECT_EQ(index.search(std::vector<float>{1, 1}, 10).size(), 4u);
  EXPECT_TRUE(index.search(std::vector<float>{1, 1}, 0).empty());
  EXPECT_TRUE(DenseIndex(2).search(std::vector<float>{1, 1}, 5).empty());
}

TEST(Dense, RejectsBadInput) {
  EXPECT_THROW(DenseIndex(0), radlite::InvalidArgument);
  DenseIndex index(3);
  EXPECT_THROW(index.add(Matrix(2, 4)), radlite::InvalidArgument);
  Matrix nan(1, 3);
  nan.data()[1] = std::nanf("");
  EXPECT_THROW(index.add(nan), radlite::InvalidArgument);
  EXPECT_THROW(index.search(std::vector<float>{1, 2}, 1), radlite::InvalidArgument);
  EXPECT_THROW(index.search(Matrix(1, 2), 1), radlite::InvalidArgument);
  EXPECT_THROW(index.vector(0), radlite::InvalidArgument);
}

TEST(Dense, SaveLoadRoundTripAndCorruption) {
  const Matrix docs = random_matrix(50, 6, 5);
  DenseIndex index(6, {DenseMetric::kCosine});
  index.add(docs);
  std::stringstream buf;
  index.save(buf);
  const std::string bytes = buf.str();
  std::istringstream in(bytes);
  const DenseIndex copy = DenseIndex::load(in, "dense.bin");
  EXPECT_EQ(copy.size(), 50u);
  EXPECT_EQ(copy.options().metric, DenseMetric::kCosine);
  const auto a = index.search(docs.row(0), 5), b = copy.search(docs.row(0), 5);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].doc, b[i].doc);
    EXPECT_EQ(a[i].score, b[i].score);
  }
  for (std::size_t n : {std::size_t{0}, std::size_t{5}, std::size_t{12}, std::size_t{30}, bytes.size() - 1}) {
    std::istringstream t(bytes.substr(0, n));
    try {
      DenseIndex::load(t, "dense.bin");
      FAIL() << "truncation at " << n;
    } catch (const radlite::FormatError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("dense.bin: ", 0), 0u) << e.what();
    }
  }
  std::string bad = bytes;
  bad[12] = 7;  // metric code
  std::istringstream t1(bad);
  EXPECT_THROW(DenseIndex::load(t1, "d"), radlite::FormatError);
  bad = bytes;
  bad[20] = static_cast<char>(0x7F);  // top byte of the row count: rejected before any allocation
  std::istringstream t2(bad);
  EXPECT_THROW(DenseIndex::load(t2, "d"), radlite::FormatError);
}

TEST(Dense, BothScanKernelsEqualDoublePrecisionDotProducts) {
  // Odd sizes: row counts not a multiple of 4 and dimensions not a multiple of 8 exercise every tail.
  for (std::size_t dim : {1u, 7u, 8u, 19u, 384u}) {
    const Matrix rows = random_matrix(13, dim, 9);
    const Matrix q = random_matrix(1, dim, 10);
    for (bool avx2 : {false, true}) {
      std::vector<float> got(rows.rows(), -1.0f);
      radlite::dense_kernels::dot_rows(rows.data(), rows.rows(), dim, q.row(0), got.data(), avx2);
      for (std::size_t i = 0; i < rows.rows(); ++i) {
        double want = 0.0;
        for (std::size_t j = 0; j < dim; ++j) want += double(rows(i, j)) * q(0, j);
        EXPECT_NEAR(got[i], want, 1e-4 * (1.0 + std::sqrt(double(dim))))
            << "dim " << dim << " avx2 " << avx2 << " row " << i;
      }
    }
  }
  std::printf("AVX2 kernel available on this CPU: %s\n", radlite::dense_kernels::avx2_available() ? "yes" : "no");
}

TEST(DenseIndexView, SearchesInPlaceLikeTheLoadedCopy) {
  radlite::DenseIndex index(5, {radlite::DenseMetric::kCosine});
  radlite::Matrix m(40, 5);
  for (std::size_t i = 0; i < m.size(); ++i) m.data()[i] = static_cast<float>((i * 37 % 11) - 5);
  index.add(m);
  std::stringstream ss;
  index.save(ss);
  auto bytes = std::make_shared<std::string>(ss.str());
  auto view = radlite::DenseIndex::view(bytes->data(), bytes->size(), bytes, "mem");
  EXPECT_TRUE(view.mapped());
  EXPECT_EQ(view.vector(3), reinterpret_cast<const float*>(bytes->data() + 64) + 3 * 5);  // in place, no copy
  const std::vector<float> q = {1, -2, 0.5f, 3, 0};
  auto a = index.search(q, 7), b = view.search(q, 7);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].doc, b[i].doc);
    EXPECT_EQ(a[i].score, b[i].score);
  }
  // add() on a view copies first; the viewed bytes stay untouched.
  const std::string before = *bytes;
  view.add(m);
  EXPECT_FALSE(view.mapped());
  EXPECT_EQ(view.size(), 80u);
  EXPECT_EQ(*bytes, before);
  // A truncated or extended buffer is rejected with the size in the message.
  EXPECT_THROW(radlite::DenseIndex::view(bytes->data(), bytes->size() - 4, bytes, "mem"), radlite::FormatError);
  std::string longer = *bytes + "x";
  EXPECT_THROW(radlite::DenseIndex::view(longer.data(), longer.size(), nullptr, "mem"), radlite::FormatError);
}

TEST(DenseIndexView, VersionOneFilesStillLoad) {
  // Version 1: magic, version 1, metric, rows, dim, floats, end marker (no padding).
  std::string v1("RLDENSE\0", 8);
  auto put = [&](const void* p, std::size_t n) { v1.append(static_cast<const char*>(p), n); };
  std::uint32_t version = 1;
  std::uint8_t metric = 0;
  std::uint64_t rows = 2, dim = 3;
  put(&version, 4);
  put(&metric, 1);
  put(&rows, 8);
  put(&dim, 8);
  const float data[6] = {1, 0, 0, 0, 2, 0};
  put(data, sizeof data);
  v1.append("RLDNEND\0", 8);
  std::istringstream in(v1);
  auto index = radlite::DenseIndex::load(in, "v1");
  auto viewed = radlite::DenseIndex::view(v1.data(), v1.size(), nullptr, "v1");
  for (auto* ix : {&index, &viewed}) {
    auto hits = ix->search(std::vector<float>{0, 1, 0}, 2);
    ASSERT_EQ(hits.size(), 2u);
    EXPECT_EQ(hits[0].doc, 1u);
    EXPECT_EQ(hits[0].score, 2.0);
  }
}
