// SentencePiece's precompiled_charsmap: see precompiled_charsmap.h.
#include "tokenizers/precompiled_charsmap.h"

#include "radlite/error.h"
#include "tokenizers/unicode.h"

namespace radlite::tokenizers {

CharsMap CharsMap::parse(std::string_view blob, const std::string& what) {
  CharsMap map;
  if (blob.empty()) return map;
  if (blob.size() < 4)
    throw FormatError(what + ": precompiled_charsmap is truncated (" + std::to_string(blob.size()) + " bytes)");
  std::uint32_t trie_bytes = 0;
  for (int i = 3; i >= 0; --i) trie_bytes = (trie_bytes << 8) | static_cast<unsigned char>(blob[i]);
  if (trie_bytes % 4 != 0 || trie_bytes > blob.size() - 4 || trie_bytes == 0) {
    throw FormatError(what + ": precompiled_charsmap declares a trie of " + std::to_string(trie_bytes) +
                      " bytes in a blob of " + std::to_string(blob.size()) + " bytes");
  }
  map.units_.resize(trie_bytes / 4);
  for (std::size_t u = 0; u < map.units_.size(); ++u) {
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i)
      v = (v << 8) | static_cast<unsigned char>(blob[4 + 4 * u + static_cast<std::size_t>(i)]);
    map.units_[u] = v;
  }
  map.normalized_ = std::string(blob.substr(4 + trie_bytes));
  return map;
}

bool CharsMap::replacements_are_utf8() const { return unicode::is_valid_utf8(normalized_); }

std::string_view CharsMap::replacement(std::uint32_t value) const {
  if (value >= normalized_.size()) return {};
  const std::size_t end = normalized_.find('\0', value);
  return std::string_view(normalized_).substr(value, end == std::string::npos ? std::string::npos : end - value);
}

std::string base64_decode(const std::string& in, const std::string& what) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t pad = 0;
  for (const char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      v = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      v = c - '0' + 52;
    } else if (c == '+') {
      v = 62;
    } else if (c == '/') {
      v = 63;
    } else if (c == '=') {
      ++pad;
      continue;
    } else {
      throw FormatError(what + ": invalid base64 character (code " + std::to_string(static_cast<unsigned char>(c)) +
                        ")");
    }
    if (pad > 0) throw FormatError(what + ": base64 data after '=' padding");
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  if ((in.size() - pad) % 4 == 1 || pad > 2) throw FormatError(what + ": base64 data has an invalid length");
  return out;
}

}  // namespace radlite::tokenizers
