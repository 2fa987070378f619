// Internals of the BM25 index shared with the segmented index of the pipeline (internal to radlite):
// the posting layout, the per-index state, and the top-k scoring kernel that both use, so a document's
// score is computed by the same expression, in the same order, whichever of them asks for it.
#pragma once

#include <radlite/retrieval/bm25.h>
#include <radlite/retrieval/hit.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "retrieval/term_table.h"

namespace radlite {
namespace bm25_internal {

struct Posting {
  std::uint32_t doc;
  std::uint32_t tf;
};

/// One term's postings, wherever they are stored (a vector, or the mapped index file).
struct PostingSpan {
  const Posting* data = nullptr;
  std::size_t size = 0;
  const Posting* begin() const { return data; }
  const Posting* end() const { return data + size; }
};

/// idf(t) = ln(1 + (N - df + 0.5) / (df + 0.5)), N = documents with at least one term.
inline double idf(std::uint64_t docs_with_terms, std::uint64_t df) {
  const double n = static_cast<double>(docs_with_terms);
  const double d = static_cast<double>(df);
  return std::log(1.0 + (n - d + 0.5) / (d + 0.5));
}

inline double average_length(std::uint64_t total_terms, std::uint64_t docs_with_terms) {
  return docs_with_terms == 0 ? 0.0 : static_cast<double>(total_terms) / static_cast<double>(docs_with_terms);
}

/// k1 * (1 - b + b * len / avglen): the length norm in tf / (tf + norm).
inline double length_norm(double k1, double b, std::uint32_t len, double avg) {
  return avg > 0.0 ? k1 * (1.0 - b + b * static_cast<double>(len) / avg) : k1;
}

/// Block-max bounds (Ding & Suel 2011, as PISA and Lucene keep them): a term's postings cut into blocks of
/// kBlockPostings, each with its largest tf and its shortest document. tf / (tf + norm) grows with tf and
/// shrinks with the length, so ratio_bound(max_tf, min_len) bounds every posting of the block whatever the
/// average length is (it changes as segments are added and documents deleted).
constexpr std::size_t kBlockPostings = 64;
struct BlockMax {
  std::uint32_t max_tf;
  std::uint32_t min_len;
};
using BlockMaxList = std::vector<BlockMax>;

/// The block bounds of `n` postings whose documents have the given lengths.
inline BlockMaxList block_bounds(const Posting* p, std::size_t n, const std::uint32_t* lengths) {
  BlockMaxList out((n + kBlockPostings - 1) / kBlockPostings);
  for (std::size_t b = 0; b < out.size(); ++b) {
    const std::size_t end = std::min(n, (b + 1) * kBlockPostings);
    BlockMax m{0, 0xFFFFFFFFu};
    for (std::size_t i = b * kBlockPostings; i < end; ++i) {
      m.max_tf = std::max(m.max_tf, p[i].tf);
      m.min_len = std::min(m.min_len, lengths[p[i].doc]);
    }
    out[b] = m;
  }
  return out;
}

/// Per-term data computed when a term is first searched and then kept (its block bounds; for frequent terms
/// its dense term frequencies). const searches may run concurrently: a computed value is published with a
/// compare-and-swap (a thread that loses frees its own).
template <class T>
class LazyPerTerm {
 public:
  LazyPerTerm() = default;
  LazyPerTerm(const LazyPerTerm&) = delete;
  LazyPerTerm& operator=(const LazyPerTerm&) = delete;
  ~LazyPerTerm() { reset(0); }
  /// Drops every value (the postings changed) and makes room for `terms` terms. Not concurrent with get().
  void reset(std::size_t terms) {
    for (std::size_t t = 0; t < size_; ++t) delete slots_[t].load(std::memory_order_relaxed);
    slots_.reset(terms ? new std::atomic<const T*>[terms] : nullptr);
    for (std::size_t t = 0; t < terms; ++t) slots_[t].store(nullptr, std::memory_order_relaxed);
    size_ = terms;
  }
  template <class Make>
  const T& get(std::uint32_t t, Make make) const {
    const T* have = slots_[t].load(std::memory_order_acquire);
    if (have) return *have;
    auto mine = std::make_unique<const T>(make());
    if (slots_[t].compare_exchange_strong(have, mine.get(), std::memory_order_acq_rel)) return *mine.release();
    return *have;
  }

 private:
  std::unique_ptr<std::atomic<const T*>[]> slots_;
  std::size_t size_ = 0;
};
using BlockCache = LazyPerTerm<BlockMaxList>;

/// Dense term frequencies: min(tf, 255) for every document of the index (0 where the term is absent). Kept
/// for terms in at least 1 / kDenseFraction of the documents, where the array (one byte per document) is at
/// most twice the size of the term's postings (8 bytes each) and a query of such terms only is answered by
/// scanning every document (see top_k).
constexpr std::size_t kDenseFraction = 16;
using DenseTf = std::vector<std::uint8_t>;
inline DenseTf dense_tf(const Posting* p, std::size_t n, std::size_t n_docs) {
  DenseTf out(n_docs, 0);
  for (std::size_t i = 0; i < n; ++i) out[p[i].doc] = static_cast<std::uint8_t>(std::min<std::uint32_t>(p[i].tf, 255));
  return out;
}

/// One query term's postings in one index, with its weight idf * (query term frequency), an upper bound
/// of tf / (tf + norm) over its postings (any value >= the true maximum; used to skip documents that cannot
/// enter the top k), and its block bounds with the BM25 parameters that turn them into ratio bounds.
struct TermPostings {
  const Posting* data = nullptr;
  std::size_t size = 0;
  double weight = 0.0;
  double max_ratio = 1.0;
  const BlockMax* blocks = nullptr;  // (size + kBlockPostings - 1) / kBlockPostings of them; null for exhaustive
  double k1 = 0.0, b = 0.0, avg = 0.0;
  const std::uint8_t* dense = nullptr;  // DenseTf of the term (one byte per document), or null
};

struct Scratch {
  std::vector<double> acc;
  std::vector<std::uint32_t> touched;
  std::vector<std::string> analyzed;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> qterms;
  std::vector<std::pair<std::uint32_t, double>> contributions;
  std::vector<TermPostings> lists;
  std::vector<std::size_t> cursor;
  std::vector<std::uint32_t> candidates;
  std::vector<std::uint8_t> spread;
};

/// How top_k visits the postings. All give identical hits and scores.
enum class Strategy {
  kAuto,              // kScan when every term is frequent, else MaxScore handing over to a scan if it is slower
  kExhaustive,        // every posting scored: the oracle of the others
  kMaxScore,          // MaxScore with block-max bounds: skips documents whose upper bound cannot reach the top k
  kScan,              // every document screened by a float estimate from term frequencies (dense ones where the
                      // term has them), the few that can reach the top k scored exactly
  kMaxScoreThenScan,  // MaxScore for the first few hundred documents it scores, then a scan (for tests)
};

/// The top k documents by sum over `terms` (in their order) of weight * tf / (tf + norms[doc]), skipping
/// documents with deleted[doc] != 0 (deleted may be null). Documents of no term are not returned.
/// `allow_avx2` = false keeps kScan on its portable kernel (for tests).
std::vector<Hit> top_k(const std::vector<TermPostings>& terms, const double* norms, const std::uint8_t* deleted,
                       std::size_t n_docs, std::size_t k, Scratch& s, Strategy strategy = Strategy::kAuto,
                       bool allow_avx2 = true);

/// max over the postings of tf / (tf + k1 * (1 - b + b * len / avg)), bounded without scanning: tf is at
/// most max_tf and len at least min_len, and the ratio grows with tf and shrinks with len.
inline double ratio_bound(std::uint32_t max_tf, std::uint32_t min_len, double k1, double b, double avg) {
  const double tf = static_cast<double>(max_tf);
  return tf / (tf + length_norm(k1, b, min_len, avg));
}

}  // namespace bm25_internal

struct Bm25Index::Impl {
  using Posting = bm25_internal::Posting;
  Bm25Options options;
  Analyzer analyzer;
  std::size_t n_docs = 0;
  // The ids, in memory after add() or load(). After view() they stay in the mapped file (mapped_ids: u32
  // length + bytes each, checked to fit at view) until id() or find() first needs them: need_ids() then
  // builds both tables and checks that the ids are unique, so a load that only searches never pays for them.
  mutable std::vector<std::string> ids;
  mutable std::unordered_map<std::string, std::uint32_t> id_to_doc;
  const char* mapped_ids = nullptr;
  std::size_t mapped_id_bytes = 0;
  mutable std::atomic<bool> ids_ready{true};
  mutable std::mutex ids_mutex;
  std::vector<std::uint32_t> lengths;
  TermTable vocab;                             // term <-> term number
  std::vector<std::vector<Posting>> postings;  // term number -> postings in doc order (unless mapped)
  std::vector<std::uint32_t> max_tf, min_len;  // per term: for the MaxScore bound
  // Bm25Index::view(): the postings are read in place, term t's at mapped_postings[offsets[t], offsets[t+1]).
  // The offsets were checked at load; each term's postings are checked when first used (check_term), unless
  // view() checked them all, so a corrupted file gives a FormatError, never a read out of bounds.
  bool mapped = false;
  const Posting* mapped_postings = nullptr;
  const char* mapped_offsets = nullptr;  // u64[vocab.size() + 1], read with memcpy
  std::unique_ptr<std::atomic<bool>[]> checked;
  std::shared_ptr<const void> owner;  // keeps the mapping alive
  std::string what;                   // names the file in errors
  std::uint64_t total_terms = 0;
  std::uint64_t docs_with_terms = 0;
  std::vector<double> norms;  // k1 * (1 - b + b * len / avglen) per doc, refreshed after every add()

  explicit Impl(Bm25Options o) : options(std::move(o)), analyzer(options.analyzer) {}

  mutable bm25_internal::BlockCache block_cache;  // reset whenever the postings or the vocabulary change
  mutable bm25_internal::LazyPerTerm<bm25_internal::DenseTf> dense_cache;  // reset with block_cache

  double avglen() const { return bm25_internal::average_length(total_terms, docs_with_terms); }
  double idf(std::size_t df) const { return bm25_internal::idf(docs_with_terms, df); }
  void refresh_norms() {
    const double avg = avglen();
    norms.resize(lengths.size());
    for (std::size_t i = 0; i < lengths.size(); ++i)
      norms[i] = bm25_internal::length_norm(options.k1, options.b, lengths[i], avg);
  }
  std::size_t terms() const { return vocab.size(); }
  /// Term t's block bounds (computed on first use; its postings are checked first when mapped).
  const bm25_internal::BlockMaxList& blocks(std::uint32_t t) const {
    return block_cache.get(t, [&] {
      const bm25_internal::PostingSpan s = plist(t);
      return bm25_internal::block_bounds(s.data, s.size, lengths.data());
    });
  }
  /// Term t's dense term frequencies (computed on first use).
  const bm25_internal::DenseTf& dense(std::uint32_t t) const {
    return dense_cache.get(t, [&] {
      const bm25_internal::PostingSpan s = plist(t);
      return bm25_internal::dense_tf(s.data, s.size, lengths.size());
    });
  }
  /// Query term t's postings with its weight and bounds, for top_k; unless the search is exhaustive (which
  /// never reads them, so a term only searched that way never pays for computing them), its block bounds,
  /// and its dense term frequencies if the term is frequent.
  bm25_internal::TermPostings term_postings(std::uint32_t t, const bm25_internal::PostingSpan& s, double weight,
                                            double avg, bool exhaustive) const {
    bm25_internal::TermPostings tp;
    tp.data = s.data;
    tp.size = s.size;
    tp.weight = weight;
    tp.max_ratio = bm25_internal::ratio_bound(max_tf[t], min_len[t], options.k1, options.b, avg);
    if (!exhaustive) {
      tp.blocks = blocks(t).data();
      if (s.size * bm25_internal::kDenseFraction >= lengths.size()) tp.dense = dense(t).data();
    }
    tp.k1 = options.k1;
    tp.b = options.b;
    tp.avg = avg;
    return tp;
  }
  // Fills ids and id_to_doc from the mapped ids if not yet done (FormatError naming `what` on a duplicate).
  void need_ids() const;
  // Calls f(string_view) with every id in doc order, without building the tables.
  template <class F>
  void each_id(F f) const {
    if (ids_ready.load(std::memory_order_acquire)) {
      for (const auto& id : ids) f(std::string_view(id));
      return;
    }
    const char* p = mapped_ids;
    for (std::size_t d = 0; d < n_docs; ++d) {
      std::uint32_t len;
      std::memcpy(&len, p, 4);
      f(std::string_view(p + 4, len));
      p += 4 + std::size_t{len};
    }
  }
  bm25_internal::PostingSpan plist(std::uint32_t t) const {
    if (!mapped) return {postings[t].data(), postings[t].size()};
    if (!checked[t].load(std::memory_order_acquire)) check_term(t);
    std::uint64_t a, b;
    std::memcpy(&a, mapped_offsets + 8 * std::size_t{t}, 8);
    std::memcpy(&b, mapped_offsets + 8 * (std::size_t{t} + 1), 8);
    return {mapped_postings + a, static_cast<std::size_t>(b - a)};
  }
  // FormatError naming `what` unless term t's mapped postings are in doc order, within the documents, with
  // tf >= 1 and within the stored MaxScore bounds (max_tf, min_len): the scoring kernels rely on all four.
  void check_term(std::uint32_t t) const;
  // Copies mapped postings into `postings` (before add() changes the index).
  void own();
  // Recomputes max_tf / min_len of the terms from `first_term` on, and updates all terms for the documents
  // from `first_doc` on (after add() or load()).
  void refresh_bounds(std::uint32_t first_doc);

  // Distinct query terms known to the index with their query frequency, in first-appearance order.
  void query_terms(const std::vector<std::string>& analyzed,
                   std::vector<std::pair<std::uint32_t, std::uint32_t>>& out) const;

  std::vector<Hit> search_terms(const std::vector<std::string>& analyzed, std::size_t k, bm25_internal::Scratch& s,
                                bool exhaustive = false) const;
};

}  // namespace radlite
