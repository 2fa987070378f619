// The Unigram model (internal): a vocabulary of scored pieces and the Viterbi lattice that picks the segmentation
// of a pre-tokenized word with the highest total score, as Hugging Face's Unigram model does (fused unknowns,
// byte fallback). SentencePiece .model files reach it through the converter (sentencepiece_converter.h).
// Thread safety: immutable after construction.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenizers/pipeline.h"

namespace radlite::tokenizers {

/// Byte trie over vocabulary pieces, flattened into sorted child ranges after construction.
class PieceTrie {
 public:
  /// With duplicate keys the first id is kept, or the last with last_wins (HF fills a hash map in vocabulary
  /// order, so its last duplicate wins).
  void build(const std::vector<std::pair<std::string, std::int32_t>>& entries, bool last_wins = false);

  /// Calls f(length, id) for every piece that is a prefix of s, shortest first.
  template <class F>
  void prefix_matches(std::string_view s, F&& f) const {
    if (values_.empty()) return;
    std::int32_t node = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      const auto begin = labels_.begin() + first_[static_cast<std::size_t>(node)];
      const auto end = labels_.begin() + first_[static_cast<std::size_t>(node) + 1];
      const auto it = std::lower_bound(begin, end, c);
      if (it == end || *it != c) return;
      node = targets_[static_cast<std::size_t>(it - labels_.begin())];
      if (values_[static_cast<std::size_t>(node)] >= 0) f(i + 1, values_[static_cast<std::size_t>(node)]);
    }
  }

 private:
  std::vector<std::int32_t> first_;
  std::vector<unsigned char> labels_;
  std::vector<std::int32_t> targets_;
  std::vector<std::int32_t> values_;
};

struct LatticeSegment {
  std::size_t begin;
  std::size_t end;
  std::int32_t id;  // unk_id for characters no piece covers
};

/// Best segmentation of s (appended to out). Scores are added in double precision; exact ties (equal sums by
/// different paths) go to the path found first, as in both SentencePiece and HF. A character no piece covers
/// costs unk_score.
void viterbi(std::string_view s, const PieceTrie& trie, const std::vector<double>& scores, double unk_score,
             std::int32_t unk_id, std::vector<LatticeSegment>& out);

/// "<0x41>" for byte 0x41: the spelling of byte-fallback pieces.
std::string byte_piece(unsigned char b);
/// The byte of a "<0xHH>" piece (upper-case hex), -1 for any other text.
int parse_byte_piece(std::string_view p);

struct ScoredPiece {
  std::string piece;
  double score;
};
/// A Unigram model over `pieces` (ids are positions); unk_id -1 when there is none; `what` names the file in
/// errors (a text with characters outside the vocabulary and no unk_id is an InvalidArgument, as in HF).
std::unique_ptr<Model> make_unigram(const std::vector<ScoredPiece>& pieces, std::int32_t unk_id, bool byte_fallback,
                                    std::string what);
/// The model section of a tokenizer.json whose type is Unigram.
std::unique_ptr<Model> make_unigram_model(const nlohmann::json& j, const JsonPlace& p);

}  // namespace radlite::tokenizers
