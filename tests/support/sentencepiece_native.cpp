// SentencePiece's own tokenization for the tests: see sentencepiece_native.h.
#include "support/sentencepiece_native.h"

#include <algorithm>
#include <limits>
#include <queue>
#include <unordered_map>
#include <utility>

#include "io/file_util.h"
#include "radlite/error.h"
#include "tokenizers/precompiled_charsmap.h"
#include "tokenizers/sentencepiece_proto.h"
#include "tokenizers/unicode.h"
#include "tokenizers/unigram.h"

namespace radlite::test_support {
namespace {

namespace rt = radlite::tokenizers;

constexpr std::string_view kMetaSpace = "\xE2\x96\x81";  // U+2581
constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";

// Bytes of the valid UTF-8 character at the start of s, 0 when the bytes there are not one.
std::size_t valid_char_len(std::string_view s) {
  const std::size_t n = rt::unicode::cp_len(static_cast<unsigned char>(s[0]));
  return n <= s.size() && rt::unicode::is_valid_utf8(s.substr(0, n)) ? n : 0;
}

// SentencePiece's repair of decoded bytes: one U+FFFD per byte that does not start a valid character (the library's
// repair_utf8 follows Python and HF instead: one per maximal invalid subpart).
std::string replace_invalid_bytes(std::string_view s) {
  std::string out;
  for (std::size_t pos = 0; pos < s.size();) {
    const std::size_t n = valid_char_len(s.substr(pos));
    out.append(n ? s.substr(pos, n) : kReplacementChar);
    pos += n ? n : 1;
  }
  return out;
}

// NormalizerSpec semantics: charsmap rules (longest match), user-defined symbols kept verbatim, dummy prefix,
// extra-whitespace removal, whitespace escaping to "▁".
class SpmNormalizer {
 public:
  SpmNormalizer() = default;
  SpmNormalizer(const rt::SpmNormalizerSpec& spec, bool treat_whitespace_as_suffix, const rt::PieceTrie* user_defined,
                const std::string& what)
      : charsmap_(rt::CharsMap::parse(spec.charsmap, what)),
        user_defined_(user_defined),
        add_dummy_prefix_(spec.add_dummy_prefix),
        remove_extra_whitespaces_(spec.remove_extra_whitespaces),
        escape_whitespaces_(spec.escape_whitespaces),
        treat_whitespace_as_suffix_(treat_whitespace_as_suffix) {}

  std::string normalize(std::string_view input) const {
    std::string out;
    if (remove_extra_whitespaces_) {
      while (!input.empty()) {
        const auto [rep, used] = normalize_prefix(input);
        if (rep != " ") break;
        input.remove_prefix(used);
      }
    }
    if (input.empty()) return out;
    const std::string_view space = escape_whitespaces_ ? kMetaSpace : std::string_view(" ");
    if (!treat_whitespace_as_suffix_ && add_dummy_prefix_) out.append(space);
    bool prev_space = remove_extra_whitespaces_;
    while (!input.empty()) {
      auto [rep, used] = normalize_prefix(input);
      while (prev_space && !rep.empty() && rep.front() == ' ') rep.remove_prefix(1);
      if (!rep.empty()) {
        for (const char c : rep) {
          if (escape_whitespaces_ && c == ' ') {
            out.append(kMetaSpace);
          } else {
            out += c;
          }
        }
        prev_space = rep.back() == ' ';
      }
      input.remove_prefix(used);
      if (!remove_extra_whitespaces_) prev_space = false;
    }
    if (remove_extra_whitespaces_) {
      while (out.size() >= space.size() && out.compare(out.size() - space.size(), space.size(), space) == 0) {
        out.resize(out.size() - space.size());
      }
    }
    if (treat_whitespace_as_suffix_ && add_dummy_prefix_) out.append(space);
    return out;
  }

 private:
  // Longest user-defined symbol or charsmap rule at the start of `input`, else one character (U+FFFD for an
  // invalid byte). Returns (replacement, bytes consumed).
  std::pair<std::string_view, std::size_t> normalize_prefix(std::string_view input) const {
    if (user_defined_ != nullptr) {
      std::size_t longest = 0;
      user_defined_->prefix_matches(input, [&](std::size_t len, std::int32_t) { longest = len; });
      if (longest > 0) return {input.substr(0, longest), longest};
    }
    std::size_t longest = 0;
    std::string_view rep;
    charsmap_.prefix_matches(input, [&](std::size_t len, std::string_view r) {
      longest = len;
      rep = r;
      return true;
    });
    if (longest > 0) return {rep, longest};
    const std::size_t len = valid_char_len(input);
    if (len == 0) return {kReplacementChar, 1};
    return {input.substr(0, len), len};
  }

  rt::CharsMap charsmap_;
  const rt::PieceTrie* user_defined_ = nullptr;  // owned by the model; null when there are none
  bool add_dummy_prefix_ = true;
  bool remove_extra_whitespaces_ = true;
  bool escape_whitespaces_ = true;
  bool treat_whitespace_as_suffix_ = false;
};

// Byte length of the character starting with `lead`, as SentencePiece's OneCharLen (from the lead byte only).
std::size_t one_char_len(unsigned char lead) { return lead < 0xC0 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4; }

class SpmNative final : public SentencePieceModel {
 public:
  SpmNative(const rt::SpmProto& proto, const std::string& what)
      : model_type_(proto.model_type),
        normalizer_add_dummy_prefix_(proto.normalizer.add_dummy_prefix),
        normalizer_remove_extra_whitespaces_(proto.normalizer.remove_extra_whitespaces) {
    byte_fallback_ = proto.byte_fallback;
    unk_surface_ = proto.unk_surface;
    // Load-time checks of SentencePiece (ModelInterface::InitializePieces), so that we refuse what it refuses.
    float min_score = std::numeric_limits<float>::max();
    float max_score = std::numeric_limits<float>::min();  // SentencePiece starts from FLT_MIN as well
    for (const auto& p : proto.pieces) {
      if (p.type == rt::kSpmNormal) {
        min_score = std::min(min_score, p.score);
        max_score = std::max(max_score, p.score);
      }
    }
    std::vector<bool> byte_found(256, false);
    std::vector<std::pair<std::string, std::int32_t>> trie_entries;
    std::vector<std::pair<std::string, std::int32_t>> user_defined;
    pieces_.reserve(proto.pieces.size());
    for (const auto& p : proto.pieces) pieces_.push_back(p.piece);  // no reallocation after this: views below
    scores_.resize(proto.pieces.size());
    float_scores_.resize(proto.pieces.size());
    types_.resize(proto.pieces.size());
    for (std::size_t i = 0; i < proto.pieces.size(); ++i) {
      const auto& p = proto.pieces[i];
      const auto id = static_cast<std::int32_t>(i);
      const auto where = [&]() { return what + ": piece " + std::to_string(i); };  // only built for errors
      if (p.piece.empty()) throw FormatError(where() + " is empty");
      types_[i] = static_cast<std::uint8_t>(p.type);
      float_scores_[i] = p.score;
      const bool normal_like = p.type == rt::kSpmNormal || p.type == rt::kSpmUserDefined || p.type == rt::kSpmUnused;
      auto& index = normal_like ? normal_ : reserved_;
      if (!index.emplace(std::string_view(pieces_[i]), id).second) {
        throw FormatError(where() + " ('" + p.piece + "') is already defined");
      }
      if (p.type == rt::kSpmUnknown) {
        if (unk_id_ >= 0) throw FormatError(where() + ": a second piece of type UNKNOWN");
        unk_id_ = id;
      }
      if (p.type == rt::kSpmByte) {
        if (!byte_fallback_) throw FormatError(where() + " is a byte piece although byte_fallback is false");
        const int b = rt::parse_byte_piece(p.piece);
        if (b < 0) throw FormatError(where() + " ('" + p.piece + "') is not a valid byte piece");
        byte_found[static_cast<std::size_t>(b)] = true;
      }
      // Unigram: user-defined symbols get a bonus so that they always win, as in SentencePiece.
      scores_[i] = p.type == rt::kSpmUserDefined ? static_cast<double>(p.piece.size()) * max_score - 0.1 : p.score;
      // Unused pieces sit in SentencePiece's trie but are skipped; control, unknown and byte pieces never match.
      if (p.type == rt::kSpmNormal || p.type == rt::kSpmUserDefined) trie_entries.emplace_back(p.piece, id);
      if (p.type == rt::kSpmUserDefined) user_defined.emplace_back(p.piece, id);
    }
    if (unk_id_ < 0) throw FormatError(what + ": SentencePiece model has no piece of type UNKNOWN");
    if (byte_fallback_ && std::find(byte_found.begin(), byte_found.end(), false) != byte_found.end()) {
      throw FormatError(what + ": byte_fallback is true but the model lacks some of the 256 byte pieces");
    }
    unk_score_ = static_cast<double>(min_score - 10.0f);
    trie_.build(trie_entries);
    user_defined_.build(user_defined);
    const rt::PieceTrie* ud = user_defined.empty() ? nullptr : &user_defined_;
    normalizer_ = SpmNormalizer(proto.normalizer, proto.treat_whitespace_as_suffix, ud,
                                what + ": normalizer_spec.precompiled_charsmap");
    // SentencePiece denormalizes decoded text only when the denormalizer has rules.
    if (proto.has_denormalizer && !proto.denormalizer.charsmap.empty()) {
      has_denormalizer_ = true;
      denormalizer_ =
          SpmNormalizer(proto.denormalizer, false, nullptr, what + ": denormalizer_spec.precompiled_charsmap");
    }
  }

  void encode(std::string_view text, std::vector<Piece>& out) const override {
    const std::string normalized = normalize(text);
    if (normalized.empty()) return;
    std::vector<std::pair<std::string_view, std::int32_t>> segments;
    switch (model_type_) {
      case 1:
        segment_unigram(normalized, segments);
        break;
      case 2:
        segment_bpe(normalized, segments);
        break;
      case 3:
        segment_words(normalized, segments);
        break;
      default:
        segment_chars(normalized, segments);
        break;
    }
    // SentencePiece's post-processing: unknown pieces become their bytes with byte fallback, else a run of
    // unknowns is reported as one piece.
    bool prev_unk = false;
    for (const auto& [surface, id] : segments) {
      const bool is_unk = types_[static_cast<std::size_t>(id)] == rt::kSpmUnknown;
      if (is_unk && byte_fallback_) {
        for (const char b : surface) {
          std::string bp = rt::byte_piece(static_cast<unsigned char>(b));
          const std::int32_t bid = lookup(bp);
          out.push_back({std::move(bp), bid >= 0 ? bid : unk_id_});
        }
      } else if (is_unk && prev_unk) {
        out.back().text.append(surface);
      } else {
        out.push_back({std::string(surface), id});
      }
      prev_unk = is_unk;
    }
  }

  std::size_t vocab_size() const override { return pieces_.size(); }
  std::string id_to_piece(std::int32_t id) const override { return piece(id); }
  std::int32_t piece_to_id(const std::string& p) const override { return lookup(p); }
  std::int32_t unk_id() const override { return unk_id_; }

  // SentencePiece 0.2.x DecodeIds: control pieces vanish, unknown ones show unk_surface, runs of byte pieces
  // are decoded as UTF-8 (an invalid byte gives U+FFFD), "▁" becomes a space, and the leading "▁" of the text
  // is dropped as the normalizer's dummy prefix / whitespace trimming implies.
  std::string decode(const std::vector<std::int32_t>& ids) const override {
    for (const std::int32_t id : ids) piece(id);  // range check with our error type, before any work
    std::string text;
    std::string bytes;
    const auto flush = [&]() {
      text += replace_invalid_bytes(bytes);
      bytes.clear();
    };
    bool is_bos_ws = true;
    bool bos_ws_seen = false;
    for (const std::int32_t given : ids) {
      const std::string& p = piece(given);
      // SentencePiece maps the piece back to an id, so a text shared by a reserved piece resolves to that one.
      const std::int32_t id = lookup(p);
      const int type = types_[static_cast<std::size_t>(id)];
      if (type == rt::kSpmByte) {
        bytes += static_cast<char>(rt::parse_byte_piece(p));
        continue;
      }
      flush();
      if (bos_ws_seen || !text.empty()) is_bos_ws = false;
      bos_ws_seen = false;
      if (type == rt::kSpmControl) continue;
      if (type == rt::kSpmUnknown) {
        text += unk_surface_;
        continue;
      }
      std::string_view rest = p;
      if (is_bos_ws && (normalizer_add_dummy_prefix_ || normalizer_remove_extra_whitespaces_)) {
        const bool consumed = rest.compare(0, kMetaSpace.size(), kMetaSpace) == 0;
        if (consumed) rest.remove_prefix(kMetaSpace.size());
        bos_ws_seen = consumed && !normalizer_remove_extra_whitespaces_;
      }
      while (!rest.empty()) {
        if (rest.compare(0, kMetaSpace.size(), kMetaSpace) == 0) {
          text += ' ';
          rest.remove_prefix(kMetaSpace.size());
        } else {
          text += rest.front();
          rest.remove_prefix(1);
        }
      }
    }
    flush();
    if (has_denormalizer_) text = denormalizer_.normalize(text);
    return text;
  }

  SpmNative(const SpmNative&) = delete;  // normalizer_ points into user_defined_
  SpmNative& operator=(const SpmNative&) = delete;

 private:
  const std::string& piece(std::int32_t id) const {
    if (id < 0 || static_cast<std::size_t>(id) >= pieces_.size()) {
      throw InvalidArgument("token id " + std::to_string(id) + " is out of range [0, " +
                            std::to_string(pieces_.size()) + ")");
    }
    return pieces_[static_cast<std::size_t>(id)];
  }

  // SentencePiece's PieceToId without the unknown fallback: reserved (control, unknown, byte) pieces first.
  std::int32_t lookup(std::string_view p) const {
    if (const auto it = reserved_.find(p); it != reserved_.end()) return it->second;
    if (const auto it = normal_.find(p); it != normal_.end()) return it->second;
    return -1;
  }
  std::int32_t lookup_or_unk(std::string_view p) const {
    const std::int32_t id = lookup(p);
    return id >= 0 ? id : unk_id_;
  }

  std::string normalize(std::string_view text) const { return normalizer_.normalize(text); }

  // Longest user-defined symbol at the start of s (SentencePiece's PrefixMatcher), else one character.
  std::size_t prefix_match(std::string_view s, bool* is_user_defined) const {
    std::size_t longest = 0;
    user_defined_.prefix_matches(s, [&](std::size_t len, std::int32_t) { longest = len; });
    *is_user_defined = longest > 0;
    if (longest > 0) return longest;
    return std::min(one_char_len(static_cast<unsigned char>(s[0])), s.size());
  }

  void segment_unigram(std::string_view s, std::vector<std::pair<std::string_view, std::int32_t>>& out) const {
    std::vector<rt::LatticeSegment> segments;
    rt::viterbi(s, trie_, scores_, unk_score_, unk_id_, segments);
    for (const rt::LatticeSegment& seg : segments) out.emplace_back(s.substr(seg.begin, seg.end - seg.begin), seg.id);
  }

  // SentencePiece BPE: start from characters (user-defined symbols whole and frozen), repeatedly merge the
  // adjacent pair whose concatenation is a vocabulary piece with the highest score (leftmost on ties), then
  // split pieces of type UNUSED back into the two symbols that last formed them.
  void segment_bpe(std::string_view s, std::vector<std::pair<std::string_view, std::int32_t>>& out) const {
    struct Symbol {
      std::size_t begin;
      std::size_t len;  // 0 once merged into its left neighbour
      int prev;
      int next;
      bool frozen;
    };
    struct Candidate {
      float score;
      int left;
      int right;
      std::size_t len;
    };
    // Highest score first; among equal scores the leftmost pair.
    const auto worse = [](const Candidate& a, const Candidate& b) {
      return a.score < b.score || (a.score == b.score && a.left > b.left);
    };
    std::vector<Symbol> symbols;
    for (std::size_t pos = 0; pos < s.size();) {
      bool frozen = false;
      const std::size_t len = prefix_match(s.substr(pos), &frozen);
      const int index = static_cast<int>(symbols.size());
      symbols.push_back({pos, len, index - 1, pos + len < s.size() ? index + 1 : -1, frozen});
      pos += len;
    }
    std::priority_queue<Candidate, std::vector<Candidate>, decltype(worse)> agenda(worse);
    // Merged text -> the two symbols that most recently formed it, for UNUSED pieces only.
    std::unordered_map<std::string_view, std::pair<std::string_view, std::string_view>> split_of;
    const auto text_of = [&](const Symbol& sym) { return s.substr(sym.begin, sym.len); };
    const auto consider = [&](int left, int right) {
      if (left < 0 || right < 0) return;
      const Symbol& l = symbols[static_cast<std::size_t>(left)];
      const Symbol& r = symbols[static_cast<std::size_t>(right)];
      if (l.frozen || r.frozen) return;
      const std::string_view merged = s.substr(l.begin, l.len + r.len);
      const auto it = normal_.find(merged);
      if (it == normal_.end()) return;
      const auto id = static_cast<std::size_t>(it->second);
      agenda.push({float_scores_[id], left, right, merged.size()});
      if (types_[id] == rt::kSpmUnused) split_of[merged] = {text_of(l), text_of(r)};
    };
    for (std::size_t i = 1; i < symbols.size(); ++i) consider(static_cast<int>(i - 1), static_cast<int>(i));
    while (!agenda.empty()) {
      const Candidate top = agenda.top();
      agenda.pop();
      Symbol& l = symbols[static_cast<std::size_t>(top.left)];
      Symbol& r = symbols[static_cast<std::size_t>(top.right)];
      // Stale: one side was merged away or grew since the candidate was queued.
      if (l.len == 0 || r.len == 0 || l.len + r.len != top.len) continue;
      l.len += r.len;
      l.next = r.next;
      if (r.next >= 0) symbols[static_cast<std::size_t>(r.next)].prev = top.left;
      r.len = 0;
      consider(l.prev, top.left);
      consider(top.left, l.next);
    }
    std::vector<std::string_view> stack;
    for (int index = 0; index >= 0; index = symbols[static_cast<std::size_t>(index)].next) {
      stack.push_back(text_of(symbols[static_cast<std::size_t>(index)]));
      while (!stack.empty()) {
        const std::string_view w = stack.back();
        stack.pop_back();
        const std::int32_t id = lookup_or_unk(w);
        const auto split = types_[static_cast<std::size_t>(id)] == rt::kSpmUnused ? split_of.find(w) : split_of.end();
        if (split == split_of.end()) {
          out.emplace_back(w, id);
        } else {
          stack.push_back(split->second.second);
          stack.push_back(split->second.first);
        }
      }
    }
  }

  // Word model: a word starts at the beginning and at every "▁".
  void segment_words(std::string_view s, std::vector<std::pair<std::string_view, std::int32_t>>& out) const {
    std::size_t begin = 0;
    for (std::size_t pos = 0; pos < s.size();) {
      const std::size_t len = std::min(one_char_len(static_cast<unsigned char>(s[pos])), s.size() - pos);
      if (pos > begin && s.substr(pos, len) == kMetaSpace) {
        out.emplace_back(s.substr(begin, pos - begin), lookup_or_unk(s.substr(begin, pos - begin)));
        begin = pos;
      }
      pos += len;
    }
    out.emplace_back(s.substr(begin), lookup_or_unk(s.substr(begin)));
  }

  void segment_chars(std::string_view s, std::vector<std::pair<std::string_view, std::int32_t>>& out) const {
    for (std::size_t pos = 0; pos < s.size();) {
      bool user_defined = false;
      const std::size_t len = prefix_match(s.substr(pos), &user_defined);
      out.emplace_back(s.substr(pos, len), lookup_or_unk(s.substr(pos, len)));
      pos += len;
    }
  }

  int model_type_;
  bool normalizer_add_dummy_prefix_;  // decode drops the leading "▁" when either is set
  bool normalizer_remove_extra_whitespaces_;
  std::vector<std::string> pieces_;
  std::vector<std::uint8_t> types_;
  std::vector<float> float_scores_;
  std::vector<double> scores_;                                   // unigram scores, user-defined bonus included
  std::unordered_map<std::string_view, std::int32_t> normal_;    // NORMAL, USER_DEFINED, UNUSED
  std::unordered_map<std::string_view, std::int32_t> reserved_;  // CONTROL, UNKNOWN, BYTE
  rt::PieceTrie trie_;
  rt::PieceTrie user_defined_;
  SpmNormalizer normalizer_;
  bool has_denormalizer_ = false;
  SpmNormalizer denormalizer_;
  std::int32_t unk_id_ = -1;
  double unk_score_ = 0;
  bool byte_fallback_ = false;
  std::string unk_surface_;
};

class TokenizerModel final : public SentencePieceModel {
 public:
  explicit TokenizerModel(Tokenizer t) : tok_(std::move(t)) {}
  void encode(std::string_view text, std::vector<Piece>& out) const override {
    EncodeOptions o;
    o.add_special_tokens = false;
    const Encoding e = tok_.encode(text, o);
    for (std::size_t i = 0; i < e.ids.size(); ++i) out.push_back({e.tokens[i], e.ids[i]});
  }
  std::size_t vocab_size() const override { return tok_.vocab_size(); }
  std::string id_to_piece(std::int32_t id) const override { return tok_.id_to_token(id); }
  std::int32_t piece_to_id(const std::string& piece) const override { return tok_.token_to_id(piece); }
  std::int32_t unk_id() const override { return tok_.token_to_id("<unk>"); }
  std::string decode(const std::vector<std::int32_t>& ids) const override { return tok_.decode(ids); }

 private:
  Tokenizer tok_;
};

}  // namespace

std::unique_ptr<const SentencePieceModel> native_sentencepiece(std::string_view model_bytes, const std::string& what) {
  return std::make_unique<SpmNative>(rt::read_sentencepiece_model(model_bytes, what), what);
}

std::unique_ptr<const SentencePieceModel> native_sentencepiece_file(const std::string& path) {
  return native_sentencepiece(io::read_file(path), path);
}

std::unique_ptr<const SentencePieceModel> through_tokenizer(Tokenizer tokenizer) {
  return std::make_unique<TokenizerModel>(std::move(tokenizer));
}

}  // namespace radlite::test_support
