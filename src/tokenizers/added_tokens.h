// Added tokens (internal): their flags and the matcher that splits them out of a text before (raw tokens) and after
// (normalized tokens) normalization, as Hugging Face's AddedVocabulary does.
//
// Matching is leftmost-longest over all tokens at once, like HF's aho-corasick automaton (MatchKind::LeftmostLongest):
// an Aho-Corasick automaton over the token bytes, so a file with 50,000 added tokens loads and matches in time
// proportional to its size (a per-first-byte candidate list, sorted on every insertion, took 83 s to load and
// compared every candidate at every position).
// Thread safety: immutable after finish(); split may be called concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizers/unicode.h"

namespace radlite::tokenizers {

struct AddedToken {
  std::string content;
  std::int32_t id = -1;
  bool special = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = false;
  bool single_word = false;
};

class AddedTokenMatcher {
 public:
  /// Adds a pattern for token `token_index` (an index into the token list given to split). Empty patterns are
  /// ignored; of identical patterns the first added wins.
  void add(std::string_view pattern, std::size_t token_index);
  /// Computes the automaton's failure links; call once after the last add.
  void finish();
  bool empty() const { return terminal_count_ == 0; }

  /// Calls emit(text, token_index or -1, byte offset) for the pieces of s, in order: the text between matches and
  /// the matches (widened by lstrip / rstrip), dropping single_word matches that touch a word character.
  template <class Emit>
  void split(std::string_view s, const std::vector<AddedToken>& tokens, Emit&& emit) const;

 private:
  struct Match {
    std::size_t begin, end;
    std::int32_t token;
  };
  /// The leftmost match at or after `from`, longest among those starting there; token -1 when none.
  Match find(std::string_view s, std::size_t from) const;
  std::int32_t child(std::int32_t node, unsigned char c) const;
  static bool word_char_at(std::string_view s, std::size_t i);
  static bool word_boundary_before(std::string_view s, std::size_t pos);
  static bool word_boundary_after(std::string_view s, std::size_t pos) {
    return pos >= s.size() || !word_char_at(s, pos);
  }

  // Trie nodes (0 is the root). Edges sit in one sorted array per node after finish() (first_edge_ / labels_ /
  // targets_), in a plain list while building.
  std::vector<std::vector<std::pair<unsigned char, std::int32_t>>> building_;
  std::vector<std::int32_t> first_edge_;
  std::vector<unsigned char> labels_;
  std::vector<std::int32_t> targets_;
  std::vector<std::int32_t> fail_;
  std::vector<std::int32_t> depth_;
  std::vector<std::int32_t> token_;   // token index when a pattern ends at the node, else -1
  std::vector<std::int32_t> output_;  // the deepest node on the failure chain (self included) where a pattern ends
  std::size_t terminal_count_ = 0;
};

template <class Emit>
void AddedTokenMatcher::split(std::string_view s, const std::vector<AddedToken>& tokens, Emit&& emit) const {
  if (empty()) {
    if (!s.empty()) emit(s, -1, 0);
    return;
  }
  std::size_t emitted = 0;  // end of what has been emitted
  std::size_t from = 0;
  while (from < s.size()) {
    const Match m = find(s, from);
    if (m.token < 0) break;
    const AddedToken& tok = tokens[static_cast<std::size_t>(m.token)];
    std::size_t start = m.begin, stop = m.end;
    if (tok.single_word && !(word_boundary_before(s, start) && word_boundary_after(s, stop))) {
      from = stop;  // HF's automaton resumes after a discarded match
      continue;
    }
    if (tok.lstrip) {
      std::size_t b = start;
      while (b > emitted) {
        std::size_t k = b - 1;
        while (k > emitted && (static_cast<unsigned char>(s[k]) & 0xC0) == 0x80) --k;
        std::size_t j = k;
        if (!unicode::is_whitespace(unicode::next_cp(s, j))) break;
        b = k;
      }
      start = b;
    }
    if (tok.rstrip) {
      while (stop < s.size()) {
        std::size_t j = stop;
        if (!unicode::is_whitespace(unicode::next_cp(s, j))) break;
        stop = j;
      }
    }
    if (emitted < start) emit(s.substr(emitted, start - emitted), -1, emitted);
    emit(s.substr(start, stop - start), static_cast<int>(m.token), start);
    emitted = stop;
    from = stop;
  }
  if (emitted < s.size()) emit(s.substr(emitted), -1, emitted);
}

}  // namespace radlite::tokenizers
