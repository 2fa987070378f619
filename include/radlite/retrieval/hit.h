// radlite/retrieval/hit.h: one scored document of a ranked list, shared by BM25, dense search and fusion.
//
// `doc` is the document's position in its index (the order in which documents were added, from 0); the
// indexes map it back to the caller's string id (Bm25Index::id). Ranked lists are ordered by score
// descending and, for equal scores, by `doc` ascending, so every ranking in radlite is deterministic.
// Thread safety: plain value type.
#pragma once

#include <cstddef>
#include <vector>

namespace radlite {

struct Hit {
  std::size_t doc = 0;  // index of the document in the collection (insertion order, from 0)
  double score = 0.0;   // higher is better; scale depends on the producer (BM25, inner product, fused)
};

/// The deterministic ranking order used everywhere: score descending, then doc ascending.
inline bool ranks_before(const Hit& a, const Hit& b) {
  return a.score > b.score || (a.score == b.score && a.doc < b.doc);
}

using RankedList = std::vector<Hit>;

}  // namespace radlite
