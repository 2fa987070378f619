// Malformed tokenizer.json files and random input bytes: every failure must be a radlite::Error naming what is
// wrong, never another exception type or a crash (deterministic mutations, so failures reproduce).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <random>

#include "radlite/error.h"
#include "radlite/tokenizer.h"

using nlohmann::json;
using radlite::Tokenizer;

namespace {

// A small tokenizer.json that uses most component types.
json small_tokenizer() {
  return json::parse(R"({
    "version": "1.0",
    "added_tokens": [
      {"id": 0, "content": "<s>", "special": true, "lstrip": false, "rstrip": false, "normalized": false, "single_word": false},
      {"id": 1, "content": "</s>", "special": true, "lstrip": true, "rstrip": true, "normalized": true, "single_word": true}],
    "normalizer": {"type": "Sequence", "normalizers": [{"type": "NFKC"}, {"type": "Lowercase"},
                   {"type": "Replace", "pattern": {"String": "``"}, "content": "\""}, {"type": "Strip", "strip_left": true, "strip_right": true}]},
    "pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "WhitespaceSplit"}, {"type": "Digits", "individual_digits": true},
                      {"type": "Punctuation", "behavior": "Isolated"}, {"type": "Metaspace", "replacement": "_", "prepend_scheme": "first", "split": true},
                      {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true}]},
    "post_processor": {"type": "TemplateProcessing",
      "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
      "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
      "special_tokens": {"<s>": {"id": "<s>", "ids": [0], "tokens": ["<s>"]}, "</s>": {"id": "</s>", "ids": [1], "tokens": ["</s>"]}}},
    "decoder": {"type": "Sequence", "decoders": [{"type": "ByteLevel"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
    "model": {"type": "BPE", "unk_token": "<unk>", "byte_fallback": true, "fuse_unk": true,
      "vocab": {"<s>": 0, "</s>": 1, "<unk>": 2, "a": 3, "b": 4, "ab": 5, "_": 6, "_a": 7, "<0x41>": 8},
      "merges": ["a b", "_ a"]}
  })");
}

// Replaces one randomly chosen value somewhere in j by a value of another kind, or deletes it.
void mutate(json& j, std::mt19937& rng) {
  std::vector<json*> nodes;
  std::vector<std::pair<json*, std::string>> keys;
  std::function<void(json&)> walk = [&](json& n) {
    nodes.push_back(&n);
    if (n.is_object())
      for (auto it = n.begin(); it != n.end(); ++it) {
        keys.emplace_back(&n, it.key());
        walk(it.value());
      }
    else if (n.is_array())
      for (auto& x : n) walk(x);
  };
  walk(j);
  const json replacements[] = {json(),        json(-1),       json(3000000000LL), json("x"), json(""),
                               json::array(), json::object(), json(true),         json(1.5), json::array({1, "a"})};
  if (rng() % 3 == 0 && !keys.empty()) {
    auto& [obj, key] = keys[rng() % keys.size()];
    obj->erase(key);
  } else {
    json* n = nodes[1 + rng() % (nodes.size() - 1)];
    *n = replacements[rng() % (sizeof replacements / sizeof replacements[0])];
  }
}

}  // namespace

TEST(TokenizerFuzz, MutatedTokenizerJsonFailsCleanly) {
  ASSERT_NO_THROW(Tokenizer::from_json(small_tokenizer().dump()));
  std::mt19937 rng(1234);
  int loaded = 0, rejected = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    json j = small_tokenizer();
    const int n = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < n; ++k) mutate(j, rng);
    const std::string text = j.dump();
    try {
      Tokenizer tok = Tokenizer::from_json(text);
      ++loaded;
      // What loads must also encode and decode without failing in another way.
      auto e = tok.encode_pair("AB ab ``x`` 12 </s> <s>", "b a");
      (void)tok.decode(e.ids);
    } catch (const radlite::Error& e) {
      ++rejected;
      EXPECT_NE(std::string(e.what()).find("tokenizer.json"), std::string::npos)
          << "iteration " << iter << ": " << e.what();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "iteration " << iter << ": " << e.what() << "\n" << text;
    }
  }
  EXPECT_GT(loaded, 100);
  EXPECT_GT(rejected, 100);
}

TEST(TokenizerFuzz, TruncatedJsonFailsCleanly) {
  const std::string text = small_tokenizer().dump();
  for (std::size_t cut = 0; cut < text.size(); cut += 7) {
    try {
      Tokenizer::from_json(text.substr(0, cut));
      ADD_FAILURE() << "a truncated file loaded (cut at " << cut << ")";
    } catch (const radlite::FormatError&) {
    }
  }
}

TEST(TokenizerFuzz, RandomBytesEncode) {
  Tokenizer tok = Tokenizer::from_json(small_tokenizer().dump());
  Tokenizer rob = Tokenizer::from_path(std::string(RADLITE_MODELS_DIR) + "/roberta-biencoder-tiny");
  Tokenizer bert = Tokenizer::from_path(std::string(RADLITE_MODELS_DIR) + "/bert-crossencoder-tiny-vocab");
  std::mt19937 rng(99);
  for (int iter = 0; iter < 2000; ++iter) {
    std::string s(rng() % 64, '\0');
    for (auto& c : s) c = static_cast<char>(rng() % 256);
    radlite::EncodeOptions o;
    o.max_length = rng() % 2 ? 0 : 4 + rng() % 20;
    for (const Tokenizer* t : {&tok, &rob, &bert}) {
      auto e = t->encode(s, o);
      EXPECT_EQ(e.ids.size(), e.type_ids.size());
      if (o.max_length) EXPECT_LE(e.ids.size(), o.max_length);
      auto p = t->encode_pair(s, s.substr(s.size() / 2), o);
      if (o.max_length) EXPECT_LE(p.ids.size(), o.max_length);
      (void)t->decode(e.ids, iter % 2);
    }
  }
  // A long input with no spaces exercises the heap-based BPE merge path and WordPiece's length limit.
  std::string big(200000, 'a');
  for (std::size_t i = 0; i < big.size(); i += 7) big[i] = static_cast<char>('b' + i % 20);
  EXPECT_GT(rob.encode(big).ids.size(), 1000u);
  EXPECT_EQ(bert.encode(big).ids, (std::vector<std::int32_t>{101, 100, 102}));
}
