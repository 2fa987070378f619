// Pipeline components that the fixture files do not exercise: equivalent post-processor spellings give the fixture
// ids again; BPE byte fallback and unk fusing; the pre-tokenizers and normalizers HF offers; added-token flags.
// Expected values follow the documented semantics of the Hugging Face components.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fstream>

#include "radlite/error.h"
#include "radlite/tokenizer.h"
#include "tokenizers/pipeline.h"

using nlohmann::json;
using radlite::EncodeOptions;
using radlite::Tokenizer;
using namespace radlite::tokenizers;

namespace {

const std::string kData = RADLITE_TEST_DATA_DIR;
const std::string kModels = RADLITE_MODELS_DIR;

json load(const std::string& path) {
  std::ifstream in(path);
  return json::parse(in);
}

std::size_t fixture_mismatches(const Tokenizer& tok, const json& fx) {
  std::size_t bad = 0;
  EncodeOptions s, p;
  s.max_length = fx["max_length_single"].get<std::size_t>();
  p.max_length = fx["max_length_pair"].get<std::size_t>();
  for (const auto& e : fx["single"]) {
    auto enc = tok.encode(e["text"].get<std::string>(), s);
    if (enc.ids != e["input_ids"].get<std::vector<std::int32_t>>())
      ++bad;
    else if (e.contains("token_type_ids") && enc.type_ids != e["token_type_ids"].get<std::vector<std::int32_t>>())
      ++bad;
  }
  for (const auto& e : fx["pairs"]) {
    auto enc = tok.encode_pair(e["query"].get<std::string>(), e["doc"].get<std::string>(), p);
    if (enc.ids != e["input_ids"].get<std::vector<std::int32_t>>())
      ++bad;
    else if (e.contains("token_type_ids") && enc.type_ids != e["token_type_ids"].get<std::vector<std::int32_t>>())
      ++bad;
  }
  return bad;
}

std::vector<std::string> pre_split(const json& spec, const std::string& text) {
  auto pre = make_pre_tokenizer(spec, JsonPlace{"test", "pre_tokenizer"});
  Pieces in, out;
  in.add(text, true);
  pre->apply(in, out);
  std::vector<std::string> v;
  for (auto& s : out.spans) v.emplace_back(out.view(s));
  return v;
}

std::string normalized(const json& spec, std::string text) {
  make_normalizer(spec, JsonPlace{"test", "normalizer"})->normalize(text);
  return text;
}

using Strings = std::vector<std::string>;

}  // namespace

TEST(Components, EquivalentPostProcessorsKeepBertParity) {
  json base = load(kModels + "/bert-crossencoder-tiny/tokenizer.json");
  json fx = load(kData + "/tokenizers/bert-base-uncased.json");
  json bert = base;
  bert["post_processor"] = {{"type", "BertProcessing"}, {"sep", {"[SEP]", 102}}, {"cls", {"[CLS]", 101}}};
  EXPECT_EQ(fixture_mismatches(Tokenizer::from_json(bert.dump()), fx), 0u);
  json strings = base;  // the template written as strings
  strings["post_processor"]["single"] = "[CLS] $A [SEP]";
  strings["post_processor"]["pair"] = "[CLS] $A [SEP] $B:1 [SEP]:1";
  EXPECT_EQ(fixture_mismatches(Tokenizer::from_json(strings.dump()), fx), 0u);
  json wrong = base;  // type ids of the second segment left at 0: detected
  wrong["post_processor"]["pair"] = "[CLS] $A [SEP] $B [SEP]";
  EXPECT_GT(fixture_mismatches(Tokenizer::from_json(wrong.dump()), fx), 90u);
  json bad_id = base;  // a type id that is not an integer is refused, as HF refuses it (it was read as 0)
  bad_id["post_processor"]["pair"] = "[CLS] $A [SEP] $B:one [SEP]:1";
  try {
    Tokenizer::from_json(bad_id.dump());
    ADD_FAILURE() << "no exception";
  } catch (const radlite::FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("field 'post_processor.pair': piece '$B:one'"), std::string::npos) << e.what();
  }
}

TEST(Components, EquivalentRobertaSpellingsKeepParity) {
  json base = load(kModels + "/roberta-biencoder-tiny/tokenizer.json");
  json fx = load(kData + "/tokenizers/roberta-base-trunc16.json");
  json tmpl = base;
  tmpl["post_processor"] = {{"type", "Sequence"},
                            {"processors",
                             {{{"type", "ByteLevel"}, {"trim_offsets", true}},
                              {{"type", "TemplateProcessing"},
                               {"single", "<s> $A </s>"},
                               {"pair", "<s> $A </s> </s> $B </s>"},
                               {"special_tokens",
                                {{"<s>", {{"id", "<s>"}, {"ids", {0}}, {"tokens", {"<s>"}}}},
                                 {"</s>", {{"id", "</s>"}, {"ids", {2}}, {"tokens", {"</s>"}}}}}}}}}};
  EXPECT_EQ(fixture_mismatches(Tokenizer::from_json(tmpl.dump()), fx), 0u);
  // Merges as "a b" strings (older files) and as [a, b] pairs (newer files) give the same ids.
  json strings = base, arrays = base;
  json as_strings = json::array(), as_arrays = json::array();
  for (const auto& m : base["model"]["merges"]) {
    std::string s = m.is_string() ? m.get<std::string>() : m[0].get<std::string>() + " " + m[1].get<std::string>();
    auto sp = s.find(' ');
    as_strings.push_back(s);
    as_arrays.push_back({s.substr(0, sp), s.substr(sp + 1)});
  }
  strings["model"]["merges"] = as_strings;
  arrays["model"]["merges"] = as_arrays;
  EXPECT_EQ(fixture_mismatches(Tokenizer::from_json(strings.dump()), fx), 0u);
  EXPECT_EQ(fixture_mismatches(Tokenizer::from_json(arrays.dump()), fx), 0u);
  json truncated = base;  // a merge list missing its second half changes ids
  truncated["model"]["merges"] =
      json(std::vector<json>(base["model"]["merges"].begin(), base["model"]["merges"].begin() + 25000));
  EXPECT_GT(fixture_mismatches(Tokenizer::from_json(truncated.dump()), fx), 100u);
}

TEST(Components, BpeByteFallbackAndUnknowns) {
  json j = {{"model",
             {{"type", "BPE"},
              {"vocab", {{"<unk>", 0}, {"a", 1}, {"b", 2}, {"ab", 3}, {"<0xC3>", 4}, {"<0xA9>", 5}}},
              {"merges", {"a b"}},
              {"unk_token", "<unk>"},
              {"byte_fallback", true},
              {"fuse_unk", false}}}};
  Tokenizer fb = Tokenizer::from_json(j.dump());
  EXPECT_EQ(fb.encode("ab\xC3\xA9").ids, (std::vector<std::int32_t>{3, 4, 5}));  // é -> its UTF-8 bytes
  EXPECT_EQ(fb.encode("axxb").ids, (std::vector<std::int32_t>{1, 0, 0, 2}));     // no <0x78>: unk each
  j["model"]["fuse_unk"] = true;
  EXPECT_EQ(Tokenizer::from_json(j.dump()).encode("axxb").ids, (std::vector<std::int32_t>{1, 0, 2}));
  j["model"]["byte_fallback"] = false;
  EXPECT_EQ(Tokenizer::from_json(j.dump()).encode("ab\xC3\xA9").ids, (std::vector<std::int32_t>{3, 0}));
  j["model"].erase("unk_token");  // no unk token: unknown characters are dropped
  EXPECT_EQ(Tokenizer::from_json(j.dump()).encode("axb").ids, (std::vector<std::int32_t>{3}));
  // A long word takes the heap-based merge path and must agree with the short-word path piece by piece.
  std::string long_word;
  std::vector<std::int32_t> want;
  for (int i = 0; i < 100; ++i) {
    long_word += "ab";
    want.push_back(3);
  }
  EXPECT_EQ(Tokenizer::from_json(j.dump()).encode(long_word).ids, want);
}

TEST(Components, PreTokenizers) {
  EXPECT_EQ(pre_split({{"type", "Whitespace"}}, "Hello, world!! a_b 3.5"),
            (Strings{"Hello", ",", "world", "!!", "a_b", "3", ".", "5"}));
  EXPECT_EQ(pre_split({{"type", "WhitespaceSplit"}}, " a  b\tc\u3000d "), (Strings{"a", "b", "c", "d"}));
  EXPECT_EQ(pre_split({{"type", "Punctuation"}}, "a,,b"), (Strings{"a", ",", ",", "b"}));
  EXPECT_EQ(pre_split({{"type", "Punctuation"}, {"behavior", "Contiguous"}}, "a,,b"), (Strings{"a", ",,", "b"}));
  EXPECT_EQ(pre_split({{"type", "Digits"}, {"individual_digits", true}}, "a123b"), (Strings{"a", "1", "2", "3", "b"}));
  EXPECT_EQ(pre_split({{"type", "Digits"}, {"individual_digits", false}}, "a123b"), (Strings{"a", "123", "b"}));
  EXPECT_EQ(pre_split({{"type", "Metaspace"}, {"replacement", "\u2581"}, {"prepend_scheme", "always"}, {"split", true}},
                      "Hello  world"),
            (Strings{"\u2581Hello", "\u2581", "\u2581world"}));
  EXPECT_EQ(pre_split({{"type", "Metaspace"}, {"replacement", "\u2581"}, {"prepend_scheme", "never"}, {"split", false}},
                      "a b"),
            (Strings{"a\u2581b"}));
  EXPECT_EQ(
      pre_split(
          {{"type", "Split"}, {"pattern", {{"String", "-"}}}, {"behavior", "MergedWithPrevious"}, {"invert", false}},
          "a-b--c"),
      (Strings{"a-", "b-", "-", "c"}));
  EXPECT_EQ(
      pre_split({{"type", "Split"}, {"pattern", {{"Regex", "[0-9]+"}}}, {"behavior", "Removed"}, {"invert", true}},
                "ab12cd345"),
      (Strings{"12", "345"}));
  EXPECT_EQ(
      pre_split({{"type", "Sequence"},
                 {"pretokenizers", {{{"type", "WhitespaceSplit"}}, {{"type", "Digits"}, {"individual_digits", true}}}}},
                "ab12 c3"),
      (Strings{"ab", "1", "2", "c", "3"}));
  EXPECT_EQ(pre_split({{"type", "ByteLevel"}, {"add_prefix_space", true}}, "Hi"), (Strings{"\u0120Hi"}));
}

TEST(Components, Gpt2SplitPlusByteLevelWithoutRegexKeepsParity) {
  json j = load(kModels + "/roberta-biencoder-tiny/tokenizer.json");
  j["pre_tokenizer"] = {
      {"type", "Sequence"},
      {"pretokenizers",
       {{{"type", "Split"},
         {"pattern", {{"Regex", R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)"}}},
         {"behavior", "Isolated"},
         {"invert", false}},
        {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}}}}};
  EXPECT_EQ(fixture_mismatches(Tokenizer::from_json(j.dump()), load(kData + "/tokenizers/roberta-base.json")), 0u);
  j["pre_tokenizer"]["pretokenizers"].erase(1);  // the split without the byte mapping: different ids
  EXPECT_GT(fixture_mismatches(Tokenizer::from_json(j.dump()), load(kData + "/tokenizers/roberta-base.json")), 200u);
}

TEST(Components, Normalizers) {
  EXPECT_EQ(normalized({{"type", "NFKC"}}, "\uFB01ne \u2460"), "fine 1");
  EXPECT_EQ(normalized({{"type", "NFD"}}, "\u00E9"), "e\u0301");
  EXPECT_EQ(normalized({{"type", "NFC"}}, "e\u0301"), "\u00E9");
  EXPECT_EQ(normalized({{"type", "NFKD"}}, "\u00B2"), "2");
  EXPECT_EQ(normalized({{"type", "Lowercase"}}, "ÄB\u0130"), "äbi\u0307");
  EXPECT_EQ(normalized({{"type", "Sequence"}, {"normalizers", {{{"type", "NFD"}}, {{"type", "StripAccents"}}}}},
                       "Caf\u00E9 na\u00EFve"),
            "Cafe naive");
  EXPECT_EQ(normalized({{"type", "Strip"}, {"strip_left", true}, {"strip_right", true}}, " \u00A0 x y \n"), "x y");
  EXPECT_EQ(normalized({{"type", "Strip"}, {"strip_left", false}, {"strip_right", true}}, " x "), " x");
  EXPECT_EQ(normalized({{"type", "Replace"}, {"pattern", {{"String", "``"}}}, {"content", "\""}}, "``a`` b"),
            "\"a\" b");
  EXPECT_EQ(normalized({{"type", "Replace"}, {"pattern", {{"Regex", " {2,}"}}}, {"content", " "}}, "a   b  c"),
            "a b c");
  EXPECT_EQ(normalized({{"type", "Prepend"}, {"prepend", "\u2581"}}, "a"), "\u2581a");
  // BERT: control / format characters removed, whitespace to ' ', CJK padded, accents stripped, lowercased.
  EXPECT_EQ(normalized({{"type", "BertNormalizer"},
                        {"clean_text", true},
                        {"handle_chinese_chars", true},
                        {"strip_accents", nullptr},
                        {"lowercase", true}},
                       "H\u00E9llo\u200BW\u4E2D\tX\x01"),
            "hellow \u4E2D  x");
  EXPECT_EQ(normalized({{"type", "BertNormalizer"},
                        {"clean_text", true},
                        {"handle_chinese_chars", false},
                        {"strip_accents", false},
                        {"lowercase", true}},
                       "H\u00E9\u4E2D"),
            "h\u00E9\u4E2D");
  // Precompiled serves every model now; an empty charsmap has no rules.
  EXPECT_EQ(normalized({{"type", "Precompiled"}, {"precompiled_charsmap", ""}}, "x\u00A0y"), "x\u00A0y");
}

TEST(Components, AddedTokenFlags) {
  json base = load(kModels + "/roberta-biencoder-tiny/tokenizer.json");
  ASSERT_EQ(base["added_tokens"][4]["content"], "<mask>");
  const std::int32_t a = 102, b = 428, space = 1437, sp_b = 741, mask = 50264;
  Tokenizer plain = Tokenizer::from_json(base.dump());
  ASSERT_EQ(plain.token_to_id("a"), a);
  ASSERT_EQ(plain.token_to_id("b"), b);
  ASSERT_EQ(plain.token_to_id("\u0120b"), sp_b);
  EXPECT_EQ(plain.encode("a <mask> b").ids, (std::vector<std::int32_t>{0, a, space, mask, sp_b, 2}));
  json l = base;
  l["added_tokens"][4]["lstrip"] = true;
  EXPECT_EQ(Tokenizer::from_json(l.dump()).encode("a <mask> b").ids, (std::vector<std::int32_t>{0, a, mask, sp_b, 2}));
  json r = base;
  r["added_tokens"][4]["rstrip"] = true;
  EXPECT_EQ(Tokenizer::from_json(r.dump()).encode("a <mask> b").ids,
            (std::vector<std::int32_t>{0, a, space, mask, b, 2}));
  json w = base;
  w["added_tokens"][4]["single_word"] = true;
  Tokenizer single = Tokenizer::from_json(w.dump());
  auto ids = single.encode("a<mask>b").ids;
  EXPECT_EQ(std::count(ids.begin(), ids.end(), mask), 0);  // inside a word: not the token
  EXPECT_EQ(single.encode("a <mask> b").ids, (std::vector<std::int32_t>{0, a, space, mask, sp_b, 2}));
  // A normalized added token matches the normalized text (here: lowercased).
  json bert = load(kModels + "/bert-crossencoder-tiny/tokenizer.json");
  bert["added_tokens"].push_back({{"id", 30522},
                                  {"content", "ct-scan"},
                                  {"single_word", false},
                                  {"lstrip", false},
                                  {"rstrip", false},
                                  {"normalized", true},
                                  {"special", false}});
  Tokenizer bt = Tokenizer::from_json(bert.dump());
  EXPECT_EQ(bt.encode("A CT-SCAN now").ids, (std::vector<std::int32_t>{101, 1037, 30522, 2085, 102}));
  EXPECT_EQ(bt.vocab_size(), 30523u);
  // Ids of added tokens are HF's, not the file's "id": the vocabulary id for known text, else the next free id.
  json idj = load(kModels + "/bert-crossencoder-tiny/tokenizer.json");
  idj["added_tokens"].push_back({{"id", 5}, {"content", "zzqx-new"}, {"special", false}});
  idj["added_tokens"].push_back({{"id", 9}, {"content", "hello"}, {"special", false}});
  idj["added_tokens"].push_back({{"id", 7}, {"content", "zzqx-newer"}, {"special", false}});
  Tokenizer it = Tokenizer::from_json(idj.dump());
  EXPECT_EQ(it.token_to_id("zzqx-new"), 30522);
  EXPECT_EQ(it.token_to_id("hello"), 7592);
  EXPECT_EQ(it.token_to_id("zzqx-newer"), 30523);
  EXPECT_EQ(it.id_to_token(30523), "zzqx-newer");
  EXPECT_EQ(bt.decode(bt.encode("A CT-SCAN now").ids), "a ct-scan now");
}

// Metaspace prepend_scheme "first" prepends only to a split that starts at original offset 0; a first character
// the normalizer deletes moves the start (values from HF tokenizers 0.23.2).
TEST(Components, MetaspaceFirstAfterNormalizerDeletions) {
  json j = load(kModels + "/bert-crossencoder-tiny/tokenizer.json");
  j["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", "\u2581"}, {"prepend_scheme", "first"}, {"split", true}};
  Tokenizer tok = Tokenizer::from_json(j.dump());
  EXPECT_EQ(tok.encode("io ab").ids, (std::vector<std::int32_t>{101, 100, 100, 102}));          // "▁io" unknown
  EXPECT_EQ(tok.encode("\u0301io ab").ids, (std::vector<std::int32_t>{101, 22834, 100, 102}));  // mark deleted
  EXPECT_EQ(tok.encode(std::string("\0io ab", 6)).ids, (std::vector<std::int32_t>{101, 22834, 100, 102}));
  EXPECT_EQ(tok.encode("x\u0301io").ids, (std::vector<std::int32_t>{101, 100, 102}));
}

TEST(Components, WordPieceLengthLimit) {
  json j = {{"model",
             {{"type", "WordPiece"},
              {"vocab", {{"[UNK]", 0}, {"a", 1}, {"##a", 2}, {"aa", 3}, {"##aa", 4}}},
              {"unk_token", "[UNK]"},
              {"continuing_subword_prefix", "##"},
              {"max_input_chars_per_word", 5000}}},
            {"pre_tokenizer", {{"type", "WhitespaceSplit"}}}};
  Tokenizer big = Tokenizer::from_json(j.dump());
  auto ids = big.encode(std::string(3001, 'a')).ids;  // longest match first: aa, ##aa x 1499, ##a
  ASSERT_EQ(ids.size(), 1501u);
  EXPECT_EQ(ids.front(), 3);
  EXPECT_EQ(ids.back(), 2);
  EXPECT_EQ(big.encode(std::string(5001, 'a')).ids, (std::vector<std::int32_t>{0}));  // over the limit: unk
  j["model"]["max_input_chars_per_word"] = 3;
  Tokenizer small = Tokenizer::from_json(j.dump());
  EXPECT_EQ(small.encode("aaa aaaa").ids, (std::vector<std::int32_t>{3, 2, 0}));
}

TEST(Components, WordLevel) {
  json j = {
      {"model", {{"type", "WordLevel"}, {"vocab", {{"<unk>", 0}, {"ct", 1}, {"scan", 2}}}, {"unk_token", "<unk>"}}},
      {"normalizer", {{"type", "Lowercase"}}},
      {"pre_tokenizer", {{"type", "Whitespace"}}}};
  Tokenizer tok = Tokenizer::from_json(j.dump());
  EXPECT_EQ(tok.encode("CT scan, done").ids, (std::vector<std::int32_t>{1, 2, 0, 0}));
  j["model"]["unk_token"] = "[UNK]";
  try {
    Tokenizer::from_json(j.dump());
    ADD_FAILURE() << "unk token missing from the vocabulary was accepted";
  } catch (const radlite::FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("model.unk_token"), std::string::npos) << e.what();
  }
}
