// Parity of the SentencePiece component with the reference outputs (sentencepiece 0.2.2, transformers 5.17 /
// tokenizers 0.23.2) over the shared public texts, plus error handling.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "io/file_util.h"
#include "radlite/error.h"
#include "tokenizers/sentencepiece_model.h"

namespace rt = radlite::tokenizers;

namespace {

const std::string kData = RADLITE_TEST_DATA_DIR;
const std::string kModels = RADLITE_MODELS_DIR;
const std::string kUnigramModel = kData + "/tokenizers/files/sentencepiece-test/test_model.model";
const std::string kBpeModel = kData + "/tokenizers/files/sentencepiece-test/sp_bpe_2k.model";
const std::string kTinyDir = kModels + "/xlmr-biencoder-sp-tiny";

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

std::string show(const std::string& text) { return nlohmann::json(text.substr(0, 80)).dump(); }

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
Count check_raw(const rt::SentencePieceModel& m, const std::string& fixture) {
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
    } else {
      ADD_FAILURE() << fixture << ": mismatch for " << show(text) << "\n  got      " << nlohmann::json(texts).dump()
                    << "\n  expected " << e.at("pieces").dump();
    }
  }
  return c;
}

// XLM-R fixture: <s> A </s> (single, truncated at max_length_single) and <s> A </s></s> B </s> (pairs).
Count check_xlmr(const rt::SentencePieceModel& m, const std::string& fixture) {
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
    } else {
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
      } else {
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
    } else {
      ADD_FAILURE() << fixture << ": pair mismatch for " << show(a) << " / " << show(b);
    }
  }
  return c;
}

// Golden model file: texts + input_ids with specials, truncated at max_seq_length.
Count check_golden(const rt::SentencePieceModel& m) {
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
    } else {
      ADD_FAILURE() << "golden mismatch for " << show(text) << "\n  got      " << nlohmann::json(ids).dump()
                    << "\n  expected " << nlohmann::json(inner).dump();
    }
  }
  return c;
}

}  // namespace

TEST(SentencePiece, RawUnigramFixture) {
  const auto m = rt::SentencePieceModel::from_spm_file(kUnigramModel, false);
  const Count c = check_raw(*m, kData + "/tokenizers/sp-unigram-test.json");
  std::printf("sp-unigram-test: %d/%d texts match (ids and pieces)\n", c.ok, c.total);
  EXPECT_EQ(c.total, 228);
  EXPECT_EQ(c.ok, c.total);
}

TEST(SentencePiece, RawBpeFixture) {
  const auto m = rt::SentencePieceModel::from_spm_file(kBpeModel, false);
  const Count c = check_raw(*m, kData + "/tokenizers/sp-bpe-2k.json");
  std::printf("sp-bpe-2k: %d/%d texts match (ids and pieces)\n", c.ok, c.total);
  EXPECT_EQ(c.total, 228);
  EXPECT_EQ(c.ok, c.total);
}

TEST(SentencePiece, XlmrUnigramFixture) {
  const auto m = rt::SentencePieceModel::from_spm_file(kUnigramModel, true);
  const Count c = check_xlmr(*m, kData + "/tokenizers/sp-unigram-test-xlmr.json");
  std::printf("sp-unigram-test-xlmr: %d/%d entries match\n", c.ok, c.total);
  EXPECT_EQ(c.total, 228 + 99);
  EXPECT_EQ(c.ok, c.total);
}

TEST(SentencePiece, XlmrBpeFixture) {
  const auto m = rt::SentencePieceModel::from_spm_file(kBpeModel, true);
  const Count c = check_xlmr(*m, kData + "/tokenizers/sp-bpe-2k-xlmr.json");
  std::printf("sp-bpe-2k-xlmr: %d/%d entries match\n", c.ok, c.total);
  EXPECT_EQ(c.total, 228 + 99);
  EXPECT_EQ(c.ok, c.total);
}

TEST(SentencePiece, GoldenThroughTokenizerJson) {
  const auto tj = radlite::io::read_json_file(kTinyDir + "/tokenizer.json");
  const auto m = rt::SentencePieceModel::from_tokenizer_json(tj, kTinyDir + "/tokenizer.json");
  const Count c = check_golden(*m);
  std::printf("xlmr-biencoder-sp-tiny via tokenizer.json: %d/%d texts match\n", c.ok, c.total);
  EXPECT_GT(c.total, 0);
  EXPECT_EQ(c.ok, c.total);
}

TEST(SentencePiece, GoldenThroughSpmModel) {
  const auto m = rt::SentencePieceModel::from_spm_file(kTinyDir + "/sentencepiece.bpe.model", true);
  const Count c = check_golden(*m);
  std::printf("xlmr-biencoder-sp-tiny via sentencepiece.bpe.model: %d/%d texts match\n", c.ok, c.total);
  EXPECT_GT(c.total, 0);
  EXPECT_EQ(c.ok, c.total);
}
