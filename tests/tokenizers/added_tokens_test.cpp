// Added-token matching: leftmost-longest like HF's aho-corasick automaton, and a file with 50,000 added tokens that
// share their first bytes (83 s to load before the automaton) loads and tokenizes correctly.
// HF's own ids for overlapping added tokens with strip / single_word flags: pipeline_cases_test.cpp.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cstdio>

#include "io/file_util.h"
#include "radlite/tokenizer.h"
#include "tokenizers/added_tokens.h"

using nlohmann::json;
using radlite::Tokenizer;
using radlite::tokenizers::AddedToken;
using radlite::tokenizers::AddedTokenMatcher;

namespace {

const std::string kModels = RADLITE_MODELS_DIR;

// "piece|piece|..." with added tokens shown as [content].
std::string split_text(const std::vector<std::string>& patterns, const std::string& text) {
  AddedTokenMatcher m;
  std::vector<AddedToken> tokens;
  for (std::size_t k = 0; k < patterns.size(); ++k) {
    tokens.push_back({patterns[k], static_cast<std::int32_t>(k)});
    m.add(patterns[k], k);
  }
  m.finish();
  std::string out;
  m.split(text, tokens, [&](std::string_view piece, int token, std::size_t) {
    if (!out.empty()) out += '|';
    out += token >= 0 ? "[" + std::string(piece) + "]" : std::string(piece);
  });
  return out;
}

}  // namespace

TEST(AddedTokens, LeftmostLongest) {
  EXPECT_EQ(split_text({"ab", "abc", "bcd"}, "xabcdx"), "x|[abc]|dx");  // leftmost, then longest
  EXPECT_EQ(split_text({"bc", "abcd"}, "abcd"), "[abcd]");              // an earlier start found later
  EXPECT_EQ(split_text({"bc", "abcde"}, "abcdx"), "a|[bc]|dx");         // the longer one fails: back to bc
  std::string each_a;  // a long pattern stays alive for 50 characters at every position, and never matches
  for (int i = 0; i < 60; ++i) each_a += std::string(i ? "|" : "") + "[a]";
  EXPECT_EQ(split_text({"a", std::string(50, 'a') + "b"}, std::string(60, 'a')), each_a);
  EXPECT_EQ(split_text({"<s>", "</s>"}, "<s>hi</s></s>"), "[<s>]|hi|[</s>]|[</s>]");
  EXPECT_EQ(split_text({"\xC3\xA9t\xC3\xA9", "t"}, "\xC3\xA9t\xC3\xA9 et"), "[\xC3\xA9t\xC3\xA9]| e|[t]");
  EXPECT_EQ(split_text({"abc"}, "ab"), "ab");
  EXPECT_EQ(split_text({}, "ab"), "ab");
}

TEST(AddedTokens, FiftyThousandTokensSharingFirstBytes) {
  json tj = radlite::io::read_json_file(kModels + "/bert-biencoder-cls-tiny/tokenizer.json");
  const Tokenizer base = Tokenizer::from_json(tj.dump());
  const auto vocab = static_cast<std::int32_t>(base.vocab_size());
  char buf[32];
  for (int k = 0; k < 50000; ++k) {
    std::snprintf(buf, sizeof buf, "<extra_%05d>", k);
    tj["added_tokens"].push_back({{"id", vocab + k},
                                  {"content", buf},
                                  {"single_word", false},
                                  {"lstrip", false},
                                  {"rstrip", false},
                                  {"normalized", false},
                                  {"special", true}});
  }
  const Tokenizer tok = Tokenizer::from_json(tj.dump());
  EXPECT_EQ(tok.vocab_size(), static_cast<std::size_t>(vocab) + 50000);
  EXPECT_EQ(tok.token_to_id("<extra_12345>"), vocab + 12345);
  const auto hello = base.encode("hello", {false}).ids;
  const auto world = base.encode("world", {false}).ids;
  const auto rest = base.encode("<extra_5>", {false}).ids;  // a prefix of many tokens but none of them
  std::vector<std::int32_t> expected = {base.token_to_id("[CLS]")};
  expected.insert(expected.end(), hello.begin(), hello.end());
  expected.push_back(vocab + 12345);
  expected.insert(expected.end(), world.begin(), world.end());
  expected.push_back(vocab + 49999);
  expected.push_back(vocab + 0);
  expected.insert(expected.end(), rest.begin(), rest.end());
  expected.push_back(base.token_to_id("[SEP]"));
  const auto got = tok.encode("hello<extra_12345>world <extra_49999><extra_00000><extra_5>").ids;
  EXPECT_EQ(got, expected);
  EXPECT_EQ(tok.decode(got, false).find("<extra_49999>") != std::string::npos, true);
  // A long text of near-misses: every position starts a path in the automaton.
  std::string near;
  for (int k = 0; k < 2000; ++k) near += "<extra_0000";
  near += "<extra_00007>";
  const auto ids = tok.encode(near).ids;
  ASSERT_GE(ids.size(), 3u);
  EXPECT_EQ(ids[ids.size() - 2], vocab + 7);
}
