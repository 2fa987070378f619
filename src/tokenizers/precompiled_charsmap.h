// SentencePiece's precompiled_charsmap (internal): the normalization rules of a SentencePiece model, as stored in
// a .model file (normalizer_spec) and, base64-encoded, in a tokenizer.json Precompiled normalizer.
// Layout: <uint32 little-endian trie byte size><Darts double-array units><'\0'-separated replacement strings>.
// Thread safety: immutable after parse.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace radlite::tokenizers {

class CharsMap {
 public:
  /// Parses a blob (empty: no rules). Throws FormatError naming `what` when the header does not fit the blob.
  static CharsMap parse(std::string_view blob, const std::string& what);

  bool empty() const { return units_.empty(); }
  /// HF refuses a charsmap whose replacement table is not UTF-8; checking it keeps invalid UTF-8 out of texts.
  bool replacements_are_utf8() const;

  /// Calls f(length, replacement) for every key that is a prefix of `key`, shortest first; stops when f returns
  /// false. Out-of-range positions (a corrupted blob) end the search instead of reading past the array.
  template <class F>
  void prefix_matches(std::string_view key, F&& f) const {
    if (units_.empty()) return;
    std::size_t pos = offset(units_[0]);
    for (std::size_t i = 0; i < key.size(); ++i) {
      const auto c = static_cast<unsigned char>(key[i]);
      if (c == 0) return;  // the trie cannot hold NUL; both SentencePiece and HF stop there
      pos ^= c;
      if (pos >= units_.size()) return;
      const std::uint32_t unit = units_[pos];
      if ((unit & ((1u << 31) | 0xFFu)) != c) return;
      pos ^= offset(unit);
      if (pos >= units_.size()) return;
      if ((unit >> 8) & 1u) {
        const std::uint32_t value = units_[pos] & ((1u << 31) - 1);
        if (!f(i + 1, replacement(value))) return;
      }
    }
  }

 private:
  static std::size_t offset(std::uint32_t unit) { return (unit >> 10) << ((unit & (1u << 9)) >> 6); }
  std::string_view replacement(std::uint32_t value) const;

  std::vector<std::uint32_t> units_;
  std::string normalized_;
};

/// Standard base64 (with '=' padding) to bytes; FormatError naming `what` for anything else.
std::string base64_decode(const std::string& in, const std::string& what);

}  // namespace radlite::tokenizers
