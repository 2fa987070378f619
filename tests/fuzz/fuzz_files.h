// Turning one fuzzer input into a directory of files, for the parsers that read directories (the index
// loader, the model configs).
//
// Input format ("file archive"): any preamble, then sections that each start with a line "#FILE <name>":
//   #FILE manifest.json
//   {...}
//   #FILE documents.jsonl
//   ...
// A section's content runs up to the newline before the next "#FILE " line (that newline belongs to the
// separator), so text and binary files both round-trip. The format is line-oriented on purpose: libFuzzer's
// byte mutations keep most sections intact, so the fuzzer spends its time inside one file, not in the
// archive. Names are restricted (see safe_name) so that an input can never write outside the scratch directory.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

namespace radlite::fuzz {

struct FuzzFile {
  std::string name;     // relative path, '/'-separated
  std::string content;  // exact bytes
};

struct FuzzArchive {
  std::string preamble;  // bytes before the first section (flags for the target)
  std::vector<FuzzFile> files;
};

inline constexpr std::string_view kFileMarker = "#FILE ";

// Letters, digits, '.', '_', '-' and '/' only; no empty, "." or ".." component; at most 4 components.
inline bool safe_name(const std::string& name) {
  if (name.empty() || name.size() > 100 || name.front() == '/' || name.back() == '/') return false;
  int components = 1;
  std::string part;
  for (char c : name + "/") {
    if (c == '/') {
      if (part.empty() || part == "." || part == "..") return false;
      part.clear();
      if (++components > 5) return false;
      continue;
    }
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return false;
    part += c;
  }
  return true;
}

inline FuzzArchive split_archive(std::string_view data) {
  FuzzArchive out;
  // Section starts: offset 0 when the data begins with the marker, else every "\n#FILE ".
  std::vector<std::size_t> starts;  // offsets of the marker itself
  if (data.substr(0, kFileMarker.size()) == kFileMarker) starts.push_back(0);
  for (std::size_t p = data.find(std::string("\n").append(kFileMarker)); p != std::string_view::npos;
       p = data.find(std::string("\n").append(kFileMarker), p + 1))
    starts.push_back(p + 1);
  out.preamble = std::string(data.substr(0, starts.empty() ? data.size() : (starts[0] == 0 ? 0 : starts[0] - 1)));
  for (std::size_t i = 0; i < starts.size(); ++i) {
    const std::size_t begin = starts[i] + kFileMarker.size();
    const std::size_t end = i + 1 < starts.size() ? starts[i + 1] - 1 : data.size();  // excludes the '\n'
    const std::size_t eol = data.find('\n', begin);
    FuzzFile f;
    if (eol == std::string_view::npos || eol >= end) {
      f.name = std::string(data.substr(begin, end - begin));
    } else {
      f.name = std::string(data.substr(begin, eol - begin));
      f.content = std::string(data.substr(eol + 1, end - eol - 1));
    }
    if (safe_name(f.name)) out.files.push_back(std::move(f));
  }
  return out;
}

inline std::string join_archive(const FuzzArchive& archive) {
  std::string out = archive.preamble;
  for (const auto& f : archive.files) {
    if (!out.empty()) out += '\n';
    out.append(kFileMarker).append(f.name).append("\n").append(f.content);
  }
  return out;
}

// A private directory, emptied before each input and removed at exit. Under /dev/shm when it exists: the
// targets write a few files per execution, and tmpfs keeps that from dominating the run time.
class ScratchDir {
 public:
  ScratchDir() {
    std::string base =
        std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : std::filesystem::temp_directory_path().string();
    std::string tmpl = base + "/radlite-fuzz-XXXXXX";
    if (!::mkdtemp(tmpl.data())) std::abort();
    root_ = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  // Empties the directory and writes `files` into root()/sub (sub is created; intermediate directories too).
  // Returns root()/sub. A name that is both a file and a directory in one input: the later one is skipped.
  std::string reset(const std::vector<FuzzFile>& files, const std::string& sub = "d") {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(root_, ec))
      std::filesystem::remove_all(entry.path(), ec);
    const std::filesystem::path dir = std::filesystem::path(root_) / sub;
    std::filesystem::create_directories(dir, ec);
    for (const auto& f : files) {
      const std::filesystem::path p = dir / f.name;
      std::filesystem::create_directories(p.parent_path(), ec);
      if (ec) continue;
      std::ofstream out(p, std::ios::binary | std::ios::trunc);
      out.write(f.content.data(), static_cast<std::streamsize>(f.content.size()));
    }
    return dir.string();
  }
  const std::string& root() const { return root_; }

 private:
  std::string root_;
};

}  // namespace radlite::fuzz
