// The patterns of Replace normalizers and Split pre-tokenizers (internal), matched as Hugging Face tokenizers
// matches them: with Oniguruma (HF's SysRegex is the `onig` crate), UTF-8 encoding, Ruby syntax (the onig crate's
// Syntax::default()), no options, and the onig crate's find_iter rule for empty matches.
//
// Oniguruma backtracks on a heap stack, so long runs of matching text cannot overflow the C++ stack (std::regex
// recursed once per character and crashed near 30,000). Each match attempt has a retry limit; a pattern that
// backtracks exponentially fails with a ModelError naming the pattern instead of running for minutes.
// Thread safety: a compiled Regex is immutable; find_all may be called concurrently.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "io/json_reader.h"

namespace radlite::tokenizers {

using io::JsonPlace;

/// Byte ranges [begin, end) of matches, in order, non-overlapping; empty ranges are empty matches.
using Matches = std::vector<std::pair<std::size_t, std::size_t>>;

class Regex {
 public:
  /// Compiles `pattern`; throws ModelError naming `where` and Oniguruma's message when it does not compile.
  Regex(const std::string& pattern, const std::string& where);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  /// Every match in s (valid UTF-8), as the onig crate's find_iter reports them: after a match the search resumes
  /// at its end; an empty match advances one character and is dropped right after a non-empty match.
  /// Throws ModelError when a match attempt exceeds the retry limit (catastrophic backtracking).
  void find_all(std::string_view s, Matches& out) const;

  const std::string& pattern() const { return pattern_; }

  /// Backtracking steps one match attempt may take: Oniguruma's own default, which HF inherits, so that every
  /// pattern HF completes completes here too (HF aborts the process where this throws).
  static constexpr unsigned long kRetryLimit = 10'000'000;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string pattern_;
};

/// A pattern of a Replace normalizer or Split pre-tokenizer: {"String": "..."} or {"Regex": "..."}.
/// HF compiles a String as an escaped regex; a non-empty literal is found directly (same matches), and the empty
/// one becomes the empty regex, which matches at every character boundary as it does in HF.
struct Pattern {
  std::string literal;
  std::shared_ptr<const Regex> regex;  // set for {"Regex": ...} and for the empty String
};
Pattern parse_pattern(const nlohmann::json& j, const JsonPlace& p);
/// Matches of pat in s (see Regex::find_all); none in an empty s, as in HF.
void find_matches(const Pattern& pat, std::string_view s, Matches& out);

}  // namespace radlite::tokenizers
