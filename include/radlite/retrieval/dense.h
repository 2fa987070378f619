// radlite/retrieval/dense.h: exact (brute-force) dense vector search, inner product or cosine.
//
//   radlite::DenseIndex index(384, {radlite::DenseMetric::kCosine});
//   index.add(doc_embeddings);                              // radlite::Matrix, rows = documents
//   std::vector<radlite::Hit> hits = index.search(query_embeddings.row(0), 10);
//   auto per_query = index.search(query_embeddings, 10);    // batched: one matrix-matrix product per block
//
// Scores are the inner product of the query with each stored vector (float, accumulated by Eigen's
// vectorised kernels). With kCosine both stored vectors and queries are L2-normalised first (a zero vector
// stays zero and scores 0). Hits are ordered by score desc, then doc (row) ascending. Hit::doc is the row
// number in insertion order. The corpus is scanned in blocks that stay in cache, so one query streams the
// matrix once (memory-bandwidth bound for large corpora).
//
// Thread safety: const methods may run concurrently; add() needs exclusive access.
#pragma once

#include <radlite/matrix.h>
#include <radlite/retrieval/hit.h>

#include <cstddef>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

namespace radlite {

enum class DenseMetric {
  kInnerProduct,  // raw dot product (use for models trained with dot-product similarity)
  kCosine,        // dot product of L2-normalised vectors
};

struct DenseOptions {
  DenseMetric metric = DenseMetric::kInnerProduct;
};

class DenseIndex {
 public:
  /// dim >= 1 (InvalidArgument otherwise).
  explicit DenseIndex(std::size_t dim, DenseOptions options = {});

  /// Appends the rows of `vectors` (vectors.cols must equal dim(); non-finite values -> InvalidArgument).
  void add(const Matrix& vectors);

  /// Appends `n` rows exactly as given (no normalisation, even for kCosine): copies vectors already stored
  /// in an index of the same metric, bit for bit (used to merge segments). Non-finite values -> InvalidArgument.
  void add_stored(const float* rows, std::size_t n);

  /// Top-k for one query of dim() floats.
  std::vector<Hit> search(const float* query, std::size_t k) const;
  std::vector<Hit> search(const std::vector<float>& query, std::size_t k) const;  // size must be dim()
  /// Top-k for each row of `queries` (queries.cols must equal dim()).
  std::vector<std::vector<Hit>> search(const Matrix& queries, std::size_t k) const;

  std::size_t size() const { return rows_; }
  std::size_t dim() const { return dim_; }
  const DenseOptions& options() const { return options_; }
  /// Stored vector `doc` (normalised when the metric is cosine); InvalidArgument if doc >= size().
  const float* vector(std::size_t doc) const;

  /// Versioned binary form (magic "RLDENSE", version 2, metric, rows, dim, padding to byte 64, then
  /// little-endian floats row-major, then an end marker). Version 1 (no padding) still loads.
  void save(std::ostream& out) const;
  /// FormatError naming `what` on truncated/corrupted input; IoError on stream failure.
  static DenseIndex load(std::istream& in, const std::string& what);
  /// Reads what save() wrote from memory (e.g. a mapped file) without copying the vectors: the index
  /// reads them in place, and `owner` keeps that memory alive. Checks the header, the exact size and the
  /// end marker, and with `check_values` that every value is finite (FormatError naming the vector; this
  /// touches every page, as a checksum pass does anyway). Version-1 data is copied. add() on such an index
  /// first copies the vectors.
  static DenseIndex view(const char* data, std::size_t size, std::shared_ptr<const void> owner, const std::string& what,
                         bool check_values = true);
  /// The query transform of the metric, in place (L2 normalisation for kCosine, nothing otherwise).
  void prepare_query(float* query) const;
  /// True when the vectors are read in place from view()'s memory.
  bool mapped() const { return view_ != nullptr; }

 private:
  const float* rows_data() const { return view_ ? view_ : data_.data(); }
  void own();  // copies viewed vectors into data_ (before a change)

  std::size_t dim_;
  DenseOptions options_;
  std::size_t rows_ = 0;
  std::vector<float> data_;            // rows_ * dim_, row-major (when not viewed)
  const float* view_ = nullptr;        // the vectors in view()'s memory
  std::shared_ptr<const void> owner_;  // keeps that memory alive
};

}  // namespace radlite
