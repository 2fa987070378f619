// A read-only memory mapping of a whole file (internal to radlite). Index files are mapped rather than
// read so that loading costs no copy, pages are read on first touch, and processes that load the same
// index share its pages in the page cache.
#pragma once

#include <cstddef>
#include <istream>
#include <memory>
#include <streambuf>
#include <string>

namespace radlite::retrieval_internal {

class MappedFile {
 public:
  /// Maps `path` (FormatError "missing index file" when it is absent or not a regular file, IoError when
  /// it cannot be opened or mapped). An empty file gives data() == nullptr and size() == 0.
  static std::shared_ptr<const MappedFile> open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const char* data() const { return data_; }
  std::size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  MappedFile() = default;
  std::string path_;
  const char* data_ = nullptr;
  std::size_t size_ = 0;
};

/// An istream over a mapped file's bytes, or any bytes in memory (for the formats parsed field by field).
class MappedStream : private std::streambuf, public std::istream {
 public:
  explicit MappedStream(const MappedFile& f) : MappedStream(f.data(), f.size()) {}
  MappedStream(const char* data, std::size_t size) : std::istream(static_cast<std::streambuf*>(this)) {
    char* p = const_cast<char*>(data);  // read-only use: the get area is never written
    setg(p, p, p + size);
  }

 protected:
  using pos_type = std::streambuf::pos_type;
  using off_type = std::streambuf::off_type;
  pos_type seekoff(off_type off, std::ios_base::seekdir dir, std::ios_base::openmode) override {
    char* target = (dir == std::ios_base::beg ? eback() : dir == std::ios_base::cur ? gptr() : egptr()) + off;
    if (target < eback() || target > egptr()) return pos_type(off_type(-1));
    setg(eback(), target, egptr());
    return pos_type(target - eback());
  }
  pos_type seekpos(pos_type pos, std::ios_base::openmode mode) override {
    return seekoff(off_type(pos), std::ios_base::beg, mode);
  }
};

}  // namespace radlite::retrieval_internal
