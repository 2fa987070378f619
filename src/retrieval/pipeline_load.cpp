// Loading a radlite::Pipeline: index format version 2 (segments named by a manifest) and version 1 (one
// unsegmented index), and Pipeline::info, which reads the manifest alone. Every file is checked against the
// manifest's size (and, when asked, sha256) before it is parsed. See "Persistence" in pipeline.h.
#include "radlite/retrieval/pipeline.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <system_error>
#include <utility>

#include "io/atomic_directory.h"
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
namespace fs = std::filesystem;

// One index file opened for loading: mapped once, then checked and parsed from the same mapping, so a
// save that swaps the directory in between cannot make us parse bytes we did not verify.
struct IndexFile {
  std::string path;
  std::shared_ptr<const ri::MappedFile> map;
  std::unique_ptr<ri::MappedStream> stream;
  std::istream& in() { return *stream; }
};

IndexFile open_index_file(const std::string& dir, const std::string& name) {
  IndexFile f{(fs::path(dir) / name).string(), {}, {}};
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
void verify_file(IndexFile& f, const std::string& name, const json& files, const io::JsonPlace& files_at, bool verify) {
  const json& entry = io::require(files, name, files_at);
  const std::string expected_sha = io::get_string(entry, "sha256", files_at.at(name));
  const std::uint64_t expected_bytes = io::get_uint(entry, "bytes", files_at.at(name));
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

IndexFile open_verified(const std::string& dir, const std::string& name, const json& files,
                        const io::JsonPlace& files_at, bool verify) {
  IndexFile f = open_index_file(dir, name);
  verify_file(f, name, files, files_at, verify);
  return f;
}

// Checks a loaded segment's parts against each other and the manifest; `what` names the segment.
void check_counts(const PipelineSegment& seg, const std::string& docs_path, const std::string& bm25_path,
                  const std::string& dense_path, std::size_t dim) {
  if (seg.bm25) {
    if (seg.bm25->size() != seg.size())
      throw FormatError(bm25_path + ": " + std::to_string(seg.bm25->size()) + " documents, " + docs_path + " has " +
                        std::to_string(seg.size()));
    // Compared in place: the BM25 file's own id tables are only built if someone asks it for an id.
    std::size_t i = 0;
    seg.bm25->internals().each_id([&](std::string_view id) {
      if (id != seg.docs.id(i))
        throw FormatError(bm25_path + ": document " + std::to_string(i) + " is '" + std::string(id) + "', " +
                          docs_path + " has '" + std::string(seg.docs.id(i)) + "'");
      ++i;
    });
  }
  if (seg.dense && (seg.dense->size() != seg.size() || seg.dense->dim() != dim))
    throw FormatError(dense_path + ": " + std::to_string(seg.dense->size()) + " x " + std::to_string(seg.dense->dim()) +
                      " embeddings, expected " + std::to_string(seg.size()) + " x " + std::to_string(dim));
}

// The sizes recorded in a manifest's file list ("files" of a segment, or of a version 1 index).
std::uint64_t recorded_bytes(const json& files, const io::JsonPlace& at) {
  if (!files.is_object()) io::format_error(at, "expected an object, got " + io::describe(files));
  std::uint64_t b = 0;
  for (const auto& [name, entry] : files.items())
    if (io::find(entry, "bytes", at.at(name))) b += io::get_uint(entry, "bytes", at.at(name));
  return b;
}

// An index directory's manifest, read after recovering from a save killed midway.
struct Manifest {
  std::string dir, path;  // the index directory and the manifest's path, for messages
  json doc;
};

Manifest read_manifest(const std::string& dir_in) {
  std::error_code ec;  // the path tests below report a failure as false
  Manifest m;
  m.dir = io::recover_directory(dir_in);
  if (!fs::is_directory(m.dir, ec)) throw IoError(dir_in + ": index directory not found");
  m.path = (fs::path(m.dir) / kManifest).string();
  if (!fs::is_regular_file(m.path, ec)) throw FormatError(m.path + ": missing (not a radlite index directory?)");
  m.doc = io::read_json_file(m.path);
  return m;
}

}  // namespace

IndexInfo Pipeline::info(const std::string& dir_in) {
  const Manifest manifest = read_manifest(dir_in);
  const std::string& path = manifest.path;
  const json& m = manifest.doc;
  const io::JsonPlace at{path, ""};
  if (!m.is_object() || io::get_string(m, "format", at) != kFormatName)
    throw FormatError(path + ": not a radlite index manifest");
  IndexInfo info;
  const json& v = io::require(m, "format_version", at);
  info.format_version = v.is_number_integer() ? v.get<int>() : 0;
  info.generation = io::find(m, "generation", at) ? io::get_uint(m, "generation", at) : 0;
  info.documents = io::get_uint(m, "documents", at);
  info.bm25 = !io::require(m, "bm25", at).is_null();
  const json& enc = io::require(m, "bi_encoder", at);
  if (!enc.is_null()) {
    info.encoder_identity = io::get_string(enc, "identity", at.at("bi_encoder"));
    info.dimension = static_cast<std::size_t>(io::get_uint(enc, "dimension", at.at("bi_encoder"), SIZE_MAX));
    info.dense_kind =
        m.contains("dense") ? io::get_string(io::require(m, "dense", at), "kind", at.at("dense")) : "exact";
    info.vector_dtype = dtype_name(m.contains("dense") ? vector_dtype_from(io::require(m, "dense", at), at.at("dense"))
                                                       : VectorDtype::kFloat32);
  }
  if (info.format_version == 1) {
    info.segments.push_back(
        {"", static_cast<std::size_t>(info.documents), 0, recorded_bytes(io::require(m, "files", at), at.at("files"))});
  } else {
    const json& segs = io::require(m, "segments", at);
    if (!segs.is_array()) io::format_error(at.at("segments"), "expected an array, got " + io::describe(segs));
    for (std::size_t g = 0; g < segs.size(); ++g) {
      const io::JsonPlace sat = at.at("segments").at(g);
      info.segments.push_back({io::get_string(segs[g], "name", sat),
                               static_cast<std::size_t>(io::get_uint(segs[g], "documents", sat, SIZE_MAX)),
                               static_cast<std::size_t>(io::get_uint(segs[g], "deleted", sat, SIZE_MAX)),
                               recorded_bytes(io::require(segs[g], "files", sat), sat.at("files"))});
    }
  }
  return info;
}

Pipeline Pipeline::load(const std::string& dir_in, std::shared_ptr<const TextEncoder> encoder,
                        std::shared_ptr<const PairScorer> scorer, const LoadOptions& options) {
  const bool verify = options.verify_checksums;
  const Manifest read = read_manifest(dir_in);
  const std::string& dir = read.dir;
  const std::string& manifest_path = read.path;
  const json& manifest = read.doc;
  const io::JsonPlace at{manifest_path, ""};
  if (!manifest.is_object()) throw FormatError(manifest_path + ": expected a JSON object");
  const std::string format = io::get_string(manifest, "format", at);
  if (format != kFormatName)
    io::format_error(at.at("format"),
                     "expected \"" + std::string(kFormatName) + "\", got " + io::describe(json(format)));
  const json& version_field = io::require(manifest, "format_version", at);
  const long long format_version = version_field.is_number_integer() ? version_field.get<long long>() : -1;
  if (format_version != 1 && format_version != kPipelineFormatVersion)
    io::format_error(at.at("format_version"),
                     "unsupported version " + io::describe(version_field) + " (this radlite reads 1 and " +
                         std::to_string(kPipelineFormatVersion) + "; rebuild the index with `radlite index`)");
  const std::uint64_t n_docs = io::get_uint(manifest, "documents", at);
  const json& bm25_meta = io::require(manifest, "bm25", at);
  const json& enc_meta = io::require(manifest, "bi_encoder", at);

  auto impl = std::make_unique<Impl>();
  impl->scorer = std::move(scorer);
  impl->options.bm25 = !bm25_meta.is_null();
  if (impl->options.bm25) {
    impl->options.bm25_options = bm25_options_from(bm25_meta, at.at("bm25"));
    impl->analyzer.emplace(impl->options.bm25_options.analyzer);
  }

  // The model check comes before the (possibly long) checksum pass: a wrong model is the likelier mistake.
  if (!enc_meta.is_null()) {
    std::string identity = io::get_string(enc_meta, "identity", at.at("bi_encoder"));
    const std::size_t dim =
        static_cast<std::size_t>(io::get_uint(enc_meta, "dimension", at.at("bi_encoder"), SIZE_MAX));
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
      const json& dense = io::require(manifest, "dense", at);
      const io::JsonPlace dat = at.at("dense");
      const std::string kind = io::get_string(dense, "kind", dat);
      impl->options.vector_dtype = vector_dtype_from(dense, dat);
      if (kind == "hnsw") {
        impl->options.dense_kind = DenseKind::kHnsw;
        impl->options.hnsw.m = io::get_uint(dense, "m", dat, SIZE_MAX);
        impl->options.hnsw.ef_construction = io::get_uint(dense, "ef_construction", dat, SIZE_MAX);
      } else if (kind == "ivfpq") {
        impl->options.dense_kind = DenseKind::kIvfPq;
        impl->options.ivfpq.nlist = io::get_uint(dense, "nlist", dat, SIZE_MAX);
        impl->options.ivfpq.pq_m = io::get_uint(dense, "pq_m", dat, SIZE_MAX);
      } else if (kind != "exact") {
        io::format_error(dat.at("kind"),
                         "unknown dense kind '" + kind + "' (this radlite knows exact, hnsw and ivfpq)");
      }
    }
  }
  // An index without embeddings ignores a given encoder: there is nothing to compare queries with.

  // Per segment: file names and the manifest's record of them.
  struct Part {
    std::string docs, bm25, dense, tombstones, hnsw, ivfpq;
    const json* files;
    io::JsonPlace at;  // the segment's place in the manifest (the manifest itself for version 1)
    std::uint64_t documents = 0, deleted = 0;
    std::string docs_index;  // "" for version 1; absent from segments saved before offsets files
    io::JsonPlace files_at() const { return at.at("files"); }
  };
  auto file_list = [](const json& obj, const io::JsonPlace& p) -> const json& {
    const json& files = io::require(obj, "files", p);
    if (!files.is_object()) io::format_error(p.at("files"), "expected an object, got " + io::describe(files));
    return files;
  };
  std::vector<Part> parts;
  if (format_version == 1) {
    parts.push_back(
        Part{kV1DocumentsFile, kV1Bm25File, kV1DenseFile, "", "", "", &file_list(manifest, at), at, n_docs, 0, ""});
  } else {
    const json& segs = io::require(manifest, "segments", at);
    if (!segs.is_array()) io::format_error(at.at("segments"), "expected an array, got " + io::describe(segs));
    for (std::size_t g = 0; g < segs.size(); ++g) {
      const io::JsonPlace sat = at.at("segments").at(g);
      const json& seg = segs[g];
      const std::string name = io::get_string(seg, "name", sat);
      if (name.rfind(kSegmentPrefix, 0) != 0 || name.find('/') != std::string::npos)
        io::format_error(sat.at("name"), "not a segment name: '" + name + "'");
      const json& files = file_list(seg, sat);
      const json& tomb = io::require(seg, "tombstones", sat);
      if (!tomb.is_null() && !tomb.is_string())
        io::format_error(sat.at("tombstones"), "expected a string or null, got " + io::describe(tomb));
      parts.push_back(Part{name + kDocsSuffix, name + kBm25Suffix, name + kDenseSuffix,
                           tomb.is_null() ? "" : tomb.get<std::string>(), name + kHnswSuffix, name + kIvfPqSuffix,
                           &files, sat, io::get_uint(seg, "documents", sat), io::get_uint(seg, "deleted", sat),
                           name + kDocsIndexSuffix});
    }
  }

  // Open and verify everything first, then parse from the same streams (see IndexFile).
  std::uint64_t live = 0;
  for (const Part& part : parts) {
    IndexFile docs_file = open_verified(dir, part.docs, *part.files, part.files_at(), verify);
    std::optional<IndexFile> bm25_file, dense_file, tomb_file;
    if (impl->has_bm25()) bm25_file.emplace(open_verified(dir, part.bm25, *part.files, part.files_at(), verify));
    if (impl->has_dense()) dense_file.emplace(open_verified(dir, part.dense, *part.files, part.files_at(), verify));
    std::optional<IndexFile> hnsw_file;
    const bool graph = impl->has_dense() && impl->options.dense_kind == DenseKind::kHnsw;
    if (graph) hnsw_file.emplace(open_verified(dir, part.hnsw, *part.files, part.files_at(), verify));
    // IVF-PQ: only segments large enough have one (the manifest's file list says which).
    std::optional<IndexFile> ivfpq_file;
    if (impl->has_dense() && impl->options.dense_kind == DenseKind::kIvfPq && part.files->contains(part.ivfpq))
      ivfpq_file.emplace(open_verified(dir, part.ivfpq, *part.files, part.files_at(), verify));
    if (!part.tombstones.empty())
      tomb_file.emplace(open_verified(dir, part.tombstones, *part.files, part.files_at(), verify));
    auto seg = std::make_shared<PipelineSegment>();
    if (options.map_documents && !part.docs_index.empty() && part.files->contains(part.docs_index)) {
      // Only the offsets and ids are read now; each document's line when it is asked for.
      IndexFile idx = open_verified(dir, part.docs_index, *part.files, part.files_at(), verify);
      seg->docs = ri::DocumentStore::mapped(docs_file.map, idx.map);
    } else {
      seg->docs = ri::DocumentStore(read_documents(docs_file.in(), docs_file.path));  // saved before offsets files
    }
    if (seg->size() != part.documents)
      throw FormatError(docs_file.path + ": " + std::to_string(seg->size()) + " documents, the manifest records " +
                        std::to_string(part.documents));
    // The postings stay in the mapping too; each term's are checked when first searched (or all now, when
    // the checksum pass reads every page anyway).
    if (bm25_file && !options.map_postings)
      seg->bm25.emplace(Bm25Index::load(bm25_file->in(), bm25_file->path));
    else if (bm25_file)
      seg->bm25.emplace(
          Bm25Index::view(bm25_file->map->data(), bm25_file->map->size(), bm25_file->map, bm25_file->path, verify));
    // The vectors stay in the mapping (shared with other processes that load this index).
    if (dense_file && !options.map_vectors)
      seg->dense.emplace(DenseIndex::load(dense_file->in(), dense_file->path));
    else if (dense_file)
      seg->dense.emplace(DenseIndex::view(dense_file->map->data(), dense_file->map->size(), dense_file->map,
                                          dense_file->path, verify));  // values checked with the checksums
    if (hnsw_file) seg->hnsw = ri::HnswIndex::load(hnsw_file->path, impl->dim, seg->size());
    if (ivfpq_file)
      seg->ivfpq = ri::IvfPqIndex::load(ivfpq_file->map->data(), ivfpq_file->map->size(), impl->dim, seg->size(),
                                        ivfpq_file->path);
    check_counts(*seg, docs_file.path, bm25_file ? bm25_file->path : "", dense_file ? dense_file->path : "", impl->dim);
    if (seg->dense) impl->options.dense_metric = seg->dense->options().metric;
    if (seg->dense && seg->dense->options().dtype != impl->options.vector_dtype)
      throw FormatError(dense_file->path + ": vectors stored as " + dtype_name(seg->dense->options().dtype) +
                        ", the manifest records " + dtype_name(impl->options.vector_dtype));
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
      io::format_error(part.at.at("deleted"),
                       std::to_string(part.deleted) + " deleted documents but no tombstone file");
    }
    for (std::uint32_t d : tombstones) impl->mark_deleted(*seg, d);
    live += seg->live();
    if (format_version == 2) {
      seg->stored.name = part.docs.substr(0, part.docs.size() - std::string(kDocsSuffix).size());
      for (const std::string* f : {&part.docs, &part.docs_index, &part.bm25, &part.dense, &part.hnsw, &part.ivfpq})
        if (part.files->contains(*f)) seg->stored.files[*f] = part.files->at(*f);
      seg->stored.tombstones = part.tombstones;
      seg->stored.tombstones_count = tombstones.size();
      if (!part.tombstones.empty()) seg->stored.files_tombstone = part.files->at(part.tombstones);
    }
    if (seg->size() > 0) impl->segments.push_back(std::move(seg));
  }
  if (live != n_docs)
    throw FormatError(manifest_path + ": " + std::to_string(live) +
                      " live documents in the segments, the manifest records " + std::to_string(n_docs));
  impl->refresh();
  // Live ids are unique (deleted versions of an updated document share their id with the live one).
  impl->by_id.clear(live);
  for (const auto& seg : impl->segments)
    for (std::size_t i = 0; i < seg->size(); ++i)
      if (!seg->deleted[i] && !impl->insert_id(seg->docs.id(i), seg->base + i))
        throw FormatError(manifest_path + ": duplicate document id '" + std::string(seg->docs.id(i)) +
                          "' among the live documents");
  if (format_version == 2 && dir == dir_in) {
    // Saving back into this directory can then append instead of rewriting.
    impl->saved_dir = absolute_dir(dir);
    impl->generation = io::find(manifest, "generation", at) ? io::get_uint(manifest, "generation", at) : 0;
    impl->uuid = io::get_string(manifest, "index_uuid", at, "");
  }
  return Pipeline(std::move(impl));
}

}  // namespace radlite
