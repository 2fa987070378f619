#include "radlite/retrieval/pipeline.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <cmath>
#include <fstream>
#include <sstream>
#include <unordered_map>
#include <utility>

#include <sys/stat.h>

#include "io/atomic_directory.h"
#include "io/file_util.h"
#include "io/sha256.h"
#include "radlite/error.h"
#include "radlite/retrieval/calibration.h"
#include "radlite/version.h"

namespace radlite {

namespace {

using nlohmann::json;
namespace ri = io;

const char kManifest[] = "manifest.json";
const char kDocumentsFile[] = "documents.jsonl";
const char kBm25File[] = "bm25.bin";
const char kDenseFile[] = "dense.bin";
const char kFormatName[] = "radlite-index";

// Returns the byte offset of the first invalid UTF-8 sequence, or npos. Overlong forms, surrogates and
// code points above U+10FFFF are invalid (RFC 3629), as they are for the tokenizers and nlohmann::json.
std::size_t invalid_utf8_offset(const std::string& s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  std::size_t n = s.size(), i = 0;
  while (i < n) {
    unsigned c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len;
    unsigned cp;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2, cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3, cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4, cp = c & 0x07;
    } else {
      return i;
    }
    if (i + len > n) return i;
    for (std::size_t j = 1; j < len; ++j) {
      if ((p[i + j] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (p[i + j] & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
      return i;
    i += len;
  }
  return std::string::npos;
}

void check_utf8(const std::string& value, const std::string& field, const std::string& doc_id) {
  std::size_t bad = invalid_utf8_offset(value);
  if (bad != std::string::npos)
    throw InvalidArgument("document '" + doc_id + "': " + field + " is not valid UTF-8 (byte offset " +
                          std::to_string(bad) + ")");
}

const char* metric_name(DenseMetric m) { return m == DenseMetric::kCosine ? "cosine" : "inner_product"; }

void check_probability_weight(double w, const char* name) {
  if (!(w >= 0.0 && w <= 1.0)) throw InvalidArgument(std::string("SearchOptions.") + name + " must be in [0, 1]");
}

void validate(const SearchOptions& o) {
  if (o.candidates == 0) throw InvalidArgument("SearchOptions.candidates must be >= 1");
  if (o.rerank_depth == 0) throw InvalidArgument("SearchOptions.rerank_depth must be >= 1");
  if (!(o.rrf_k > 0.0) || !std::isfinite(o.rrf_k)) throw InvalidArgument("SearchOptions.rrf_k must be > 0");
  if (!(o.temperature > 0.0) || !std::isfinite(o.temperature))
    throw InvalidArgument("SearchOptions.temperature must be a finite number > 0");
  check_probability_weight(o.dense_weight, "dense_weight");
  check_probability_weight(o.final_bm25_weight, "final_bm25_weight");
}

// Manifest field access with errors naming the file and the field.
const json& field(const json& obj, const char* name, const std::string& what) {
  if (!obj.is_object() || !obj.contains(name)) throw FormatError(what + ": missing field '" + name + "'");
  return obj.at(name);
}

std::string string_field(const json& obj, const char* name, const std::string& what) {
  const json& v = field(obj, name, what);
  if (!v.is_string()) throw FormatError(what + ": field '" + name + "' must be a string");
  return v.get<std::string>();
}

std::uint64_t uint_field(const json& obj, const char* name, const std::string& what) {
  const json& v = field(obj, name, what);
  if (!v.is_number_unsigned()) throw FormatError(what + ": field '" + name + "' must be a non-negative integer");
  return v.get<std::uint64_t>();
}

json analyzer_json(const AnalyzerOptions& a) {
  return json{{"lowercase", a.lowercase},
              {"stopwords", a.stopwords},
              {"extra_stopwords", a.extra_stopwords},
              {"stemmer", a.stemmer},
              {"english_possessive", a.english_possessive},
              {"max_token_length", a.max_token_length}};
}

// One index file opened for loading. The stream is opened once and used both for the checksum and for
// parsing, so a save that swaps the directory in between cannot make us parse bytes we did not verify.
struct IndexFile {
  std::string path;
  std::ifstream in;
};

IndexFile open_index_file(const std::string& dir, const std::string& name) {
  IndexFile f{io::join_path(dir, name), {}};
  struct stat st {};
  if (::stat(f.path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
    throw FormatError(f.path + ": missing index file '" + name + "'");
  f.in.open(f.path, std::ios::binary);
  if (!f.in) throw IoError(f.path + ": cannot open for reading");
  return f;
}

// Verifies one file listed in the manifest: the recorded size (a cheap truncation check that also gives
// the clearer message), then the recorded sha256; leaves the stream at the start for parsing.
void verify_file(IndexFile& f, const std::string& name, const json& files, const std::string& manifest_path) {
  const json& entry = field(files, name.c_str(), manifest_path + ": files");
  const std::string what = manifest_path + ": files." + name;
  const std::string expected_sha = string_field(entry, "sha256", what);
  const std::uint64_t expected_bytes = uint_field(entry, "bytes", what);
  io::Sha256 hash;
  std::vector<char> buf(1 << 16);
  std::uint64_t actual = 0;
  while (f.in) {
    f.in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto got = static_cast<std::size_t>(f.in.gcount());
    hash.update(buf.data(), got);
    actual += got;
  }
  if (f.in.bad()) throw IoError(f.path + ": read failed");
  if (actual != expected_bytes)
    throw FormatError(f.path + ": size " + std::to_string(actual) + " bytes, the manifest records " +
                      std::to_string(expected_bytes) + " (truncated or modified file)");
  const std::string sha = hash.hex_digest();
  if (sha != expected_sha)
    throw FormatError(f.path + ": sha256 " + sha + " does not match the manifest (" + expected_sha +
                      "): the file is corrupted or was modified");
  f.in.clear();
  f.in.seekg(0);
}

}  // namespace

struct Pipeline::Impl {
  std::shared_ptr<const TextEncoder> encoder;
  std::shared_ptr<const PairScorer> scorer;
  PipelineOptions options;
  std::vector<BeirDocument> docs;
  std::unordered_map<std::string, std::size_t> by_id;
  std::optional<Bm25Index> bm25;
  std::optional<DenseIndex> dense;
  std::string encoder_identity;

  Matrix encode_checked(const std::vector<std::string>& texts, const char* what) const;
  std::vector<PipelineHit> assemble(const std::string& query, const std::vector<Hit>* dense_hits,
                                    const std::vector<Hit>* bm25_hits, const SearchOptions& o) const;
};

Matrix Pipeline::Impl::encode_checked(const std::vector<std::string>& texts, const char* what) const {
  Matrix m = encoder->encode_texts(texts);
  const std::size_t dim = dense->dim();
  if (m.rows != texts.size() || m.cols != dim || m.data.size() != m.rows * m.cols)
    throw ModelError("bi-encoder '" + encoder->identity() + "' returned a " + std::to_string(m.rows) + " x " +
                     std::to_string(m.cols) + " matrix for " + std::to_string(texts.size()) + " " + what +
                     ", expected " + std::to_string(texts.size()) + " x " + std::to_string(dim));
  for (float v : m.data)
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
  if (impl_->options.bm25) impl_->bm25.emplace(impl_->options.bm25_options);
  if (impl_->encoder) {
    std::size_t dim = impl_->encoder->dimension();
    if (dim == 0) throw InvalidArgument("Pipeline: bi-encoder '" + impl_->encoder->identity() + "' has dimension 0");
    impl_->dense.emplace(dim, DenseOptions{impl_->options.dense_metric});
    impl_->encoder_identity = impl_->encoder->identity();
  }
}

Pipeline::~Pipeline() = default;
Pipeline::Pipeline(Pipeline&&) noexcept = default;
Pipeline& Pipeline::operator=(Pipeline&&) noexcept = default;

void Pipeline::add(const std::vector<BeirDocument>& documents, const ProgressCallback& progress) {
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
    if (s.by_id.count(d.id) || !batch_ids.emplace(d.id, i).second)
      throw InvalidArgument("duplicate document id '" + d.id + "'");
  }
  std::vector<std::string> texts(n), ids(n);
  for (std::size_t i = 0; i < n; ++i) {
    texts[i] = document_text(documents[i]);
    ids[i] = documents[i].id;
  }
  // Embedding is the slow part and the one that can fail (model errors): do it before any index changes.
  Matrix embeddings;
  if (s.dense) {
    embeddings = Matrix(n, s.dense->dim());
    const std::size_t bs = s.options.encode_batch_size;
    for (std::size_t start = 0; start < n; start += bs) {
      std::size_t end = std::min(n, start + bs);
      std::vector<std::string> batch(texts.begin() + start, texts.begin() + end);
      Matrix m = s.encode_checked(batch, "documents");
      std::copy(m.data.begin(), m.data.end(), embeddings.row(start));
      if (progress) progress(end, n);
    }
  }
  if (s.bm25) {
    if (s.dense) {
      s.bm25->add(ids, texts);
    } else {
      // BM25 alone: add in a few chunks so the caller can show progress; each add() refreshes the length
      // norms of the whole index, so chunks stay large (at most ~20 refreshes).
      const std::size_t chunk = std::max<std::size_t>(2000, (n + 19) / 20);
      for (std::size_t start = 0; start < n; start += chunk) {
        std::size_t end = std::min(n, start + chunk);
        s.bm25->add(std::vector<std::string>(ids.begin() + start, ids.begin() + end),
                    std::vector<std::string>(texts.begin() + start, texts.begin() + end));
        if (progress) progress(end, n);
      }
    }
  }
  if (s.dense) s.dense->add(embeddings);
  s.docs.reserve(s.docs.size() + n);
  for (const auto& d : documents) {
    s.by_id.emplace(d.id, s.docs.size());
    s.docs.push_back(d);
  }
  if (progress && n == 0) progress(0, 0);
}

std::vector<PipelineHit> Pipeline::search(const std::string& query, const SearchOptions& options) const {
  return std::move(search_batch({query}, options).front());
}

std::vector<std::vector<PipelineHit>> Pipeline::search_batch(const std::vector<std::string>& queries,
                                                             const SearchOptions& o) const {
  validate(o);
  const Impl& s = *impl_;
  const bool dense_on = o.use_dense && s.dense && s.encoder;
  const bool bm25_on = o.use_bm25 && s.bm25.has_value();
  if (!dense_on && !bm25_on)
    throw InvalidArgument(std::string("search: no first-stage retriever available (") +
                          (s.dense ? "dense disabled by SearchOptions.use_dense" : "no embeddings") + ", " +
                          (s.bm25 ? "BM25 disabled by SearchOptions.use_bm25" : "no BM25 index") + ")");
  const std::size_t nq = queries.size();
  std::vector<std::vector<Hit>> dense_lists, bm25_lists;
  if (dense_on) {
    dense_lists.reserve(nq);
    const std::size_t bs = s.options.encode_batch_size;
    for (std::size_t start = 0; start < nq; start += bs) {
      std::size_t end = std::min(nq, start + bs);
      std::vector<std::string> batch(queries.begin() + start, queries.begin() + end);
      Matrix q = s.encode_checked(batch, "queries");
      for (auto& list : s.dense->search(q, o.candidates)) dense_lists.push_back(std::move(list));
    }
  }
  if (bm25_on) bm25_lists = s.bm25->search_batch(queries, o.candidates, 1);
  std::vector<std::vector<PipelineHit>> out;
  out.reserve(nq);
  for (std::size_t i = 0; i < nq; ++i)
    out.push_back(s.assemble(queries[i], dense_on ? &dense_lists[i] : nullptr, bm25_on ? &bm25_lists[i] : nullptr, o));
  return out;
}

std::vector<PipelineHit> Pipeline::Impl::assemble(const std::string& query, const std::vector<Hit>* dense_hits,
                                                  const std::vector<Hit>* bm25_hits, const SearchOptions& o) const {
  // Per-document stage scores, filled as stages run. Slots are stored contiguously and found through a doc -> slot map: lists are short (<= 2 * K1), and
  // PipelineHit is large, so nodes of a map of hits would dominate the cost of a BM25-only search.
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
    for (std::size_t j = 0; j < head; ++j) texts.push_back(document_text(docs[candidates[j].doc]));
    std::vector<float> logits = scorer->score_pairs(query, texts);
    if (logits.size() != head)
      throw ModelError("cross-encoder '" + scorer->identity() + "' returned " + std::to_string(logits.size()) +
                       " scores for " + std::to_string(head) + " pairs");
    for (float v : logits)
      if (!std::isfinite(v)) throw ModelError("cross-encoder '" + scorer->identity() + "' returned a non-finite logit");
    // The double overload: probabilities near 0 or 1 keep their resolution for the final fusion.
    std::vector<double> probs(head);
    for (std::size_t j = 0; j < head; ++j) probs[j] = calibrate(static_cast<double>(logits[j]), CalibrationOptions{o.temperature});
    const bool final_on = o.final_bm25_fusion && bm25.has_value();
    std::vector<double> bm25_norm;
    if (final_on) {
      std::vector<Hit> bm25_head(head);
      for (std::size_t j = 0; j < head; ++j) {
        PipelineHit& e = entry(candidates[j].doc);
        // Documents that came only from the dense list get their exact BM25 score, so the final fusion
        // compares real scores rather than treating them as BM25's worst.
        if (!e.bm25) e.bm25 = bm25->score(query, candidates[j].doc);
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
  for (PipelineHit& h : ranked) h.id = docs[h.doc].id;
  return ranked;
}

std::size_t Pipeline::size() const { return impl_->docs.size(); }

const BeirDocument& Pipeline::document(std::size_t doc) const {
  if (doc >= impl_->docs.size())
    throw InvalidArgument("Pipeline::document: doc " + std::to_string(doc) + " out of range (size " +
                          std::to_string(impl_->docs.size()) + ")");
  return impl_->docs[doc];
}

std::int64_t Pipeline::find(const std::string& id) const {
  auto it = impl_->by_id.find(id);
  return it == impl_->by_id.end() ? -1 : static_cast<std::int64_t>(it->second);
}

bool Pipeline::has_bm25() const { return impl_->bm25.has_value(); }
bool Pipeline::has_embeddings() const { return impl_->dense.has_value(); }
bool Pipeline::has_reranker() const { return impl_->scorer != nullptr; }
const PipelineOptions& Pipeline::options() const { return impl_->options; }
const std::string& Pipeline::encoder_identity() const { return impl_->encoder_identity; }
void Pipeline::set_reranker(std::shared_ptr<const PairScorer> scorer) { impl_->scorer = std::move(scorer); }

namespace {
// The save's guard against deleting a user's directory: an existing, non-empty target is replaced only when it
// is a radlite index holding nothing but the files its manifest names.
std::string not_an_index_reason(const std::string& dir) {
  const std::string manifest_path = io::join_path(dir, kManifest);
  if (!io::is_file(manifest_path)) return "it is not a radlite index (no " + std::string(kManifest) + ")";
  json manifest;
  try {
    manifest = io::read_json_file(manifest_path, 64u << 20);
  } catch (const Error& e) {
    return std::string("its ") + kManifest + " is not a radlite manifest (" + e.what() + ")";
  }
  if (!manifest.is_object() || manifest.value("format", json()) != json(kFormatName))
    return std::string("its ") + kManifest + " does not describe a radlite index";
  const json files = manifest.value("files", json::object());
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name != kManifest && !(files.is_object() && files.contains(name)))
      return "it holds '" + name + "', which is not part of the index";
  }
  if (ec) return "it cannot be listed (" + ec.message() + ")";
  return "";
}
}  // namespace

void Pipeline::check_save_target(const std::string& dir) {
  ri::AtomicDirectoryWriter probe(dir, not_an_index_reason);  // checks, creates an empty temp dir, removes it
}

void Pipeline::save(const std::string& dir) const {
  const Impl& s = *impl_;
  ri::AtomicDirectoryWriter writer(dir, not_an_index_reason);
  json files = json::object();
  auto record = [&](const ri::WrittenFile& f) { files[f.name] = json{{"sha256", f.sha256}, {"bytes", f.bytes}}; };

  record(writer.write_file(kDocumentsFile, [&](std::ostream& out) {
    for (const auto& d : s.docs) out << json{{"_id", d.id}, {"title", d.title}, {"text", d.text}}.dump() << '\n';
  }));
  if (s.bm25) record(writer.write_file(kBm25File, [&](std::ostream& out) { s.bm25->save(out); }));
  if (s.dense) record(writer.write_file(kDenseFile, [&](std::ostream& out) { s.dense->save(out); }));

  json manifest;
  manifest["format"] = kFormatName;
  manifest["format_version"] = kPipelineFormatVersion;
  manifest["radlite_version"] = version();
  manifest["documents"] = s.docs.size();
  manifest["document_text"] = "title + \" \" + text when the title is non-empty, else text (BEIR)";
  if (s.bm25) {
    const Bm25Options& b = s.bm25->options();
    manifest["bm25"] = json{{"k1", b.k1}, {"b", b.b}, {"analyzer", analyzer_json(b.analyzer)}};
  } else {
    manifest["bm25"] = nullptr;
  }
  if (s.dense) {
    manifest["bi_encoder"] = json{{"identity", s.encoder_identity},
                                  {"dimension", s.dense->dim()},
                                  {"metric", metric_name(s.dense->options().metric)}};
  } else {
    manifest["bi_encoder"] = nullptr;
  }
  manifest["files"] = files;
  // The manifest is written last: it is the only file that names the others' checksums.
  writer.write_file(kManifest, [&](std::ostream& out) { out << manifest.dump(2) << '\n'; });
  writer.commit();
}

Pipeline Pipeline::load(const std::string& dir_in, std::shared_ptr<const TextEncoder> encoder,
                        std::shared_ptr<const PairScorer> scorer) {
  const std::string dir = ri::recover_directory(dir_in);
  if (!io::is_directory(dir)) throw IoError(dir_in + ": index directory not found");
  const std::string manifest_path = io::join_path(dir, kManifest);
  if (!io::is_file(manifest_path)) throw FormatError(manifest_path + ": missing (not a radlite index directory?)");
  const json manifest = io::read_json_file(manifest_path);
  if (!manifest.is_object()) throw FormatError(manifest_path + ": expected a JSON object");
  if (string_field(manifest, "format", manifest_path) != kFormatName)
    throw FormatError(manifest_path + ": field 'format' is not \"" + kFormatName + "\"");
  const json& version_field = field(manifest, "format_version", manifest_path);
  if (!version_field.is_number_integer() || version_field.get<long long>() != kPipelineFormatVersion)
    throw FormatError(manifest_path + ": unsupported format_version " + version_field.dump() + " (this radlite reads " +
                      std::to_string(kPipelineFormatVersion) + ")");
  const std::uint64_t n_docs = uint_field(manifest, "documents", manifest_path);
  const json& files = field(manifest, "files", manifest_path);
  if (!files.is_object()) throw FormatError(manifest_path + ": field 'files' must be an object");
  const json& bm25_meta = field(manifest, "bm25", manifest_path);
  const json& enc_meta = field(manifest, "bi_encoder", manifest_path);

  auto impl = std::make_unique<Impl>();
  impl->scorer = std::move(scorer);
  impl->options.bm25 = !bm25_meta.is_null();

  // The model check comes before the (possibly long) checksum pass: a wrong model is the likelier mistake.
  std::size_t dim = 0;
  if (!enc_meta.is_null()) {
    const std::string what = manifest_path + ": bi_encoder";
    std::string identity = string_field(enc_meta, "identity", what);
    dim = static_cast<std::size_t>(uint_field(enc_meta, "dimension", what));
    if (!encoder)
      throw ModelError(dir + ": the index holds embeddings made by bi-encoder '" + identity +
                       "'; load it with that bi-encoder");
    if (encoder->identity() != identity)
      throw ModelError(dir + ": the index embeddings were made by bi-encoder '" + identity +
                       "', but the given bi-encoder is '" + encoder->identity() +
                       "'; use the same model or rebuild the index");
    if (encoder->dimension() != dim)
      throw ModelError(dir + ": the index embeddings have dimension " + std::to_string(dim) +
                       ", the given bi-encoder produces " + std::to_string(encoder->dimension()));
    impl->encoder = std::move(encoder);
    impl->encoder_identity = identity;
  }
  // An index without embeddings ignores a given encoder: there is nothing to compare queries with.

  // Open everything first, then verify, then parse from the same streams (see IndexFile).
  IndexFile docs_file = open_index_file(dir, kDocumentsFile);
  std::optional<IndexFile> bm25_file, dense_file;
  if (impl->options.bm25) bm25_file.emplace(open_index_file(dir, kBm25File));
  if (impl->encoder) dense_file.emplace(open_index_file(dir, kDenseFile));
  verify_file(docs_file, kDocumentsFile, files, manifest_path);
  if (bm25_file) verify_file(*bm25_file, kBm25File, files, manifest_path);
  if (dense_file) verify_file(*dense_file, kDenseFile, files, manifest_path);

  {
    const std::string& path = docs_file.path;
    std::istream& in = docs_file.in;
    std::string line;
    std::size_t line_no = 0;
    while (std::getline(in, line)) {
      ++line_no;
      const std::string what = path + " line " + std::to_string(line_no);
      json j = io::parse_json(line, what);
      BeirDocument d{string_field(j, "_id", what), string_field(j, "title", what), string_field(j, "text", what)};
      if (!impl->by_id.emplace(d.id, impl->docs.size()).second)
        throw FormatError(what + ": duplicate document id '" + d.id + "'");
      impl->docs.push_back(std::move(d));
    }
    if (in.bad()) throw IoError(path + ": read failed");
    if (impl->docs.size() != n_docs)
      throw FormatError(path + ": " + std::to_string(impl->docs.size()) + " documents, the manifest records " +
                        std::to_string(n_docs));
  }
  if (impl->options.bm25) {
    const std::string& path = bm25_file->path;
    std::istream& in = bm25_file->in;
    impl->bm25.emplace(Bm25Index::load(in, path));
    if (impl->bm25->size() != impl->docs.size())
      throw FormatError(path + ": " + std::to_string(impl->bm25->size()) + " documents, documents.jsonl has " +
                        std::to_string(impl->docs.size()));
    for (std::size_t i = 0; i < impl->docs.size(); ++i)
      if (impl->bm25->id(i) != impl->docs[i].id)
        throw FormatError(path + ": document " + std::to_string(i) + " is '" + impl->bm25->id(i) +
                          "', documents.jsonl has '" + impl->docs[i].id + "'");
    impl->options.bm25_options = impl->bm25->options();
  }
  if (impl->encoder) {
    const std::string& path = dense_file->path;
    std::istream& in = dense_file->in;
    impl->dense.emplace(DenseIndex::load(in, path));
    if (impl->dense->size() != impl->docs.size() || impl->dense->dim() != dim)
      throw FormatError(path + ": " + std::to_string(impl->dense->size()) + " x " + std::to_string(impl->dense->dim()) +
                        " embeddings, expected " + std::to_string(impl->docs.size()) + " x " + std::to_string(dim));
    impl->options.dense_metric = impl->dense->options().metric;
  }
  return Pipeline(std::move(impl));
}

}  // namespace radlite
