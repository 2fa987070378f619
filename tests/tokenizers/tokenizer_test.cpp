// Parity of radlite::Tokenizer with Hugging Face tokenizers on the recorded fixtures (tests/data/tokenizers) and
// on the golden files of the bundled tiny models, through tokenizer.json and through the legacy files; each parity
// check also shows it can fail (wrong tokenizer, dropped special tokens, wrong max_length).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "fixtures.h"
#include "radlite/error.h"
#include "radlite/tokenizer.h"

using nlohmann::json;
using radlite::EncodeOptions;
using radlite::Encoding;
using radlite::Tokenizer;
using radlite::test_support::load_fixture;
using radlite::test_support::show_ids;

namespace {

const std::string kData = RADLITE_TEST_DATA_DIR;
const std::string kModels = RADLITE_MODELS_DIR;
const std::string kFiles = kData + "/tokenizers/files";

struct Result {
  std::size_t checked = 0;
  std::size_t mismatches = 0;
  std::string first_report;  // the first few mismatches, with their text
};

// Tokenizes every single and pair entry of a fixture file and counts entries whose ids (and type ids, when the
// fixture has them) differ.
Result run_fixture(const Tokenizer& tok, const json& fx, EncodeOptions single_opt, EncodeOptions pair_opt) {
  Result r;
  auto record = [&](const std::string& what, const std::vector<std::int32_t>& got,
                    const std::vector<std::int32_t>& want) {
    ++r.mismatches;
    if (r.mismatches <= 3) r.first_report += what + "\n  want " + show_ids(want) + "\n  got  " + show_ids(got) + "\n";
  };
  for (const auto& e : fx["single"]) {
    ++r.checked;
    Encoding enc = tok.encode(e["text"].get<std::string>(), single_opt);
    auto want = e["input_ids"].get<std::vector<std::int32_t>>();
    if (enc.ids != want) {
      record("text " + e["text"].dump(), enc.ids, want);
      continue;
    }
    if (e.contains("token_type_ids") && enc.type_ids != e["token_type_ids"].get<std::vector<std::int32_t>>())
      record("type ids of text " + e["text"].dump(), enc.type_ids,
             e["token_type_ids"].get<std::vector<std::int32_t>>());
    else if (enc.attention_mask != std::vector<std::int32_t>(want.size(), 1))
      record("attention mask of " + e["text"].dump(), enc.attention_mask, {});
  }
  for (const auto& e : fx["pairs"]) {
    ++r.checked;
    Encoding enc = tok.encode_pair(e["query"].get<std::string>(), e["doc"].get<std::string>(), pair_opt);
    auto want = e["input_ids"].get<std::vector<std::int32_t>>();
    if (enc.ids != want) {
      record("pair " + e["query"].dump() + " / " + e["doc"].dump(), enc.ids, want);
      continue;
    }
    if (e.contains("token_type_ids") && enc.type_ids != e["token_type_ids"].get<std::vector<std::int32_t>>())
      record("type ids of pair " + e["query"].dump(), enc.type_ids,
             e["token_type_ids"].get<std::vector<std::int32_t>>());
  }
  return r;
}

Result run_fixture(const Tokenizer& tok, const json& fx) {
  EncodeOptions s, p;
  s.max_length = fx["max_length_single"].get<std::size_t>();
  p.max_length = fx["max_length_pair"].get<std::size_t>();
  return run_fixture(tok, fx, s, p);
}

void expect_parity(const std::string& tokenizer_path, const std::string& fixture) {
  SCOPED_TRACE(tokenizer_path + " vs " + fixture);
  Tokenizer tok = Tokenizer::from_path(tokenizer_path);
  json fx = load_fixture(kData + "/tokenizers/" + fixture);
  Result r = run_fixture(tok, fx);
  EXPECT_EQ(r.checked, fx["single"].size() + fx["pairs"].size());
  EXPECT_GE(r.checked, 300u);
  EXPECT_EQ(r.mismatches, 0u) << r.first_report;
}

}  // namespace

// ---------------------------------------------------------------------------------------------- fixture parity
// files/roberta-base/tokenizer.json declares <mask> with lstrip=true; the reference (transformers 5, whose saved
// roberta tokenizer.json files have lstrip=false, see models/tiny) keeps the space before a literal "<mask>".
// With the flag as the reference had it, every entry matches; with the file's flag, exactly the entries that
// contain " <mask>" differ, and only by the absorbed space token.
TEST(TokenizerParity, RobertaTokenizerJson) {
  json j = load_fixture(kFiles + "/roberta-base/tokenizer.json");
  ASSERT_EQ(j["added_tokens"][4]["content"], "<mask>");
  ASSERT_EQ(j["added_tokens"][4]["lstrip"], true);
  j["added_tokens"][4]["lstrip"] = false;
  Tokenizer as_reference = Tokenizer::from_json(j.dump());
  for (const char* name : {"roberta-base.json", "roberta-base-trunc16.json"}) {
    SCOPED_TRACE(name);
    json fx = load_fixture(kData + "/tokenizers/" + name);
    Result r = run_fixture(as_reference, fx);
    EXPECT_EQ(r.mismatches, 0u) << r.first_report;
    EXPECT_EQ(r.checked, fx["single"].size() + fx["pairs"].size());
  }

  Tokenizer as_file = Tokenizer::from_path(kFiles + "/roberta-base/tokenizer.json");
  json fx = load_fixture(kData + "/tokenizers/roberta-base.json");
  std::size_t with_mask = 0;
  for (const auto& e : fx["single"]) {
    const std::string text = e["text"].get<std::string>();
    EncodeOptions o;
    o.max_length = 512;
    auto got = as_file.encode(text, o).ids;
    auto want = e["input_ids"].get<std::vector<std::int32_t>>();
    if (text.find(" <mask>") == std::string::npos) {
      EXPECT_EQ(got, want) << text;
      continue;
    }
    ++with_mask;
    auto pos = std::find(want.begin(), want.end(), 50264);
    ASSERT_NE(pos, want.begin());
    ASSERT_EQ(*(pos - 1), 1437);  // "Ġ" kept by the reference
    want.erase(pos - 1);
    EXPECT_EQ(got, want) << text;
  }
  EXPECT_GE(with_mask, 1u);
}

TEST(TokenizerParity, RobertaModelDirsMatchFixture) {
  expect_parity(kModels + "/roberta-biencoder-tiny", "roberta-base.json");
  expect_parity(kModels + "/roberta-crossencoder-tiny", "roberta-base-trunc16.json");
}

TEST(TokenizerParity, RobertaVocabJsonAndMerges) {
  expect_parity(kFiles + "/roberta-base/vocab.json", "roberta-base.json");
  expect_parity(kFiles + "/roberta-base/vocab.json", "roberta-base-trunc16.json");
}

TEST(TokenizerParity, BertTokenizerJsonWithoutModelType) {
  json j = load_fixture(kFiles + "/bert-base-uncased/tokenizer.json");
  ASSERT_FALSE(j["model"].contains("type"));  // this variant is the point of the test
  expect_parity(kFiles + "/bert-base-uncased/tokenizer.json", "bert-base-uncased.json");
}

TEST(TokenizerParity, BertMiniLmTokenizerJson) {
  expect_parity(kFiles + "/bert-base-uncased/all-MiniLM-L6-v2.tokenizer.json", "bert-base-uncased.json");
}

TEST(TokenizerParity, BertVocabTxt) {
  expect_parity(kFiles + "/bert-base-uncased/vocab.txt", "bert-base-uncased.json");
  expect_parity(kModels + "/bert-crossencoder-tiny-vocab", "bert-base-uncased.json");
}

// Generated adversarial texts (many scripts, whitespace kinds, control and unassigned code points, emoji, literal
// special tokens, typos) with ids recorded from HF tokenizers 0.23.2 (tools/tokenizers, tests/data/tokenizers/
// ADVERSARIAL.md); pairs truncated at 40, which exercises the per-side cap of longest_first.
TEST(TokenizerParity, AdversarialTextsAgainstHfTokenizers) {
  expect_parity(kModels + "/roberta-biencoder-tiny", "hf-adversarial-roberta.json");
  expect_parity(kFiles + "/roberta-base/vocab.json", "hf-adversarial-roberta.json");
  expect_parity(kModels + "/bert-crossencoder-tiny", "hf-adversarial-bert.json");
  expect_parity(kFiles + "/bert-base-uncased/vocab.txt", "hf-adversarial-bert.json");
  expect_parity(kFiles + "/bert-base-uncased/tokenizer.json", "hf-adversarial-bert.json");
  expect_parity(kFiles + "/synthetic/bpe-byte-fallback.tokenizer.json", "hf-adversarial-bpe-byte-fallback.json");
  // Failure proof: the same texts through the other family's tokenizer do not match.
  json fx = load_fixture(kData + "/tokenizers/hf-adversarial-bert.json");
  Result r = run_fixture(Tokenizer::from_path(kModels + "/roberta-biencoder-tiny"), fx);
  EXPECT_GT(r.mismatches, r.checked * 9 / 10);
  // ... nor without byte fallback (unknown characters become <unk> instead of their bytes).
  json bf = load_fixture(kFiles + "/synthetic/bpe-byte-fallback.tokenizer.json");
  bf["model"]["byte_fallback"] = false;
  Result no_fallback = run_fixture(Tokenizer::from_json(bf.dump()),
                                   load_fixture(kData + "/tokenizers/hf-adversarial-bpe-byte-fallback.json"));
  EXPECT_GT(no_fallback.mismatches, no_fallback.checked / 2);
}

TEST(TokenizerParity, FromJsonText) {
  std::ifstream in(kModels + "/roberta-biencoder-tiny/tokenizer.json");
  std::stringstream ss;
  ss << in.rdbuf();
  Tokenizer tok = Tokenizer::from_json(ss.str());
  Result r = run_fixture(tok, load_fixture(kData + "/tokenizers/roberta-base.json"));
  EXPECT_EQ(r.mismatches, 0u) << r.first_report;
}

// The parity check detects a wrong tokenizer, dropped special tokens and a wrong truncation length.
TEST(TokenizerParity, MismatchesAreDetected) {
  json roberta = load_fixture(kData + "/tokenizers/roberta-base.json");
  json bert = load_fixture(kData + "/tokenizers/bert-base-uncased.json");
  const std::size_t total = roberta["single"].size() + roberta["pairs"].size();

  Tokenizer bert_tok = Tokenizer::from_path(kFiles + "/bert-base-uncased/vocab.txt");
  Result wrong = run_fixture(bert_tok, roberta);
  EXPECT_GT(wrong.mismatches, total * 9 / 10) << "a BERT tokenizer should not reproduce RoBERTa ids";

  Tokenizer rob = Tokenizer::from_path(kFiles + "/roberta-base/tokenizer.json");
  EncodeOptions s, p;
  s.max_length = 512;
  p.max_length = 128;
  s.add_special_tokens = p.add_special_tokens = false;
  Result no_special = run_fixture(rob, roberta, s, p);
  EXPECT_EQ(no_special.mismatches, total);

  json trunc = load_fixture(kData + "/tokenizers/roberta-base-trunc16.json");
  EncodeOptions s15, p23;
  s15.max_length = 15;
  p23.max_length = 23;
  Result off_by_one = run_fixture(rob, trunc, s15, p23);
  EXPECT_GT(off_by_one.mismatches, total / 2);

  // Type ids: BERT pairs without the segment ids of the second text would be caught.
  Tokenizer bert_json = Tokenizer::from_path(kFiles + "/bert-base-uncased/tokenizer.json");
  std::size_t type_checked = 0;
  EncodeOptions p128;
  p128.max_length = 128;
  for (const auto& e : bert["pairs"]) {
    Encoding enc = bert_json.encode_pair(e["query"].get<std::string>(), e["doc"].get<std::string>(), p128);
    auto want = e["token_type_ids"].get<std::vector<std::int32_t>>();
    EXPECT_EQ(enc.type_ids, want);
    if (std::any_of(want.begin(), want.end(), [](std::int32_t t) { return t != 0; })) ++type_checked;
  }
  // The fixture's type ids are not all 0, so dropping the second segment's ids would be detected.
  EXPECT_GT(type_checked, 90u);
}

// ---------------------------------------------------------------------------------------------- golden model dirs
namespace {

void expect_golden(const std::string& model_dir, const std::string& golden_name) {
  SCOPED_TRACE(model_dir);
  Tokenizer tok = Tokenizer::from_path(kModels + "/" + model_dir);
  json g = load_fixture(kData + "/golden/" + golden_name);
  const auto& want = g["input_ids"];
  std::size_t mismatches = 0;
  std::string report;
  if (g.contains("texts")) {
    EncodeOptions o;
    o.max_length = g["max_seq_length"].get<std::size_t>();
    for (std::size_t i = 0; i < g["texts"].size(); ++i) {
      Encoding e = tok.encode(g["texts"][i].get<std::string>(), o);
      if (e.ids != want[i].get<std::vector<std::int32_t>>() && ++mismatches <= 3) report += g["texts"][i].dump() + "\n";
    }
    EXPECT_EQ(g["texts"].size(), want.size());
  } else {
    EncodeOptions o;
    o.max_length = tok.model_max_length();
    EXPECT_EQ(o.max_length, 512u);
    for (std::size_t i = 0; i < g["pairs"].size(); ++i) {
      Encoding e = tok.encode_pair(g["pairs"][i][0].get<std::string>(), g["pairs"][i][1].get<std::string>(), o);
      bool ok = e.ids == want[i].get<std::vector<std::int32_t>>();
      if (g.contains("token_type_ids") && g["token_type_ids"][i].is_array())  // RoBERTa: null per pair
        ok = ok && e.type_ids == g["token_type_ids"][i].get<std::vector<std::int32_t>>();
      if (!ok && ++mismatches <= 3) report += g["pairs"][i].dump() + "\n";
    }
  }
  EXPECT_GT(want.size(), 90u);
  EXPECT_EQ(mismatches, 0u) << report;
}

}  // namespace

TEST(TokenizerGolden, ModelDirectories) {
  expect_golden("roberta-biencoder-tiny", "roberta-biencoder-tiny.json");
  expect_golden("roberta-biencoder-tiny-st5", "roberta-biencoder-tiny.json");
  expect_golden("bert-biencoder-cls-tiny", "bert-biencoder-cls-tiny.json");
  expect_golden("bert-crossencoder-tiny", "bert-crossencoder-tiny.json");
  expect_golden("bert-crossencoder-tiny-vocab", "bert-crossencoder-tiny.json");
  expect_golden("roberta-crossencoder-tiny", "roberta-crossencoder-tiny.json");
}

TEST(TokenizerGolden, ConfigValues) {
  // The tokenizer.json truncation block (24) is not applied; model_max_length comes from tokenizer_config.json.
  Tokenizer rob = Tokenizer::from_path(kModels + "/roberta-biencoder-tiny");
  EXPECT_EQ(rob.model_max_length(), 512u);
  EXPECT_EQ(rob.pad_id(), 1);
  EXPECT_GT(rob.encode(std::string(400, 'a') + " b c d e f g h i j k l m n o p q r s t u v w x y z").ids.size(), 24u);
  Tokenizer bert = Tokenizer::from_path(kModels + "/bert-biencoder-cls-tiny");
  EXPECT_EQ(bert.model_max_length(), 128u);
  EXPECT_EQ(bert.pad_id(), 0);
  EXPECT_EQ(Tokenizer::from_path(kFiles + "/roberta-base/tokenizer.json").model_max_length(), 0u);
}

// ---------------------------------------------------------------------------------------------- behaviour
TEST(Tokenizer, VocabularyAccess) {
  Tokenizer rob = Tokenizer::from_path(kFiles + "/roberta-base/tokenizer.json");
  EXPECT_EQ(rob.vocab_size(), 50265u);
  EXPECT_EQ(rob.token_to_id("<mask>"), 50264);
  EXPECT_EQ(rob.token_to_id("Ġthe"), 5);
  EXPECT_EQ(rob.token_to_id("no-such-token-xyz"), -1);
  EXPECT_EQ(rob.id_to_token(5), "Ġthe");
  EXPECT_THROW(rob.id_to_token(50265), radlite::InvalidArgument);
  EXPECT_THROW(rob.id_to_token(-1), radlite::InvalidArgument);
  Tokenizer bert = Tokenizer::from_path(kFiles + "/bert-base-uncased/vocab.txt");
  EXPECT_EQ(bert.vocab_size(), 30522u);
  EXPECT_EQ(bert.token_to_id("[CLS]"), 101);
}

TEST(Tokenizer, EncodingFieldsAndDecode) {
  Tokenizer rob = Tokenizer::from_path(kFiles + "/roberta-base/tokenizer.json");
  Encoding e = rob.encode("Hello world, CT shows a défect.");
  ASSERT_EQ(e.tokens.size(), e.ids.size());
  EXPECT_EQ(e.tokens.front(), "<s>");
  EXPECT_EQ(e.tokens[1], "Hello");
  EXPECT_EQ(e.tokens[2], "Ġworld");
  EXPECT_EQ(rob.decode(e.ids), "Hello world, CT shows a défect.");
  EXPECT_EQ(rob.decode(e.ids, false), "<s>Hello world, CT shows a défect.</s>");

  Tokenizer bert = Tokenizer::from_path(kFiles + "/bert-base-uncased/tokenizer.json");
  Encoding b = bert.encode_pair("Is it benign?", "No, it is stable.");
  EXPECT_EQ(b.tokens.front(), "[CLS]");
  EXPECT_EQ(bert.decode(b.ids), "is it benign? no, it is stable.");
}

TEST(Tokenizer, TruncationEdgeCases) {
  Tokenizer bert = Tokenizer::from_path(kFiles + "/bert-base-uncased/vocab.txt");
  EncodeOptions o;
  o.max_length = 2;
  EXPECT_EQ(bert.encode("several words here", o).ids, (std::vector<std::int32_t>{101, 102}));
  o.max_length = 1;
  EXPECT_THROW(bert.encode("x", o), radlite::InvalidArgument);
  o.add_special_tokens = false;
  EXPECT_EQ(bert.encode("several words here", o).ids.size(), 1u);
  // longest_first: 5 content tokens for the pair (8 - 3 special); the longer side loses tokens first.
  EncodeOptions p;
  p.max_length = 8;
  Encoding e = bert.encode_pair("a b c d e f g", "x y", p);
  EXPECT_EQ(e.ids.size(), 8u);
  EXPECT_EQ(bert.decode(e.ids), "a b c x y");
  // HF >= 0.23 caps each side at max_length tokens (word granularity) before longest_first; the caps decide
  // who keeps the odd token. Counts (a's, b's) as HF tokenizers 0.23.2 gives them.
  auto counts = [&](int na, int nb, std::size_t max_length) {
    std::string a, b;
    for (int i = 0; i < na; ++i) a += "a ";
    for (int i = 0; i < nb; ++i) b += "b ";
    EncodeOptions o;
    o.max_length = max_length;
    auto ids = bert.encode_pair(a, b, o).ids;
    return std::make_pair(std::count(ids.begin(), ids.end(), 1037), std::count(ids.begin(), ids.end(), 1038));
  };
  using P = std::pair<long, long>;
  EXPECT_EQ(counts(25, 16, 16), P(6, 7));
  EXPECT_EQ(counts(25, 15, 16), P(7, 6));
  EXPECT_EQ(counts(30, 20, 16), P(6, 7));
  EXPECT_EQ(counts(20, 7, 14), P(6, 5));
  EXPECT_EQ(counts(13, 12, 16), P(7, 6));
  EXPECT_EQ(counts(12, 13, 16), P(6, 7));
  EXPECT_EQ(counts(3, 20, 13), P(3, 7));
  EXPECT_TRUE(bert.encode("").ids == (std::vector<std::int32_t>{101, 102}));
}

TEST(Tokenizer, InvalidUtf8IsReplacedNotFatal) {
  Tokenizer rob = Tokenizer::from_path(kFiles + "/roberta-base/tokenizer.json");
  const std::string bad = std::string("ab\xff") + "c\xe2\x82" + "d\xed\xa0\x80" + "e\xc0\xaf";
  Encoding e = rob.encode(bad);
  Encoding repaired = rob.encode(
      "ab\xEF\xBF\xBD"
      "c\xEF\xBF\xBD"
      "d\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
      "e\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(e.ids, repaired.ids);
  Tokenizer bert = Tokenizer::from_path(kFiles + "/bert-base-uncased/vocab.txt");
  // BERT's clean_text removes U+FFFD, so the bytes vanish.
  EXPECT_EQ(bert.encode("ab\xff\xfe cd").ids, bert.encode("ab cd").ids);
}

TEST(Tokenizer, ConcurrentEncodingMatchesSequential) {
  Tokenizer rob = Tokenizer::from_path(kFiles + "/roberta-base/vocab.json");
  json fx = load_fixture(kData + "/tokenizers/roberta-base.json");
  std::vector<std::string> texts;
  std::vector<std::vector<std::int32_t>> want;
  for (const auto& e : fx["single"]) {
    texts.push_back(e["text"].get<std::string>());
    want.push_back(e["input_ids"].get<std::vector<std::int32_t>>());
  }
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  EncodeOptions o;
  o.max_length = 512;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int rep = 0; rep < 3; ++rep)
        for (std::size_t i = t; i < texts.size(); i += 1 + t % 2)
          if (rob.encode(texts[i], o).ids != want[i]) ++bad;
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
  auto batch = rob.encode_batch(texts, o);
  ASSERT_EQ(batch.size(), texts.size());
  for (std::size_t i = 0; i < texts.size(); ++i) EXPECT_EQ(batch[i].ids, want[i]);
}

// ---------------------------------------------------------------------------------------------- bad input
namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const radlite::Error& e) {
    return e.what();
  }
  return "<no exception>";
}

json small_bert_json() {
  json j = load_fixture(kFiles + "/bert-base-uncased/all-MiniLM-L6-v2.tokenizer.json");
  return j;
}

}  // namespace

TEST(TokenizerErrors, NamedFileAndField) {
  std::string m = error_of([] { Tokenizer::from_json("{\"model\": [1, 2"); });
  EXPECT_NE(m.find("tokenizer.json"), std::string::npos) << m;

  json j = small_bert_json();
  j["model"]["type"] = "Foo";
  m = error_of([&] { Tokenizer::from_json(j.dump()); });
  EXPECT_NE(m.find("model.type"), std::string::npos) << m;
  EXPECT_NE(m.find("Foo"), std::string::npos) << m;

  j = small_bert_json();
  j["normalizer"]["type"] = "Bogus";
  m = error_of([&] { Tokenizer::from_json(j.dump()); });
  EXPECT_NE(m.find("normalizer.type"), std::string::npos) << m;
  EXPECT_NE(m.find("Bogus"), std::string::npos) << m;

  j = small_bert_json();
  j["model"].erase("vocab");
  m = error_of([&] { Tokenizer::from_json(j.dump()); });
  EXPECT_NE(m.find("model.vocab"), std::string::npos) << m;

  j = small_bert_json();
  j["pre_tokenizer"] = {{"type", "Sequence"}, {"pretokenizers", {{{"type", "Nope"}}}}};
  m = error_of([&] { Tokenizer::from_json(j.dump()); });
  EXPECT_NE(m.find("pre_tokenizer.pretokenizers[0].type"), std::string::npos) << m;

  j = small_bert_json();
  j["model"]["unk_token"] = "<not-there>";
  m = error_of([&] { Tokenizer::from_json(j.dump()); });
  EXPECT_NE(m.find("unk_token"), std::string::npos) << m;

  j = small_bert_json();
  j["post_processor"]["single"][0]["SpecialToken"]["id"] = "[NOPE]";
  m = error_of([&] { Tokenizer::from_json(j.dump()); });
  EXPECT_NE(m.find("post_processor.single[0]"), std::string::npos) << m;

  m = error_of([] { Tokenizer::from_path("/nonexistent/radlite/tok"); });
  EXPECT_NE(m.find("/nonexistent/radlite/tok"), std::string::npos) << m;
  m = error_of([] { Tokenizer::from_path(kData + "/golden"); });
  EXPECT_NE(m.find("no tokenizer files"), std::string::npos) << m;
}

TEST(TokenizerErrors, BadLegacyFiles) {
  char tmpl[] = "/tmp/radlite_tok_XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  {
    std::ofstream(dir + "/vocab.json") << "{\"a\": 0, \"b\": 1, \"ab\": 2}";
    std::ofstream(dir + "/merges.txt") << "#version: 0.2\na b\nab c\n";
  }
  std::string m = error_of([&] { Tokenizer::from_path(dir); });
  EXPECT_NE(m.find("merges.txt"), std::string::npos) << m;
  EXPECT_NE(m.find("'c'"), std::string::npos) << m;
  {
    std::ofstream(dir + "/merges.txt") << "#version: 0.2\na b\n";
    std::ofstream(dir + "/vocab.json") << "[1, 2]";
  }
  m = error_of([&] { Tokenizer::from_path(dir); });
  EXPECT_NE(m.find("vocab.json"), std::string::npos) << m;
  std::remove((dir + "/vocab.json").c_str());
  std::remove((dir + "/merges.txt").c_str());
  { std::ofstream(dir + "/vocab.txt") << "[PAD]\nhello\n"; }
  m = error_of([&] { Tokenizer::from_path(dir); });
  EXPECT_NE(m.find("[UNK]"), std::string::npos) << m;
  std::remove((dir + "/vocab.txt").c_str());
  std::remove(dir.c_str());
}

TEST(TokenizerLegacy, ConfigAddedTokensAndLowercaseSetting) {
  char tmpl[] = "/tmp/radlite_tok_XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  {
    std::ifstream src(kFiles + "/bert-base-uncased/vocab.txt");
    std::ofstream(dir + "/vocab.txt") << src.rdbuf();
    std::ofstream(dir + "/tokenizer_config.json")
        << R"({"do_lower_case": true, "model_max_length": 1000000000000000019884624838656,
              "added_tokens_decoder": {"1": {"content": "[XTRA]", "lstrip": false, "rstrip": false,
                                             "normalized": false, "single_word": false, "special": true}}})";
  }
  Tokenizer tok = Tokenizer::from_path(dir);
  EXPECT_EQ(tok.model_max_length(), 0u);  // the "no limit" sentinel
  EXPECT_EQ(tok.encode("a [XTRA] b").ids, (std::vector<std::int32_t>{101, 1037, 1, 1038, 102}));
  EXPECT_EQ(tok.decode(tok.encode("a [XTRA] b").ids), "a b");
  EXPECT_EQ(tok.decode(tok.encode("a [XTRA] b").ids, false), "[CLS] a [XTRA] b [SEP]");
  { std::ofstream(dir + "/tokenizer_config.json") << R"({"do_lower_case": false})"; }
  Tokenizer cased = Tokenizer::from_path(dir + "/vocab.txt");
  // Without lowercasing "Hello" is not in the uncased vocabulary: WordPiece pieces or [UNK] instead of 7592.
  EXPECT_EQ(Tokenizer::from_path(kFiles + "/bert-base-uncased/vocab.txt").encode("Hello").ids,
            (std::vector<std::int32_t>{101, 7592, 102}));
  EXPECT_NE(cased.encode("Hello").ids, (std::vector<std::int32_t>{101, 7592, 102}));
  std::remove((dir + "/vocab.txt").c_str());
  std::remove((dir + "/tokenizer_config.json").c_str());
  std::remove(dir.c_str());
}
