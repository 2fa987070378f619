// Saving a radlite::Pipeline: index format version 2 (segments + a manifest switched atomically). A save
// into the directory the pipeline was loaded from or last saved to writes only new segments and tombstone
// sets; any other save builds a fresh directory and swaps it in whole. See "Persistence" in pipeline.h.
#include "radlite/retrieval/pipeline.h"

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <random>
#include <set>
#include <system_error>

#include "io/atomic_directory.h"
#include "io/json_reader.h"
#include "io/sha256.h"
#include "radlite/error.h"
#include "radlite/version.h"
#include "retrieval/index_format.h"
#include "retrieval/pipeline_impl.h"

namespace radlite {

namespace {

using nlohmann::json;
using namespace index_format;
namespace fs = std::filesystem;

std::string random_hex() {
  std::random_device rd;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x%08x%08x%08x", rd(), rd(), rd(), rd());
  return buf;
}

// Writes one file straight into the index directory (incremental saves): written, read back for the
// checksum (from the page cache) and fsynced. It is referenced by no manifest until the switch.
io::WrittenFile write_synced(const std::string& dir, const std::string& name,
                             const std::function<void(std::ostream&)>& fill) {
  const std::string path = (fs::path(dir) / name).string();
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) throw IoError(path + ": cannot create (" + std::strerror(errno) + ")");
    try {
      fill(out);
    } catch (const IoError&) {
      // The format writers only know that their stream failed: name the file and the system's reason (the
      // errno of the write that failed, e.g. ENOSPC) here.
      if (!out) throw IoError(path + ": write failed (" + std::strerror(errno) + ")");
      throw;
    }
    out.flush();
    if (!out) throw IoError(path + ": write failed (" + std::strerror(errno) + ")");
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

// Every file a manifest names: a version 1 index's "files", each version 2 segment's "files". Throws
// FormatError when a segment's list is malformed.
std::set<std::string> named_files(const json& manifest, const io::JsonPlace& at) {
  std::set<std::string> named;
  if (const json* files = io::find(manifest, "files", at); files && files->is_object())
    for (const auto& [name, entry] : files->items()) named.insert(name);
  if (const json* segs = io::find(manifest, "segments", at); segs && segs->is_array())
    for (std::size_t g = 0; g < segs->size(); ++g) {
      const io::JsonPlace sat = at.at("segments").at(g);
      const json& files = io::require((*segs)[g], "files", sat);
      if (!files.is_object()) io::format_error(sat.at("files"), "expected an object, got " + io::describe(files));
      for (const auto& [name, entry] : files.items()) named.insert(name);
    }
  return named;
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
  std::error_code ec;  // the path tests below report a failure as false
  const std::string manifest_path = (fs::path(dir) / kManifest).string();
  if (!fs::is_regular_file(manifest_path, ec)) return "it is not a radlite index (no " + std::string(kManifest) + ")";
  json manifest;
  try {
    manifest = io::read_json_file(manifest_path, 64u << 20);
  } catch (const Error& e) {
    return std::string("its ") + kManifest + " is not a radlite manifest (" + e.what() + ")";
  }
  const io::JsonPlace at{manifest_path, ""};
  const json* format = manifest.is_object() ? io::find(manifest, "format", at) : nullptr;
  if (!format || *format != json(kFormatName))
    return std::string("its ") + kManifest + " does not describe a radlite index";
  std::set<std::string> named;
  try {
    named = named_files(manifest, at);
  } catch (const FormatError&) {
    return std::string("its ") + kManifest + " has a malformed file list";
  }
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
  std::error_code ec;  // the path tests below report a failure as false
  const Impl& s = *impl_;
  std::lock_guard<std::mutex> lock(s.persist_mu);
  const std::string abs = absolute_dir(dir);
  const std::string manifest_path = (fs::path(dir) / kManifest).string();
  bool incremental = false;
  std::set<std::string> referenced;  // every file the manifest on disk names: kept until the switch
  if (!s.saved_dir.empty() && s.saved_dir == abs && fs::is_regular_file(manifest_path, ec)) {
    try {
      const json m = io::read_json_file(manifest_path);
      const io::JsonPlace at{manifest_path, ""};
      const auto version = io::get_int(m, "format_version", at, 0, LLONG_MIN, LLONG_MAX);
      const std::uint64_t generation = io::find(m, "generation", at) ? io::get_uint(m, "generation", at) : 0;
      incremental = version == kPipelineFormatVersion && io::get_string(m, "index_uuid", at, "") == s.uuid &&
                    generation == s.generation;
      if (incremental) {
        const json& segs = io::require(m, "segments", at);  // without it, named_files would keep nothing
        if (!segs.is_array()) io::format_error(at.at("segments"), "expected an array");
        referenced = named_files(m, at);
      }
    } catch (const Error&) {
      incremental = false;  // unreadable or malformed: replace it whole
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
      std::vector<std::uint64_t> lines;
      p.stored.files[n + kDocsSuffix] =
          file_entry(write(n + kDocsSuffix, [&](std::ostream& out) { lines = seg.docs.write_documents(out); }));
      p.stored.files[n + kDocsIndexSuffix] =
          file_entry(write(n + kDocsIndexSuffix, [&](std::ostream& out) { seg.docs.write_index(out, lines); }));
      if (seg.bm25)
        p.stored.files[n + kBm25Suffix] =
            file_entry(write(n + kBm25Suffix, [&](std::ostream& out) { seg.bm25->save(out); }));
      if (seg.dense)
        p.stored.files[n + kDenseSuffix] =
            file_entry(write(n + kDenseSuffix, [&](std::ostream& out) { seg.dense->save(out); }));
      if (seg.ivfpq)
        p.stored.files[n + kIvfPqSuffix] =
            file_entry(write(n + kIvfPqSuffix, [&](std::ostream& out) { seg.ivfpq->save(out); }));
      if (seg.hnsw)
        p.stored.files[n + kHnswSuffix] =
            file_entry(write(n + kHnswSuffix, [&](std::ostream& out) { seg.hnsw->save(out); }));
    }
    json files = p.stored.files;
    if (!p.stored.tombstones.empty()) {
      if (p.write_tombstones) {
        p.stored.files_tombstone =
            file_entry(write(p.stored.tombstones, [&](std::ostream& out) { write_tombstones(out, seg); }));
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
    manifest["bi_encoder"] =
        json{{"identity", s.encoder_identity}, {"dimension", s.dim}, {"metric", metric_name(s.options.dense_metric)}};
    if (s.options.dense_kind == DenseKind::kIvfPq) {
      manifest["dense"] = json{{"kind", "ivfpq"}, {"nlist", s.options.ivfpq.nlist}, {"pq_m", s.options.ivfpq.pq_m}};
    } else if (s.options.dense_kind == DenseKind::kHnsw) {
      manifest["dense"] =
          json{{"kind", "hnsw"}, {"m", s.options.hnsw.m}, {"ef_construction", s.options.hnsw.ef_construction}};
    } else {
      manifest["dense"] = json{{"kind", "exact"}};
    }
    // Only float16 is recorded, so float32 manifests stay as earlier builds wrote (and read) them.
    if (s.options.vector_dtype == VectorDtype::kFloat16) manifest["dense"]["vector_dtype"] = "float16";
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
    if (std::rename((fs::path(dir) / tmp).string().c_str(), manifest_path.c_str()) != 0)
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

void Pipeline::check_save_target(const std::string& dir) {
  io::AtomicDirectoryWriter probe(dir, not_an_index_reason);  // checks, creates an empty temp dir, removes it
}

}  // namespace radlite
