// Search, deletes and merges over the segments of a Pipeline (see pipeline_impl.h for the design).
#include <radlite/error.h>

#include <algorithm>
#include <limits>

#include "retrieval/pipeline_impl.h"

namespace radlite {

namespace bi = bm25_internal;

std::pair<const PipelineSegment*, std::size_t> Pipeline::Impl::locate(std::size_t d) const {
  if (d >= slots)
    throw InvalidArgument("Pipeline: doc " + std::to_string(d) + " out of range (size " + std::to_string(slots) + ")");
  auto it = std::upper_bound(segments.begin(), segments.end(), d,
                             [](std::size_t v, const std::shared_ptr<PipelineSegment>& s) { return v < s->base; });
  const PipelineSegment* seg = (*(it - 1)).get();
  return {seg, d - seg->base};
}

void Pipeline::Impl::refresh() {
  slots = 0;
  live_with_terms = live_terms = 0;
  for (auto& seg : segments) {
    seg->base = slots;
    slots += seg->size();
    if (seg->bm25) {
      const auto& m = seg->bm25->internals();
      live_with_terms += m.docs_with_terms - seg->deleted_with_terms;
      live_terms += m.total_terms - seg->deleted_terms;
    }
  }
  if (!has_bm25()) return;
  const double avg = bi::average_length(live_terms, live_with_terms);
  const double k1 = options.bm25_options.k1, b = options.bm25_options.b;
  for (auto& seg : segments) {
    const auto& lengths = seg->bm25->internals().lengths;
    seg->norms.resize(lengths.size());
    for (std::size_t i = 0; i < lengths.size(); ++i) seg->norms[i] = bi::length_norm(k1, b, lengths[i], avg);
  }
}

void Pipeline::Impl::rebuild_ids() {
  by_id.clear(slots);
  for (const auto& seg : segments)
    for (std::size_t i = 0; i < seg->size(); ++i)
      if (!seg->deleted[i]) insert_id(seg->docs.id(i), seg->base + i);
}

void Pipeline::Impl::mark_deleted(PipelineSegment& seg, std::size_t local) {
  if (seg.deleted[local]) return;
  seg.deleted[local] = 1;
  ++seg.deleted_count;
  if (!seg.bm25) return;
  const auto& m = seg.bm25->internals();
  const std::uint32_t len = m.lengths[local];
  seg.deleted_terms += len;
  if (len > 0) ++seg.deleted_with_terms;
  // The document's distinct terms, from its text: the same analysis that indexed it.
  if (seg.deleted_df.size() < m.terms()) seg.deleted_df.resize(m.terms(), 0);
  std::vector<std::string> terms = analyzer->analyze(document_text(seg.docs.get(local)));
  std::sort(terms.begin(), terms.end());
  terms.erase(std::unique(terms.begin(), terms.end()), terms.end());
  for (const auto& t : terms) {
    const std::uint32_t id = m.vocab.find(t);
    if (id != TermTable::kNone) ++seg.deleted_df[id];
  }
}

namespace {

// Distinct analyzed terms with their query frequency, in first-appearance order.
std::vector<std::pair<const std::string*, std::uint32_t>> distinct_terms(const std::vector<std::string>& analyzed) {
  std::vector<std::pair<const std::string*, std::uint32_t>> out;
  for (const auto& t : analyzed) {
    auto same = std::find_if(out.begin(), out.end(), [&](const auto& p) { return *p.first == t; });
    if (same != out.end()) {
      ++same->second;
    } else {
      out.emplace_back(&t, 1u);
    }
  }
  return out;
}

struct QueryTerm {
  double weight;
  std::vector<std::uint32_t> term_in_segment;  // per segment: term number or kNone
};

}  // namespace

// The weights idf(live df) * qtf of the query's terms that occur in a live document.
static std::vector<QueryTerm> weigh(const Pipeline::Impl& s, const std::vector<std::string>& analyzed) {
  std::vector<QueryTerm> out;
  for (const auto& [term, qtf] : distinct_terms(analyzed)) {
    QueryTerm q{0.0, std::vector<std::uint32_t>(s.segments.size(), TermTable::kNone)};
    std::uint64_t df = 0;
    for (std::size_t g = 0; g < s.segments.size(); ++g) {
      const PipelineSegment& seg = *s.segments[g];
      const auto& m = seg.bm25->internals();
      const std::uint32_t id = m.vocab.find(*term);
      if (id == TermTable::kNone) continue;
      q.term_in_segment[g] = id;
      df += m.plist(id).size - (seg.deleted_df.empty() ? 0 : seg.deleted_df[id]);
    }
    if (df == 0) continue;  // a single index of the live documents would not know the term
    q.weight = bi::idf(s.live_with_terms, df) * static_cast<double>(qtf);
    out.push_back(std::move(q));
  }
  return out;
}

std::vector<Hit> Pipeline::Impl::bm25_search(const std::vector<std::string>& analyzed, std::size_t k, bi::Scratch& s,
                                             bool exhaustive) const {
  std::vector<Hit> all;
  if (k == 0) return all;
  const std::vector<QueryTerm> qterms = weigh(*this, analyzed);
  if (qterms.empty()) return all;
  const double avg = bi::average_length(live_terms, live_with_terms);
  for (std::size_t g = 0; g < segments.size(); ++g) {
    const PipelineSegment& seg = *segments[g];
    if (seg.live() == 0) continue;
    const auto& m = seg.bm25->internals();
    s.lists.clear();
    for (const auto& q : qterms) {
      const std::uint32_t id = q.term_in_segment[g];
      if (id == TermTable::kNone) continue;
      s.lists.push_back(m.term_postings(id, m.plist(id), q.weight, avg, exhaustive));
    }
    if (s.lists.empty()) continue;
    std::vector<Hit> hits = bi::top_k(s.lists, seg.norms.data(), seg.deleted_count ? seg.deleted.data() : nullptr,
                                      seg.size(), k, s,
                                      exhaustive ? bi::Strategy::kExhaustive : bi::Strategy::kAuto);
    for (Hit& h : hits) h.doc += seg.base;
    all.insert(all.end(), hits.begin(), hits.end());
  }
  // Each document lives in one segment, so its score is complete; segments are in doc order.
  std::sort(all.begin(), all.end(), ranks_before);
  if (all.size() > k) all.resize(k);
  return all;
}

double Pipeline::Impl::bm25_score(const std::vector<std::string>& analyzed, std::size_t doc) const {
  auto [seg, local] = locate(doc);
  std::size_t g = 0;
  while (segments[g].get() != seg) ++g;
  const auto& m = seg->bm25->internals();
  double total = 0.0;
  for (const auto& q : weigh(*this, analyzed)) {
    const std::uint32_t id = q.term_in_segment[g];
    if (id == TermTable::kNone) continue;
    const bi::PostingSpan plist = m.plist(id);
    auto it = std::lower_bound(plist.begin(), plist.end(), local,
                               [](const bi::Posting& p, std::size_t d) { return p.doc < d; });
    if (it == plist.end() || it->doc != local) continue;
    const double tf = static_cast<double>(it->tf);
    total += q.weight * tf / (tf + seg->norms[local]);
  }
  return total;
}

void Pipeline::Impl::build_graph(PipelineSegment& seg) const {
  if (!seg.dense) return;
  if (options.dense_kind == DenseKind::kIvfPq && seg.dense->size() >= retrieval_internal::IvfPqIndex::kMinVectors) {
    retrieval_internal::IvfPqIndex::Params p;
    p.nlist = options.ivfpq.nlist;
    p.pq_m = options.ivfpq.pq_m;
    p.train_size = options.ivfpq.train_size;
    seg.ivfpq = retrieval_internal::IvfPqIndex::build(*seg.dense, p);
  }
  if (options.dense_kind != DenseKind::kHnsw) return;
  retrieval_internal::HnswIndex::Params p;
  p.m = options.hnsw.m;
  p.ef_construction = options.hnsw.ef_construction;
  p.threads = options.hnsw.build_threads;
  seg.hnsw = retrieval_internal::HnswIndex::build(*seg.dense, p);
}

std::vector<std::vector<Hit>> Pipeline::Impl::dense_search(const Matrix& queries, std::size_t k,
                                                           const SearchOptions& o) const {
  const std::size_t ef_search = o.ef_search;
  std::vector<std::vector<Hit>> out(queries.rows());
  std::vector<float> q(dim);
  for (const auto& seg : segments) {
    if (seg->live() == 0 || k == 0) continue;
    if (seg->ivfpq) {
      const std::size_t shortlist = std::max(ef_search, k) + seg->deleted_count;
      for (std::size_t r = 0; r < queries.rows(); ++r) {
        std::copy(queries.row(r), queries.row(r) + dim, q.begin());
        seg->dense->prepare_query(q.data());
        for (const Hit& h : seg->ivfpq->search(*seg->dense, q.data(), k, shortlist, o.nprobe,
                                               seg->deleted_count ? seg->deleted.data() : nullptr))
          out[r].push_back(Hit{h.doc + seg->base, h.score});
      }
      continue;
    }
    if (seg->hnsw) {
      // Deleted rows are skipped among the graph's candidates: ask for that many more.
      const std::size_t ef = std::max(ef_search, k) + seg->deleted_count;
      for (std::size_t r = 0; r < queries.rows(); ++r) {
        std::copy(queries.row(r), queries.row(r) + dim, q.begin());
        seg->dense->prepare_query(q.data());
        for (const Hit& h :
             seg->hnsw->search(*seg->dense, q.data(), k, ef, seg->deleted_count ? seg->deleted.data() : nullptr))
          out[r].push_back(Hit{h.doc + seg->base, h.score});
      }
      continue;
    }
    // Asking for k more than the deleted count leaves k live hits after dropping the deleted ones.
    const std::size_t want = std::min(seg->size(), k + seg->deleted_count);
    auto lists = seg->dense->search(queries, want);
    for (std::size_t q = 0; q < lists.size(); ++q) {
      std::size_t kept = 0;
      for (const Hit& h : lists[q]) {
        if (seg->deleted[h.doc]) continue;
        out[q].push_back(Hit{h.doc + seg->base, h.score});
        if (++kept == k) break;
      }
    }
  }
  for (auto& list : out) {
    std::sort(list.begin(), list.end(), ranks_before);
    if (list.size() > k) list.resize(k);
  }
  return out;
}

std::shared_ptr<PipelineSegment> Pipeline::Impl::merged(std::size_t first, std::size_t last) const {
  auto out = std::make_shared<PipelineSegment>();
  std::size_t live = 0;
  for (std::size_t g = first; g < last; ++g) live += segments[g]->live();
  std::vector<BeirDocument> docs;
  docs.reserve(live);
  std::vector<std::string> ids, texts;
  if (has_dense()) out->dense.emplace(dim, DenseOptions{options.dense_metric, options.vector_dtype});
  std::vector<float> vec(dim);
  for (std::size_t g = first; g < last; ++g) {
    const PipelineSegment& seg = *segments[g];
    for (std::size_t i = 0; i < seg.size(); ++i) {
      if (seg.deleted[i]) continue;
      docs.push_back(seg.docs.get(i));
      if (has_bm25()) {
        ids.push_back(docs.back().id);
        texts.push_back(document_text(docs.back()));
      }
      // The stored (already normalised) vector, copied bit for bit (float16 -> float -> float16 is exact).
      if (has_dense()) {
        seg.dense->copy_vector(i, vec.data());
        out->dense->add_stored(vec.data(), 1);
      }
    }
  }
  if (has_bm25()) {
    out->bm25.emplace(options.bm25_options);
    out->bm25->add(ids, texts);
  }
  build_graph(*out);
  out->docs = retrieval_internal::DocumentStore(std::move(docs));
  out->deleted.assign(out->docs.size(), 0);
  return out;
}

void Pipeline::Impl::apply_merge_policy() {
  // Keep at most max_segments: merge the adjacent pair with the fewest live documents (adjacent, so the doc
  // order, and with it the tie order of equal scores, stays the insertion order).
  while (options.max_segments >= 1 && segments.size() > options.max_segments) {
    std::size_t best = 0, best_live = std::numeric_limits<std::size_t>::max();
    for (std::size_t g = 0; g + 1 < segments.size(); ++g) {
      const std::size_t live = segments[g]->live() + segments[g + 1]->live();
      if (live < best_live) best = g, best_live = live;
    }
    auto seg = merged(best, best + 2);
    segments.erase(segments.begin() + static_cast<std::ptrdiff_t>(best) + 1);
    segments[best] = std::move(seg);
    refresh();
  }
}

}  // namespace radlite
