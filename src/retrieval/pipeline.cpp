// The search side of radlite::Pipeline: adding, deleting, updating and merging documents, and the stages
// of one search. Persistence is in pipeline_save.cpp and pipeline_load.cpp (format: index_format.h), the
// per-segment machinery in pipeline_segments.cpp.
#include "radlite/retrieval/pipeline.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "io/utf8.h"
#include "radlite/error.h"
#include "radlite/retrieval/calibration.h"
#include "retrieval/pipeline_impl.h"

namespace radlite {

namespace {

// "document 'd1': title is not valid UTF-8 (byte offset N)"; the message is only built for a bad value.
void check_utf8(const std::string& value, const std::string& field, const std::string& doc_id) {
  if (!io::is_valid_utf8(value)) io::require_utf8(value, "document '" + doc_id + "': " + field);
}

void check_probability_weight(double w, const char* name) {
  if (!(w >= 0.0 && w <= 1.0)) throw InvalidArgument(std::string("SearchOptions.") + name + " must be in [0, 1]");
}

void validate(const SearchOptions& o) {
  if (o.candidates == 0) throw InvalidArgument("SearchOptions.candidates must be >= 1");
  if (o.rerank_depth == 0) throw InvalidArgument("SearchOptions.rerank_depth must be >= 1");
  if (o.ef_search == 0) throw InvalidArgument("SearchOptions.ef_search must be >= 1");
  if (o.nprobe == 0) throw InvalidArgument("SearchOptions.nprobe must be >= 1");
  if (!(o.rrf_k > 0.0) || !std::isfinite(o.rrf_k)) throw InvalidArgument("SearchOptions.rrf_k must be > 0");
  if (!(o.temperature > 0.0) || !std::isfinite(o.temperature))
    throw InvalidArgument("SearchOptions.temperature must be a finite number > 0");
  check_probability_weight(o.dense_weight, "dense_weight");
  check_probability_weight(o.final_bm25_weight, "final_bm25_weight");
}

}  // namespace

Matrix Pipeline::Impl::encode_checked(const std::vector<std::string>& texts, const char* what) const {
  Matrix m = encoder->encode_texts(texts);
  if (m.rows() != texts.size() || m.cols() != dim)
    throw ModelError("bi-encoder '" + encoder->identity() + "' returned a " + std::to_string(m.rows()) + " x " +
                     std::to_string(m.cols()) + " matrix for " + std::to_string(texts.size()) + " " + what +
                     ", expected " + std::to_string(texts.size()) + " x " + std::to_string(dim));
  for (float v : m.values())
    if (!std::isfinite(v))
      throw ModelError("bi-encoder '" + encoder->identity() + "' returned a non-finite value for " + what);
  return m;
}

Pipeline::Pipeline(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Pipeline::Pipeline(std::shared_ptr<const TextEncoder> encoder, std::shared_ptr<const PairScorer> scorer,
                   PipelineOptions options)
    : impl_(std::make_unique<Impl>()) {
  if (!encoder && !options.bm25)
    throw InvalidArgument("Pipeline: no retriever configured (no bi-encoder and PipelineOptions.bm25 = false)");
  if (options.encode_batch_size == 0) throw InvalidArgument("PipelineOptions.encode_batch_size must be >= 1");
  impl_->encoder = std::move(encoder);
  impl_->scorer = std::move(scorer);
  impl_->options = std::move(options);
  if (impl_->options.bm25) {
    Bm25Index validate_options(impl_->options.bm25_options);  // InvalidArgument for bad options, now
    impl_->analyzer.emplace(impl_->options.bm25_options.analyzer);
  }
  if (impl_->encoder) {
    std::size_t dim = impl_->encoder->dimension();
    if (dim == 0) throw InvalidArgument("Pipeline: bi-encoder '" + impl_->encoder->identity() + "' has dimension 0");
    impl_->dim = dim;
    impl_->encoder_identity = impl_->encoder->identity();
  }
}

Pipeline::~Pipeline() = default;
Pipeline::Pipeline(Pipeline&&) noexcept = default;
Pipeline& Pipeline::operator=(Pipeline&&) noexcept = default;

void Pipeline::add(const std::vector<BeirDocument>& documents, const ProgressCallback& progress) {
  add_documents(documents, progress, false);
}

void Pipeline::update(const std::vector<BeirDocument>& documents, const ProgressCallback& progress) {
  add_documents(documents, progress, true);
}

void Pipeline::add_documents(const std::vector<BeirDocument>& documents, const ProgressCallback& progress,
                             bool replace) {
  Impl& s = *impl_;
  const std::size_t n = documents.size();
  // Validate everything first so that no index is touched when any document is bad.
  std::unordered_map<std::string, std::size_t> batch_ids;
  for (std::size_t i = 0; i < n; ++i) {
    const BeirDocument& d = documents[i];
    if (d.id.empty()) throw InvalidArgument("document " + std::to_string(i) + " of the batch has an empty id");
    check_utf8(d.id, "id", "#" + std::to_string(i));
    check_utf8(d.title, "title", d.id);
    check_utf8(d.text, "text", d.id);
    if ((!replace && s.find_id(d.id) >= 0) || !batch_ids.emplace(d.id, i).second)
      throw InvalidArgument("duplicate document id '" + d.id + "'");
  }
  if (n == 0) {
    if (progress) progress(0, 0);
    return;
  }
  std::vector<std::string> texts(n), ids(n);
  for (std::size_t i = 0; i < n; ++i) {
    texts[i] = document_text(documents[i]);
    ids[i] = documents[i].id;
  }
  auto seg = std::make_shared<PipelineSegment>();
  // Embedding is the slow part and the one that can fail (model errors): do it before any index changes.
  if (s.has_dense()) {
    Matrix embeddings(n, s.dim);
    const std::size_t bs = s.options.encode_batch_size;
    for (std::size_t start = 0; start < n; start += bs) {
      std::size_t end = std::min(n, start + bs);
      std::vector<std::string> batch(texts.begin() + start, texts.begin() + end);
      Matrix m = s.encode_checked(batch, "documents");
      std::copy(m.values().begin(), m.values().end(), embeddings.row(start));
      if (progress) progress(end, n);
    }
    seg->dense.emplace(s.dim, DenseOptions{s.options.dense_metric, s.options.vector_dtype});
    seg->dense->add(embeddings);
    s.build_graph(*seg);
  }
  if (s.has_bm25()) {
    seg->bm25.emplace(s.options.bm25_options);
    if (s.has_dense()) {
      seg->bm25->add(ids, texts);
    } else {
      // BM25 alone: add in a few chunks so the caller can show progress; each add() refreshes the length
      // norms of the whole segment, so chunks stay large (at most ~20 refreshes).
      const std::size_t chunk = std::max<std::size_t>(2000, (n + 19) / 20);
      for (std::size_t start = 0; start < n; start += chunk) {
        std::size_t end = std::min(n, start + chunk);
        seg->bm25->add(std::vector<std::string>(ids.begin() + start, ids.begin() + end),
                       std::vector<std::string>(texts.begin() + start, texts.begin() + end));
        if (progress) progress(end, n);
      }
    }
  }
  seg->docs = retrieval_internal::DocumentStore(documents);
  seg->deleted.assign(n, 0);
  // Nothing below throws except on allocation failure: the earlier versions of replaced ids are deleted
  // only now that the new ones are ready.
  if (replace) {
    for (const auto& id : ids) {
      const std::int64_t old_doc = s.find_id(id);
      if (old_doc < 0) continue;
      auto [old, local] = s.locate(static_cast<std::size_t>(old_doc));
      s.mark_deleted(const_cast<PipelineSegment&>(*old), local);
      s.erase_id(id);
    }
  }
  const std::size_t first = s.slots;
  s.segments.push_back(std::move(seg));
  s.refresh();
  for (std::size_t i = 0; i < n; ++i) s.insert_id(ids[i], first + i);
  const std::size_t before = s.segments.size();
  s.apply_merge_policy();
  if (s.segments.size() != before) s.rebuild_ids();
}

std::size_t Pipeline::remove(const std::vector<std::string>& ids) {
  Impl& s = *impl_;
  std::size_t removed = 0;
  for (const auto& id : ids) {
    const std::int64_t doc = s.find_id(id);
    if (doc < 0) continue;
    auto [seg, local] = s.locate(static_cast<std::size_t>(doc));
    s.mark_deleted(const_cast<PipelineSegment&>(*seg), local);
    s.erase_id(id);
    ++removed;
  }
  if (removed > 0) s.refresh();
  return removed;
}

void Pipeline::merge() {
  Impl& s = *impl_;
  if (s.segments.empty()) return;
  if (s.segments.size() == 1 && s.segments[0]->deleted_count == 0) return;
  auto seg = s.merged(0, s.segments.size());
  s.segments.clear();
  if (seg->size() > 0) s.segments.push_back(std::move(seg));
  s.refresh();
  s.rebuild_ids();
}

std::vector<PipelineSegmentInfo> Pipeline::segments() const {
  std::lock_guard<std::mutex> lock(impl_->persist_mu);
  std::vector<PipelineSegmentInfo> out;
  for (const auto& seg : impl_->segments) {
    PipelineSegmentInfo info;
    info.name = seg->stored.name;
    info.documents = seg->size();
    info.deleted = seg->deleted_count;
    for (const auto& [name, entry] : seg->stored.files.items()) info.bytes += entry.value("bytes", std::uint64_t{0});
    out.push_back(std::move(info));
  }
  return out;
}

std::vector<PipelineHit> Pipeline::search(const std::string& query, const SearchOptions& options) const {
  return std::move(search_batch({query}, options).front());
}

std::vector<std::vector<PipelineHit>> Pipeline::search_batch(const std::vector<std::string>& queries,
                                                             const SearchOptions& o) const {
  validate(o);
  const Impl& s = *impl_;
  const bool dense_on = o.use_dense && s.has_dense() && s.encoder;
  const bool bm25_on = o.use_bm25 && s.has_bm25();
  if (!dense_on && !bm25_on)
    throw InvalidArgument(std::string("search: no first-stage retriever available (") +
                          (s.has_dense() ? "dense disabled by SearchOptions.use_dense" : "no embeddings") + ", " +
                          (s.has_bm25() ? "BM25 disabled by SearchOptions.use_bm25" : "no BM25 index") + ")");
  const std::size_t nq = queries.size();
  std::vector<std::vector<Hit>> dense_lists, bm25_lists;
  if (dense_on) {
    dense_lists.reserve(nq);
    const std::size_t bs = s.options.encode_batch_size;
    for (std::size_t start = 0; start < nq; start += bs) {
      std::size_t end = std::min(nq, start + bs);
      std::vector<std::string> batch(queries.begin() + start, queries.begin() + end);
      Matrix q = s.encode_checked(batch, "queries");
      for (auto& list : s.dense_search(q, o.candidates, o)) dense_lists.push_back(std::move(list));
    }
  }
  if (bm25_on) {
    bm25_internal::Scratch scratch;
    AnalyzerSession session(*s.analyzer);
    bm25_lists.reserve(nq);
    for (const auto& q : queries) {
      session.analyze(q, scratch.analyzed);
      std::vector<std::string> terms = scratch.analyzed;
      bm25_lists.push_back(s.bm25_search(terms, o.candidates, scratch));
    }
  }
  std::vector<std::vector<PipelineHit>> out;
  out.reserve(nq);
  for (std::size_t i = 0; i < nq; ++i)
    out.push_back(s.assemble(queries[i], dense_on ? &dense_lists[i] : nullptr, bm25_on ? &bm25_lists[i] : nullptr, o));
  return out;
}

std::vector<PipelineHit> Pipeline::Impl::assemble(const std::string& query, const std::vector<Hit>* dense_hits,
                                                  const std::vector<Hit>* bm25_hits, const SearchOptions& o) const {
  // Per-document stage scores, filled as stages run. Slots are stored contiguously and found through a doc -> slot map:
  // lists are short (<= 2 * K1), and PipelineHit is large, so nodes of a map of hits would dominate the cost of a
  // BM25-only search.
  std::vector<PipelineHit> slots;
  std::unordered_map<std::size_t, std::size_t> slot_of;
  const std::size_t expected = (dense_hits ? dense_hits->size() : 0) + (bm25_hits ? bm25_hits->size() : 0);
  slots.reserve(expected);
  slot_of.reserve(expected);
  auto entry = [&](std::size_t doc) -> PipelineHit& {
    auto [it, fresh] = slot_of.try_emplace(doc, slots.size());
    if (fresh) {
      slots.emplace_back();
      slots.back().doc = doc;
    }
    return slots[it->second];
  };
  if (dense_hits)
    for (const Hit& h : *dense_hits) entry(h.doc).dense = h.score;
  if (bm25_hits)
    for (const Hit& h : *bm25_hits) entry(h.doc).bm25 = h.score;

  std::vector<Hit> candidates;
  if (dense_hits && bm25_hits) {
    if (o.fusion == FirstFusion::kRrf) {
      RrfOptions r;
      r.k = o.rrf_k;
      candidates = rrf_fuse({*dense_hits, *bm25_hits}, r);
    } else {
      LinearFusionOptions l;
      l.normalization = o.linear_normalization;
      l.weights = {o.dense_weight, 1.0 - o.dense_weight};
      candidates = linear_fuse({*dense_hits, *bm25_hits}, l);
    }
    for (const Hit& h : candidates) entry(h.doc).fused = h.score;
  } else {
    candidates = dense_hits ? *dense_hits : *bm25_hits;
  }

  std::vector<PipelineHit> ranked;
  const bool rerank_on = o.use_reranker && scorer && !candidates.empty();
  std::size_t head = 0;
  if (rerank_on) {
    head = std::min(o.rerank_depth, candidates.size());
    std::vector<std::string> texts;
    texts.reserve(head);
    for (std::size_t j = 0; j < head; ++j) texts.push_back(document_text(doc(candidates[j].doc)));
    std::vector<float> logits = scorer->score_pairs(query, texts);
    if (logits.size() != head)
      throw ModelError("cross-encoder '" + scorer->identity() + "' returned " + std::to_string(logits.size()) +
                       " scores for " + std::to_string(head) + " pairs");
    for (float v : logits)
      if (!std::isfinite(v)) throw ModelError("cross-encoder '" + scorer->identity() + "' returned a non-finite logit");
    // The double overload: probabilities near 0 or 1 keep their resolution for the final fusion.
    std::vector<double> probs(head);
    for (std::size_t j = 0; j < head; ++j)
      probs[j] = calibrate(static_cast<double>(logits[j]), CalibrationOptions{o.temperature});
    const bool final_on = o.final_bm25_fusion && has_bm25();
    std::vector<double> bm25_norm;
    if (final_on) {
      const std::vector<std::string> analyzed = analyzer->analyze(query);
      std::vector<Hit> bm25_head(head);
      for (std::size_t j = 0; j < head; ++j) {
        PipelineHit& e = entry(candidates[j].doc);
        // Documents that came only from the dense list get their exact BM25 score, so the final fusion
        // compares real scores rather than treating them as BM25's worst.
        if (!e.bm25) e.bm25 = bm25_score(analyzed, candidates[j].doc);
        bm25_head[j] = Hit{candidates[j].doc, *e.bm25};
      }
      bm25_norm = normalize_scores(bm25_head, ScoreNormalization::kMinMax);
    }
    for (std::size_t j = 0; j < head; ++j) {
      PipelineHit h = std::move(entry(candidates[j].doc));
      h.rerank_logit = logits[j];
      h.rerank_prob = probs[j];
      if (final_on) h.final = (1.0 - o.final_bm25_weight) * probs[j] + o.final_bm25_weight * bm25_norm[j];
      h.score = h.final ? *h.final : *h.rerank_prob;
      ranked.push_back(std::move(h));
    }
    std::sort(ranked.begin(), ranked.end(), [](const PipelineHit& a, const PipelineHit& b) {
      return ranks_before(Hit{a.doc, a.score}, Hit{b.doc, b.score});
    });
  }
  // First-stage order for the rest; with reranking, shifted below the reranked block (see PipelineHit).
  double shift = 0.0;
  if (head > 0 && head < candidates.size()) {
    double min_head = ranked.back().score;
    shift = min_head - candidates[head].score - 1.0;
  }
  const std::size_t keep = std::min(candidates.size(), std::max(o.k, head));
  for (std::size_t j = head; j < keep; ++j) {
    PipelineHit h = std::move(entry(candidates[j].doc));
    h.score = candidates[j].score + shift;
    ranked.push_back(std::move(h));
  }
  if (ranked.size() > o.k) ranked.resize(o.k);
  for (PipelineHit& h : ranked) h.id = doc_id(h.doc);  // the text stays unread
  return ranked;
}

std::size_t Pipeline::size() const { return impl_->slots; }
std::size_t Pipeline::live_size() const { return impl_->by_id.size(); }

BeirDocument Pipeline::document(std::size_t doc) const {
  if (doc >= impl_->slots)
    throw InvalidArgument("Pipeline::document: doc " + std::to_string(doc) + " out of range (size " +
                          std::to_string(impl_->slots) + ")");
  return impl_->doc(doc);
}

bool Pipeline::is_deleted(std::size_t doc) const {
  auto [seg, local] = impl_->locate(doc);
  return seg->deleted[local] != 0;
}

std::int64_t Pipeline::find(const std::string& id) const {
  return impl_->find_id(id);
}

bool Pipeline::has_bm25() const { return impl_->has_bm25(); }
bool Pipeline::has_embeddings() const { return impl_->has_dense(); }
bool Pipeline::has_reranker() const { return impl_->scorer != nullptr; }
const PipelineOptions& Pipeline::options() const { return impl_->options; }
const std::string& Pipeline::encoder_identity() const { return impl_->encoder_identity; }
void Pipeline::set_reranker(std::shared_ptr<const PairScorer> scorer) { impl_->scorer = std::move(scorer); }

}  // namespace radlite
