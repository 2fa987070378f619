// UTF-8 for all of radlite (internal): the one validator, decoder and encoder, shared by the tokenizers, the
// BM25 analyzer, the pipeline's document checks and the CLI. Validity is utf8proc's (RFC 3629: no overlong
// forms, no surrogates, nothing above U+10FFFF), as it is for nlohmann::json; the one thing written here is
// the maximal-subpart repair that utf8proc does not offer. Pure functions; safe to call concurrently.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace radlite::io {

/// Bytes of the valid UTF-8 sequence that starts at s[i] (1 to 4), with its code point in `cp`; 0 when s[i]
/// starts no valid sequence (then `cp` is unspecified). i < s.size().
std::size_t decode_utf8(std::string_view s, std::size_t i, char32_t& cp);

/// Appends the UTF-8 encoding of the code point c (c <= U+10FFFF, not a surrogate).
void append_utf8(std::string& out, char32_t c);

/// Byte offset of the first invalid UTF-8 sequence in `s`, or npos.
std::size_t invalid_utf8_offset(std::string_view s);
inline bool is_valid_utf8(std::string_view s) { return invalid_utf8_offset(s) == std::string_view::npos; }

/// InvalidArgument "<what> is not valid UTF-8 (byte offset N)" when `text` is not valid UTF-8.
void require_utf8(std::string_view text, const std::string& what);

/// `s` with every maximal invalid subsequence replaced by U+FFFD (Python's errors="replace" / Rust's
/// String::from_utf8_lossy convention, Unicode's "maximal subpart" practice).
std::string repair_utf8(std::string_view s);

}  // namespace radlite::io
