// Approximate dense search with an HNSW graph (hnswlib), internal to radlite.
//
// The graph is built over a segment's stored vectors (already L2-normalised for cosine) with inner-product
// distance 1 - dot. hnswlib chooses its SIMD kernels when it is compiled (baseline x86-64: SSE only), so the
// graph uses radlite's own distance function instead, picked at run time: the AVX2 + FMA kernel of
// dense_kernels_avx2.cpp on CPUs that have it, a plain loop otherwise. Binaries stay portable.
//
// A search asks the graph for max(ef, k) candidates and re-ranks them by their exact inner product with the
// query (the same kernel as exact search), so the scores of the hits are exact; only recall is approximate.
#pragma once

#include <radlite/retrieval/hit.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace radlite {

class DenseIndex;

namespace retrieval_internal {

class HnswIndex {
 public:
  struct Params {
    std::size_t m = 16;                 // graph degree (2 * m on the bottom layer)
    std::size_t ef_construction = 200;  // candidate list size while inserting
    unsigned threads = 0;               // build threads (0: hardware concurrency)
  };

  /// Builds the graph over every row of `vectors` (labels = row numbers).
  static std::unique_ptr<HnswIndex> build(const DenseIndex& vectors, const Params& params);
  /// Reads a graph saved by save(); FormatError naming `path` when it does not hold `rows` vectors of `dim`.
  static std::unique_ptr<HnswIndex> load(const std::string& path, std::size_t dim, std::size_t rows);
  ~HnswIndex();

  /// Candidates for `query` (normalised like the stored vectors): max(ef, k) graph hits re-ranked by the
  /// exact inner product against `vectors` (the index the graph was built from), best k in ranking order.
  /// `skip` (may be null) marks rows that must not be returned.
  std::vector<Hit> search(const DenseIndex& vectors, const float* query, std::size_t k, std::size_t ef,
                          const std::uint8_t* skip) const;
  /// The graph in hnswlib's file format.
  void save(std::ostream& out) const;
  std::size_t size() const;

  struct Impl;

 private:
  HnswIndex();
  std::unique_ptr<Impl> impl_;
};

}  // namespace retrieval_internal
}  // namespace radlite
