// Little helpers for the versioned binary index formats (internal to radlite).
// Values are written in the host byte order, which must be little-endian (checked at compile time), so the
// files are portable across the platforms radlite supports.
#pragma once

#include <radlite/error.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <istream>
#include <ostream>
#include <string>
#include <vector>

namespace radlite::retrieval_io {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "radlite index files are little-endian");

class Writer {
 public:
  explicit Writer(std::ostream& out) : out_(out) {}
  void bytes(const void* p, std::size_t n) {
    out_.write(static_cast<const char*>(p), static_cast<std::streamsize>(n));
    if (!out_) throw IoError("index: write failed");
    written_ += n;
  }
  // Zero bytes up to the next multiple of `align` from the start of this writer (the start of the file), so
  // that arrays after it can be read in place from a mapping.
  void pad(std::size_t align) {
    static const char zeros[64] = {};
    bytes(zeros, (align - written_ % align) % align);
  }
  template <typename T>
  void pod(T v) {
    bytes(&v, sizeof v);
  }
  void u8(std::uint8_t v) { pod(v); }
  void u32(std::uint32_t v) { pod(v); }
  void u64(std::uint64_t v) { pod(v); }
  void f64(double v) { pod(v); }
  void str(const std::string& s) {
    if (s.size() > 0xFFFFFFFFu)
      throw InvalidArgument("index: a string of " + std::to_string(s.size()) + " bytes is too long to save");
    u32(static_cast<std::uint32_t>(s.size()));
    bytes(s.data(), s.size());
  }

 private:
  std::ostream& out_;
  std::uint64_t written_ = 0;
};

class Reader {
 public:
  Reader(std::istream& in, std::string what) : in_(in), what_(std::move(what)) {}

  [[noreturn]] void fail(const std::string& message) const {
    throw FormatError(what_ + ": " + message + " (at byte " + std::to_string(offset_) + ")");
  }
  void bytes(void* p, std::size_t n, const char* field) {
    in_.read(static_cast<char*>(p), static_cast<std::streamsize>(n));
    if (static_cast<std::size_t>(in_.gcount()) != n) {
      if (in_.bad()) throw IoError(what_ + ": read failed");
      fail(std::string("truncated while reading ") + field);
    }
    offset_ += n;
  }
  template <typename T>
  T pod(const char* field) {
    T v;
    bytes(&v, sizeof v, field);
    return v;
  }
  std::uint8_t u8(const char* f) { return pod<std::uint8_t>(f); }
  std::uint32_t u32(const char* f) { return pod<std::uint32_t>(f); }
  std::uint64_t u64(const char* f) { return pod<std::uint64_t>(f); }
  double f64(const char* f) { return pod<double>(f); }
  std::string str(const char* field, std::size_t max_len) {
    const std::uint32_t n = u32(field);
    if (n > max_len) fail(std::string(field) + " length " + std::to_string(n) + " exceeds " + std::to_string(max_len));
    // Grown in chunks, so a corrupted length fails on truncation rather than on a huge allocation.
    std::string s;
    constexpr std::size_t kChunk = 1 << 16;
    while (s.size() < n) {
      const std::size_t old = s.size();
      const std::size_t take = std::min<std::size_t>(kChunk, n - old);
      s.resize(old + take);
      bytes(s.data() + old, take, field);
    }
    return s;
  }
  // Reads `count` PODs, growing in chunks so a corrupted huge count fails on truncation, not on allocation.
  template <typename T>
  void array(std::vector<T>& out, std::uint64_t count, const char* field) {
    out.clear();
    constexpr std::uint64_t kChunk = 1 << 16;
    std::uint64_t done = 0;
    while (done < count) {
      const std::uint64_t take = std::min(kChunk, count - done);
      out.resize(static_cast<std::size_t>(done + take));
      bytes(out.data() + done, static_cast<std::size_t>(take) * sizeof(T), field);
      done += take;
    }
  }
  void expect_magic(const char* magic, std::size_t n, const std::string& problem) {
    std::string got(n, '\0');
    bytes(got.data(), n, "magic");
    if (std::memcmp(got.data(), magic, n) != 0) fail(problem);
  }
  const std::string& what() const { return what_; }
  std::uint64_t offset() const { return offset_; }
  // Moves past n bytes (FormatError if fewer are left).
  void skip(std::uint64_t n, const char* field) {
    in_.seekg(static_cast<std::streamoff>(n), std::ios_base::cur);
    if (!in_) fail(std::string("truncated while reading ") + field);
    offset_ += n;
  }
  // Reads what Writer::pad wrote (FormatError unless it is zeros).
  void padding(std::size_t align) {
    char got[64];
    const std::size_t n = static_cast<std::size_t>((align - offset_ % align) % align);
    bytes(got, n, "padding");
    for (std::size_t i = 0; i < n; ++i)
      if (got[i] != 0) fail("non-zero padding");
  }

 private:
  std::istream& in_;
  std::string what_;
  std::uint64_t offset_ = 0;
};

}  // namespace radlite::retrieval_io
