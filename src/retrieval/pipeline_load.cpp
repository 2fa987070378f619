// Loading a radlite::Pipeline: index format version 2 (segments named by a manifest) and version 1 (one
// unsegmented index), and Pipeline::info, which reads the manifest alone. Every file is checked against the
// manifest's size (and, when asked, sha256) before it is parsed. See "Persistence" in pipeline.h.
#include "radlite/retrieval/pipeline.h"

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <utility>

#include "io/atomic_directory.h"
#include "io/file_util.h"
#include "io/json_reader.h"
#include "io/sha256.h"
#include "radlite/error.h"
#include "retrieval/index_format.h"
#include "retrieval/mapped_file.h"
#include "retrieval/pipeline_impl.h"

namespace radlite {

namespace {

using nlohmann::json;
using namespace index_format;
namespace ri = retrieval_internal;

// One index file opened for loading: mapped once, then checked and parsed from the same mapping, so a
// save that swaps the directory in between cannot make us parse bytes we did not verify.
struct IndexFile {
  std::string path;
  std::shared_ptr<const ri::MappedFile> map;
  std::unique_ptr<ri::MappedStream> stream;
  std::istream& in() { return *stream; }
};

IndexFile open_index_file(const std::string& dir, const std::string& name) {
  IndexFile f{io::join_path(dir, name), {}, {}};
  try {
    f.map = ri::MappedFile::open(f.path);
  } catch (const FormatError&) {
    throw FormatError(f.path + ": missing index file '" + name + "'");
  }
  f.stream = std::make_unique<ri::MappedStream>(*f.map);
  return f;
}

// Checks one file against its manifest entry: the recorded size (a cheap truncation check that also gives
// the clearer message), then, when `verify`, the recorded sha256 (which reads the whole file).
void verify_file(IndexFile& f, const std::string& name, const json& files, const std::string& files_what, bool verify) {
  const json& entry = field(files, name.c_str(), files_what);
  const std::string what = files_what + "." + name;
  const std::string expected_sha = string_field(entry, "sha256", what);
  const std::uint64_t expected_bytes = uint_field(entry, "bytes", what);
  const std::uint64_t actual = f.map->size();
  if (actual != expected_bytes)
    throw FormatError(f.path + ": size " + std::to_string(actual) + " bytes, the manifest records " +
                      std::to_string(expected_bytes) + " (truncated or modified file)");
  if (!verify) return;
  io::Sha256 hash;
  hash.update(f.map->data(), f.map->size());
  const std::string sha = hash.hex_digest();
  if (sha != expected_sha)
    throw FormatError(f.path + ": sha256 " + sha + " does not match the manifest (" + expected_sha +
                      "): the file is corrupted or was modified");
}

IndexFile open_verified(const std::string& dir, const std::string& name, const json& files, const std::string& what,
                        bool verify) {
  IndexFile f = open_index_file(dir, name);
  verify_file(f, name, files, what, verify);
  return f;
}

// Checks a loaded segment's parts against each other and the manifest; `what` names the segment.
void check_counts(const PipelineSegment& seg, const std::string& docs_path, const std::string& bm25_path,
                  const std::string& dense_path, std::size_t dim) {
  if (seg.bm25) {
    if (seg.bm25->size() != seg.size())
      throw FormatError(bm25_path + ": " + std::to_string(seg.bm25->size()) + " documents, " + docs_path + " has " +
                        std::to_string(seg.size()));
    for (std::size_t i = 0; i < seg.size(); ++i)
      if (seg.bm25->id(i) != seg.docs[i].id)
        throw FormatError(bm25_path + ": document " + std::to_string(i) + " is '" + seg.bm25->id(i) + "', " +
                          docs_path + " has '" + seg.docs[i].id + "'");
  }
  if (seg.dense && (seg.dense->size() != seg.size() || seg.dense->dim() != dim))
    throw FormatError(dense_path + ": " + std::to_string(seg.dense->size()) + " x " + std::to_string(seg.dense->dim()) +
                      " embeddings, expected " + std::to_string(seg.size()) + " x " + std::to_string(dim));
}

}  // namespace

IndexInfo Pipeline::info(const std::string& dir_in) {
  const std::string dir = io::recover_directory(dir_in);
  if (!io::is_directory(dir)) throw IoError(dir_in + ": index directory not found");
  const std::string path = io::join_path(dir, kManifest);
  if (!io::is_file(path)) throw FormatError(path + ": missing (not a radlite index directory?)");
  const json m = io::read_json_file(path);
  if (!m.is_object() || string_field(m, "format", path) != kFormatName)
    throw FormatError(path + ": not a radlite index manifest");
  IndexInfo info;
  const json& v = field(m, "format_version", path);
  info.format_version = v.is_number_integer() ? v.get<int>() : 0;
  info.generation = m.value("generation", std::uint64_t{0});
  info.documents = uint_field(m, "documents", path);
  info.bm25 = !field(m, "bm25", path).is_null();
  const json& enc = field(m, "bi_encoder", path);
  if (!enc.is_null()) {
    info.encoder_identity = string_field(enc, "identity", path + ": bi_encoder");
    info.dimension = static_cast<std::size_t>(uint_field(enc, "dimension", path + ": bi_encoder"));
    info.dense_kind = m.contains("dense") ? string_field(m.at("dense"), "kind", path + ": dense") : "exact";
  }
  auto bytes_of = [](const json& files) {
    std::uint64_t b = 0;
    for (const auto& [name, entry] : files.items()) b += entry.value("bytes", std::uint64_t{0});
    return b;
  };
  if (info.format_version == 1) {
    info.segments.push_back({"", static_cast<std::size_t>(info.documents), 0, bytes_of(field(m, "files", path))});
  } else {
    const json& segs = field(m, "segments", path);
    if (!segs.is_array()) throw FormatError(path + ": field 'segments' must be an array");
    for (std::size_t g = 0; g < segs.size(); ++g) {
      const std::string what = path + ": segments[" + std::to_string(g) + "]";
      info.segments.push_back({string_field(segs[g], "name", what), static_cast<std::size_t>(uint_field(segs[g], "documents", what)),
                               static_cast<std::size_t>(uint_field(segs[g], "deleted", what)), bytes_of(field(segs[g], "files", what))});
    }
  }
  return info;
}

Pipeline Pipeline::load(const std::string& dir_in, std::shared_ptr<const TextEncoder> encoder,
                        std::shared_ptr<const PairScorer> scorer, const LoadOptions& options) {
  const bool verify = options.verify_checksums;
  const std::string dir = io::recover_directory(dir_in);
  if (!io::is_directory(dir)) throw IoError(dir_in + ": index directory not found");
  const std::string manifest_path = io::join_path(dir, kManifest);
  if (!io::is_file(manifest_path)) throw FormatError(manifest_path + ": missing (not a radlite index directory?)");
  const json manifest = io::read_json_file(manifest_path);
  if (!manifest.is_object()) throw FormatError(manifest_path + ": expected a JSON object");
  if (string_field(manifest, "format", manifest_path) != kFormatName)
    throw FormatError(manifest_path + ": field 'format' is not \"" + kFormatName + "\"");
  const json& version_field = field(manifest, "format_version", manifest_path);
  const long long format_version = version_field.is_number_integer() ? version_field.get<long long>() : -1;
  if (format_version != 1 && format_version != kPipelineFormatVersion)
    throw FormatError(manifest_path + ": unsupported format_version " + version_field.dump() +
                      " (this radlite reads 1 and " + std::to_string(kPipelineFormatVersion) +
                      "; rebuild the index with `radlite index`)");
  const std::uint64_t n_docs = uint_field(manifest, "documents", manifest_path);
  const json& bm25_meta = field(manifest, "bm25", manifest_path);
  const json& enc_meta = field(manifest, "bi_encoder", manifest_path);

  auto impl = std::make_unique<Impl>();
  impl->scorer = std::move(scorer);
  impl->options.bm25 = !bm25_meta.is_null();
  if (impl->options.bm25) {
    impl->options.bm25_options = bm25_options_from(bm25_meta, manifest_path + ": bm25");
    impl->analyzer.emplace(impl->options.bm25_options.analyzer);
  }

  // The model check comes before the (possibly long) checksum pass: a wrong model is the likelier mistake.
  if (!enc_meta.is_null()) {
    const std::string what = manifest_path + ": bi_encoder";
    std::string identity = string_field(enc_meta, "identity", what);
    const std::size_t dim = static_cast<std::size_t>(uint_field(enc_meta, "dimension", what));
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
    impl->dim = dim;
    if (manifest.contains("dense")) {
      const std::string dwhat = manifest_path + ": dense";
      const std::string kind = string_field(manifest.at("dense"), "kind", dwhat);
      if (kind == "hnsw") {
        impl->options.dense_kind = DenseKind::kHnsw;
        impl->options.hnsw.m = uint_field(manifest.at("dense"), "m", dwhat);
        impl->options.hnsw.ef_construction = uint_field(manifest.at("dense"), "ef_construction", dwhat);
      } else if (kind == "ivfpq") {
        impl->options.dense_kind = DenseKind::kIvfPq;
        impl->options.ivfpq.nlist = uint_field(manifest.at("dense"), "nlist", dwhat);
        impl->options.ivfpq.pq_m = uint_field(manifest.at("dense"), "pq_m", dwhat);
      } else if (kind != "exact") {
        throw FormatError(dwhat + ": unknown dense kind '" + kind + "' (this radlite knows exact, hnsw and ivfpq)");
      }
    }
  }
  // An index without embeddings ignores a given encoder: there is nothing to compare queries with.

  // Per segment: file names and the manifest's record of them.
  struct Part {
    std::string docs, bm25, dense, tombstones, hnsw, ivfpq;
    const json* files;
    std::string files_what;
    std::uint64_t documents = 0, deleted = 0;
  };
  std::vector<Part> parts;
  if (format_version == 1) {
    const json& files = field(manifest, "files", manifest_path);
    if (!files.is_object()) throw FormatError(manifest_path + ": field 'files' must be an object");
    parts.push_back(Part{kV1DocumentsFile, kV1Bm25File, kV1DenseFile, "", "", "", &files, manifest_path + ": files", n_docs, 0});
  } else {
    const json& segs = field(manifest, "segments", manifest_path);
    if (!segs.is_array()) throw FormatError(manifest_path + ": field 'segments' must be an array");
    for (std::size_t g = 0; g < segs.size(); ++g) {
      const std::string what = manifest_path + ": segments[" + std::to_string(g) + "]";
      const json& seg = segs[g];
      const std::string name = string_field(seg, "name", what);
      if (name.rfind(kSegmentPrefix, 0) != 0 || name.find('/') != std::string::npos)
        throw FormatError(what + ": field 'name' is not a segment name: '" + name + "'");
      const json& files = field(seg, "files", what);
      if (!files.is_object()) throw FormatError(what + ": field 'files' must be an object");
      const json& tomb = field(seg, "tombstones", what);
      if (!tomb.is_null() && !tomb.is_string()) throw FormatError(what + ": field 'tombstones' must be a string or null");
      parts.push_back(Part{name + kDocsSuffix, name + kBm25Suffix, name + kDenseSuffix,
                           tomb.is_null() ? "" : tomb.get<std::string>(), name + kHnswSuffix, name + kIvfPqSuffix, &files, what + ": files",
                           uint_field(seg, "documents", what), uint_field(seg, "deleted", what)});
    }
  }

  // Open and verify everything first, then parse from the same streams (see IndexFile).
  std::uint64_t live = 0;
  for (const Part& part : parts) {
    IndexFile docs_file = open_verified(dir, part.docs, *part.files, part.files_what, verify);
    std::optional<IndexFile> bm25_file, dense_file, tomb_file;
    if (impl->has_bm25()) bm25_file.emplace(open_verified(dir, part.bm25, *part.files, part.files_what, verify));
    if (impl->has_dense()) dense_file.emplace(open_verified(dir, part.dense, *part.files, part.files_what, verify));
    std::optional<IndexFile> hnsw_file;
    const bool graph = impl->has_dense() && impl->options.dense_kind == DenseKind::kHnsw;
    if (graph) hnsw_file.emplace(open_verified(dir, part.hnsw, *part.files, part.files_what, verify));
    // IVF-PQ: only segments large enough have one (the manifest's file list says which).
    std::optional<IndexFile> ivfpq_file;
    if (impl->has_dense() && impl->options.dense_kind == DenseKind::kIvfPq && part.files->contains(part.ivfpq))
      ivfpq_file.emplace(open_verified(dir, part.ivfpq, *part.files, part.files_what, verify));
    if (!part.tombstones.empty()) tomb_file.emplace(open_verified(dir, part.tombstones, *part.files, part.files_what, verify));
    auto seg = std::make_shared<PipelineSegment>();
    seg->docs = read_documents(docs_file.in(), docs_file.path);
    if (seg->size() != part.documents)
      throw FormatError(docs_file.path + ": " + std::to_string(seg->size()) + " documents, the manifest records " +
                        std::to_string(part.documents));
    if (bm25_file) seg->bm25.emplace(Bm25Index::load(bm25_file->in(), bm25_file->path));
    // The vectors stay in the mapping (shared with other processes that load this index).
    if (dense_file && !options.map_vectors)
      seg->dense.emplace(DenseIndex::load(dense_file->in(), dense_file->path));
    else if (dense_file)
      seg->dense.emplace(DenseIndex::view(dense_file->map->data(), dense_file->map->size(), dense_file->map,
                                          dense_file->path, verify));  // values checked with the checksums
    if (hnsw_file) seg->hnsw = ri::HnswIndex::load(hnsw_file->path, impl->dim, seg->size());
    if (ivfpq_file)
      seg->ivfpq = ri::IvfPqIndex::load(ivfpq_file->map->data(), ivfpq_file->map->size(), impl->dim, seg->size(), ivfpq_file->path);
    check_counts(*seg, docs_file.path, bm25_file ? bm25_file->path : "", dense_file ? dense_file->path : "", impl->dim);
    if (seg->dense) impl->options.dense_metric = seg->dense->options().metric;
    if (seg->bm25 && (seg->bm25->options().k1 != impl->options.bm25_options.k1 ||
                      seg->bm25->options().b != impl->options.bm25_options.b))
      throw FormatError(bm25_file->path + ": BM25 parameters differ from the manifest's");
    seg->deleted.assign(seg->size(), 0);
    std::vector<std::uint32_t> tombstones;
    if (tomb_file) {
      tombstones = read_tombstones(tomb_file->in(), tomb_file->path, seg->size());
      if (tombstones.size() != part.deleted)
        throw FormatError(tomb_file->path + ": " + std::to_string(tombstones.size()) +
                          " deleted documents, the manifest records " + std::to_string(part.deleted));
    } else if (part.deleted != 0) {
      throw FormatError(part.files_what + ": the manifest records " + std::to_string(part.deleted) +
                        " deleted documents but no tombstone file");
    }
    for (std::uint32_t d : tombstones) impl->mark_deleted(*seg, d);
    live += seg->live();
    if (format_version == 2) {
      seg->stored.name = part.docs.substr(0, part.docs.size() - std::string(kDocsSuffix).size());
      for (const std::string* f : {&part.docs, &part.bm25, &part.dense, &part.hnsw, &part.ivfpq})
        if (part.files->contains(*f)) seg->stored.files[*f] = part.files->at(*f);
      seg->stored.tombstones = part.tombstones;
      seg->stored.tombstones_count = tombstones.size();
      if (!part.tombstones.empty()) seg->stored.files_tombstone = part.files->at(part.tombstones);
    }
    if (seg->size() > 0) impl->segments.push_back(std::move(seg));
  }
  if (live != n_docs)
    throw FormatError(manifest_path + ": " + std::to_string(live) + " live documents in the segments, the manifest records " +
                      std::to_string(n_docs));
  impl->refresh();
  // Live ids are unique (deleted versions of an updated document share their id with the live one).
  for (const auto& seg : impl->segments)
    for (std::size_t i = 0; i < seg->size(); ++i)
      if (!seg->deleted[i] && !impl->by_id.emplace(seg->docs[i].id, seg->base + i).second)
        throw FormatError(manifest_path + ": duplicate document id '" + seg->docs[i].id + "' among the live documents");
  if (format_version == 2 && dir == dir_in) {
    // Saving back into this directory can then append instead of rewriting.
    impl->saved_dir = absolute_dir(dir);
    impl->generation = manifest.value("generation", std::uint64_t{0});
    impl->uuid = manifest.value("index_uuid", std::string());
  }
  return Pipeline(std::move(impl));
}

}  // namespace radlite
