// Persistence of radlite::Pipeline: index format version 2 (segments + a manifest switched atomically),
// and reading of version 1 (one unsegmented index). See "Persistence" in pipeline.h.
#include "radlite/retrieval/pipeline.h"

#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <utility>

#include "io/file_util.h"
#include "io/sha256.h"
#include "radlite/error.h"
#include "radlite/version.h"
#include "io/atomic_directory.h"
#include "retrieval/binary_io.h"
#include "retrieval/mapped_file.h"
#include "retrieval/pipeline_impl.h"

namespace radlite {

namespace {

using nlohmann::json;
namespace ri = retrieval_internal;
namespace fs = std::filesystem;

const char kManifest[] = "manifest.json";
const char kFormatName[] = "radlite-index";
// Version 1 file names (one unsegmented index).
const char kV1DocumentsFile[] = "documents.jsonl";
const char kV1Bm25File[] = "bm25.bin";
const char kV1DenseFile[] = "dense.bin";
// Version 2: `<segment><suffix>`.
const char kDocsSuffix[] = ".docs.jsonl";
const char kBm25Suffix[] = ".bm25.bin";
const char kDenseSuffix[] = ".dense.bin";
const char kHnswSuffix[] = ".hnsw.bin";
const char kIvfPqSuffix[] = ".ivfpq.bin";
const char kSegmentPrefix[] = "seg-";
const char kTombMagic[8] = "RLTOMB\0";
const char kTombEnd[8] = "RLTBEND";

const char* metric_name(DenseMetric m) { return m == DenseMetric::kCosine ? "cosine" : "inner_product"; }

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

// The BM25 options recorded in the manifest (an index without segments has no BM25 file to read them from).
Bm25Options bm25_options_from(const json& meta, const std::string& what) {
  Bm25Options o;
  const json& k1 = field(meta, "k1", what);
  const json& b = field(meta, "b", what);
  if (!k1.is_number() || !b.is_number()) throw FormatError(what + ": fields 'k1' and 'b' must be numbers");
  o.k1 = k1.get<double>();
  o.b = b.get<double>();
  const json& a = field(meta, "analyzer", what);
  const std::string awhat = what + ".analyzer";
  try {
    o.analyzer.lowercase = field(a, "lowercase", awhat).get<bool>();
    o.analyzer.stopwords = string_field(a, "stopwords", awhat);
    o.analyzer.extra_stopwords = field(a, "extra_stopwords", awhat).get<std::vector<std::string>>();
    o.analyzer.stemmer = string_field(a, "stemmer", awhat);
    o.analyzer.english_possessive = field(a, "english_possessive", awhat).get<bool>();
    o.analyzer.max_token_length = uint_field(a, "max_token_length", awhat);
  } catch (const json::exception& e) {
    throw FormatError(awhat + ": " + e.what());
  }
  try {
    Bm25Index validate(o);
  } catch (const InvalidArgument& e) {
    throw FormatError(what + ": " + e.what());
  }
  return o;
}

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

std::vector<BeirDocument> read_documents(IndexFile& f) {
  std::vector<BeirDocument> docs;
  std::string line;
  std::size_t line_no = 0;
  while (std::getline(f.in(), line)) {
    ++line_no;
    const std::string what = f.path + " line " + std::to_string(line_no);
    json j = io::parse_json(line, what);
    docs.push_back({string_field(j, "_id", what), string_field(j, "title", what), string_field(j, "text", what)});
  }
  if (f.in().bad()) throw IoError(f.path + ": read failed");
  return docs;
}

void write_documents(std::ostream& out, const std::vector<BeirDocument>& docs) {
  for (const auto& d : docs) out << json{{"_id", d.id}, {"title", d.title}, {"text", d.text}}.dump() << '\n';
}

void write_tombstones(std::ostream& out, const PipelineSegment& seg) {
  retrieval_io::Writer w(out);
  w.bytes(kTombMagic, sizeof kTombMagic);
  w.u32(1);
  w.u64(seg.deleted_count);
  for (std::size_t i = 0; i < seg.size(); ++i)
    if (seg.deleted[i]) w.u32(static_cast<std::uint32_t>(i));
  w.bytes(kTombEnd, sizeof kTombEnd);
}

std::vector<std::uint32_t> read_tombstones(std::istream& in, const std::string& what, std::size_t docs) {
  retrieval_io::Reader r(in, what);
  r.expect_magic(kTombMagic, sizeof kTombMagic, "not a radlite tombstone file (bad magic)");
  const std::uint32_t version = r.u32("format version");
  if (version != 1) r.fail("unsupported tombstone format version " + std::to_string(version));
  const std::uint64_t n = r.u64("count");
  if (n > docs) r.fail(std::to_string(n) + " tombstones for a segment of " + std::to_string(docs) + " documents");
  std::vector<std::uint32_t> out;
  r.array(out, n, "deleted documents");
  for (std::size_t i = 0; i < out.size(); ++i)
    if (out[i] >= docs || (i > 0 && out[i] <= out[i - 1])) r.fail("corrupted tombstone list");
  r.expect_magic(kTombEnd, sizeof kTombEnd, "bad end marker (corrupted or truncated tombstone file)");
  return out;
}

std::string random_hex() {
  std::random_device rd;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x%08x%08x%08x", rd(), rd(), rd(), rd());
  return buf;
}

std::string absolute_dir(const std::string& dir) {
  std::error_code ec;
  fs::path p = fs::absolute(dir, ec);
  std::string s = (ec ? fs::path(dir) : p).lexically_normal().string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

// Writes one file straight into the index directory (incremental saves): written, read back for the
// checksum (from the page cache) and fsynced. It is referenced by no manifest until the switch.
io::WrittenFile write_synced(const std::string& dir, const std::string& name,
                             const std::function<void(std::ostream&)>& fill) {
  const std::string path = io::join_path(dir, name);
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) throw IoError(path + ": cannot create");
    fill(out);
    out.flush();
    if (!out) throw IoError(path + ": write failed");
  }
  io::WrittenFile f{name, {}, 0};
  std::ifstream in(path, std::ios::binary);
  io::Sha256 hash;
  std::vector<char> buf(1 << 16);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    hash.update(buf.data(), static_cast<std::size_t>(in.gcount()));
    f.bytes += static_cast<std::uint64_t>(in.gcount());
  }
  if (in.bad()) throw IoError(path + ": read-back failed");
  f.sha256 = hash.hex_digest();
  io::fsync_path(path, false);
  return f;
}

json file_entry(const io::WrittenFile& f) { return json{{"sha256", f.sha256}, {"bytes", f.bytes}}; }

// Whether `name` is a file a radlite save writes into an index directory (the only ones it ever deletes).
bool is_index_file_name(const std::string& name) {
  return name.rfind(kSegmentPrefix, 0) == 0 || name.rfind(std::string(kManifest) + ".tmp-", 0) == 0;
}

void remove_unreferenced(const std::string& dir, const std::set<std::string>& keep) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!is_index_file_name(name) || keep.count(name)) continue;
    std::error_code ignore;
    fs::remove(it->path(), ignore);  // best effort: a leftover is only wasted space
  }
}

// The save's guard against deleting a user's directory: an existing, non-empty target is replaced only when
// it is a radlite index holding nothing but the files its manifest names (version 1 or 2).
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
  std::set<std::string> named;
  try {
    if (manifest.contains("files") && manifest.at("files").is_object())
      for (const auto& [name, entry] : manifest.at("files").items()) named.insert(name);
    if (manifest.contains("segments") && manifest.at("segments").is_array())
      for (const json& seg : manifest.at("segments"))
        for (const auto& [name, entry] : seg.at("files").items()) named.insert(name);
  } catch (const json::exception&) {
    return std::string("its ") + kManifest + " has a malformed file list";
  }
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    // Unnamed files with radlite's own segment names are what a killed incremental save left: still ours.
    if (name != kManifest && !named.count(name) && !is_index_file_name(name))
      return "it holds '" + name + "', which is not part of the index";
  }
  if (ec) return "it cannot be listed (" + ec.message() + ")";
  return "";
}

struct SegmentPlan {
  PipelineSegment::Stored stored;  // what the segment's persistence state becomes after the switch
  bool write_segment = false, write_tombstones = false;
};

}  // namespace

void Pipeline::save(const std::string& dir) const {
  const Impl& s = *impl_;
  std::lock_guard<std::mutex> lock(s.persist_mu);
  const std::string abs = absolute_dir(dir);
  const std::string manifest_path = io::join_path(dir, kManifest);
  bool incremental = false;
  std::set<std::string> referenced;  // every file the manifest on disk names: kept until the switch
  if (!s.saved_dir.empty() && s.saved_dir == abs && io::is_file(manifest_path)) {
    try {
      const json m = io::read_json_file(manifest_path);
      incremental = m.is_object() && m.value("format_version", 0) == kPipelineFormatVersion &&
                    m.value("index_uuid", std::string()) == s.uuid && m.value("generation", std::uint64_t{0}) == s.generation;
      if (incremental)
        for (const json& seg : m.at("segments"))
          for (const auto& [name, entry] : seg.at("files").items()) referenced.insert(name);
    } catch (const std::exception&) {
      incremental = false;  // unreadable: replace it whole
    }
  }
  const std::uint64_t gen = s.generation + 1;
  const std::string uuid = s.uuid.empty() ? random_hex() : s.uuid;
  char gen_text[32];
  std::snprintf(gen_text, sizeof gen_text, "%06llu", static_cast<unsigned long long>(gen));

  std::vector<SegmentPlan> plans(s.segments.size());
  for (std::size_t g = 0; g < s.segments.size(); ++g) {
    const PipelineSegment& seg = *s.segments[g];
    SegmentPlan& p = plans[g];
    const bool kept = incremental && !seg.stored.name.empty();
    if (kept) {
      p.stored = seg.stored;
    } else {
      p.stored = PipelineSegment::Stored{};
      p.stored.name = std::string(kSegmentPrefix) + gen_text + "-" + std::to_string(g);
      p.write_segment = true;
    }
    if (seg.deleted_count == 0) {
      p.stored.tombstones.clear();
      p.stored.tombstones_count = 0;
    } else if (!kept || seg.deleted_count != seg.stored.tombstones_count) {
      p.stored.tombstones = p.stored.name + ".del-" + gen_text + ".bin";
      p.stored.tombstones_count = seg.deleted_count;
      p.write_tombstones = true;
    }
  }

  std::optional<io::AtomicDirectoryWriter> writer;
  if (incremental) {
    remove_unreferenced(dir, referenced);  // what a killed save of this generation may have left
  } else {
    writer.emplace(dir, not_an_index_reason);
  }
  auto write = [&](const std::string& name, const std::function<void(std::ostream&)>& fill) {
    return incremental ? write_synced(dir, name, fill) : writer->write_file(name, fill);
  };
  json segments = json::array();
  std::uint64_t live = 0;
  for (std::size_t g = 0; g < s.segments.size(); ++g) {
    const PipelineSegment& seg = *s.segments[g];
    SegmentPlan& p = plans[g];
    if (p.write_segment) {
      const std::string& n = p.stored.name;
      p.stored.files[n + kDocsSuffix] = file_entry(write(n + kDocsSuffix, [&](std::ostream& out) { write_documents(out, seg.docs); }));
      if (seg.bm25) p.stored.files[n + kBm25Suffix] = file_entry(write(n + kBm25Suffix, [&](std::ostream& out) { seg.bm25->save(out); }));
      if (seg.dense) p.stored.files[n + kDenseSuffix] = file_entry(write(n + kDenseSuffix, [&](std::ostream& out) { seg.dense->save(out); }));
      if (seg.ivfpq) p.stored.files[n + kIvfPqSuffix] = file_entry(write(n + kIvfPqSuffix, [&](std::ostream& out) { seg.ivfpq->save(out); }));
      if (seg.hnsw) p.stored.files[n + kHnswSuffix] = file_entry(write(n + kHnswSuffix, [&](std::ostream& out) { seg.hnsw->save(out); }));
    }
    json files = p.stored.files;
    if (!p.stored.tombstones.empty()) {
      if (p.write_tombstones) {
        p.stored.files_tombstone = file_entry(write(p.stored.tombstones, [&](std::ostream& out) { write_tombstones(out, seg); }));
      }
      files[p.stored.tombstones] = p.stored.files_tombstone;
    }
    live += seg.live();
    segments.push_back(json{{"name", p.stored.name},
                            {"documents", seg.size()},
                            {"deleted", seg.deleted_count},
                            {"tombstones", p.stored.tombstones.empty() ? json(nullptr) : json(p.stored.tombstones)},
                            {"files", files}});
  }

  json manifest;
  manifest["format"] = kFormatName;
  manifest["format_version"] = kPipelineFormatVersion;
  manifest["radlite_version"] = version();
  manifest["index_uuid"] = uuid;
  manifest["generation"] = gen;
  manifest["documents"] = live;
  manifest["document_text"] = "title + \" \" + text when the title is non-empty, else text (BEIR)";
  if (s.has_bm25()) {
    const Bm25Options& b = s.options.bm25_options;
    manifest["bm25"] = json{{"k1", b.k1}, {"b", b.b}, {"analyzer", analyzer_json(b.analyzer)}};
  } else {
    manifest["bm25"] = nullptr;
  }
  if (s.has_dense()) {
    manifest["bi_encoder"] = json{{"identity", s.encoder_identity},
                                  {"dimension", s.dim},
                                  {"metric", metric_name(s.options.dense_metric)}};
    if (s.options.dense_kind == DenseKind::kIvfPq) {
      manifest["dense"] = json{{"kind", "ivfpq"}, {"nlist", s.options.ivfpq.nlist}, {"pq_m", s.options.ivfpq.pq_m}};
    } else if (s.options.dense_kind == DenseKind::kHnsw) {
      manifest["dense"] = json{{"kind", "hnsw"}, {"m", s.options.hnsw.m}, {"ef_construction", s.options.hnsw.ef_construction}};
    } else {
      manifest["dense"] = json{{"kind", "exact"}};
    }
  } else {
    manifest["bi_encoder"] = nullptr;
  }
  manifest["segments"] = segments;
  auto fill_manifest = [&](std::ostream& out) { out << manifest.dump(2) << '\n'; };
  if (incremental) {
    // The switch: the new manifest replaces the old one in one rename; before it, the old generation is
    // untouched, after it every file the new one names is on disk and fsynced.
    const std::string tmp = std::string(kManifest) + ".tmp-" + std::to_string(::getpid());
    write_synced(dir, tmp, fill_manifest);
    if (std::rename(io::join_path(dir, tmp).c_str(), manifest_path.c_str()) != 0)
      throw IoError(manifest_path + ": cannot replace the manifest");
    io::fsync_path(dir, true);
  } else {
    // The manifest is written last: it is the only file that names the others' checksums.
    writer->write_file(kManifest, fill_manifest);
    writer->commit();
  }
  std::set<std::string> now_referenced;
  for (std::size_t g = 0; g < s.segments.size(); ++g) {
    s.segments[g]->stored = plans[g].stored;
    for (const auto& [name, entry] : plans[g].stored.files.items()) now_referenced.insert(name);
    if (!plans[g].stored.tombstones.empty()) now_referenced.insert(plans[g].stored.tombstones);
  }
  s.saved_dir = abs;
  s.generation = gen;
  s.uuid = uuid;
  if (incremental) remove_unreferenced(dir, now_referenced);  // merged-away segments, old tombstone sets
}

namespace {

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

void Pipeline::check_save_target(const std::string& dir) {
  io::AtomicDirectoryWriter probe(dir, not_an_index_reason);  // checks, creates an empty temp dir, removes it
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
    seg->docs = read_documents(docs_file);
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
