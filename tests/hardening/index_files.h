// Test helpers that edit a saved index directory as an attacker or a disk error would, independent of the
// exact layout: files are found by name anywhere under the directory, and fix_manifest_checksums() makes
// every manifest's {"sha256", "bytes"} entries match the edited files again, so that the edit reaches the
// file's own parser instead of stopping at the checksum check.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/sha256.h"
#include "support/scratch_dir.h"

namespace radlite::hardening {

namespace fs = std::filesystem;

/// The first file called `name`, or `<segment>.name` (format 2 names files after their segment), under `dir`
/// (recursively; the shallowest wins); throws when absent.
inline std::string find_index_file(const std::string& dir, const std::string& name) {
  std::vector<fs::path> found;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    const std::string file = e.path().filename().string();
    const bool segment_file = file.size() > name.size() &&
                              file.compare(file.size() - name.size(), name.size(), name) == 0 &&
                              file[file.size() - name.size() - 1] == '.';
    if (e.is_regular_file() && (file == name || segment_file)) found.push_back(e.path());
  }
  if (found.empty()) throw std::runtime_error("no " + name + " under " + dir);
  std::sort(found.begin(), found.end(), [](const fs::path& a, const fs::path& b) {
    return std::distance(a.begin(), a.end()) < std::distance(b.begin(), b.end());
  });
  return found.front().string();
}

inline void fix_checksums(nlohmann::json& node, const fs::path& base) {
  if (node.is_object()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      nlohmann::json& v = it.value();
      if (v.is_object() && v.contains("sha256") && fs::is_regular_file(base / it.key())) {
        const std::string bytes = test_support::read_bytes((base / it.key()).string());
        v["sha256"] = io::sha256_hex(bytes.data(), bytes.size());
        v["bytes"] = bytes.size();
      }
      fix_checksums(v, base);
    }
  } else if (node.is_array()) {
    for (auto& v : node) fix_checksums(v, base);
  }
}

/// Rewrites every manifest.json under `dir` (deepest first) so that its checksums match the files.
inline void fix_manifest_checksums(const std::string& dir) {
  std::vector<fs::path> manifests;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file() && e.path().filename() == "manifest.json") manifests.push_back(e.path());
  std::sort(manifests.begin(), manifests.end(), [](const fs::path& a, const fs::path& b) {
    return std::distance(a.begin(), a.end()) > std::distance(b.begin(), b.end());
  });
  for (const auto& m : manifests) {
    nlohmann::json j = nlohmann::json::parse(test_support::read_bytes(m.string()));
    fix_checksums(j, m.parent_path());
    test_support::write_file(m.string(), j.dump(2));
  }
}

/// Overwrites bytes [offset, offset + bytes.size()) of a file.
inline void patch_file(const std::string& path, std::size_t offset, const std::string& bytes) {
  std::string content = test_support::read_bytes(path);
  if (offset + bytes.size() > content.size()) throw std::runtime_error("patch past the end of " + path);
  content.replace(offset, bytes.size(), bytes);
  test_support::write_file(path, content);
}

}  // namespace radlite::hardening
