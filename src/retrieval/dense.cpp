// Exact dense search: the stored matrix is scanned in row blocks small enough for the block's scores to
// stay in L1/L2; each block is one Eigen matrix-vector (or matrix-matrix for batches) product followed by
// a top-k pass that rejects most rows with one comparison against the current k-th score.
#include <radlite/error.h>
#include <radlite/retrieval/dense.h>

#include "retrieval/binary_io.h"
#include "retrieval/dense_kernels.h"
#include "retrieval/float16.h"
#include "retrieval/top_k.h"

#include <Eigen/Core>

#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>
#include <streambuf>

namespace radlite {
namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstRowMap = Eigen::Map<const RowMatrix>;
using ConstVecMap = Eigen::Map<const Eigen::VectorXf>;

constexpr char kMagic[8] = "RLDENSE";
constexpr char kEndMagic[8] = "RLDNEND";
constexpr std::uint32_t kFormatVersion = 2;      // 2: vectors start at byte 64 (aligned for mapping); 1 still loads
constexpr std::uint32_t kHalfFormatVersion = 3;  // 3: as 2, with a dtype byte; float16 storage only
constexpr std::size_t kHalfBlockRows = 512;      // float16 batches: rows converted to float per block
constexpr std::size_t kHalfFusedQueries = 4;     // float16 batches up to this many queries: fused kernel
constexpr std::size_t kHeaderBytes = 64;
constexpr std::size_t kBlockRows = 4096;

// An istream over bytes in memory (no copy).
class MemoryStream : private std::streambuf, public std::istream {
 public:
  MemoryStream(const char* data, std::size_t size) : std::istream(static_cast<std::streambuf*>(this)) {
    char* p = const_cast<char*>(data);  // read-only: the get area is never written
    setg(p, p, p + size);
  }
};

void normalize(float* v, std::size_t dim) {
  double sq = 0.0;
  for (std::size_t j = 0; j < dim; ++j) sq += static_cast<double>(v[j]) * v[j];
  if (sq <= 0.0) return;
  const float inv = static_cast<float>(1.0 / std::sqrt(sq));
  for (std::size_t j = 0; j < dim; ++j) v[j] *= inv;
}

void check_finite(const float* v, std::size_t n, const char* what) {
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(v[i]))
      throw InvalidArgument(std::string("dense: ") + what + " contains a non-finite value at position " +
                            std::to_string(i));
  }
}

}  // namespace

void dense_kernels::dot_rows(const float* rows, std::size_t n, std::size_t dim, const float* query, float* scores,
                             bool allow_avx2) {
  if (allow_avx2 && avx2_available()) {
    dot_rows_avx2(rows, n, dim, query, scores);
    return;
  }
  const ConstRowMap block(rows, static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(dim));
  Eigen::Map<Eigen::VectorXf> out(scores, static_cast<Eigen::Index>(n));
  out.noalias() = block * ConstVecMap(query, static_cast<Eigen::Index>(dim));
}

void dense_kernels::dot_rows_f16(const std::uint16_t* rows, std::size_t n, std::size_t dim, const float* query,
                                 float* scores, bool allow_simd) {
  if (allow_simd && f16c_available()) {
    dot_rows_f16_avx2(rows, n, dim, query, scores);
    return;
  }
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint16_t* r = rows + i * dim;
    float s = 0.0f;
    for (std::size_t j = 0; j < dim; ++j) s += float16::to_float(r[j]) * query[j];
    scores[i] = s;
  }
}

void dense_kernels::halves_to_floats(const std::uint16_t* in, std::size_t n, float* out, bool allow_simd) {
  if (allow_simd && f16c_available()) {
    halves_to_floats_f16c(in, n, out);
    return;
  }
  for (std::size_t i = 0; i < n; ++i) out[i] = float16::to_float(in[i]);
}

DenseIndex::DenseIndex(std::size_t dim, DenseOptions options) : dim_(dim), options_(options) {
  if (dim == 0) throw InvalidArgument("dense: dimension must be >= 1");
  if (options.metric != DenseMetric::kInnerProduct && options.metric != DenseMetric::kCosine) {
    throw InvalidArgument("dense: unknown metric");
  }
  if (options.dtype != VectorDtype::kFloat32 && options.dtype != VectorDtype::kFloat16)
    throw InvalidArgument("dense: unknown vector dtype");
}

void DenseIndex::append(const float* rows, std::size_t n) {
  if (!half()) {
    data_.insert(data_.end(), rows, rows + n * dim_);
  } else {
    for (std::size_t i = 0; i < n * dim_; ++i) halves_.push_back(float16::from_float(rows[i]));
  }
  rows_ += n;
}

namespace {
// float16 storage: values that would round to infinity are refused before anything is stored.
void check_half_range(const float* v, std::size_t n, const char* what) {
  for (std::size_t i = 0; i < n; ++i)
    if (!float16::is_finite(float16::from_float(v[i])))
      throw InvalidArgument(std::string("dense: ") + what + " has a value beyond the float16 range (" +
                            std::to_string(v[i]) + " at position " + std::to_string(i) + "); use float32 storage");
}
}  // namespace

void DenseIndex::add(const Matrix& vectors) {
  if (vectors.rows() == 0) return;
  if (vectors.cols() != dim_) {
    throw InvalidArgument("dense: add() expects vectors of dimension " + std::to_string(dim_) + ", got " +
                          std::to_string(vectors.cols()));
  }
  check_finite(vectors.data(), vectors.size(), "added vectors");
  own();
  if (!half()) {
    const std::size_t old = data_.size();
    data_.insert(data_.end(), vectors.values().begin(), vectors.values().end());
    if (options_.metric == DenseMetric::kCosine) {
      for (std::size_t r = 0; r < vectors.rows(); ++r) normalize(data_.data() + old + r * dim_, dim_);
    }
    rows_ += vectors.rows();
    return;
  }
  // float16: normalised (as float32 storage would hold them), then rounded, one row at a time. Normalised
  // values are at most 1, so only inner-product vectors can exceed the range (checked before storing any).
  if (options_.metric != DenseMetric::kCosine) check_half_range(vectors.data(), vectors.size(), "added vectors");
  std::vector<float> row(dim_);
  halves_.reserve(halves_.size() + vectors.size());
  for (std::size_t r = 0; r < vectors.rows(); ++r) {
    std::copy(vectors.row(r), vectors.row(r) + dim_, row.begin());
    if (options_.metric == DenseMetric::kCosine) normalize(row.data(), dim_);
    append(row.data(), 1);
  }
}

void DenseIndex::add_stored(const float* rows, std::size_t n) {
  check_finite(rows, n * dim_, "added vectors");
  if (half()) check_half_range(rows, n * dim_, "added vectors");
  own();
  append(rows, n);
}

const float* DenseIndex::vector(std::size_t doc) const {
  if (doc >= rows_)
    throw InvalidArgument("dense: doc " + std::to_string(doc) + " out of range (size " + std::to_string(rows_) + ")");
  if (half()) throw InvalidArgument("dense: vectors are stored as float16; use copy_vector()");
  return rows_data() + doc * dim_;
}

void DenseIndex::copy_vector(std::size_t doc, float* out) const {
  if (doc >= rows_)
    throw InvalidArgument("dense: doc " + std::to_string(doc) + " out of range (size " + std::to_string(rows_) + ")");
  if (!half()) {
    std::copy(rows_data() + doc * dim_, rows_data() + (doc + 1) * dim_, out);
  } else {
    dense_kernels::halves_to_floats(halves_data() + doc * dim_, dim_, out, true);
  }
}

float DenseIndex::score(std::size_t doc, const float* prepared_query) const {
  float s;
  if (!half()) {
    dense_kernels::dot_rows(rows_data() + doc * dim_, 1, dim_, prepared_query, &s, dense_kernels::avx2_available());
  } else {
    dense_kernels::dot_rows_f16(halves_data() + doc * dim_, 1, dim_, prepared_query, &s, true);
  }
  return s;
}

std::vector<Hit> DenseIndex::search(const float* query, std::size_t k) const {
  if (query == nullptr) throw InvalidArgument("dense: null query");
  check_finite(query, dim_, "query");
  std::vector<float> q(query, query + dim_);
  if (options_.metric == DenseMetric::kCosine) normalize(q.data(), dim_);
  TopK top(k);
  if (k == 0 || rows_ == 0) return top.take();
  std::vector<float> scores(std::min(kBlockRows, rows_));
  const bool avx2 = dense_kernels::avx2_available();
  for (std::size_t start = 0; start < rows_; start += kBlockRows) {
    const std::size_t n = std::min(kBlockRows, rows_ - start);
    if (half())
      dense_kernels::dot_rows_f16(halves_data() + start * dim_, n, dim_, q.data(), scores.data(), true);
    else
      dense_kernels::dot_rows(rows_data() + start * dim_, n, dim_, q.data(), scores.data(), avx2);
    for (std::size_t i = 0; i < n; ++i) {
      const double s = scores[i];
      if (top.may_enter(s)) top.push(start + i, s);
    }
  }
  return top.take();
}

std::vector<Hit> DenseIndex::search(const std::vector<float>& query, std::size_t k) const {
  if (query.size() != dim_) {
    throw InvalidArgument("dense: query has dimension " + std::to_string(query.size()) + ", index has " +
                          std::to_string(dim_));
  }
  return search(query.data(), k);
}

std::vector<std::vector<Hit>> DenseIndex::search(const Matrix& queries, std::size_t k) const {
  if (queries.rows() == 0) return {};
  if (queries.cols() != dim_) {
    throw InvalidArgument("dense: queries have dimension " + std::to_string(queries.cols()) + ", index has " +
                          std::to_string(dim_));
  }
  check_finite(queries.data(), queries.size(), "queries");
  RowMatrix q = ConstRowMap(queries.data(), static_cast<Eigen::Index>(queries.rows()), static_cast<Eigen::Index>(dim_));
  if (options_.metric == DenseMetric::kCosine) {
    for (Eigen::Index r = 0; r < q.rows(); ++r) normalize(q.row(r).data(), dim_);
  }
  std::vector<TopK> tops(queries.rows(), TopK(k));
  if (k > 0 && rows_ > 0) {
    // scores(i, j) = doc i . query j: the corpus block is read once for all queries.
    Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor> scores;
    std::size_t block_rows = std::max<std::size_t>(256, kBlockRows / std::max<std::size_t>(1, queries.rows() / 8));
    // float16: each block is converted to float once for all queries, into a buffer that stays in cache.
    std::vector<float> converted;
    if (half()) {
      block_rows = std::min(block_rows, kHalfBlockRows);
      converted.resize(block_rows * dim_);
    }
    // Few float16 queries: the fused convert-and-multiply kernel per query, on a block that stays in cache
    // (converting first would cost a write and a read of every value for a product that is memory-bound).
    const bool fused = half() && queries.rows() <= kHalfFusedQueries;
    for (std::size_t start = 0; start < rows_; start += block_rows) {
      const std::size_t n = std::min(block_rows, rows_ - start);
      if (fused) {
        scores.resize(static_cast<Eigen::Index>(n), q.rows());
        for (Eigen::Index j = 0; j < q.rows(); ++j)
          dense_kernels::dot_rows_f16(halves_data() + start * dim_, n, dim_, q.row(j).data(), scores.col(j).data(),
                                      true);
      } else if (half()) {
        dense_kernels::halves_to_floats(halves_data() + start * dim_, n * dim_, converted.data(), true);
      }
      if (!fused) {
        const ConstRowMap block(half() ? converted.data() : rows_data() + start * dim_, static_cast<Eigen::Index>(n),
                                static_cast<Eigen::Index>(dim_));
        scores.noalias() = block * q.transpose();
      }
      for (std::size_t j = 0; j < queries.rows(); ++j) {
        const float* col = scores.col(static_cast<Eigen::Index>(j)).data();
        TopK& top = tops[j];
        for (std::size_t i = 0; i < n; ++i) {
          if (top.may_enter(col[i])) top.push(start + i, col[i]);
        }
      }
    }
  }
  std::vector<std::vector<Hit>> out;
  out.reserve(queries.rows());
  for (auto& t : tops) out.push_back(t.take());
  return out;
}

void DenseIndex::prepare_query(float* query) const {
  if (options_.metric == DenseMetric::kCosine) normalize(query, dim_);
}

void DenseIndex::own() {
  if (!view_) return;
  if (half())
    halves_.assign(halves_data(), halves_data() + rows_ * dim_);
  else
    data_.assign(rows_data(), rows_data() + rows_ * dim_);
  view_ = nullptr;
  owner_.reset();
}

void DenseIndex::save(std::ostream& out) const {
  retrieval_io::Writer w(out);
  w.bytes(kMagic, sizeof kMagic);
  w.u32(half() ? kHalfFormatVersion : kFormatVersion);  // float32 files stay readable by earlier builds
  w.u8(options_.metric == DenseMetric::kCosine ? 1 : 0);
  const char pad[kHeaderBytes] = {};
  if (half()) {
    w.u8(1);  // dtype: float16
    w.bytes(pad, 2);
  } else {
    w.bytes(pad, 3);
  }
  w.u64(rows_);
  w.u64(dim_);
  w.bytes(pad, kHeaderBytes - 32);
  if (half())
    w.bytes(halves_data(), rows_ * dim_ * sizeof(std::uint16_t));
  else
    w.bytes(rows_data(), rows_ * dim_ * sizeof(float));
  w.bytes(kEndMagic, sizeof kEndMagic);
}

namespace {

struct DenseHeader {
  std::uint32_t version;
  DenseMetric metric;
  VectorDtype dtype;
  std::uint64_t rows, dim;
  std::size_t element_size() const { return dtype == VectorDtype::kFloat16 ? 2 : 4; }
};

DenseHeader read_header(retrieval_io::Reader& r) {
  r.expect_magic(kMagic, sizeof kMagic, "not a radlite dense index (bad magic)");
  DenseHeader h{};
  h.version = r.u32("format version");
  if (h.version != 1 && h.version != kFormatVersion && h.version != kHalfFormatVersion)
    r.fail("unsupported dense format version " + std::to_string(h.version) + " (this build reads 1 to " +
           std::to_string(kHalfFormatVersion) + ")");
  const std::uint8_t metric = r.u8("metric");
  if (metric > 1) r.fail("unknown metric code " + std::to_string(metric));
  h.metric = metric == 1 ? DenseMetric::kCosine : DenseMetric::kInnerProduct;
  h.dtype = VectorDtype::kFloat32;
  char pad[kHeaderBytes];
  if (h.version == kHalfFormatVersion) {
    const std::uint8_t dtype = r.u8("dtype");
    if (dtype != 1) r.fail("unknown vector dtype code " + std::to_string(dtype));
    h.dtype = VectorDtype::kFloat16;
    r.bytes(pad, 2, "header padding");
  } else if (h.version >= 2) {
    r.bytes(pad, 3, "header padding");
  }
  h.rows = r.u64("row count");
  h.dim = r.u64("dimension");
  if (h.version >= 2) r.bytes(pad, kHeaderBytes - 32, "header padding");
  if (h.dim == 0 || h.dim > (1u << 20)) r.fail("implausible dimension " + std::to_string(h.dim));
  if (h.rows > (std::numeric_limits<std::uint64_t>::max() / sizeof(float)) / h.dim)
    r.fail("row count " + std::to_string(h.rows) + " too large");
  return h;
}

}  // namespace

DenseIndex DenseIndex::load(std::istream& in, const std::string& what) {
  retrieval_io::Reader r(in, what);
  const DenseHeader h = read_header(r);
  DenseIndex index(static_cast<std::size_t>(h.dim), {h.metric, h.dtype});
  if (index.half()) {
    r.array(index.halves_, h.rows * h.dim, "vectors");
    for (std::size_t i = 0; i < index.halves_.size(); ++i)
      if (!float16::is_finite(index.halves_[i])) r.fail("non-finite value in vector " + std::to_string(i / h.dim));
  } else {
    r.array(index.data_, h.rows * h.dim, "vectors");
  }
  for (std::size_t i = 0; i < index.data_.size(); ++i) {
    if (!std::isfinite(index.data_[i])) r.fail("non-finite value in vector " + std::to_string(i / h.dim));
  }
  index.rows_ = static_cast<std::size_t>(h.rows);
  r.expect_magic(kEndMagic, sizeof kEndMagic, "bad end marker (corrupted or truncated dense index)");
  return index;
}

DenseIndex DenseIndex::view(const char* data, std::size_t size, std::shared_ptr<const void> owner,
                            const std::string& what, bool check_values) {
  std::istringstream header(std::string(data, std::min(size, kHeaderBytes)));
  retrieval_io::Reader r(header, what);
  const DenseHeader h = read_header(r);
  const std::uint64_t expected = kHeaderBytes + h.rows * h.dim * h.element_size() + sizeof kEndMagic;
  if (h.version == 1 || reinterpret_cast<std::uintptr_t>(data) % alignof(float) != 0) {
    // Version 1 (vectors at an unaligned offset) is read by copying.
    MemoryStream in(data, size);
    return load(in, what);
  }
  if (size != expected)
    throw FormatError(what + ": " + std::to_string(size) + " bytes, a " + std::to_string(h.rows) + " x " +
                      std::to_string(h.dim) + " dense index has " + std::to_string(expected) +
                      " (truncated or modified)");
  if (std::memcmp(data + size - sizeof kEndMagic, kEndMagic, sizeof kEndMagic) != 0)
    throw FormatError(what + ": bad end marker (corrupted or truncated dense index)");
  DenseIndex index(static_cast<std::size_t>(h.dim), {h.metric, h.dtype});
  index.view_ = data + kHeaderBytes;
  index.rows_ = static_cast<std::size_t>(h.rows);
  if (check_values) {
    const std::size_t n = index.rows_ * index.dim_;
    for (std::size_t i = 0; i < n; ++i)
      if (index.half() ? !float16::is_finite(index.halves_data()[i]) : !std::isfinite(index.rows_data()[i]))
        throw FormatError(what + ": non-finite value in vector " + std::to_string(i / index.dim_));
  }
  index.owner_ = std::move(owner);
  return index;
}

}  // namespace radlite
