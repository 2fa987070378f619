// Parity of the SentencePiece component with the reference outputs (sentencepiece 0.2.2, transformers 5.17 /
// tokenizers 0.23.2) over the shared public texts, plus error handling.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sentencepiece_processor.h>

#include <cstdio>
#include <cstring>
#include <set>
#include <fstream>
#include <random>
#include <thread>
#include <string>
#include <vector>

#include "io/file_util.h"
#include "radlite/error.h"
#include "radlite/tokenizer.h"
#include "support/sentencepiece_native.h"

namespace rt = radlite::test_support;

namespace {

const std::string kData = RADLITE_TEST_DATA_DIR;
const std::string kModels = RADLITE_MODELS_DIR;
const std::string kUnigramModel = kData + "/tokenizers/files/sentencepiece-test/test_model.model";
const std::string kBpeModel = kData + "/tokenizers/files/sentencepiece-test/sp_bpe_2k.model";
const std::string kTinyDir = kModels + "/xlmr-biencoder-sp-tiny";

// A tokenizer.json through the library's one pipeline, behind the test interface.
std::unique_ptr<const rt::SentencePieceModel> hf(const nlohmann::json& tokenizer_json) {
  return rt::through_tokenizer(radlite::Tokenizer::from_json(tokenizer_json.dump()));
}

// The bytes of a .model through the library's converter (Tokenizer::from_path), from a file named after `name`.
std::unique_ptr<const rt::SentencePieceModel> xlmr_from_bytes(const std::string& bytes, const std::string& name) {
  const std::string path = testing::TempDir() + "/radlite_sp_xlmr_" + name + ".model";
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  return rt::through_tokenizer(radlite::Tokenizer::from_path(path));
}

std::vector<rt::Piece> encode(const rt::SentencePieceModel& m, const std::string& text) {
  std::vector<rt::Piece> out;
  m.encode(text, out);
  return out;
}

std::vector<std::int32_t> ids_of(const std::vector<rt::Piece>& pieces) {
  std::vector<std::int32_t> ids;
  for (const auto& p : pieces) ids.push_back(p.id);
  return ids;
}

std::string show(const std::string& text) {
  return nlohmann::json(text.substr(0, 80)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The Tokenizer pipeline splits special added tokens out of the text before the model sees it; this mimics
// that for the XLM-R specials so the fixtures' literal "<s>" texts can be compared piecewise.
std::vector<std::int32_t> encode_with_specials(const rt::SentencePieceModel& m, const std::string& text) {
  static const std::vector<std::pair<std::string, std::int32_t>> kSpecials = {
      {"<s>", 0}, {"<pad>", 1}, {"</s>", 2}, {"<unk>", 3}, {"<mask>", static_cast<std::int32_t>(-1)}};
  std::vector<std::int32_t> ids;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t best = std::string::npos;
    std::size_t best_len = 0;
    std::int32_t best_id = 0;
    for (const auto& [tok, id] : kSpecials) {
      const std::size_t hit = text.find(tok, pos);
      if (hit != std::string::npos && (hit < best || (hit == best && tok.size() > best_len))) {
        best = hit;
        best_len = tok.size();
        best_id = id < 0 ? static_cast<std::int32_t>(m.vocab_size() - 1) : id;
      }
    }
    const std::string segment = text.substr(pos, best == std::string::npos ? std::string::npos : best - pos);
    for (const auto& p : encode(m, segment)) ids.push_back(p.id);
    if (best == std::string::npos) break;
    ids.push_back(best_id);
    pos = best + best_len;
  }
  return ids;
}

// True when `expected` (truncated reference) is `actual` or, if truncated, a prefix of it.
bool matches_prefix(const std::vector<std::int32_t>& expected, const std::vector<std::int32_t>& actual,
                    bool truncated) {
  if (!truncated) return expected == actual;
  return expected.size() <= actual.size() && std::equal(expected.begin(), expected.end(), actual.begin());
}

struct Count {
  int ok = 0;
  int total = 0;
};

// Raw SentencePiece fixture: ids AND pieces of every text.
Count check_raw(const rt::SentencePieceModel& m, const std::string& fixture, bool report = true) {
  const auto j = radlite::io::read_json_file(fixture);
  Count c;
  for (const auto& e : j.at("single")) {
    const std::string text = e.at("text").get<std::string>();
    const auto pieces = encode(m, text);
    std::vector<std::string> texts;
    for (const auto& p : pieces) texts.push_back(p.text);
    const bool ok = ids_of(pieces) == e.at("ids").get<std::vector<std::int32_t>>() &&
                    texts == e.at("pieces").get<std::vector<std::string>>();
    ++c.total;
    if (ok) {
      ++c.ok;
    } else if (report) {
      ADD_FAILURE() << fixture << ": mismatch for " << show(text) << "\n  got      " << nlohmann::json(texts).dump()
                    << "\n  expected " << e.at("pieces").dump();
    }
  }
  return c;
}

// XLM-R fixture: <s> A </s> (single, truncated at max_length_single) and <s> A </s></s> B </s> (pairs).
Count check_xlmr(const rt::SentencePieceModel& m, const std::string& fixture, bool report = true) {
  const auto j = radlite::io::read_json_file(fixture);
  const auto max_single = j.at("max_length_single").get<std::size_t>();
  const auto max_pair = j.at("max_length_pair").get<std::size_t>();
  Count c;
  for (const auto& e : j.at("single")) {
    const std::string text = e.at("text").get<std::string>();
    const auto full = e.at("input_ids").get<std::vector<std::int32_t>>();
    ++c.total;
    if (full.size() < 2 || full.front() != 0 || full.back() != 2) {
      ADD_FAILURE() << "malformed fixture entry for " << show(text);
      continue;
    }
    const std::vector<std::int32_t> inner(full.begin() + 1, full.end() - 1);
    const auto ids = encode_with_specials(m, text);
    if (matches_prefix(inner, ids, full.size() == max_single)) {
      ++c.ok;
    } else if (report) {
      ADD_FAILURE() << fixture << ": mismatch for " << show(text) << "\n  got      " << nlohmann::json(ids).dump()
                    << "\n  expected " << nlohmann::json(inner).dump();
    }
  }
  for (const auto& e : j.at("pairs")) {
    const std::string a = e.at("query").get<std::string>();
    const std::string b = e.at("doc").get<std::string>();
    const auto full = e.at("input_ids").get<std::vector<std::int32_t>>();
    ++c.total;
    // The first "</s></s>" after <s> separates A from B.
    std::size_t sep = 1;
    while (sep + 1 < full.size() && !(full[sep] == 2 && full[sep + 1] == 2)) ++sep;
    if (sep + 1 >= full.size() && b.empty()) {
      // transformers treats an empty second text as no pair at all: <s> A </s>.
      const std::vector<std::int32_t> inner(full.begin() + 1, full.end() - 1);
      if (matches_prefix(inner, encode_with_specials(m, a), full.size() == max_pair)) {
        ++c.ok;
      } else if (report) {
        ADD_FAILURE() << fixture << ": pair with empty doc mismatch for " << show(a);
      }
      continue;
    }
    if (sep + 1 >= full.size()) {
      ADD_FAILURE() << "no separator in pair fixture for " << show(a);
      continue;
    }
    const std::vector<std::int32_t> ea(full.begin() + 1, full.begin() + static_cast<std::ptrdiff_t>(sep));
    const std::vector<std::int32_t> eb(full.begin() + static_cast<std::ptrdiff_t>(sep) + 2, full.end() - 1);
    const bool truncated = full.size() == max_pair;
    const auto ia = encode_with_specials(m, a);
    const auto ib = encode_with_specials(m, b);
    if (matches_prefix(ea, ia, truncated) && matches_prefix(eb, ib, truncated)) {
      ++c.ok;
    } else if (report) {
      ADD_FAILURE() << fixture << ": pair mismatch for " << show(a) << " / " << show(b);
    }
  }
  return c;
}

// Golden model file: texts + input_ids with specials, truncated at max_seq_length.
Count check_golden(const rt::SentencePieceModel& m, bool report = true) {
  const auto j = radlite::io::read_json_file(kData + "/golden/xlmr-biencoder-sp-tiny.json");
  const auto max_len = j.at("max_seq_length").get<std::size_t>();
  const auto& texts = j.at("texts");
  const auto& all_ids = j.at("input_ids");
  Count c;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const std::string text = texts[i].get<std::string>();
    const auto full = all_ids.at(i).get<std::vector<std::int32_t>>();
    ++c.total;
    const std::vector<std::int32_t> inner(full.begin() + 1, full.end() - 1);
    const auto ids = encode_with_specials(m, text);
    if (matches_prefix(inner, ids, full.size() == max_len)) {
      ++c.ok;
    } else if (report) {
      ADD_FAILURE() << "golden mismatch for " << show(text) << "\n  got      " << nlohmann::json(ids).dump()
                    << "\n  expected " << nlohmann::json(inner).dump();
    }
  }
  return c;
}

}  // namespace

TEST(SentencePiece, RawUnigramFixture) {
  const auto m = rt::native_sentencepiece_file(kUnigramModel);
  const Count c = check_raw(*m, kData + "/tokenizers/sp-unigram-test.json");
  std::printf("sp-unigram-test: %d/%d texts match (ids and pieces)\n", c.ok, c.total);
  EXPECT_EQ(c.total, 228);
  EXPECT_EQ(c.ok, c.total);
}

TEST(SentencePiece, RawBpeFixture) {
  const auto m = rt::native_sentencepiece_file(kBpeModel);
  const Count c = check_raw(*m, kData + "/tokenizers/sp-bpe-2k.json");
  std::printf("sp-bpe-2k: %d/%d texts match (ids and pieces)\n", c.ok, c.total);
  EXPECT_EQ(c.total, 228);
  EXPECT_EQ(c.ok, c.total);
}

TEST(SentencePiece, XlmrUnigramFixture) {
  const auto m = rt::through_tokenizer(radlite::Tokenizer::from_path(kUnigramModel));
  const Count c = check_xlmr(*m, kData + "/tokenizers/sp-unigram-test-xlmr.json");
  std::printf("sp-unigram-test-xlmr: %d/%d entries match\n", c.ok, c.total);
  EXPECT_EQ(c.total, 228 + 99);
  EXPECT_EQ(c.ok, c.total);
}

TEST(SentencePiece, XlmrBpeFixture) {
  const auto m = rt::through_tokenizer(radlite::Tokenizer::from_path(kBpeModel));
  const Count c = check_xlmr(*m, kData + "/tokenizers/sp-bpe-2k-xlmr.json");
  std::printf("sp-bpe-2k-xlmr: %d/%d entries match\n", c.ok, c.total);
  EXPECT_EQ(c.total, 228 + 99);
  EXPECT_EQ(c.ok, c.total);
}

TEST(SentencePiece, GoldenThroughTokenizerJson) {
  const auto tj = radlite::io::read_json_file(kTinyDir + "/tokenizer.json");
  const auto m = hf(tj);
  const Count c = check_golden(*m);
  std::printf("xlmr-biencoder-sp-tiny via tokenizer.json: %d/%d texts match\n", c.ok, c.total);
  EXPECT_GT(c.total, 0);
  EXPECT_EQ(c.ok, c.total);
}

TEST(SentencePiece, GoldenThroughSpmModel) {
  const auto m = rt::through_tokenizer(radlite::Tokenizer::from_path(kTinyDir + "/sentencepiece.bpe.model"));
  const Count c = check_golden(*m);
  std::printf("xlmr-biencoder-sp-tiny via sentencepiece.bpe.model: %d/%d texts match\n", c.ok, c.total);
  EXPECT_GT(c.total, 0);
  EXPECT_EQ(c.ok, c.total);
}

// ---------------------------------------------------------------------------------------------------------------
// The parity checks above can fail: wrong id convention, changed configuration and changed text all show up.

TEST(SentencePiece, ParityChecksDetectDifferences) {
  // Raw spm ids against the XLM-R fixture: the id shift alone breaks nearly every entry.
  const auto raw = rt::native_sentencepiece_file(kUnigramModel);
  const Count shifted = check_xlmr(*raw, kData + "/tokenizers/sp-unigram-test-xlmr.json", false);
  EXPECT_LT(shifted.ok, shifted.total / 10) << "xlmr_ids=false must not match the XLM-R fixture";

  // XLM-R ids against the raw fixture.
  const auto xlmr = rt::through_tokenizer(radlite::Tokenizer::from_path(kUnigramModel));
  const Count raw_vs_xlmr = check_raw(*xlmr, kData + "/tokenizers/sp-unigram-test.json", false);
  EXPECT_LT(raw_vs_xlmr.ok, raw_vs_xlmr.total / 10);

  // The Hugging Face pipeline without its Precompiled normalizer or without WhitespaceSplit: the goldens with
  // accents, full-width forms, tabs and newlines must then fail.
  auto tj = radlite::io::read_json_file(kTinyDir + "/tokenizer.json");
  auto no_norm = tj;
  no_norm["normalizer"] = nullptr;
  const Count c1 = check_golden(*hf(no_norm), false);
  EXPECT_LT(c1.ok, c1.total);
  auto no_ws = tj;
  no_ws["pre_tokenizer"] = no_ws["pre_tokenizer"]["pretokenizers"][1];
  const Count c2 = check_golden(*hf(no_ws), false);
  EXPECT_LT(c2.ok, c2.total);
  std::printf(
      "negative controls: raw-vs-xlmr %d/%d, xlmr-vs-raw %d/%d, no normalizer %d/%d, no WhitespaceSplit %d/%d\n",
      shifted.ok, shifted.total, raw_vs_xlmr.ok, raw_vs_xlmr.total, c1.ok, c1.total, c2.ok, c2.total);

  // A one-character change in the text changes the ids.
  const auto a = ids_of(encode(*raw, "What are the imaging features of hepatocellular carcinoma on MRI?"));
  const auto b = ids_of(encode(*raw, "What are the imaging features of hepatocellular carcinoma on MRU?"));
  EXPECT_NE(a, b);
}

// The score tie that libsentencepiece 0.1.97 (the system library) breaks the other way from 0.2.2.
TEST(SentencePiece, UnigramTieFollowsSentencePiece02) {
  const auto m = rt::native_sentencepiece_file(kUnigramModel);
  std::vector<std::string> pieces;
  for (const auto& p : encode(*m, "---")) pieces.push_back(p.text);
  EXPECT_EQ(pieces, (std::vector<std::string>{"▁", "-", "--"}));
}

// ---------------------------------------------------------------------------------------------------------------
// Edge inputs.

TEST(SentencePiece, EmptyWhitespaceAndInvalidUtf8) {
  const auto tj = radlite::io::read_json_file(kTinyDir + "/tokenizer.json");
  std::vector<std::unique_ptr<const rt::SentencePieceModel>> models;
  models.push_back(rt::native_sentencepiece_file(kUnigramModel));
  models.push_back(rt::native_sentencepiece_file(kBpeModel));
  models.push_back(rt::through_tokenizer(radlite::Tokenizer::from_path(kUnigramModel)));
  models.push_back(hf(tj));
  for (std::size_t k = 0; k < models.size(); ++k) {
    const auto& m = models[k];
    EXPECT_TRUE(encode(*m, "").empty());
    EXPECT_TRUE(encode(*m, "    ").empty());
    // test_model.model keeps tabs and newlines as pieces (see the raw fixture); the Hugging Face pipelines split
    // them away.
    if (k >= 2) EXPECT_TRUE(encode(*m, " \t\n  \r\n \xE3\x80\x80").empty());
    // Invalid UTF-8 (lone continuation, truncated sequence, overlong '/', encoded surrogate, 0xFF) and NUL.
    const std::string bad = std::string("ab\x80 c\xC3 d\xC0\xAF e\xED\xA0\x80 f\xFF g") + std::string(1, '\0') + "h";
    const auto pieces = encode(*m, bad);
    EXPECT_FALSE(pieces.empty());
    for (const auto& p : pieces) {
      EXPECT_GE(p.id, 0);
      EXPECT_LT(static_cast<std::size_t>(p.id), m->vocab_size());
    }
    // A 1 MB input with no whitespace and one with many words.
    std::string big_word(1 << 20, 'a');
    EXPECT_FALSE(encode(*m, big_word).empty());
    std::string many;
    for (int i = 0; i < 20000; ++i) many += "hepatocellular carcinoma ";
    EXPECT_GE(encode(*m, many).size(), 40000u);
  }
}

TEST(SentencePiece, DecodeRoundTrip) {
  const auto tj = radlite::io::read_json_file(kTinyDir + "/tokenizer.json");
  const auto texts = radlite::io::read_json_file(kData + "/texts/public_texts.json");
  std::vector<std::unique_ptr<const rt::SentencePieceModel>> models;
  models.push_back(rt::native_sentencepiece_file(kUnigramModel));
  models.push_back(rt::native_sentencepiece_file(kBpeModel));
  models.push_back(rt::through_tokenizer(radlite::Tokenizer::from_path(kUnigramModel)));
  models.push_back(hf(tj));
  for (const auto& m : models) {
    int checked = 0;
    for (const auto& t : texts) {
      const std::string text = t.is_string() ? t.get<std::string>() : t.at("text").get<std::string>();
      // Texts that normalization leaves alone: printable ASCII, single spaces, no edge spaces.
      bool plain = !text.empty() && text.front() != ' ' && text.back() != ' ' && text.find("  ") == std::string::npos;
      for (const char c : text) plain = plain && c >= 0x20 && c < 0x7F;
      if (!plain) continue;
      const auto pieces = encode(*m, text);
      bool has_unk = false;
      for (const auto& p : pieces) has_unk = has_unk || p.id == m->unk_id();
      if (has_unk) continue;
      EXPECT_EQ(m->decode(ids_of(pieces)), text);
      ++checked;
    }
    EXPECT_GT(checked, 100);
  }
  const auto m = rt::through_tokenizer(radlite::Tokenizer::from_path(kUnigramModel));
  EXPECT_EQ(m->id_to_piece(0), "<s>");
  EXPECT_EQ(m->id_to_piece(3), "<unk>");
  EXPECT_EQ(m->id_to_piece(static_cast<std::int32_t>(m->vocab_size() - 1)), "<mask>");
  EXPECT_EQ(m->vocab_size(), 1002u);
  EXPECT_EQ(m->piece_to_id("▁the"), 8);
  EXPECT_EQ(m->piece_to_id("no such piece"), -1);
  EXPECT_EQ(m->unk_id(), 3);
  EXPECT_THROW(m->id_to_piece(-1), radlite::InvalidArgument);
  EXPECT_THROW(m->id_to_piece(1002), radlite::InvalidArgument);
  EXPECT_THROW(m->decode({5, 5000}), radlite::InvalidArgument);
}

// ---------------------------------------------------------------------------------------------------------------
// Bad files.

namespace {

std::string write_temp(const std::string& name, const std::string& bytes) {
  const std::string path = testing::TempDir() + "/radlite_sp_" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

template <class E, class F>
void expect_error(F&& f, const std::string& fragment) {
  try {
    f();
    ADD_FAILURE() << "no exception; expected one mentioning '" << fragment << "'";
  } catch (const E& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(SentencePiece, BadModelFiles) {
  expect_error<radlite::IoError>([] { rt::native_sentencepiece_file("/nonexistent/x.model"); },
                                 "/nonexistent/x.model");
  const std::string data = radlite::io::read_file(kUnigramModel);
  const std::string truncated = write_temp("truncated.model", data.substr(0, data.size() / 2));
  expect_error<radlite::FormatError>([&] { rt::native_sentencepiece_file(truncated); }, truncated);
  const std::string garbage = write_temp("garbage.model", "this is not a protobuf \xFF\xFF\xFF\xFF\xFF");
  expect_error<radlite::FormatError>([&] { rt::through_tokenizer(radlite::Tokenizer::from_path(garbage)); }, garbage);
  // From memory: same result as from the file, and errors name the given origin.
  const auto from_bytes = rt::native_sentencepiece(data, "in-memory");
  const auto from_file = rt::native_sentencepiece_file(kUnigramModel);
  EXPECT_EQ(ids_of(encode(*from_bytes, "Hepatocellular carcinoma")),
            ids_of(encode(*from_file, "Hepatocellular carcinoma")));
  expect_error<radlite::FormatError>(
      [&] { xlmr_from_bytes(data.substr(0, 100), "in-memory"); }, "in-memory");
  const std::string empty = write_temp("empty.model", "");
  expect_error<radlite::FormatError>([&] { rt::native_sentencepiece_file(empty); }, empty);
}

// Errors name the field, in the one message shape of the tokenizer.json reader.
TEST(SentencePiece, BadTokenizerJson) {
  const auto tj = radlite::io::read_json_file(kTinyDir + "/tokenizer.json");
  auto no_vocab = tj;
  no_vocab["model"].erase("vocab");
  expect_error<radlite::FormatError>([&] { hf(no_vocab); }, "field 'model.vocab': missing");
  auto bad_entry = tj;
  bad_entry["model"]["vocab"][7] = "just a string";
  expect_error<radlite::FormatError>([&] { hf(bad_entry); }, "model.vocab[7]");
  auto bpe = tj;
  bpe["model"]["type"] = "BPE";  // a BPE vocabulary is an object
  expect_error<radlite::FormatError>([&] { hf(bpe); }, "model.vocab");
  auto bad_b64 = tj;
  bad_b64["normalizer"]["precompiled_charsmap"] = "@@@@";
  expect_error<radlite::FormatError>([&] { hf(bad_b64); }, "normalizer.precompiled_charsmap");
  auto short_blob = tj;
  short_blob["normalizer"]["precompiled_charsmap"] = "AQID";  // 3 bytes
  expect_error<radlite::FormatError>([&] { hf(short_blob); }, "precompiled_charsmap");
  auto bad_unk = tj;
  bad_unk["model"]["unk_id"] = 99999;
  expect_error<radlite::FormatError>([&] { hf(bad_unk); }, "model.unk_id");
  expect_error<radlite::FormatError>([&] { hf(nlohmann::json::array()); }, "expected a JSON object");
  // What the separate Unigram pipeline refused now loads: every normalizer serves every model (HF parity of such
  // files: pipeline_cases_test.cpp).
  auto bert_norm = tj;
  bert_norm["normalizer"] = {{"type", "BertNormalizer"}};
  EXPECT_FALSE(encode(*hf(bert_norm), "Hello World").empty());
}

namespace {

// Fragments mixing the hard cases: whitespace runs, control characters, NFKC-sensitive forms, combining marks,
// CJK, emoji sequences, invalid UTF-8, literal special-token texts.
std::vector<std::string> hard_fragments() {
  return {
      "the", "cancer", " ", "  ", "\t", "\n", "\r\n", "\xC2\xA0", "\xE3\x80\x80", "\xEF\xBC\xA1\xEF\xBD\x82",
      "\xEF\xAC\x81", "e\xCC\x81", "\xC3\xA9", "A\xCC\x8A\xCC\x81", "\xE2\x85\xAB", "\xE3\x8D\xBF", "\xE2\x91\xA0",
      "\xED\x95\x9C\xEA\xB5\xAD", "\xE1\x84\x92\xE1\x85\xA1\xE1\x86\xAB", "\xE7\x99\x8C", "\xF0\x9F\x98\x80",
      "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7", "\xF0\x9F\x87\xAB\xF0\x9F\x87\xB7",
      "\xE2\x80\x8B", "\xEF\xBF\xBD", "\x07", std::string(1, '\0'), "\x80", "\xC3", "\xED\xA0\x80", "\xFF", "--",
      "---", "...", "\xE2\x80\x94", "\xE2\x80\x9Cq\xE2\x80\x9D", "<s>", "</s>", "<unk>", "\xE2\x96\x81",
      "I\xCC\x87", "\xE1\xBA\x9E", "\xCE\xA3", "\xD8\xB9\xD8\xB1\xD8\xA8\xD9\x8A", "\xE0\xA4\xB9\xE0\xA4\xBF", "0123",
      "\xEF\xBC\x91"};
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------------
// Our SentencePiece unigram normalizer against libsentencepiece on synthetic text mixing the hard cases
// (whitespace runs, control characters, NFKC-sensitive forms, combining marks, CJK, emoji sequences, invalid
// UTF-8). The normalized text (concatenated pieces) must be identical; the segmentation too, except where the
// two segmentations score exactly the same (the tie rule of 0.1.97 differs from 0.2.x, see above).

TEST(SentencePiece, UnigramMatchesLibsentencepieceOnSyntheticText) {
  sentencepiece::SentencePieceProcessor lib;
  ASSERT_TRUE(lib.Load(kUnigramModel).ok());
  const auto mine = rt::native_sentencepiece_file(kUnigramModel);
  const std::vector<std::string> fragments = hard_fragments();
  std::mt19937 rng(20240601u);
  std::uniform_int_distribution<std::size_t> pick(0, fragments.size() - 1);
  std::uniform_int_distribution<int> count(1, 12);
  int identical = 0;
  int ties = 0;
  const int total = 3000;
  for (int n = 0; n < total; ++n) {
    std::string text;
    for (int k = count(rng); k > 0; --k) text += fragments[pick(rng)];
    const auto ours = encode(*mine, text);
    const auto theirs = lib.EncodeAsImmutableProto(text);
    std::string ours_norm;
    std::string theirs_norm;
    std::vector<std::int32_t> theirs_ids;
    double ours_score = 0;
    double theirs_score = 0;
    for (const auto& p : ours) {
      ours_norm += p.text;
      if (p.id != mine->unk_id()) ours_score += lib.GetScore(p.id);
    }
    for (std::size_t i = 0; i < theirs.pieces_size(); ++i) {
      theirs_norm += theirs.pieces(i).piece();
      theirs_ids.push_back(static_cast<std::int32_t>(theirs.pieces(i).id()));
      if (!lib.IsUnknown(theirs.pieces(i).id())) theirs_score += lib.GetScore(theirs.pieces(i).id());
    }
    ASSERT_EQ(ours_norm, theirs_norm) << "normalization differs for " << show(text);
    if (ids_of(ours) == theirs_ids) {
      ++identical;
    } else if (std::abs(ours_score - theirs_score) < 1e-4) {
      ++ties;
    } else {
      ADD_FAILURE() << "segmentation differs (scores " << ours_score << " vs " << theirs_score << ")";
    }
  }
  std::printf("synthetic texts vs libsentencepiece %s: %d identical, %d equal-score ties, of %d\n",
              "0.1.97", identical, ties, total);
  EXPECT_EQ(identical + ties, total);
  EXPECT_GT(identical, total * 9 / 10);
}

// ---------------------------------------------------------------------------------------------------------------
// BPE, word and char segmentation and decoding against libsentencepiece. The reference BPE model exercises
// merging only; variants of it, rewritten at the protobuf level, add what it lacks: UNUSED pieces (resegmented),
// user-defined symbols (frozen), byte fallback (256 BYTE pieces), a custom unk_surface, and the word and char
// algorithms. Both implementations load the same bytes.

namespace {

// Minimal protobuf wire helpers for rewriting a ModelProto.
void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}
void put_key(std::string& out, std::uint32_t field, std::uint32_t wire_type) {
  put_varint(out, (field << 3) | wire_type);
}
void put_bytes(std::string& out, std::uint32_t field, const std::string& bytes) {
  put_key(out, field, 2);
  put_varint(out, bytes.size());
  out += bytes;
}
std::uint64_t get_varint(const std::string& s, std::size_t& pos) {
  std::uint64_t v = 0;
  for (int shift = 0; pos < s.size(); shift += 7) {
    const auto b = static_cast<unsigned char>(s[pos++]);
    v |= static_cast<std::uint64_t>(b & 0x7F) << shift;
    if (!(b & 0x80)) break;
  }
  return v;
}

struct ProtoPiece {
  std::string piece;
  float score = 0;
  int type = 1;
};

// Splits a ModelProto into its pieces and the raw bytes of every other top-level field.
void split_model(const std::string& model, std::vector<ProtoPiece>& pieces, std::string& rest) {
  std::size_t pos = 0;
  while (pos < model.size()) {
    const std::size_t start = pos;
    const std::uint64_t key = get_varint(model, pos);
    const auto wt = key & 7;
    ASSERT_EQ(wt, 2u) << "unexpected top-level wire type";
    const std::size_t len = get_varint(model, pos);
    const std::string body = model.substr(pos, len);
    pos += len;
    if ((key >> 3) != 1) {
      rest += model.substr(start, pos - start);
      continue;
    }
    ProtoPiece p;
    std::size_t q = 0;
    while (q < body.size()) {
      const std::uint64_t k = get_varint(body, q);
      if (k == ((1 << 3) | 2)) {
        const std::size_t n = get_varint(body, q);
        p.piece = body.substr(q, n);
        q += n;
      } else if (k == ((2 << 3) | 5)) {
        std::memcpy(&p.score, body.data() + q, 4);  // little-endian host, as the test machines are
        q += 4;
      } else if (k == ((3 << 3) | 0)) {
        p.type = static_cast<int>(get_varint(body, q));
      } else {
        FAIL() << "unexpected field in a piece";
      }
    }
    pieces.push_back(p);
  }
}

std::string join_model(const std::vector<ProtoPiece>& pieces, const std::string& rest,
                       const std::string& trainer_extra) {
  std::string out;
  for (const auto& p : pieces) {
    std::string body;
    put_bytes(body, 1, p.piece);
    put_key(body, 2, 5);
    char f[4];
    std::memcpy(f, &p.score, 4);
    body.append(f, 4);
    put_key(body, 3, 0);
    put_varint(body, static_cast<std::uint64_t>(p.type));
    put_bytes(out, 1, body);
  }
  out += rest;
  // A second trainer_spec merges into the first, field by field, in both parsers.
  if (!trainer_extra.empty()) put_bytes(out, 2, trainer_extra);
  return out;
}

std::string trainer_model_type(int type) {
  std::string t;
  put_key(t, 3, 0);
  put_varint(t, static_cast<std::uint64_t>(type));
  return t;
}

// The BPE reference model with every 4th multi-character normal piece made UNUSED, three user-defined symbols,
// 256 byte pieces with byte_fallback, and unk_surface "<?>".
std::string bpe_variant() {
  std::vector<ProtoPiece> pieces;
  std::string rest;
  split_model(radlite::io::read_file(kBpeModel), pieces, rest);
  std::set<std::string> present;
  int multi = 0;
  for (auto& p : pieces) {
    present.insert(p.piece);
    const bool multi_char = p.type == 1 && p.piece.size() > 1 && p.piece != "\xE2\x96\x81";
    if (multi_char && ++multi % 4 == 0) p.type = 5;
  }
  for (const char* ud : {"<med>", "xab", "\xE2\x80\x94"}) {
    if (present.insert(ud).second) pieces.push_back({ud, 0.0f, 4});
  }
  char buf[8];
  for (int b = 0; b < 256; ++b) {
    std::snprintf(buf, sizeof buf, "<0x%02X>", b);
    pieces.push_back({buf, 0.0f, 6});
  }
  std::string trainer;
  put_key(trainer, 35, 0);
  put_varint(trainer, 1);
  put_bytes(trainer, 44, "<?>");
  return join_model(pieces, rest, trainer);
}

std::string write_model(const std::string& name, const std::string& bytes) {
  const std::string path = testing::TempDir() + "/radlite_sp_" + name;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  return path;
}

struct CrossCheck {
  int texts = 0;
  int encode_identical = 0;
  int decode_identical = 0;
  int random_decodes = 0;
  int random_decode_identical = 0;
};

// Encodes synthetic texts with both implementations (ids and pieces must be identical) and decodes the ids with
// both; then decodes random id sequences drawn from the whole vocabulary (control, unknown and byte pieces
// included) with both. compare_encode is false for unigram models, whose segmentation is compared (ties aside)
// by UnigramMatchesLibsentencepieceOnSyntheticText.
CrossCheck cross_check(const std::string& model_bytes, const std::string& name, std::uint32_t seed,
                       bool compare_encode = true) {
  CrossCheck c;
  sentencepiece::SentencePieceProcessor lib;
  const auto status = lib.LoadFromSerializedProto(model_bytes);
  EXPECT_TRUE(status.ok()) << name << ": " << status.ToString();
  if (!status.ok()) return c;
  const auto mine = rt::native_sentencepiece(model_bytes, name);
  EXPECT_EQ(mine->vocab_size(), static_cast<std::size_t>(lib.GetPieceSize()));

  std::vector<std::string> fragments = hard_fragments();
  for (const char* w : {"hepatocellular ", "carcinoma", " of the ", "imaging", "MRI", " patients", "<med>", "xab",
                        "ab", "treatment", "Tumor", "\xE2\x80\x94", "cells "}) {
    fragments.push_back(w);
  }
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::size_t> pick(0, fragments.size() - 1);
  std::uniform_int_distribution<int> count(1, 14);
  const int total = 2000;
  for (int n = 0; n < total; ++n) {
    std::string text;
    for (int k = count(rng); k > 0; --k) text += fragments[pick(rng)];
    const auto ours = encode(*mine, text);
    const auto theirs = lib.EncodeAsImmutableProto(text);
    std::vector<std::int32_t> theirs_ids;
    std::vector<std::string> theirs_pieces;
    for (std::size_t i = 0; i < theirs.pieces_size(); ++i) {
      theirs_ids.push_back(static_cast<std::int32_t>(theirs.pieces(i).id()));
      theirs_pieces.push_back(theirs.pieces(i).piece());
    }
    std::vector<std::string> ours_pieces;
    for (const auto& p : ours) ours_pieces.push_back(p.text);
    ++c.texts;
    if (ids_of(ours) == theirs_ids && ours_pieces == theirs_pieces) {
      ++c.encode_identical;
    } else if (compare_encode) {
      ADD_FAILURE() << name << ": segmentation differs for " << show(text) << "\n  ours   "
                    << nlohmann::json(ours_pieces).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                    << "\n  theirs "
                    << nlohmann::json(theirs_pieces).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    std::string lib_text;
    EXPECT_TRUE(lib.Decode(theirs_ids, &lib_text).ok());
    if (mine->decode(theirs_ids) == lib_text) {
      ++c.decode_identical;
    } else {
      ADD_FAILURE() << name << ": decode differs for the ids of " << show(text) << ": "
                    << show(mine->decode(theirs_ids)) << " vs " << show(lib_text);
    }
  }
  std::uniform_int_distribution<std::int32_t> any_id(0, lib.GetPieceSize() - 1);
  // Mostly the first ids (control, unknown, byte pieces when present) and the last ones, to hit every kind.
  std::uniform_int_distribution<std::int32_t> low_id(0, std::min(lib.GetPieceSize(), 300) - 1);
  for (int n = 0; n < 2000; ++n) {
    std::vector<std::int32_t> ids;
    for (int k = count(rng); k > 0; --k) ids.push_back(n % 2 == 0 ? any_id(rng) : low_id(rng));
    std::string lib_text;
    EXPECT_TRUE(lib.Decode(ids, &lib_text).ok());
    ++c.random_decodes;
    if (mine->decode(ids) == lib_text) {
      ++c.random_decode_identical;
    } else {
      ADD_FAILURE() << name << ": decode differs for ids " << nlohmann::json(ids).dump() << ": "
                    << show(mine->decode(ids)) << " vs " << show(lib_text);
    }
  }
  std::printf("%s vs libsentencepiece 0.1.97: encode %d/%d identical (ids and pieces), decode of those ids %d/%d, "
              "decode of random ids %d/%d\n",
              name.c_str(), c.encode_identical, c.texts, c.decode_identical, c.texts, c.random_decode_identical,
              c.random_decodes);
  if (compare_encode) EXPECT_EQ(c.encode_identical, c.texts);
  EXPECT_EQ(c.decode_identical, c.texts);
  EXPECT_EQ(c.random_decode_identical, c.random_decodes);
  return c;
}

}  // namespace

TEST(SentencePiece, BpeMatchesLibsentencepiece) {
  cross_check(radlite::io::read_file(kBpeModel), "sp_bpe_2k", 11u);
}

TEST(SentencePiece, BpeVariantMatchesLibsentencepiece) {
  const std::string variant = bpe_variant();
  cross_check(variant, "sp_bpe_2k+unused+user-defined+bytes", 12u);
  // The variant really exercises what it was built for.
  const auto m = rt::native_sentencepiece(variant, "variant");
  std::vector<std::string> pieces;
  for (const auto& p : encode(*m, "a<med>b \xE7\x99\x8C")) pieces.push_back(p.text);
  EXPECT_NE(std::find(pieces.begin(), pieces.end(), "<med>"), pieces.end());
  EXPECT_NE(std::find(pieces.begin(), pieces.end(), "<0xE7>"), pieces.end());
  EXPECT_EQ(m->decode({m->unk_id()}), "<?>");
}

TEST(SentencePiece, UnigramDecodeMatchesLibsentencepiece) {
  const CrossCheck c = cross_check(radlite::io::read_file(kUnigramModel), "test_model", 13u, false);
  EXPECT_GT(c.encode_identical, c.texts * 9 / 10);  // the rest are the 0.1.97 score ties
}

TEST(SentencePiece, WordAndCharModelsMatchLibsentencepiece) {
  std::vector<ProtoPiece> pieces;
  std::string rest;
  split_model(radlite::io::read_file(kBpeModel), pieces, rest);
  cross_check(join_model(pieces, rest, trainer_model_type(3)), "sp_bpe_2k-as-word", 14u);
  cross_check(join_model(pieces, rest, trainer_model_type(4)), "sp_bpe_2k-as-char", 15u);
  std::string variant_bytes = bpe_variant();
  std::string t = trainer_model_type(4);
  put_bytes(variant_bytes, 2, t);
  cross_check(variant_bytes, "variant-as-char", 16u);
}

// Models that libsentencepiece refuses to load are refused here too (we replaced its loader), with a FormatError
// naming the origin and the problem.
TEST(SentencePiece, InvalidModelsRefusedLikeLibsentencepiece) {
  std::vector<ProtoPiece> pieces;
  std::string rest;
  split_model(radlite::io::read_file(kBpeModel), pieces, rest);
  struct Case {
    const char* name;
    std::string bytes;
    const char* fragment;
  };
  std::vector<Case> cases;
  auto dup = pieces;
  dup.push_back(pieces[10]);
  cases.push_back({"duplicate", join_model(dup, rest, ""), "already defined"});
  auto no_unk = pieces;
  for (auto& p : no_unk) {
    if (p.type == 2) p.type = 3;
  }
  cases.push_back({"no-unk", join_model(no_unk, rest, ""), "UNKNOWN"});
  auto two_unk = pieces;
  two_unk.push_back({"<unk2>", 0.0f, 2});
  cases.push_back({"two-unk", join_model(two_unk, rest, ""), "UNKNOWN"});
  auto empty_piece = pieces;
  empty_piece[20].piece.clear();
  cases.push_back({"empty-piece", join_model(empty_piece, rest, ""), "empty"});
  auto stray_byte = pieces;
  stray_byte.push_back({"<0x41>", 0.0f, 6});
  cases.push_back({"byte-without-fallback", join_model(stray_byte, rest, ""), "byte_fallback"});
  std::string fallback;
  put_key(fallback, 35, 0);
  put_varint(fallback, 1);
  cases.push_back({"fallback-without-bytes", join_model(stray_byte, rest, fallback), "256 byte pieces"});
  auto bad_byte = pieces;
  bad_byte.push_back({"<0xZZ>", 0.0f, 6});
  cases.push_back({"invalid-byte-piece", join_model(bad_byte, rest, fallback), "not a valid byte piece"});
  for (const Case& c : cases) {
    sentencepiece::SentencePieceProcessor lib;
    EXPECT_FALSE(lib.LoadFromSerializedProto(c.bytes).ok()) << c.name << ": libsentencepiece accepts it";
    expect_error<radlite::FormatError>([&] { rt::native_sentencepiece(c.bytes, c.name); },
                                       c.fragment);
    expect_error<radlite::FormatError>([&] { xlmr_from_bytes(c.bytes, c.name); },
                                       c.name);
  }
  // The unchanged pieces load in both.
  sentencepiece::SentencePieceProcessor lib;
  EXPECT_TRUE(lib.LoadFromSerializedProto(join_model(pieces, rest, "")).ok());
  EXPECT_NO_THROW(rt::native_sentencepiece(join_model(pieces, rest, ""), "ok"));
}

// The cross-check can fail: a model whose scores are reversed segments differently, and the checker notices.
TEST(SentencePiece, BpeCrossCheckDetectsDifferences) {
  std::vector<ProtoPiece> pieces;
  std::string rest;
  split_model(radlite::io::read_file(kBpeModel), pieces, rest);
  auto reversed = pieces;
  for (auto& p : reversed) p.score = -p.score;
  const auto normal = rt::native_sentencepiece(join_model(pieces, rest, ""), "normal");
  const auto flipped = rt::native_sentencepiece(join_model(reversed, rest, ""), "reversed");
  sentencepiece::SentencePieceProcessor lib;
  ASSERT_TRUE(lib.LoadFromSerializedProto(join_model(pieces, rest, "")).ok());
  const std::string text = "What are the imaging features of hepatocellular carcinoma on MRI?";
  std::vector<std::int32_t> lib_ids;
  ASSERT_TRUE(lib.Encode(text, &lib_ids).ok());
  EXPECT_EQ(ids_of(encode(*normal, text)), lib_ids);
  EXPECT_NE(ids_of(encode(*flipped, text)), lib_ids);
  // And decoding notices a dropped piece.
  auto fewer = lib_ids;
  fewer.erase(fewer.begin() + 2);
  std::string lib_text;
  ASSERT_TRUE(lib.Decode(lib_ids, &lib_text).ok());
  EXPECT_EQ(normal->decode(lib_ids), lib_text);
  EXPECT_NE(normal->decode(fewer), lib_text);
}

// Corrupted inputs must give an exception or a result, never a crash (run under the sanitizer build too).
TEST(SentencePiece, CorruptedCharsmapAndModelDoNotCrash) {
  std::mt19937 rng(7u);
  const std::string model = radlite::io::read_file(kUnigramModel);
  int rejected = 0;
  for (int n = 0; n < 200; ++n) {
    std::string mutated = model;
    for (int k = 0; k < 8; ++k) {
      mutated[std::uniform_int_distribution<std::size_t>(0, mutated.size() - 1)(rng)] =
          static_cast<char>(std::uniform_int_distribution<int>(0, 255)(rng));
    }
    const std::string path = testing::TempDir() + "/radlite_sp_mutated.model";
    std::ofstream(path, std::ios::binary | std::ios::trunc) << mutated;
    try {
      for (const bool xlmr : {false, true}) {
        const auto m = xlmr ? rt::through_tokenizer(radlite::Tokenizer::from_path(path)) : rt::native_sentencepiece_file(path);
        std::vector<rt::Piece> out;
        m->encode("Hepatocellular carcinoma \xC3\xA9 \xEF\xBC\xA1 \xF0\x9F\x98\x80 end", out);
      }
    } catch (const radlite::Error&) {
      ++rejected;
    }
  }
  std::printf("mutated models: %d of 200 rejected with radlite::Error, the rest encoded\n", rejected);

  // The same for the BPE model (our BPE segmenter and decoder on whatever vocabulary survives).
  const std::string bpe = radlite::io::read_file(kBpeModel);
  int bpe_rejected = 0;
  for (int n = 0; n < 200; ++n) {
    std::string mutated = bpe;
    for (int k = 0; k < 8; ++k) {
      mutated[std::uniform_int_distribution<std::size_t>(0, mutated.size() - 1)(rng)] =
          static_cast<char>(std::uniform_int_distribution<int>(0, 255)(rng));
    }
    try {
      const auto m = rt::native_sentencepiece(mutated, "mutated-bpe");
      std::vector<rt::Piece> out;
      m->encode("Hepatocellular carcinoma \xC3\xA9 \xEF\xBC\xA1 \xF0\x9F\x98\x80 end", out);
      std::vector<std::int32_t> ids = ids_of(out);
      for (std::int32_t id = 0; id < 300 && static_cast<std::size_t>(id) < m->vocab_size(); ++id) ids.push_back(id);
      m->decode(ids);
    } catch (const radlite::Error&) {
      ++bpe_rejected;
    }
  }
  std::printf("mutated BPE models: %d of 200 rejected with radlite::Error, the rest encoded and decoded\n",
              bpe_rejected);

  auto tj = radlite::io::read_json_file(kTinyDir + "/tokenizer.json");
  static const char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const std::string original = tj["normalizer"]["precompiled_charsmap"].get<std::string>();
  for (int n = 0; n < 200; ++n) {
    std::string b64 = original;
    for (int k = 0; k < 16; ++k) {
      b64[std::uniform_int_distribution<std::size_t>(0, b64.size() - 1)(rng)] =
          kB64[std::uniform_int_distribution<int>(0, 63)(rng)];
    }
    if (n % 4 == 0) b64 = b64.substr(0, b64.size() / 2 / 4 * 4);
    tj["normalizer"]["precompiled_charsmap"] = b64;
    try {
      const auto m = hf(tj);
      std::vector<rt::Piece> out;
      m->encode("Hepatocellular carcinoma \xC3\xA9 \xEF\xBC\xA1 \xF0\x9F\x98\x80 e\xCC\x81 end", out);
    } catch (const radlite::Error&) {
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Pipeline pieces the goldens do not exercise, on a hand-made vocabulary where the expected result is forced.

namespace {

nlohmann::json small_unigram(bool byte_fallback, bool with_unk) {
  nlohmann::json vocab = nlohmann::json::array();
  vocab.push_back({"<unk>", 0.0});
  for (const char* p : {"\xE2\x96\x81" "a", "\xE2\x96\x81", "y", "b", "yb", "\xE2\x96\x81" "ab"}) {
    vocab.push_back({p, -1.0});
  }
  if (byte_fallback) {
    char buf[8];
    for (int b = 0; b < 256; ++b) {
      std::snprintf(buf, sizeof buf, "<0x%02X>", b);
      vocab.push_back({buf, -10.0});
    }
  }
  nlohmann::json model = {{"type", "Unigram"}, {"vocab", vocab}, {"byte_fallback", byte_fallback}};
  if (with_unk) model["unk_id"] = 0;
  return {{"model", model}};
}

std::vector<std::string> texts_of(const rt::SentencePieceModel& m, const std::string& text) {
  std::vector<std::string> out;
  for (const auto& p : encode(m, text)) out.push_back(p.text);
  return out;
}

}  // namespace

TEST(SentencePiece, HuggingFacePipelineComponents) {
  using V = std::vector<std::string>;
  auto tj = small_unigram(false, true);
  tj["normalizer"] = {{"type", "Sequence"},
                      {"normalizers",
                       {{{"type", "Replace"}, {"pattern", {{"String", "x"}}}, {"content", "y"}},
                        {{"type", "Replace"}, {"pattern", {{"Regex", " {2,}"}}}, {"content", " "}},
                        {{"type", "Strip"}, {"strip_left", true}, {"strip_right", true}}}}};
  tj["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", "\xE2\x96\x81"}, {"prepend_scheme", "always"},
                         {"split", true}};
  // "  a   xb " -> "a yb" -> "▁a▁yb" -> words "▁a", "▁yb"; "yb" beats "y" + "b" (one piece, -1 against -2).
  EXPECT_EQ(texts_of(*hf(tj), "  a   xb "), (V{"▁a", "▁", "yb"}));
  // Without split the Viterbi sees "▁a▁yb" whole and "▁ab" cannot form; same pieces.
  tj["pre_tokenizer"]["split"] = false;
  EXPECT_EQ(texts_of(*hf(tj), "a xb"), (V{"▁a", "▁", "yb"}));
  // prepend_scheme never: no leading "▁"; consecutive unknowns ("qq") fuse into one <unk> token.
  tj["pre_tokenizer"]["prepend_scheme"] = "never";
  const auto never = hf(tj);
  EXPECT_EQ(texts_of(*never, "ybqq"), (V{"yb", "<unk>"}));  // Encoding.tokens spell ids as the vocabulary does
  EXPECT_EQ(ids_of(encode(*never, "ybqq")), (std::vector<std::int32_t>{5, 0}));
  // A duplicated piece takes its last id, as tokenizers' vocabulary hash map does.
  auto dup = tj;
  dup["model"]["vocab"].push_back({"yb", -1.0});
  EXPECT_EQ(ids_of(encode(*hf(dup), "yb")),
            (std::vector<std::int32_t>{7}));

  // Byte fallback: the unknown "c" (after "▁a") becomes its byte, not <unk>.
  auto bf = small_unigram(true, true);
  bf["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", "\xE2\x96\x81"}, {"add_prefix_space", true}};
  // The decoder transformers writes for byte-fallback SentencePiece conversions.
  bf["decoder"] = {{"type", "Sequence"},
                   {"decoders",
                    {{{"type", "Replace"}, {"pattern", {{"String", "\xE2\x96\x81"}}}, {"content", " "}},
                     {{"type", "ByteFallback"}},
                     {{"type", "Fuse"}},
                     {{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}}}};
  const auto bfm = hf(bf);
  EXPECT_EQ(texts_of(*bfm, "ac"), (V{"▁a", "<0x63>"}));
  EXPECT_EQ(ids_of(encode(*bfm, "ac")), (std::vector<std::int32_t>{1, 7 + 0x63}));
  EXPECT_EQ(texts_of(*bfm, "ab"), (V{"▁ab"}));
  EXPECT_EQ(bfm->decode(ids_of(encode(*bfm, "ac ab"))), "ac ab");

  // No unk_id: fine until a character outside the vocabulary shows up.
  auto nounk = small_unigram(false, false);
  const auto nu = hf(nounk);
  EXPECT_EQ(texts_of(*nu, "yb"), (V{"yb"}));
  expect_error<radlite::InvalidArgument>([&] { encode(*nu, "q"); }, "has no unk_id");
}

// encode is const and shares nothing mutable: concurrent calls give the single-threaded results.
TEST(SentencePiece, ConcurrentEncodeIsConsistent) {
  const auto tj = radlite::io::read_json_file(kTinyDir + "/tokenizer.json");
  const auto texts = radlite::io::read_json_file(kData + "/texts/public_texts.json");
  std::vector<std::string> v;
  for (const auto& t : texts) v.push_back(t.is_string() ? t.get<std::string>() : t.at("text").get<std::string>());
  std::vector<std::unique_ptr<const rt::SentencePieceModel>> models;
  models.push_back(rt::native_sentencepiece_file(kUnigramModel));
  models.push_back(rt::native_sentencepiece_file(kBpeModel));
  models.push_back(hf(tj));
  for (const auto& m : models) {
    std::vector<std::vector<std::int32_t>> expected;
    for (const auto& t : v) expected.push_back(ids_of(encode(*m, t)));
    std::vector<int> mismatches(4, 0);
    std::vector<std::thread> threads;
    for (int k = 0; k < 4; ++k) {
      threads.emplace_back([&, k] {
        for (int r = 0; r < 3; ++r) {
          for (std::size_t i = 0; i < v.size(); ++i) {
            if (ids_of(encode(*m, v[i])) != expected[i]) ++mismatches[static_cast<std::size_t>(k)];
          }
        }
      });
    }
    for (auto& t : threads) t.join();
    for (const int n : mismatches) EXPECT_EQ(n, 0);
  }
}
