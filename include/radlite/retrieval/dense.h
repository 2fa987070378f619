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
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

namespace radlite {

enum class DenseMetric {
  kInnerProduct,  // raw dot product (use for models trained with dot-product similarity)
  kCosine,        // dot product of L2-normalised vectors
};

/// How stored vectors are held in memory and on disk. Queries and scores stay float32 either way.
enum class VectorDtype {
  kFloat32,  // exact
  kFloat16,  // IEEE half precision (rounded to nearest even when added): half the memory, file size and
             // bandwidth; scores differ from float32 storage by ~1e-3 relative (values of unit vectors)
};

struct DenseOptions {
  DenseMetric metric = DenseMetric::kInnerProduct;
  VectorDtype dtype = VectorDtype::kFloat32;
};

class DenseIndex {
 public:
  /// dim >= 1 (InvalidArgument otherwise).
  explicit DenseIndex(std::size_t dim, DenseOptions options = {});

  /// Appends the rows of `vectors` (vectors.cols must equal dim(); non-finite values, or with float16 storage
  /// values beyond its range (65504), -> InvalidArgument).
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
  /// Stored vector `doc` (normalised when the metric is cosine); InvalidArgument if doc >= size(), or when the
  /// vectors are stored as float16 (use copy_vector()).
  const float* vector(std::size_t doc) const;
  /// Stored vector `doc` as dim() floats into `out` (any dtype); InvalidArgument if doc >= size().
  void copy_vector(std::size_t doc, float* out) const;
  /// The score of stored vector `doc` for a query already transformed by prepare_query(): the kernel exact
  /// search uses for one query (re-ranking of approximate candidates). No range check.
  float score(std::size_t doc, const float* prepared_query) const;
  /// Bytes the stored vectors take (in memory or in the mapping): size() * dim() * 4 or * 2.
  std::size_t vector_bytes() const { return rows_ * dim_ * element_size(); }

  /// Versioned binary form (magic "RLDENSE", version, metric, rows, dim, padding to byte 64, then the
  /// little-endian values row-major, then an end marker): version 2 for float32 storage, version 3 (a dtype
  /// byte after the metric) for float16. Version 1 (float32, no padding) still loads.
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
  bool half() const { return options_.dtype == VectorDtype::kFloat16; }
  std::size_t element_size() const { return half() ? 2 : 4; }
  const float* rows_data() const { return view_ ? reinterpret_cast<const float*>(view_) : data_.data(); }
  const std::uint16_t* halves_data() const {
    return view_ ? reinterpret_cast<const std::uint16_t*>(view_) : halves_.data();
  }
  void own();                                     // copies viewed vectors into data_ / halves_ (before a change)
  void append(const float* rows, std::size_t n);  // stores n rows in the dtype (float16: rounded)

  std::size_t dim_;
  DenseOptions options_;
  std::size_t rows_ = 0;
  std::vector<float> data_;            // float32: rows_ * dim_, row-major (when not viewed)
  std::vector<std::uint16_t> halves_;  // float16: rows_ * dim_ IEEE halves, row-major (when not viewed)
  const char* view_ = nullptr;         // the vectors in view()'s memory
  std::shared_ptr<const void> owner_;  // keeps that memory alive
};

}  // namespace radlite
