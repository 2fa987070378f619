// Approximate dense search with an inverted file of product-quantized codes (FAISS IndexIVFPQ), internal to
// radlite.
//
// Vectors are assigned to `nlist` k-means cells (inner-product coarse quantizer) and stored as `pq_m` bytes
// each (8-bit product quantization: dim / pq_m dimensions per byte). A search scans the `nprobe` cells closest
// to the query with PQ distance tables, keeps a shortlist, and re-ranks it by the exact inner product read
// from the segment's float vectors (memory-mapped when loaded), so the hits' scores are exact. In memory it
// costs pq_m bytes + an 8-byte id per vector plus the centroids: for 768-d float32 (3,072 bytes) and
// pq_m = 96, about 1/30 of the matrix.
#pragma once

#include <radlite/retrieval/hit.h>

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

namespace radlite {

class DenseIndex;

namespace retrieval_internal {

class IvfPqIndex {
 public:
  struct Params {
    std::size_t nlist = 0;            // cells; 0: 4 * sqrt(N), at most N / 39 (FAISS's training minimum)
    std::size_t pq_m = 0;             // bytes per vector; 0: the largest divisor of dim that is <= dim / 8
    std::size_t train_size = 100000;  // vectors sampled to train the quantizers
  };
  /// The smallest segment that gets an IVF-PQ index (smaller ones are scanned exactly: PQ needs 256
  /// training points per sub-quantizer and gains nothing there).
  static constexpr std::size_t kMinVectors = 2000;

  static std::unique_ptr<IvfPqIndex> build(const DenseIndex& vectors, const Params& params);
  /// Reads what save() wrote; FormatError naming `what` when it is not an IVF-PQ index of rows x dim.
  static std::unique_ptr<IvfPqIndex> load(const char* data, std::size_t size, std::size_t dim, std::size_t rows,
                                          const std::string& what);
  ~IvfPqIndex();

  /// The best k of a shortlist of max(shortlist, k) PQ candidates from `nprobe` cells, re-ranked by the exact
  /// inner product with `vectors`; rows with skip[row] != 0 are not returned.
  std::vector<Hit> search(const DenseIndex& vectors, const float* query, std::size_t k, std::size_t shortlist,
                          std::size_t nprobe, const std::uint8_t* skip) const;
  void save(std::ostream& out) const;
  /// Bytes the index holds in memory (codes, ids, centroids, PQ tables).
  std::size_t memory_bytes() const;

  struct Impl;

 private:
  IvfPqIndex();
  std::unique_ptr<Impl> impl_;
};

}  // namespace retrieval_internal
}  // namespace radlite
