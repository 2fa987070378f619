// radlite/retrieval/bm25.h: an in-memory BM25 inverted index (Lucene's BM25 scoring, exact lengths).
//
//   radlite::Bm25Index index;                                 // defaults: k1 1.2, b 0.75, lowercase only
//   index.add({"d1", "d2"}, {"Adult acute leukemia ...", "Breast cancer ..."});
//   std::vector<radlite::Hit> hits = index.search("symptoms of leukemia", 10);
//   for (const auto& h : hits) std::cout << index.id(h.doc) << ' ' << h.score << '\n';
//   std::ofstream out("bm25.bin", std::ios::binary); index.save(out);
//   std::ifstream in("bm25.bin", std::ios::binary); auto copy = radlite::Bm25Index::load(in, "bm25.bin");
//
// Scoring (the form of Lucene >= 8, BM25Similarity, without the constant (k1 + 1) factor of the classic
// Robertson form, so rankings are the same as the classic form and scores equal Lucene's up to Lucene's
// lossy one-byte length encoding):
//   score(q, d) = sum over query terms t (repeated query terms count repeatedly) of
//                 idf(t) * tf / (tf + k1 * (1 - b + b * len(d) / avglen))
//   idf(t)      = ln(1 + (N - df(t) + 0.5) / (df(t) + 0.5))
// where tf is the count of t in d, len(d) the exact number of terms of d after analysis, N the number of
// documents with at least one term, avglen = (total terms) / N, df(t) the number of documents containing t.
// Documents without a term match no query. Only documents sharing a term with the query are returned
// (fewer than k hits is normal); ties are ordered by insertion order (Hit::doc ascending).
//
// Defaults (k1 1.2, b 0.75, Unicode word splitting + lowercasing, no stopwords, no stemming) are Lucene's
// StandardAnalyzer with its usual BM25 parameters: the textbook setting, not tuned on any test set. On the
// bundled CancerGov BEIR set (examples/data/cancergov) they give MRR@10 0.4123, nDCG@10 0.4980 against
// Lucene's 0.4099 / 0.4960 for the same configuration; English stopwords + Porter stemming (Lucene's
// EnglishAnalyzer) score lower there (0.3765 / 0.4706, as they do in Lucene: 0.3745 / 0.4691), because
// stemming conflates the medical terms that identify an answer. b = 0.9 would score higher on CancerGov
// (nDCG@10 0.519) but is not a robust choice for other collections, so it is not the default.
//
// Statistics (N, avglen, idf) change as documents are added; add() refreshes the per-document length
// norms before returning, so search() never mutates the index.
//
// Thread safety: const methods (search, score, save, accessors) may run concurrently; add() needs
// exclusive access.
#pragma once

#include <radlite/retrieval/analyzer.h>
#include <radlite/retrieval/hit.h>

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace radlite {

struct Bm25Options {
  double k1 = 1.2;           // term-frequency saturation, >= 0 (0: binary term presence)
  double b = 0.75;           // length normalisation strength, in [0, 1] (0: none, 1: full)
  AnalyzerOptions analyzer;  // defaults: Unicode word splitting + lowercasing, no stopwords, no stemming
};

class Bm25Index {
 public:
  /// Validates the options (InvalidArgument for k1 < 0, b outside [0, 1], bad analyzer options).
  explicit Bm25Index(Bm25Options options = {});
  ~Bm25Index();
  Bm25Index(Bm25Index&&) noexcept;
  Bm25Index& operator=(Bm25Index&&) noexcept;
  Bm25Index(const Bm25Index&) = delete;
  Bm25Index& operator=(const Bm25Index&) = delete;

  /// Appends documents (ids[i] has text texts[i]). Ids must be unique across the index (InvalidArgument
  /// naming the duplicate, and for ids.size() != texts.size() or invalid UTF-8 naming the id). On an
  /// exception the index is left unchanged. Documents get consecutive Hit::doc numbers.
  void add(const std::vector<std::string>& ids, const std::vector<std::string>& texts);

  /// The best `k` documents for `query` (score desc, then doc asc). k = 0 returns nothing.
  /// Uses MaxScore dynamic pruning: documents whose score bound cannot reach the current k-th score are
  /// skipped, so the hits and scores are identical to search_exhaustive() at a fraction of the work.
  std::vector<Hit> search(std::string_view query, std::size_t k) const;
  /// search() scoring every posting of every query term (the reference the pruned search is tested against).
  std::vector<Hit> search_exhaustive(std::string_view query, std::size_t k) const;

  /// search() for every query; `threads` > 1 runs queries on that many threads (0 = hardware concurrency).
  std::vector<std::vector<Hit>> search_batch(const std::vector<std::string>& queries, std::size_t k,
                                             unsigned threads = 1) const;

  /// search() on already-analyzed terms (as Analyzer::analyze returns them).
  std::vector<Hit> search_terms(const std::vector<std::string>& terms, std::size_t k) const;

  /// The BM25 score of one document for `query` (0 when they share no term). InvalidArgument if doc >= size().
  double score(std::string_view query, std::size_t doc) const;

  std::size_t size() const;                      // documents added
  const std::string& id(std::size_t doc) const;  // InvalidArgument if doc >= size()
  /// The doc number of `id`, or -1 when absent.
  std::int64_t find(std::string_view id) const;
  std::uint32_t doc_length(std::size_t doc) const;         // terms after analysis
  std::size_t vocabulary_size() const;                     // distinct terms
  std::size_t doc_frequency(std::string_view term) const;  // df of an analyzed term (0 when absent)
  double average_length() const;                           // avglen (0 when no document has a term)
  const Bm25Options& options() const;
  const Analyzer& analyzer() const;

  /// Versioned binary form (magic "RLBM25", format version 2: options, ids, vocabulary, then lengths, term
  /// bounds, posting offsets and postings as arrays aligned to 8 bytes, so that view() scores them in place).
  /// Throws IoError when the stream fails.
  void save(std::ostream& out) const;
  /// Reads what save() wrote (version 1 too) into memory; `what` names the source in errors. Truncated,
  /// corrupted or inconsistent input throws FormatError naming `what` and the offending part; a stream
  /// failure throws IoError.
  static Bm25Index load(std::istream& in, const std::string& what);
  /// Reads what save() wrote from memory (e.g. a mapped file) without copying the postings: searches read
  /// them in place, and `owner` keeps that memory alive. Checks the header, the exact size, the posting
  /// offsets and the end marker (FormatError naming `what`); with `check_postings` also every posting, as
  /// load() does (this touches every page). Otherwise each term's postings are checked the first time a
  /// search uses them, so a corrupted file gives a FormatError then, never a read out of bounds. Version-1
  /// data is copied. add() on such an index first copies the postings.
  static Bm25Index view(const char* data, std::size_t size, std::shared_ptr<const void> owner, const std::string& what,
                        bool check_postings = true);

  struct Impl;
  /// radlite-internal (the segmented index of the pipeline reads postings and lengths through it).
  const Impl& internals() const { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace radlite
