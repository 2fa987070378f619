// BM25 inverted index: postings (doc, tf) per term in doc order, exact document lengths, per-document
// length norms refreshed by add(); scoring is bm25_internal::top_k (bm25_scoring.cpp), the file format in
// bm25_persistence.cpp.
#include <radlite/error.h>
#include <radlite/retrieval/bm25.h>

#include "retrieval/bm25_internal.h"
#include "retrieval/term_table.h"
#include "retrieval/top_k.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <thread>
#include <unordered_map>

namespace radlite {
namespace {

using bm25_internal::Posting;

void validate(const Bm25Options& o) {
  if (!(o.k1 >= 0.0) || !std::isfinite(o.k1))
    throw InvalidArgument("bm25: k1 must be finite and >= 0, got " + std::to_string(o.k1));
  if (!(o.b >= 0.0 && o.b <= 1.0)) throw InvalidArgument("bm25: b must be in [0, 1], got " + std::to_string(o.b));
}

}  // namespace

void Bm25Index::Impl::refresh_bounds(std::uint32_t first_doc) {
  block_cache.reset(postings.size());
  dense_cache.reset(postings.size());
  max_tf.resize(postings.size(), 0);
  min_len.resize(postings.size(), std::numeric_limits<std::uint32_t>::max());
  for (std::size_t t = 0; t < postings.size(); ++t) {
    const auto& plist = postings[t];
    // Postings are in doc order: only the tail from first_doc on is new.
    auto it = std::lower_bound(plist.begin(), plist.end(), first_doc,
                               [](const Posting& p, std::uint32_t d) { return p.doc < d; });
    for (; it != plist.end(); ++it) {
      max_tf[t] = std::max(max_tf[t], it->tf);
      min_len[t] = std::min(min_len[t], lengths[it->doc]);
    }
  }
}

void Bm25Index::Impl::query_terms(const std::vector<std::string>& analyzed,
                                  std::vector<std::pair<std::uint32_t, std::uint32_t>>& out) const {
  out.clear();
  for (const auto& t : analyzed) {
    const std::uint32_t term = vocab.find(t);
    if (term == TermTable::kNone) continue;
    auto same = std::find_if(out.begin(), out.end(), [&](const auto& p) { return p.first == term; });
    if (same != out.end()) {
      ++same->second;
    } else {
      out.emplace_back(term, 1u);
    }
  }
}

std::vector<Hit> Bm25Index::Impl::search_terms(const std::vector<std::string>& analyzed, std::size_t k,
                                               bm25_internal::Scratch& s, bool exhaustive) const {
  if (k == 0 || n_docs == 0) return {};
  query_terms(analyzed, s.qterms);
  s.lists.clear();
  const double avg = avglen();
  for (const auto& [term, qtf] : s.qterms) {
    const bm25_internal::PostingSpan span = plist(term);
    s.lists.push_back(term_postings(term, span, idf(span.size) * static_cast<double>(qtf), avg, exhaustive));
  }
  return bm25_internal::top_k(s.lists, norms.data(), nullptr, n_docs, k, s,
                             exhaustive ? bm25_internal::Strategy::kExhaustive : bm25_internal::Strategy::kAuto);
}

Bm25Index::Bm25Index(Bm25Options options) {
  validate(options);
  impl_ = std::make_unique<Impl>(std::move(options));
  impl_->refresh_norms();
}
Bm25Index::~Bm25Index() = default;
Bm25Index::Bm25Index(Bm25Index&&) noexcept = default;
Bm25Index& Bm25Index::operator=(Bm25Index&&) noexcept = default;

void Bm25Index::add(const std::vector<std::string>& ids, const std::vector<std::string>& texts) {
  Impl& m = *impl_;
  if (ids.size() != texts.size()) {
    throw InvalidArgument("bm25: add() got " + std::to_string(ids.size()) + " ids but " + std::to_string(texts.size()) +
                          " texts");
  }
  if (m.n_docs + ids.size() > std::numeric_limits<std::uint32_t>::max() - 1u) {
    throw InvalidArgument("bm25: too many documents (the index holds at most 2^32 - 2)");
  }
  // Validate everything and analyze before touching the index, so a failure leaves it unchanged.
  m.own();
  {
    std::unordered_map<std::string_view, std::size_t> batch;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (m.id_to_doc.count(ids[i]) != 0 || !batch.emplace(ids[i], i).second) {
        throw InvalidArgument("bm25: duplicate document id '" + ids[i] + "'");
      }
    }
  }
  AnalyzerSession session(m.analyzer);
  std::vector<std::string> analyzed;
  // Term counts per document: gathered first, then appended, so postings stay in doc order.
  std::vector<std::vector<std::pair<std::uint32_t, std::uint32_t>>> doc_terms(ids.size());
  std::vector<std::uint32_t> new_lengths(ids.size());
  const std::size_t vocab_before = m.vocab.size();
  // Per-term scratch indexed by term number: the last batch document that contained the term and its count
  // there, so counting a document's terms needs no per-document hash map.
  std::vector<std::uint32_t> last_doc(m.vocab.size(), std::numeric_limits<std::uint32_t>::max());
  std::vector<std::uint32_t> tf_of(m.vocab.size(), 0);
  std::vector<std::uint32_t> order;
  try {
    for (std::size_t i = 0; i < ids.size(); ++i) {
      try {
        session.analyze(texts[i], analyzed);
      } catch (const InvalidArgument& e) {
        throw InvalidArgument("bm25: document '" + ids[i] + "': " + e.what());
      }
      if (analyzed.size() > std::numeric_limits<std::uint32_t>::max()) {
        throw InvalidArgument("bm25: document '" + ids[i] + "' has too many terms");
      }
      order.clear();
      const auto batch_doc = static_cast<std::uint32_t>(i);
      for (const auto& t : analyzed) {
        const auto [term, inserted] = m.vocab.insert(t);
        if (inserted) {
          last_doc.push_back(std::numeric_limits<std::uint32_t>::max());
          tf_of.push_back(0);
        }
        if (last_doc[term] != batch_doc) {
          last_doc[term] = batch_doc;
          tf_of[term] = 0;
          order.push_back(term);
        }
        ++tf_of[term];
      }
      auto& dt = doc_terms[i];
      dt.reserve(order.size());
      for (std::uint32_t t : order) dt.emplace_back(t, tf_of[t]);
      new_lengths[i] = static_cast<std::uint32_t>(analyzed.size());
    }
  } catch (...) {
    // Roll back vocabulary entries created by this call.
    m.vocab.truncate(vocab_before);
    throw;
  }
  m.postings.resize(m.vocab.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const auto doc = static_cast<std::uint32_t>(m.n_docs++);
    m.ids.push_back(ids[i]);
    m.id_to_doc.emplace(ids[i], doc);
    m.lengths.push_back(new_lengths[i]);
    m.total_terms += new_lengths[i];
    if (new_lengths[i] > 0) ++m.docs_with_terms;
    for (const auto& [t, tf] : doc_terms[i]) m.postings[t].push_back({doc, tf});
  }
  m.refresh_norms();
  m.refresh_bounds(static_cast<std::uint32_t>(m.n_docs - ids.size()));
}

std::vector<Hit> Bm25Index::search(std::string_view query, std::size_t k) const {
  bm25_internal::Scratch s;
  AnalyzerSession session(impl_->analyzer);
  session.analyze(query, s.analyzed);
  return impl_->search_terms(s.analyzed, k, s);
}

std::vector<Hit> Bm25Index::search_exhaustive(std::string_view query, std::size_t k) const {
  bm25_internal::Scratch s;
  AnalyzerSession session(impl_->analyzer);
  session.analyze(query, s.analyzed);
  return impl_->search_terms(s.analyzed, k, s, true);
}

std::vector<Hit> Bm25Index::search_terms(const std::vector<std::string>& terms, std::size_t k) const {
  bm25_internal::Scratch s;
  return impl_->search_terms(terms, k, s);
}

std::vector<std::vector<Hit>> Bm25Index::search_batch(const std::vector<std::string>& queries, std::size_t k,
                                                      unsigned threads) const {
  std::vector<std::vector<Hit>> results(queries.size());
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::min<std::size_t>(threads, std::max<std::size_t>(1, queries.size())));
  auto run = [&](std::size_t begin, std::size_t step) {
    bm25_internal::Scratch s;
    AnalyzerSession session(impl_->analyzer);
    for (std::size_t q = begin; q < queries.size(); q += step) {
      session.analyze(queries[q], s.analyzed);
      results[q] = impl_->search_terms(s.analyzed, k, s);
    }
  };
  if (threads <= 1) {
    run(0, 1);
    return results;
  }
  std::vector<std::thread> pool;
  std::vector<std::exception_ptr> errors(threads);
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      try {
        run(t, threads);
      } catch (...) {
        errors[t] = std::current_exception();
      }
    });
  }
  for (auto& th : pool) th.join();
  for (auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
  return results;
}

double Bm25Index::score(std::string_view query, std::size_t doc) const {
  const Impl& m = *impl_;
  if (doc >= m.n_docs)
    throw InvalidArgument("bm25: doc " + std::to_string(doc) + " out of range (size " + std::to_string(m.n_docs) +
                          ")");
  std::vector<std::string> analyzed = m.analyzer.analyze(query);
  std::vector<std::pair<std::uint32_t, std::uint32_t>> qterms;
  m.query_terms(analyzed, qterms);
  double total = 0.0;
  for (const auto& [term, qtf] : qterms) {
    const bm25_internal::PostingSpan plist = m.plist(term);
    auto it =
        std::lower_bound(plist.begin(), plist.end(), doc, [](const Posting& p, std::size_t d) { return p.doc < d; });
    if (it == plist.end() || it->doc != doc) continue;
    const double tf = static_cast<double>(it->tf);
    total += m.idf(plist.size) * static_cast<double>(qtf) * tf / (tf + m.norms[doc]);
  }
  return total;
}

std::size_t Bm25Index::size() const { return impl_->n_docs; }

const std::string& Bm25Index::id(std::size_t doc) const {
  if (doc >= impl_->n_docs)
    throw InvalidArgument("bm25: doc " + std::to_string(doc) + " out of range (size " +
                          std::to_string(impl_->n_docs) + ")");
  impl_->need_ids();
  return impl_->ids[doc];
}

std::int64_t Bm25Index::find(std::string_view id) const {
  impl_->need_ids();
  auto it = impl_->id_to_doc.find(std::string(id));
  return it == impl_->id_to_doc.end() ? -1 : static_cast<std::int64_t>(it->second);
}

std::uint32_t Bm25Index::doc_length(std::size_t doc) const {
  if (doc >= impl_->n_docs)
    throw InvalidArgument("bm25: doc " + std::to_string(doc) + " out of range (size " +
                          std::to_string(impl_->n_docs) + ")");
  return impl_->lengths[doc];
}

std::size_t Bm25Index::vocabulary_size() const { return impl_->vocab.size(); }

std::size_t Bm25Index::doc_frequency(std::string_view term) const {
  const std::uint32_t t = impl_->vocab.find(term);
  return t == TermTable::kNone ? 0 : impl_->plist(t).size;
}

double Bm25Index::average_length() const { return impl_->avglen(); }
const Bm25Options& Bm25Index::options() const { return impl_->options; }
const Analyzer& Bm25Index::analyzer() const { return impl_->analyzer; }

}  // namespace radlite
