// Fuzzes Pipeline::load on an index directory: the manifest, documents.jsonl, bm25.bin, dense.bin (and
// whatever files a later format adds). The input is a file archive (fuzz_files.h); seeds are small indexes
// written by Pipeline::save (make_index_seeds.cpp).
//
// The manifest records each file's sha256, so a mutated data file would only ever reach the checksum
// check. Unless the archive's preamble contains "nofix", the target therefore rewrites every
// {"sha256", "bytes"} entry of the manifest to match the file it names before loading: the mutation then
// reaches the binary parsers, which must reject it on their own (FormatError naming the file), not crash.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "fuzz_check.h"
#include "fuzz_files.h"
#include "io/sha256.h"
#include "radlite/error.h"
#include "radlite/retrieval/pipeline.h"
#include "retrieval/fake_models.h"

namespace {

using nlohmann::json;
using radlite::fuzz::FuzzFile;

const FuzzFile* find_file(const std::vector<FuzzFile>& files, const std::string& name) {
  const FuzzFile* found = nullptr;
  for (const auto& f : files)
    if (f.name == name) found = &f;  // the last one wins, as when they are written in order
  return found;
}

// Rewrites, anywhere in the manifest, an object {"sha256": ..., "bytes": ...} stored under a key that names
// a file of the archive (relative to the index directory, or to `prefix` for nested tables).
void fix_checksums(json& node, const std::vector<FuzzFile>& files, const std::string& prefix) {
  if (node.is_object()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      json& v = it.value();
      if (v.is_object() && v.contains("sha256")) {
        const FuzzFile* f = find_file(files, it.key());
        if (!f) f = find_file(files, prefix + it.key());
        if (f) {
          v["sha256"] = radlite::io::sha256_hex(f->content.data(), f->content.size());
          v["bytes"] = f->content.size();
        }
      }
      fix_checksums(v, files, prefix);
    }
  } else if (node.is_array()) {
    for (auto& v : node) fix_checksums(v, files, prefix);
  }
}

// The deepest nesting of brackets and braces in the text (strings not excluded: an over-estimate).
int bracket_depth(const std::string& text) {
  int depth = 0, deepest = 0;
  for (char c : text) {
    if (c == '[' || c == '{')
      deepest = std::max(deepest, ++depth);
    else if ((c == ']' || c == '}') && depth > 0)
      --depth;
  }
  return deepest;
}

}  // namespace

static int fuzz_one(const std::uint8_t* data, std::size_t size) {
  static radlite::fuzz::ScratchDir scratch;
  static const auto encoder = std::make_shared<radlite::test_models::HashingEncoder>(8, "fuzz-hashing-8");
  auto archive = radlite::fuzz::split_archive(std::string_view(reinterpret_cast<const char*>(data), size));
  if (archive.preamble.find("nofix") == std::string::npos) {
    // Deepest manifests first: a nested manifest's own checksum may be recorded by the one above it.
    std::vector<std::pair<long, std::size_t>> manifests;  // (-depth, index)
    const std::string suffix = "/manifest.json";
    for (std::size_t i = 0; i < archive.files.size(); ++i) {
      const std::string& name = archive.files[i].name;
      const bool nested =
          name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
      if (name == "manifest.json" || nested) manifests.emplace_back(-std::count(name.begin(), name.end(), '/'), i);
    }
    std::sort(manifests.begin(), manifests.end());
    for (const auto& entry : manifests) {
      FuzzFile& f = archive.files[entry.second];
      if (bracket_depth(f.content) > 64) continue;  // json::dump() recurses; keep the harness itself safe
      json m = json::parse(f.content, nullptr, /*allow_exceptions=*/false);
      if (m.is_discarded()) continue;
      const std::string prefix = f.name == "manifest.json" ? "" : f.name.substr(0, f.name.size() - suffix.size() + 1);
      fix_checksums(m, archive.files, prefix);
      f.content = m.dump(2);
    }
  }
  const std::string dir = scratch.reset(archive.files, "index");
  try {
    radlite::Pipeline p = radlite::Pipeline::load(dir, encoder, nullptr);
    const std::size_t n = p.size();
    for (std::size_t i = 0; i < n; ++i) {
      const radlite::BeirDocument& d = p.document(i);
      RADLITE_FUZZ_CHECK(p.find(d.id) == static_cast<std::int64_t>(i), "find() inverts document()");
    }
    radlite::SearchOptions o;
    o.k = 5;
    for (const char* q : {"lung cancer imaging", "the", "zzzz"}) {
      try {
        for (const radlite::PipelineHit& h : p.search(q, o)) {
          RADLITE_FUZZ_CHECK(h.doc < n, "hits name loaded documents");
          RADLITE_FUZZ_CHECK(h.id == p.document(h.doc).id, "a hit's id is its document's");
        }
      } catch (const radlite::Error&) {
        // e.g. a search option that needs a stage this index lacks
      }
    }
  } catch (const radlite::Error&) {
  }
  return 0;
}

RADLITE_FUZZ_ENTRY(fuzz_one)
