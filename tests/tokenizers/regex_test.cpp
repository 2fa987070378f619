// Replace / Split patterns on Oniguruma: long runs that crashed std::regex (100,000 spaces, 1 MB of text), a pattern
// that backtracks exponentially (a clear error, not minutes of work), and the onig crate's empty-match rule.
// Parity of patterns with HF tokenizers' own output is in pipeline_cases_test.cpp.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <regex.h>

#include <nlohmann/json.hpp>

#include <random>

#include "io/file_util.h"
#include "radlite/error.h"
#include "radlite/tokenizer.h"
#include "tokenizers/regex.h"

using nlohmann::json;
using radlite::Tokenizer;
using radlite::tokenizers::Matches;
using radlite::tokenizers::Regex;

namespace {

const std::string kModels = RADLITE_MODELS_DIR;

// The tiny XLM-R tokenizer.json with the Replace(" {2,}") that transformers writes into SentencePiece conversions,
// before its Precompiled normalizer, as converted files have it.
Tokenizer xlmr_with_multispace_replace() {
  json tj = radlite::io::read_json_file(kModels + "/xlmr-biencoder-sp-tiny/tokenizer.json");
  tj["normalizer"] = {
      {"type", "Sequence"},
      {"normalizers", {{{"type", "Replace"}, {"pattern", {{"Regex", " {2,}"}}}, {"content", " "}}, tj["normalizer"]}}};
  return Tokenizer::from_json(tj.dump());
}

Matches all(const std::string& pattern, const std::string& text) {
  Regex re(pattern, "test");
  Matches m;
  re.find_all(text, m);
  return m;
}

}  // namespace

TEST(Regex, HundredThousandSpacesThroughReplace) {
  const Tokenizer tok = xlmr_with_multispace_replace();
  const std::string spaces(100000, ' ');
  // The run collapses to one space, so the ids are those of the short text (and no crash on the way).
  EXPECT_EQ(tok.encode("left" + spaces + "right").ids, tok.encode("left right").ids);
  EXPECT_EQ(tok.encode(spaces).ids, tok.encode("").ids);
  // The match itself: one run, found in full.
  const Regex re(" {2,}", "test");
  Matches m;
  re.find_all("a" + spaces + "b", m);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0], (std::pair<std::size_t, std::size_t>{1, 100001}));
}

TEST(Regex, OneMegabyteText) {
  const Tokenizer tok = xlmr_with_multispace_replace();
  std::mt19937 rng(11u);
  const std::vector<std::string> words = {"hepatocellular", "carcinoma", "MRI", "lesion", "(HCC)", "2.5", "cm"};
  std::string text, collapsed;
  while (text.size() < (1u << 20)) {
    const std::string& w = words[rng() % words.size()];
    const std::size_t gap = 1 + rng() % 40;  // runs of up to 40 spaces
    text += w + std::string(gap, ' ');
    collapsed += w + " ";
  }
  const auto ids = tok.encode(text).ids;
  EXPECT_GT(ids.size(), 100000u);
  EXPECT_EQ(ids, tok.encode(collapsed).ids);
  // The same megabyte as one run of spaces inside a Split.
  json split = radlite::io::read_json_file(kModels + "/bert-biencoder-cls-tiny/tokenizer.json");
  split["pre_tokenizer"] = {
      {"type", "Split"}, {"pattern", {{"Regex", "\\s+"}}}, {"behavior", "Removed"}, {"invert", false}};
  const Tokenizer bert = Tokenizer::from_json(split.dump());
  EXPECT_EQ(bert.encode("a" + std::string(1u << 20, ' ') + "b").ids, bert.encode("a b").ids);
}

// (a+)+$ on "aaa...ab" backtracks 2^n ways; std::regex took 16 s on 29 characters. The retry limit ends it with a
// ModelError naming the pattern (HF tokenizers aborts the process on the same input).
TEST(Regex, ExponentialPatternFailsWithClearError) {
  json tj = radlite::io::read_json_file(kModels + "/bert-biencoder-cls-tiny/tokenizer.json");
  tj["pre_tokenizer"] = {
      {"type", "Split"}, {"pattern", {{"Regex", "(a+)+$"}}}, {"behavior", "Isolated"}, {"invert", false}};
  const Tokenizer tok = Tokenizer::from_json(tj.dump());
  EXPECT_GE(tok.encode("aaaa").ids.size(), 3u);  // the pattern itself works where it does not backtrack
  for (const std::size_t n : {28u, 40u, 1000u}) {
    try {
      tok.encode(std::string(n, 'a') + "b");
      ADD_FAILURE() << "no error for " << n << " characters";
    } catch (const radlite::ModelError& e) {
      EXPECT_NE(std::string(e.what()).find("(a+)+$"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("retry"), std::string::npos) << e.what();
    }
  }
}

// The onig crate's find_iter: after a match the search resumes at its end; an empty match steps one character
// and is not reported right after a non-empty one. (HF's ids for such patterns: pipeline_cases_test.cpp.)
TEST(Regex, EmptyMatchesFollowTheOnigCrate) {
  using M = Matches;
  EXPECT_EQ(all("x*", "ab"), (M{{0, 0}, {1, 1}, {2, 2}}));
  EXPECT_EQ(all("b*", "abba"), (M{{0, 0}, {1, 3}, {4, 4}}));
  EXPECT_EQ(all("", "\xC3\xA9z"), (M{{0, 0}, {2, 2}, {3, 3}}));  // steps over whole characters
  EXPECT_EQ(all("$", "ab"), (M{{2, 2}}));
  EXPECT_EQ(all("\\p{L}+", "ab-\xC3\xA9\xC3\xA9"), (M{{0, 2}, {3, 7}}));  // Unicode classes compile and match
  EXPECT_EQ(all("(?<=a)b", "abab"), (M{{1, 2}, {3, 4}}));
  EXPECT_TRUE(all("z", "").empty());
}

TEST(Regex, BadPatternNamesFileAndField) {
  json tj = radlite::io::read_json_file(kModels + "/bert-biencoder-cls-tiny/tokenizer.json");
  tj["normalizer"] = {{"type", "Replace"}, {"pattern", {{"Regex", "(unclosed"}}}, {"content", ""}};
  try {
    Tokenizer::from_json(tj.dump());
    ADD_FAILURE() << "no error";
  } catch (const radlite::ModelError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("normalizer.pattern"), std::string::npos) << what;
    EXPECT_NE(what.find("(unclosed"), std::string::npos) << what;
  }
}

// Oniguruma also exports the POSIX names regcomp/regexec/regfree, with its own flag values (its REG_EXTENDED is
// glibc's REG_ICASE). radlite opens it with dlopen(RTLD_LOCAL), so a program that links radlite keeps glibc's POSIX
// regex, before and after the first pattern is compiled, and Oniguruma's names stay out of the global scope.
// Linked the ordinary way (libonig in the program's DT_NEEDED, ahead of libc), both checks below fail: "a|b"
// compiled with REG_EXTENDED does not match "b", and "A" matches "a".
TEST(Regex, LeavesTheProcessPosixRegexToTheCLibrary) {
  const auto posix_matches = [](const char* pattern, int flags, const char* text) {
    regex_t re;
    EXPECT_EQ(regcomp(&re, pattern, flags), 0) << pattern;
    const bool m = regexec(&re, text, 0, nullptr, 0) == 0;
    regfree(&re);
    return m;
  };
  const auto check = [&] {
    EXPECT_TRUE(posix_matches("a|b", REG_EXTENDED, "b")) << "alternation of an extended POSIX regex";
    EXPECT_FALSE(posix_matches("A", REG_EXTENDED, "a")) << "REG_EXTENDED read as case-insensitive";
    EXPECT_TRUE(posix_matches("x+", REG_EXTENDED | REG_ICASE, "XX"));
    EXPECT_EQ(dlsym(RTLD_DEFAULT, "onig_new"), nullptr) << "Oniguruma's symbols are in the global scope";
  };
  check();
  EXPECT_EQ(all("b", "abcb").size(), 2u);  // loads Oniguruma
  check();
}
