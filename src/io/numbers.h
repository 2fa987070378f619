// The one number parser for text radlite reads (internal): command-line values, qrels and run files, pieces of
// tokenizer templates, ids in JSON keys. Whole-string and range-checked, over std::from_chars: decimal only
// ("010" is ten, never octal; no "0x"), no leading spaces or '+', and no locale. Callers word their own errors.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

namespace radlite::io {

/// The whole of `text` as a decimal integer ('-' then digits, or digits) within [min, max]; nothing otherwise.
std::optional<std::int64_t> parse_int(std::string_view text,
                                      std::int64_t min = std::numeric_limits<std::int64_t>::min(),
                                      std::int64_t max = std::numeric_limits<std::int64_t>::max());

/// The whole of `text` as a decimal floating-point number ("1.5", "-2e-3"); nothing when it is something else
/// or beyond double's range. "inf" and "nan" are numbers here: callers that need a finite value check.
std::optional<double> parse_double(std::string_view text);

}  // namespace radlite::io
