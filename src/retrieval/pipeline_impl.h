// The state behind radlite::Pipeline (internal to radlite): a list of immutable segments, each with its
// documents, BM25 index and dense vectors, plus a tombstone set; collection-wide BM25 statistics over the
// live documents of all segments.
//
// Why segments: an index that grows every day must not rewrite what it already stored. Each add() makes a
// new segment; save() writes only segments (and tombstone sets) not yet in the index directory, then
// switches the manifest (pipeline_save.cpp). Deletes mark documents in their segment's tombstone set and are
// applied at search time; merge() rewrites segments into one, dropping deleted documents.
//
// BM25 statistics: N (documents with a term), avglen and df(t) are summed over segments minus the deleted
// documents, so a document's score equals the score it would get in a single index built from the live
// documents only (same formula, same operands, same summation order): merging changes no score, and a fresh
// build of the live documents ranks identically.
#pragma once

#include <radlite/retrieval/pipeline.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "retrieval/bm25_internal.h"
#include "retrieval/document_store.h"
#include "retrieval/hnsw_index.h"
#include "retrieval/id_index.h"
#include "retrieval/ivfpq_index.h"

namespace radlite {

struct PipelineSegment {
  retrieval_internal::DocumentStore docs;  // in memory, or read on demand from the mapped documents file
  std::optional<Bm25Index> bm25;
  std::optional<DenseIndex> dense;
  std::shared_ptr<const retrieval_internal::HnswIndex> hnsw;    // DenseKind::kHnsw: the graph over `dense`
  std::shared_ptr<const retrieval_internal::IvfPqIndex> ivfpq;  // DenseKind::kIvfPq (large segments only)
  std::vector<std::uint8_t> deleted;                            // per document of the segment: 1 = deleted
  std::size_t deleted_count = 0;
  std::size_t base = 0;  // pipeline doc number of the segment's first document
  // BM25 statistics of the deleted documents (subtracted from the collection's).
  std::vector<std::uint32_t> deleted_df;  // per segment term number (empty until a delete)
  std::uint64_t deleted_terms = 0, deleted_with_terms = 0;
  std::vector<double> norms;  // BM25 length norms with the collection-wide avglen

  // Persistence (written under Pipeline::Impl::persist_mu by the const save()).
  struct Stored {
    std::string name;                                 // file prefix in the index directory; empty: not saved there yet
    nlohmann::json files = nlohmann::json::object();  // file name -> {sha256, bytes}
    std::string tombstones;                           // tombstone file name ("" when none saved)
    std::size_t tombstones_count = 0;
    nlohmann::json files_tombstone;  // {sha256, bytes} of the tombstone file
  };
  mutable Stored stored;

  std::size_t size() const { return docs.size(); }
  std::size_t live() const { return docs.size() - deleted_count; }
};

struct Pipeline::Impl {
  std::shared_ptr<const TextEncoder> encoder;
  std::shared_ptr<const PairScorer> scorer;
  PipelineOptions options;
  std::size_t dim = 0;  // embedding dimension (0: no embeddings)
  std::string encoder_identity;
  std::optional<Analyzer> analyzer;  // BM25's, for queries and deletes
  std::vector<std::shared_ptr<PipelineSegment>> segments;
  retrieval_internal::IdIndex by_id;  // live documents only (through find_id, insert_id, erase_id)
  std::size_t slots = 0;                               // documents stored, deleted included (doc numbers are < slots)
  std::uint64_t live_with_terms = 0, live_terms = 0;   // collection-wide BM25 statistics

  // Persistence state of the index directory last saved to or loaded from.
  mutable std::mutex persist_mu;
  mutable std::string saved_dir;  // absolute path; empty: none
  mutable std::uint64_t generation = 0;
  mutable std::string uuid;

  bool has_bm25() const { return options.bm25; }
  bool has_dense() const { return dim > 0; }
  std::pair<const PipelineSegment*, std::size_t> locate(std::size_t doc) const;
  BeirDocument doc(std::size_t d) const {
    auto [seg, local] = locate(d);
    return seg->docs.get(local);
  }
  std::string_view doc_id(std::size_t d) const {
    auto [seg, local] = locate(d);
    return seg->docs.id(local);
  }
  std::int64_t find_id(std::string_view id) const {
    return by_id.find(id, [this](std::size_t d) { return doc_id(d); });
  }
  // Both need doc's segment in `segments` (with its base set).
  bool insert_id(std::string_view id, std::size_t doc) {
    return by_id.insert(id, doc, [this](std::size_t d) { return doc_id(d); });
  }
  bool erase_id(std::string_view id) {
    return by_id.erase(id, [this](std::size_t d) { return doc_id(d); });
  }

  // Recomputes bases, the collection statistics and every segment's norms (after add, delete, merge, load).
  void refresh();
  void rebuild_ids();
  // Marks one document deleted and updates the deleted-document statistics of its segment (no refresh()).
  void mark_deleted(PipelineSegment& seg, std::size_t local);
  std::shared_ptr<PipelineSegment> merged(std::size_t first, std::size_t last) const;  // segments [first, last)
  void apply_merge_policy();

  Matrix encode_checked(const std::vector<std::string>& texts, const char* what) const;
  // Collection-wide BM25 (segment_bm25.cpp).
  std::vector<Hit> bm25_search(const std::vector<std::string>& analyzed, std::size_t k, bm25_internal::Scratch& s,
                               bool exhaustive = false) const;
  double bm25_score(const std::vector<std::string>& analyzed, std::size_t doc) const;
  // Exact dense top-k over all segments for each row of `queries` (deleted documents skipped).
  std::vector<std::vector<Hit>> dense_search(const Matrix& queries, std::size_t k, const SearchOptions& o) const;
  void build_graph(PipelineSegment& seg) const;  // DenseKind::kHnsw
  std::vector<PipelineHit> assemble(const std::string& query, const std::vector<Hit>* dense_hits,
                                    const std::vector<Hit>* bm25_hits, const SearchOptions& o) const;
};

}  // namespace radlite
