// radlite/retrieval/pipeline.h: the RadLITE retrieval recipe over one corpus, with every stage optional.
//
//   auto encoder = ...;  // std::shared_ptr<const radlite::TextEncoder>, e.g. a BiEncoder (radlit-biencoder)
//   auto scorer  = ...;  // std::shared_ptr<const radlite::PairScorer>, e.g. a CrossEncoder (radlit-crossencoder)
//   radlite::Pipeline pipe(encoder, scorer);                // BM25 on by default (PipelineOptions)
//   pipe.add(radlite::load_beir_corpus("corpus.jsonl"));     // embeds + indexes title + " " + text
//   for (const auto& h : pipe.search("CT findings of pulmonary embolism", {/*k*/ 10}))
//     std::cout << pipe.document(h.doc).id << ' ' << h.score << '\n';
//   pipe.save("index/");                                     // atomic; see "Persistence"
//   auto again = radlite::Pipeline::load("index/", encoder, scorer);
//
// Stages of one search (SearchOptions switch each off; a stage whose model or index is absent is skipped):
//   1. dense:  bi-encoder query embedding, exact cosine (or inner-product) top-`candidates` (K1);
//   2. bm25:   BM25 top-K1 over the same documents;
//   3. fused:  when both ran, one candidate list by RRF (default) or min-max/z-score linear fusion;
//              with one retriever, its list is the candidate list;
//   4. rerank: the cross-encoder scores the top `rerank_depth` (K2) candidates; logits are calibrated to
//              rerank_prob = sigmoid(logit / T), T = `temperature` (1.5 as RadLITE recommends);
//   5. final:  when BM25 is available, final = (1 - w) * rerank_prob + w * minmax(bm25), w = `final_bm25_weight`,
//              with min-max over the K2 reranked documents (their exact BM25 scores, 0 for no shared term);
//   6. the reranked documents, ordered by final (or rerank_prob), come first; candidates below K2 follow in
//      their first-stage order. The first `k` are returned.
// This is the published shape (RadLIT-9 MRR: bi-encoder 0.698, + cross-encoder 0.782, + BM25 fusion 0.829).
//
// Why these defaults:
//   * K1 = 100, K2 = 50: the RadLITE model cards suggest reranking the top 50-100; the cross-encoder is the
//     cost (one forward pass per pair), so K2 bounds latency; K1 = 100 keeps a deep enough pool for fusion.
//   * RRF (k = 60) for the first fusion: it needs no score calibration between cosine similarities and
//     unbounded BM25 scores, and it is the standard robust choice (Cormack et al. 2009).
//   * Final fusion as a convex combination of two [0, 1] quantities: the calibrated probability is already
//     comparable across queries (that is what T is for); BM25 is unbounded and query-dependent, so it is
//     min-max normalised over the reranked set. w = 0.3 lets the reranker (the strongest single signal)
//     dominate while exact-term evidence (rare radiology terms, eponyms, abbreviations) breaks near-ties.
//     The RadLITE cards give T = 1.5 but no weight; 0.3 is our choice, tune it with `radlite eval`.
//
// Documents: BeirDocument (id, title, text). Embeddings, BM25 and the reranker all see
// document_text(doc) = title + " " + text when the title is non-empty, else text (the BEIR convention).
// Ids must be unique and non-empty; text must be valid UTF-8.
//
// Segments, deletes, updates (format version 2): the pipeline is a list of immutable segments. Each add()
// or update() of a non-empty batch appends one segment; remove() and update() mark earlier versions deleted
// (a tombstone set per segment, applied at search time). Doc numbers are positions over all stored
// documents, deleted ones included (size()); they stay stable until a merge. merge() rewrites all segments
// into one without the deleted documents; add() also merges adjacent segments when there are more than
// PipelineOptions.max_segments (the pair with the fewest live documents first). BM25 statistics (N, avglen,
// df) are those of the live documents across all segments, so every score equals the score of one index
// built from the live documents alone: merging never changes a result (see pipeline_impl.h).
//
// Persistence: an index directory holds manifest.json (format version, generation, bi-encoder identity and
// dimension, BM25 options, the segment list with the sha256 and size of every file) and per segment
// `<segment>.docs.jsonl` with `<segment>.docs.idx` (line offsets and ids), `<segment>.bm25.bin`,
// `<segment>.dense.bin` and `<segment>.del-<generation>.bin` (its tombstones). load() maps them: vectors and
// postings are searched in place and a document's text is read when asked for. save(dir) into the directory
// this pipeline was loaded from or last saved to (same index, same generation) writes only new segments and
// changed tombstone sets, fsyncs them, then replaces manifest.json by rename (the atomic switch) and deletes
// files no manifest references any more: time in proportion to the change. Any other save writes everything
// into a temp sibling directory and swaps it in atomically. A save killed at any point leaves the previous
// generation loadable. load() verifies the format version, sizes and checksums (FormatError naming the file)
// and that the bi-encoder has the identity that made the embeddings (ModelError otherwise); version-1
// directories (one unsegmented index) still load, and the next save writes version 2. A load that overlaps a
// save of the same directory by another process may see files of both or miss a deleted file and fail with
// FormatError (never a silently mixed index); retry.
//
// Thread safety: search(), search_batch(), save() and the accessors are const and may run concurrently
// (the models are required to be thread-safe, see text_models.h). add() and set_reranker() modify the
// pipeline and need exclusive access (no concurrent search or save).
#pragma once

#include <radlite/retrieval/beir.h>
#include <radlite/retrieval/bm25.h>
#include <radlite/retrieval/dense.h>
#include <radlite/retrieval/fusion.h>
#include <radlite/text_models.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace radlite {

/// How the dense stage finds its candidates (fixed when the index is built, recorded in the manifest; each
/// segment has its own graph or IVF-PQ index, built when the segment is made, rebuilt by merges).
///
/// When to choose what (figures from tests/retrieval/bench_scale.cpp, 768-d clustered vectors, one query
/// thread; see the report of issue 10 for the measured numbers on this machine):
///   * exact: up to ~100k documents. One query streams the whole float32 matrix (N * 3 KB at 768-d), so its
///     cost grows linearly; results are exact; adding documents costs nothing beyond storing them.
///   * hnsw: the fastest queries at high recall on large corpora (recall@10 >= 0.95 at ef_search 64-128 with
///     m = 16); memory is the float32 vectors (held twice: in the graph and in the mapped vector file) plus
///     ~2 * m * 4 bytes of links per vector; building costs ~1-2k vectors/s per thread at 768-d.
///   * ivfpq: the least memory (pq_m bytes + 8 per vector in memory, e.g. 104 B instead of 3 KB at 768-d;
///     the float vectors stay on disk, memory-mapped, read only for the re-ranked shortlist); recall depends
///     on nprobe and the shortlist (ef_search); training k-means takes a while (tens of seconds at 100k).
/// Both approximate kinds re-rank their candidates by the exact inner product, so the scores they return are
/// exact scores; only which documents are found is approximate.
/// With PipelineOptions::vector_dtype = kFloat16 the stored vectors (the exact scan, the re-ranking, the vector
/// files) take half the bytes; scores are those of the rounded vectors (on CancerGov with a bag-of-words
/// encoder: 99.9% of the top-10 hits shared with float32 storage, nDCG@10 within 0.0002). HNSW's graph keeps
/// its own float32 copy.
enum class DenseKind {
  kExact,  // brute force over every vector: exact, O(N) per query; the default (best below ~100k documents)
  kHnsw,   // HNSW graph (hnswlib): approximate candidates re-ranked exactly; SearchOptions.ef_search
  kIvfPq,  // IVF-PQ (FAISS): PQ codes in memory, a shortlist re-ranked exactly; SearchOptions.nprobe and
           // ef_search (the shortlist). Segments under 2,000 documents are scanned exactly.
};

struct IvfPqOptions {
  std::size_t nlist = 0;            // k-means cells; 0: 4 * sqrt(segment documents)
  std::size_t pq_m = 0;             // bytes per vector; 0: the largest divisor of the dimension <= dimension / 8
  std::size_t train_size = 100000;  // vectors sampled to train the quantizers (not saved)
};

struct HnswOptions {
  std::size_t m = 16;                 // graph degree; higher: better recall, more memory, slower build
  std::size_t ef_construction = 200;  // build-time candidate list; higher: better graph, slower build
  unsigned build_threads = 0;         // 0: hardware concurrency (not saved)
};

/// Fixed when the index is built (recorded in the manifest).
struct PipelineOptions {
  bool bm25 = true;          // build a BM25 index (needed for the BM25 stage and the final fusion)
  Bm25Options bm25_options;  // k1 1.2, b 0.75, lowercase-only analyzer (see bm25.h)
  DenseMetric dense_metric = DenseMetric::kCosine;   // RadLITE-Encoder is trained for cosine similarity
  DenseKind dense_kind = DenseKind::kExact;          // per segment: exact scan or an HNSW graph
  VectorDtype vector_dtype = VectorDtype::kFloat32;  // stored vectors: float16 halves their memory and files
  HnswOptions hnsw;                                  // for DenseKind::kHnsw
  IvfPqOptions ivfpq;                                // for DenseKind::kIvfPq
  std::size_t encode_batch_size = 32;                // documents per encode_texts() call in add(), >= 1 (not saved)
  std::size_t max_segments = 16;  // merge policy: add() merges adjacent segments beyond this (0: never)
};

/// One segment of a pipeline (Pipeline::segments()).
struct PipelineSegmentInfo {
  std::string name;           // file prefix in the index directory ("" when not saved there yet)
  std::size_t documents = 0;  // stored, deleted included
  std::size_t deleted = 0;
  std::uint64_t bytes = 0;  // size of its files in the index directory (0 when not saved)
};

enum class FirstFusion {
  kRrf,     // reciprocal rank fusion (rrf_k), scale-free
  kLinear,  // weighted sum of normalised scores (linear_normalization, dense_weight)
};

/// Per search. Defaults give the full RadLITE recipe when all models and indexes are present.
struct SearchOptions {
  std::size_t k = 10;             // hits returned (fewer when fewer candidates exist); 0 returns none
  bool use_dense = true;          // bi-encoder stage (needs an encoder and embeddings)
  bool use_bm25 = true;           // BM25 stage (needs the BM25 index)
  bool use_reranker = true;       // cross-encoder stage (needs a PairScorer)
  bool final_bm25_fusion = true;  // fuse rerank_prob with BM25 (needs the reranker and the BM25 index)
  std::size_t candidates = 100;   // K1: hits each first-stage retriever contributes, >= 1
  std::size_t ef_search = 128;    // HNSW: graph candidates per query; IVF-PQ: shortlist size (max(ef_search, K1)
                                  // approximate candidates are re-ranked by their exact score)
  std::size_t nprobe = 16;        // IVF-PQ: cells scanned per query
  FirstFusion fusion = FirstFusion::kRrf;                                 // how dense and BM25 candidates are combined
  double rrf_k = 60.0;                                                    // RRF rank constant, > 0
  ScoreNormalization linear_normalization = ScoreNormalization::kMinMax;  // for FirstFusion::kLinear
  double dense_weight = 0.5;       // kLinear: dense gets w, BM25 1 - w; in [0, 1]
  std::size_t rerank_depth = 50;   // K2: top candidates the cross-encoder scores, >= 1
  double temperature = 1.5;        // T in rerank_prob = sigmoid(logit / T), > 0 (RadLITE recommends 1.5)
  double final_bm25_weight = 0.3;  // w in final = (1 - w) * rerank_prob + w * minmax(bm25), in [0, 1]
};

/// One ranked document with the score of every stage it went through (absent: the stage did not run or
/// did not see this document).
struct PipelineHit {
  std::size_t doc = 0;          // position in the pipeline (insertion order); Pipeline::document(doc) has the text
  std::string id;               // the document id
  double score = 0.0;           // the ranking key: non-increasing along the list (see `final`)
  std::optional<double> dense;  // cosine / inner product, when in the dense top-K1
  std::optional<double> bm25;   // BM25 score, when in the BM25 top-K1 or scored for the final fusion
  std::optional<double> fused;  // first-fusion score, when both retrievers ran
  std::optional<double> rerank_logit;  // raw cross-encoder logit, for the top-K2 candidates
  std::optional<double> rerank_prob;   // sigmoid(logit / T)
  std::optional<double> final;         // final-fusion score, when the final fusion ran for this hit
  // `score` = final when present, else rerank_prob, else the first-stage score (fused, dense or bm25).
  // Candidates below K2 keep their first-stage order; their score is the first-stage score shifted by one
  // per-query constant so that it lies below every reranked score (the run stays consistent by score).
};

/// How Pipeline::load reads an index directory. Index files are memory-mapped (dense vectors are searched
/// in place, documents are read by offset when asked for, pages are shared between processes); the
/// checksums are what makes a load read every byte, so a fast load sets verify_checksums = false.
struct LoadOptions {
  bool verify_checksums = true;  // sha256 of every file; false: sizes and structure only (fast load)
  bool map_vectors = true;       // false: copy the dense vectors into memory (the version-1 behaviour)
  bool map_documents = true;     // false: parse every document into memory at load (as segments saved
                                 // without a <segment>.docs.idx offsets file always are)
  bool map_postings = true;      // false: copy the BM25 postings into memory (as version-1 BM25 files always are)
};

/// What an index directory holds, from its manifest alone (Pipeline::info; no model needed).
struct IndexInfo {
  int format_version = 0;
  std::uint64_t generation = 0;  // saves so far of this index (0 for version 1)
  std::uint64_t documents = 0;   // live documents
  std::string encoder_identity;  // "" without embeddings
  std::size_t dimension = 0;
  std::string dense_kind;    // "exact", "hnsw", "ivfpq" ("" without embeddings)
  std::string vector_dtype;  // "float32", "float16" ("" without embeddings)
  bool bm25 = false;
  std::vector<PipelineSegmentInfo> segments;  // one unnamed segment for version 1
};

/// Called during add() with (documents done, documents total).
using ProgressCallback = std::function<void(std::size_t, std::size_t)>;

class Pipeline {
 public:
  /// `encoder` may be null (no dense stage, no embeddings); `scorer` may be null (no reranking).
  /// InvalidArgument when neither an encoder nor BM25 is configured (nothing could retrieve).
  Pipeline(std::shared_ptr<const TextEncoder> encoder, std::shared_ptr<const PairScorer> scorer,
           PipelineOptions options = {});
  ~Pipeline();
  Pipeline(Pipeline&&) noexcept;
  Pipeline& operator=(Pipeline&&) noexcept;
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  /// Appends documents: embeds them in batches of encode_batch_size and adds them to BM25.
  /// All-or-nothing: InvalidArgument (naming the document) for an empty or duplicate id or invalid UTF-8,
  /// ModelError for an encoder returning the wrong shape or non-finite values; the pipeline is then unchanged.
  /// A non-empty batch becomes one new segment (then the merge policy runs, see max_segments).
  void add(const std::vector<BeirDocument>& documents, const ProgressCallback& progress = {});
  /// add() that replaces documents whose id is already present (the old version is deleted once the new
  /// one is indexed; same all-or-nothing validation, but existing ids are allowed).
  void update(const std::vector<BeirDocument>& documents, const ProgressCallback& progress = {});
  /// Deletes the live documents with these ids (unknown ids are ignored); returns how many were deleted.
  /// The next search no longer returns them; save() persists the deletion.
  std::size_t remove(const std::vector<std::string>& ids);
  /// Rewrites all segments into one without the deleted documents (doc numbers change; results do not).
  void merge();
  std::vector<PipelineSegmentInfo> segments() const;

  /// The ranked hits for `query` (see the stage list above).
  std::vector<PipelineHit> search(const std::string& query, const SearchOptions& options = {}) const;
  /// search() for many queries; query embeddings are computed in batches of encode_batch_size.
  std::vector<std::vector<PipelineHit>> search_batch(const std::vector<std::string>& queries,
                                                     const SearchOptions& options = {}) const;

  std::size_t size() const;       // documents stored (doc numbers are < size()), deleted ones included
  std::size_t live_size() const;  // documents not deleted
  /// A copy of document `doc` (InvalidArgument when doc >= size()). A loaded index reads it from the
  /// memory-mapped documents file now (FormatError naming the file when that line is corrupted): loading
  /// reads no document text, and a search reads only the texts the reranker scores.
  BeirDocument document(std::size_t doc) const;
  bool is_deleted(std::size_t doc) const;  // InvalidArgument when doc >= size()
  /// The doc number of a live document's id, or -1 when absent (or deleted).
  std::int64_t find(const std::string& id) const;
  bool has_bm25() const;
  bool has_embeddings() const;  // built with an encoder
  bool has_reranker() const;
  const PipelineOptions& options() const;
  /// The identity of the encoder that made the stored embeddings ("" without embeddings).
  const std::string& encoder_identity() const;

  /// Attaches (or with null detaches) the cross-encoder. Not thread-safe (see above).
  void set_reranker(std::shared_ptr<const PairScorer> scorer);

  /// Writes the index directory `dir` (created or replaced atomically; its parent must exist).
  /// IoError naming the path on failure; the previous content of `dir` is then intact. An existing `dir`
  /// is replaced only when it is empty or a radlite index holding nothing but its own files: anything else
  /// (a user's directory, an index with a foreign file in it) is refused with IoError and left untouched.
  void save(const std::string& dir) const;

  /// Throws the IoError save() would throw for `dir` because of what is there now (see save()), so a caller
  /// can refuse a bad output directory before spending time on building the index.
  static void check_save_target(const std::string& dir);

  /// Reads the manifest of index directory `dir` (FormatError naming it when it is not a radlite index).
  static IndexInfo info(const std::string& dir);

  /// Reads an index directory written by save(). `encoder` is required when the index has embeddings and
  /// must have the same identity() and dimension() as the one that built it (ModelError otherwise); pass
  /// null to load an index without embeddings. FormatError naming the file for a missing, truncated or
  /// corrupted file or an unsupported format version.
  static Pipeline load(const std::string& dir, std::shared_ptr<const TextEncoder> encoder,
                       std::shared_ptr<const PairScorer> scorer, const LoadOptions& options = {});

  struct Impl;

 private:
  explicit Pipeline(std::unique_ptr<Impl> impl);
  void add_documents(const std::vector<BeirDocument>& documents, const ProgressCallback& progress, bool replace);
  std::unique_ptr<Impl> impl_;
};

/// The index format version save() writes; load() also reads version 1.
constexpr int kPipelineFormatVersion = 2;

}  // namespace radlite
