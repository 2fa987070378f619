// UTF-8 validation of text the user passes on the command line or in a queries file, before any work starts.
//
// Why in the CLI: a query reaches BM25 (which refuses invalid UTF-8), the bi-encoder's tokenizer (which repairs
// it to U+FFFD) and the JSON writer (which refuses it) at different moments. Checking once up front gives one
// behaviour for every stage combination and output format: a clear error before anything is searched.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace radlite::cli {

/// Byte offset of the first invalid UTF-8 sequence in `text`, or npos. Decoded by utf8proc: overlong forms,
/// surrogates and code points above U+10FFFF are invalid.
std::size_t invalid_utf8_offset(std::string_view text);

/// InvalidArgument "<what> is not valid UTF-8 (byte offset N)" when `text` is not valid UTF-8.
void require_utf8(std::string_view text, const std::string& what);

}  // namespace radlite::cli
