// Test support: replays the recorded SentencePiece fixtures (tests/data/tokenizers/sp-*.json and
// tests/data/golden/xlmr-biencoder-sp-tiny.json) through a SentencePieceModel, counting the entries that match and
// reporting the others as test failures.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/file_util.h"
#include "support/sentencepiece_native.h"

namespace radlite::test_support {

// The pieces of `text` (no special tokens).
inline std::vector<Piece> encode(const SentencePieceModel& m, const std::string& text) {
  std::vector<Piece> out;
  m.encode(text, out);
  return out;
}

inline std::vector<std::int32_t> ids_of(const std::vector<Piece>& pieces) {
  std::vector<std::int32_t> ids;
  for (const auto& p : pieces) ids.push_back(p.id);
  return ids;
}

// A text as a mismatch report shows it: JSON-quoted, invalid UTF-8 replaced, cut at 80 bytes.
inline std::string show(const std::string& text) {
  return nlohmann::json(text.substr(0, 80)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The Tokenizer pipeline splits special added tokens out of the text before the model sees it; this mimics
// that for the XLM-R specials so the fixtures' literal "<s>" texts can be compared piecewise.
inline std::vector<std::int32_t> encode_with_specials(const SentencePieceModel& m, const std::string& text) {
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
inline bool matches_prefix(const std::vector<std::int32_t>& expected, const std::vector<std::int32_t>& actual,
                           bool truncated) {
  if (!truncated) return expected == actual;
  return expected.size() <= actual.size() && std::equal(expected.begin(), expected.end(), actual.begin());
}

// How many fixture entries matched, of how many.
struct FixtureCount {
  int ok = 0;
  int total = 0;
};

// Raw SentencePiece fixture: ids AND pieces of every text.
inline FixtureCount check_raw(const SentencePieceModel& m, const std::string& fixture, bool report = true) {
  const auto j = radlite::io::read_json_file(fixture);
  FixtureCount c;
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
inline FixtureCount check_xlmr(const SentencePieceModel& m, const std::string& fixture, bool report = true) {
  const auto j = radlite::io::read_json_file(fixture);
  const auto max_single = j.at("max_length_single").get<std::size_t>();
  const auto max_pair = j.at("max_length_pair").get<std::size_t>();
  FixtureCount c;
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

// A golden model file (tests/data/golden): texts + input_ids with specials, truncated at max_seq_length.
inline FixtureCount check_golden(const SentencePieceModel& m, const std::string& golden, bool report = true) {
  const auto j = radlite::io::read_json_file(golden);
  const auto max_len = j.at("max_seq_length").get<std::size_t>();
  const auto& texts = j.at("texts");
  const auto& all_ids = j.at("input_ids");
  FixtureCount c;
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

}  // namespace radlite::test_support
