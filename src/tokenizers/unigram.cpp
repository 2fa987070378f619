// The Unigram model and its lattice: see unigram.h.
#include "tokenizers/unigram.h"

#include <algorithm>
#include <limits>
#include <map>

#include "radlite/error.h"

namespace radlite::tokenizers {

using nlohmann::json;

void PieceTrie::build(const std::vector<std::pair<std::string, std::int32_t>>& entries, bool last_wins) {
  std::vector<std::map<unsigned char, std::int32_t>> children(1);
  std::vector<std::int32_t> values(1, -1);
  for (const auto& [key, id] : entries) {
    if (key.empty()) continue;
    std::size_t node = 0;
    for (const char ch : key) {
      const auto c = static_cast<unsigned char>(ch);
      auto it = children[node].find(c);
      if (it == children[node].end()) {
        const auto next = static_cast<std::int32_t>(children.size());
        children[node].emplace(c, next);
        children.emplace_back();
        values.push_back(-1);
        node = static_cast<std::size_t>(next);
      } else {
        node = static_cast<std::size_t>(it->second);
      }
    }
    if (values[node] < 0 || last_wins) values[node] = id;
  }
  first_.assign(children.size() + 1, 0);
  labels_.clear();
  targets_.clear();
  for (std::size_t n = 0; n < children.size(); ++n) {
    first_[n] = static_cast<std::int32_t>(labels_.size());
    for (const auto& [c, next] : children[n]) {
      labels_.push_back(c);
      targets_.push_back(next);
    }
  }
  first_[children.size()] = static_cast<std::int32_t>(labels_.size());
  values_ = std::move(values);
}

void viterbi(std::string_view s, const PieceTrie& trie, const std::vector<double>& scores, double unk_score,
             std::int32_t unk_id, std::vector<LatticeSegment>& out) {
  struct Best {
    double score = 0;
    std::int64_t from = -1;
    std::int32_t id = -1;
  };
  const std::size_t n = s.size();
  std::vector<Best> best(n + 1);
  std::size_t pos = 0;
  while (pos < n) {
    const double here = best[pos].score;
    // Byte length of the character, from its lead byte as SentencePiece does, clipped to the text.
    const auto lead = static_cast<unsigned char>(s[pos]);
    std::size_t mblen = lead < 0xC0 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    mblen = std::min(mblen, n - pos);
    bool has_single = false;
    trie.prefix_matches(s.substr(pos), [&](std::size_t len, std::int32_t id) {
      Best& target = best[pos + len];
      const double candidate = scores[static_cast<std::size_t>(id)] + here;
      if (target.from < 0 || candidate > target.score) {
        target.score = candidate;
        target.from = static_cast<std::int64_t>(pos);
        target.id = id;
      }
      if (len == mblen) has_single = true;
    });
    if (!has_single) {
      Best& target = best[pos + mblen];
      const double candidate = unk_score + here;
      if (target.from < 0 || candidate > target.score) {
        target.score = candidate;
        target.from = static_cast<std::int64_t>(pos);
        target.id = unk_id;
      }
    }
    pos += mblen;
  }
  const std::size_t first = out.size();
  for (std::size_t end = n; end > 0;) {
    const Best& b = best[end];
    const auto begin = static_cast<std::size_t>(b.from);
    out.push_back({begin, end, b.id});
    end = begin;
  }
  std::reverse(out.begin() + static_cast<std::ptrdiff_t>(first), out.end());
}

std::string byte_piece(unsigned char b) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string p = "<0x";
  p += kHex[b >> 4];
  p += kHex[b & 15];
  p += '>';
  return p;
}

int parse_byte_piece(std::string_view p) {
  if (p.size() != 6 || p.compare(0, 3, "<0x") != 0 || p[5] != '>') return -1;
  int v = 0;
  for (std::size_t i = 3; i < 5; ++i) {
    const char c = p[i];
    v <<= 4;
    if (c >= '0' && c <= '9') {
      v |= c - '0';
    } else if (c >= 'A' && c <= 'F') {
      v |= c - 'A' + 10;
    } else {
      return -1;
    }
  }
  return v;
}

namespace {

class Unigram : public Model {
 public:
  Unigram(const std::vector<ScoredPiece>& pieces, std::int32_t unk_id, bool byte_fallback, std::string what)
      : what_(std::move(what)), unk_id_(unk_id), byte_fallback_(byte_fallback) {
    double min_score = std::numeric_limits<double>::infinity();
    std::vector<std::pair<std::string, std::int32_t>> entries;
    entries.reserve(pieces.size());
    scores_.reserve(pieces.size());
    vocab_.reserve(pieces.size());
    for (std::size_t i = 0; i < pieces.size(); ++i) {
      const auto id = static_cast<std::int32_t>(i);
      vocab_.insert(pieces[i].piece, id, /*last_wins=*/true);
      scores_.push_back(pieces[i].score);
      min_score = std::min(min_score, pieces[i].score);
      entries.emplace_back(pieces[i].piece, id);
    }
    unk_score_ = min_score - 10.0;
    trie_.build(entries, /*last_wins=*/true);
  }

  const Vocab& vocab() const override { return vocab_; }

  void tokenize(std::string_view word, std::vector<std::int32_t>& ids) const override {
    if (word.empty()) return;
    std::vector<LatticeSegment> segments;
    viterbi(word, trie_, scores_, unk_score_, unk_id_, segments);
    // Runs of unknown characters become one token, as HF's Unigram does (fuse_unk).
    for (std::size_t i = 0; i < segments.size();) {
      std::size_t j = i + 1;
      if (segments[i].id == unk_id_)
        while (j < segments.size() && segments[j].id == unk_id_) ++j;
      emit(word.substr(segments[i].begin, segments[j - 1].end - segments[i].begin), ids);
      i = j;
    }
  }

 private:
  void emit(std::string_view token, std::vector<std::int32_t>& ids) const {
    const std::int32_t id = vocab_.find(token);
    if (id >= 0) {
      ids.push_back(id);
      return;
    }
    if (byte_fallback_) {
      const std::size_t mark = ids.size();
      bool all = true;
      for (const char b : token) {
        const std::int32_t bid = vocab_.find(byte_piece(static_cast<unsigned char>(b)));
        if (bid < 0) {
          all = false;
          break;
        }
        ids.push_back(bid);
      }
      if (all) return;
      ids.resize(mark);
    }
    if (unk_id_ < 0)
      throw InvalidArgument(what_ +
                            ": the text contains characters outside the vocabulary and the Unigram model "
                            "has no unk_id");
    ids.push_back(unk_id_);
  }

  std::string what_;
  Vocab vocab_;
  std::vector<double> scores_;
  PieceTrie trie_;
  std::int32_t unk_id_;
  double unk_score_ = 0;
  bool byte_fallback_;
};

}  // namespace

std::unique_ptr<Model> make_unigram(const std::vector<ScoredPiece>& pieces, std::int32_t unk_id, bool byte_fallback,
                                    std::string what) {
  return std::make_unique<Unigram>(pieces, unk_id, byte_fallback, std::move(what));
}

std::unique_ptr<Model> make_unigram_model(const json& j, const JsonPlace& p) {
  const json& vocab = require(j, "vocab", p);
  if (!vocab.is_array() || vocab.empty()) format_error(p.at("vocab"), "expected a non-empty array of [piece, score]");
  std::vector<ScoredPiece> pieces;
  pieces.reserve(vocab.size());
  for (std::size_t i = 0; i < vocab.size(); ++i) {
    const json& e = vocab[i];
    if (!e.is_array() || e.size() != 2 || !e[0].is_string() || !e[1].is_number())
      format_error(p.at("vocab").at(i), "expected a [piece, score] pair");
    pieces.push_back({e[0].get<std::string>(), e[1].get<double>()});
  }
  const auto unk = get_int(j, "unk_id", p, -1, 0, static_cast<long long>(pieces.size()) - 1);
  return make_unigram(pieces, static_cast<std::int32_t>(unk), get_bool(j, "byte_fallback", p, false), p.file);
}

}  // namespace radlite::tokenizers
