// SentencePiece-family segmentation: see sentencepiece_model.h.
//
// Two encoders live here, because the reference outputs come from two different programs:
//  - SpmNative: a SentencePiece .model (unigram, BPE, word or char) with SentencePiece 0.2.x semantics (its
//    normalizer with add_dummy_prefix / remove_extra_whitespaces, Viterbi over the whole normalized sentence or
//    BPE merging by score, merged unknowns, byte fallback, and its decoder).
//  - HfUnigram: the Hugging Face `tokenizers` pipeline for a Unigram model (normalizers, WhitespaceSplit /
//    Metaspace pre-tokenizers, Viterbi per pre-token, fused unknowns, byte fallback). tokenizer.json files use it,
//    and so does a .model loaded with xlmr_ids, because transformers' XLMRobertaTokenizer converts the .model into
//    exactly such a Unigram tokenizer (vocabulary <s> <pad> </s> <unk> + pieces[3:] + <mask>, Precompiled
//    normalizer, WhitespaceSplit + Metaspace), whatever the .model's own algorithm.
//
// libsentencepiece is deliberately NOT used at run time: Debian's libsentencepiece.so.0 embeds protobuf-lite 3.14
// and exports its symbols, and any process that also loads libtorch (protobuf 3.21) crashes in protobuf's static
// initializers. It remains the tests' oracle (test_sentencepiece links it, without torch). Its 0.1.97 also
// breaks exact unigram score ties differently from the 0.2.x that produced the reference outputs.
#include "tokenizers/sentencepiece_model.h"

#include <utf8proc.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <queue>
#include <unordered_map>
#include <utility>

#include "io/file_util.h"
#include "radlite/error.h"
#include "tokenizers/pipeline.h"

namespace radlite::tokenizers {
namespace {

constexpr std::string_view kMetaSpace = "\xE2\x96\x81";  // U+2581
constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";

// ---------------------------------------------------------------------------------------------------------------
// UTF-8

struct Utf8Char {
  char32_t cp;
  std::size_t len;  // bytes consumed; 1 for an invalid byte
  bool valid;
};

// Strict decoding (no overlong forms, no surrogates, nothing above U+10FFFF), as SentencePiece's DecodeUTF8.
Utf8Char decode_utf8(std::string_view s, std::size_t pos) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[pos + i]); };
  const std::size_t left = s.size() - pos;
  const unsigned char c = byte(0);
  if (c < 0x80) return {c, 1, true};
  const auto cont = [&](std::size_t i) { return i < left && (byte(i) & 0xC0) == 0x80; };
  if ((c & 0xE0) == 0xC0 && cont(1)) {
    const char32_t cp = ((c & 0x1Fu) << 6) | (byte(1) & 0x3Fu);
    if (cp >= 0x80) return {cp, 2, true};
  } else if ((c & 0xF0) == 0xE0 && cont(1) && cont(2)) {
    const char32_t cp = ((c & 0x0Fu) << 12) | ((byte(1) & 0x3Fu) << 6) | (byte(2) & 0x3Fu);
    if (cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF)) return {cp, 3, true};
  } else if ((c & 0xF8) == 0xF0 && cont(1) && cont(2) && cont(3)) {
    const char32_t cp =
        ((c & 0x07u) << 18) | ((byte(1) & 0x3Fu) << 12) | ((byte(2) & 0x3Fu) << 6) | (byte(3) & 0x3Fu);
    if (cp >= 0x10000 && cp <= 0x10FFFF) return {cp, 4, true};
  }
  return {0xFFFD, 1, false};
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Every invalid byte becomes U+FFFD, so the Hugging Face pipeline (which only ever sees valid UTF-8) is
// well defined on any input.
std::string sanitize_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t pos = 0; pos < s.size();) {
    const Utf8Char ch = decode_utf8(s, pos);
    if (ch.valid) {
      out.append(s.substr(pos, ch.len));
    } else {
      out.append(kReplacementChar);
    }
    pos += ch.len;
  }
  return out;
}

// Rust's char::is_whitespace (the Unicode White_Space property), used by WhitespaceSplit and Strip.
bool is_unicode_whitespace(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

// ---------------------------------------------------------------------------------------------------------------
// precompiled_charsmap: <uint32 trie byte size><Darts double-array units><'\0'-separated replacement strings>.

class CharsMap {
 public:
  CharsMap() = default;

  static CharsMap parse(std::string_view blob, const std::string& what) {
    CharsMap map;
    if (blob.empty()) return map;
    if (blob.size() < 4) throw FormatError(what + ": precompiled_charsmap is truncated (" +
                                           std::to_string(blob.size()) + " bytes)");
    std::uint32_t trie_bytes = 0;
    for (int i = 3; i >= 0; --i) trie_bytes = (trie_bytes << 8) | static_cast<unsigned char>(blob[i]);
    if (trie_bytes % 4 != 0 || trie_bytes > blob.size() - 4 || trie_bytes == 0) {
      throw FormatError(what + ": precompiled_charsmap declares a trie of " + std::to_string(trie_bytes) +
                        " bytes in a blob of " + std::to_string(blob.size()) + " bytes");
    }
    map.units_.resize(trie_bytes / 4);
    for (std::size_t u = 0; u < map.units_.size(); ++u) {
      std::uint32_t v = 0;
      for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(blob[4 + 4 * u + i]);
      map.units_[u] = v;
    }
    map.normalized_ = std::string(blob.substr(4 + trie_bytes));
    return map;
  }

  bool empty() const { return units_.empty(); }

  // tokenizers refuses a charsmap whose replacement table is not UTF-8; so do we on that route, which keeps
  // invalid UTF-8 out of its pieces.
  bool replacements_are_utf8() const {
    for (std::size_t pos = 0; pos < normalized_.size();) {
      const Utf8Char ch = decode_utf8(normalized_, pos);
      if (!ch.valid) return false;
      pos += ch.len;
    }
    return true;
  }

  // Calls f(length, replacement) for every key that is a prefix of `key`, shortest first; stops when f returns
  // false. Out-of-range positions (a corrupted blob) end the search instead of reading past the array.
  template <class F>
  void prefix_matches(std::string_view key, F&& f) const {
    if (units_.empty()) return;
    std::size_t pos = offset(units_[0]);
    for (std::size_t i = 0; i < key.size(); ++i) {
      const auto c = static_cast<unsigned char>(key[i]);
      if (c == 0) return;  // the trie cannot hold NUL; both implementations stop there
      pos ^= c;
      if (pos >= units_.size()) return;
      const std::uint32_t unit = units_[pos];
      if ((unit & ((1u << 31) | 0xFFu)) != c) return;
      pos ^= offset(unit);
      if (pos >= units_.size()) return;
      if ((unit >> 8) & 1u) {
        const std::uint32_t value = units_[pos] & ((1u << 31) - 1);
        if (!f(i + 1, replacement(value))) return;
      }
    }
  }

  std::string_view replacement(std::uint32_t value) const {
    if (value >= normalized_.size()) return {};
    const std::size_t end = normalized_.find('\0', value);
    return std::string_view(normalized_).substr(value, end == std::string::npos ? std::string::npos : end - value);
  }

 private:
  static std::size_t offset(std::uint32_t unit) { return (unit >> 10) << ((unit & (1u << 9)) >> 6); }

  std::vector<std::uint32_t> units_;
  std::string normalized_;
};

// ---------------------------------------------------------------------------------------------------------------
// Byte trie over vocabulary pieces, flattened into sorted child ranges after construction.

class PieceTrie {
 public:
  // With duplicate keys the first id is kept, or the last with last_wins (tokenizers fills a hash map in
  // vocabulary order, so its last duplicate wins).
  void build(const std::vector<std::pair<std::string, std::int32_t>>& entries, bool last_wins = false) {
    std::vector<std::map<unsigned char, std::int32_t>> children(1);
    std::vector<std::int32_t> values(1, -1);
    for (const auto& [key, id] : entries) {
      if (key.empty()) continue;
      std::int32_t node = 0;
      for (const char ch : key) {
        const auto c = static_cast<unsigned char>(ch);
        auto it = children[node].find(c);
        if (it == children[node].end()) {
          const auto next = static_cast<std::int32_t>(children.size());
          children[node].emplace(c, next);
          children.emplace_back();
          values.push_back(-1);
          node = next;
        } else {
          node = it->second;
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

  // Calls f(length, id) for every piece that is a prefix of s, shortest first.
  template <class F>
  void prefix_matches(std::string_view s, F&& f) const {
    if (values_.empty()) return;
    std::int32_t node = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      const auto begin = labels_.begin() + first_[node];
      const auto end = labels_.begin() + first_[node + 1];
      const auto it = std::lower_bound(begin, end, c);
      if (it == end || *it != c) return;
      node = targets_[static_cast<std::size_t>(it - labels_.begin())];
      if (values_[node] >= 0) f(i + 1, values_[node]);
    }
  }

 private:
  std::vector<std::int32_t> first_;
  std::vector<unsigned char> labels_;
  std::vector<std::int32_t> targets_;
  std::vector<std::int32_t> values_;
};

// ---------------------------------------------------------------------------------------------------------------
// Viterbi over a unigram vocabulary. Scores are added in double precision: both reference implementations
// resolve exact ties (equal sums reached by different paths) in favour of the path found first.

struct Segment {
  std::size_t begin;
  std::size_t end;
  std::int32_t id;  // unk_id for characters no piece covers
};

void viterbi(std::string_view s, const PieceTrie& trie, const std::vector<double>& scores, double unk_score,
             std::int32_t unk_id, std::vector<Segment>& out) {
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

int parse_byte_piece(const std::string& p) {
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

// Shared vocabulary bookkeeping for the lookup methods of the interface.
class Vocabulary {
 public:
  void add(std::string piece, bool last_wins = false) {
    const auto id = static_cast<std::int32_t>(pieces_.size());
    if (last_wins) {
      index_[piece] = id;
    } else {
      index_.emplace(piece, id);
    }
    pieces_.push_back(std::move(piece));
  }
  std::size_t size() const { return pieces_.size(); }
  const std::string& piece(std::int32_t id) const {
    if (id < 0 || static_cast<std::size_t>(id) >= pieces_.size()) {
      throw InvalidArgument("token id " + std::to_string(id) + " is out of range [0, " +
                            std::to_string(pieces_.size()) + ")");
    }
    return pieces_[static_cast<std::size_t>(id)];
  }
  std::int32_t find(const std::string& piece) const {
    const auto it = index_.find(piece);
    return it == index_.end() ? -1 : it->second;
  }
  const std::vector<std::string>& pieces() const { return pieces_; }

 private:
  std::vector<std::string> pieces_;
  std::unordered_map<std::string, std::int32_t> index_;
};

// Decoding in the style of the Metaspace + ByteFallback decoders: byte pieces are gathered into bytes (invalid
// sequences become U+FFFD) and "▁" becomes a space, except in the first piece where, as tokenizers' Metaspace
// decoder does when it prepends, every "▁" is dropped.
std::string decode_pieces(const std::vector<std::string>& pieces, std::string_view space, bool drop_first_spaces) {
  std::string text;
  std::string bytes;
  const auto flush = [&]() {
    text += sanitize_utf8(bytes);
    bytes.clear();
  };
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    const std::string& p = pieces[i];
    const int b = parse_byte_piece(p);
    if (b >= 0) {
      bytes += static_cast<char>(b);
      continue;
    }
    flush();
    for (std::size_t pos = 0; pos < p.size();) {
      if (p.compare(pos, space.size(), space) == 0) {
        if (!(i == 0 && drop_first_spaces)) text += ' ';
        pos += space.size();
      } else {
        text += p[pos++];
      }
    }
  }
  flush();
  return text;
}

// ---------------------------------------------------------------------------------------------------------------
// Protobuf wire format reader for ModelProto (sentencepiece_model.proto); only the fields we need.

class WireReader {
 public:
  WireReader(std::string_view data, const std::string& what) : data_(data), what_(what) {}
  bool done() const { return pos_ >= data_.size(); }

  std::uint64_t varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) fail("truncated varint");
      const auto b = static_cast<unsigned char>(data_[pos_++]);
      v |= static_cast<std::uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) return v;
    }
    fail("varint longer than 10 bytes");
  }
  std::string_view bytes() {
    const std::uint64_t n = varint();
    if (n > data_.size() - pos_) fail("length-delimited field runs past the end");
    const std::string_view out = data_.substr(pos_, static_cast<std::size_t>(n));
    pos_ += static_cast<std::size_t>(n);
    return out;
  }
  float fixed32_float() {
    if (data_.size() - pos_ < 4) fail("truncated fixed32");
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(data_[pos_ + static_cast<std::size_t>(i)]);
    pos_ += 4;
    float f;
    std::memcpy(&f, &v, sizeof f);
    return f;
  }
  void skip(std::uint32_t wire_type) {
    switch (wire_type) {
      case 0: varint(); break;
      case 1:
        if (data_.size() - pos_ < 8) fail("truncated fixed64");
        pos_ += 8;
        break;
      case 2: bytes(); break;
      case 5:
        if (data_.size() - pos_ < 4) fail("truncated fixed32");
        pos_ += 4;
        break;
      default: fail("unsupported wire type " + std::to_string(wire_type));
    }
  }
  [[noreturn]] void fail(const std::string& why) const {
    throw FormatError(what_ + ": not a valid SentencePiece model (" + why + " at byte " + std::to_string(pos_) +
                      ")");
  }

 private:
  std::string_view data_;
  const std::string& what_;
  std::size_t pos_ = 0;
};

enum PieceType : int { kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6 };

struct SpmNormalizerSpec {
  std::string charsmap;
  bool add_dummy_prefix = true;
  bool remove_extra_whitespaces = true;
  bool escape_whitespaces = true;
};

struct SpmProto {
  struct P {
    std::string piece;
    float score = 0;
    int type = kNormal;
  };
  std::vector<P> pieces;
  int model_type = 1;  // UNIGRAM
  bool byte_fallback = false;
  bool treat_whitespace_as_suffix = false;
  bool has_unk_surface = false;
  std::string unk_surface = " \xE2\x81\x87 ";  // trainer_spec.unk_surface's default
  SpmNormalizerSpec normalizer;
  bool has_denormalizer = false;
  SpmNormalizerSpec denormalizer;
};

void parse_normalizer_spec(std::string_view data, const std::string& what, SpmNormalizerSpec& spec) {
  WireReader r(data, what);
  while (!r.done()) {
    const std::uint64_t k = r.varint();
    const auto f = static_cast<std::uint32_t>(k >> 3);
    const auto w = static_cast<std::uint32_t>(k & 7);
    if (f == 2 && w == 2) {
      spec.charsmap = std::string(r.bytes());
    } else if (f == 3 && w == 0) {
      spec.add_dummy_prefix = r.varint() != 0;
    } else if (f == 4 && w == 0) {
      spec.remove_extra_whitespaces = r.varint() != 0;
    } else if (f == 5 && w == 0) {
      spec.escape_whitespaces = r.varint() != 0;
    } else {
      r.skip(w);
    }
  }
}

SpmProto parse_model_proto(std::string_view data, const std::string& what) {
  SpmProto proto;
  WireReader top(data, what);
  while (!top.done()) {
    const std::uint64_t key = top.varint();
    const auto field = static_cast<std::uint32_t>(key >> 3);
    const auto wt = static_cast<std::uint32_t>(key & 7);
    if (field == 1 && wt == 2) {
      WireReader r(top.bytes(), what);
      SpmProto::P p;
      while (!r.done()) {
        const std::uint64_t k = r.varint();
        const auto f = static_cast<std::uint32_t>(k >> 3);
        const auto w = static_cast<std::uint32_t>(k & 7);
        if (f == 1 && w == 2) {
          p.piece = std::string(r.bytes());
        } else if (f == 2 && w == 5) {
          p.score = r.fixed32_float();
        } else if (f == 3 && w == 0) {
          // As protobuf does with an enum value it does not know: keep the field unset (NORMAL).
          const std::uint64_t t = r.varint();
          if (t >= kNormal && t <= kByte) p.type = static_cast<int>(t);
        } else {
          r.skip(w);
        }
      }
      proto.pieces.push_back(std::move(p));
    } else if (field == 2 && wt == 2) {
      WireReader r(top.bytes(), what);
      while (!r.done()) {
        const std::uint64_t k = r.varint();
        const auto f = static_cast<std::uint32_t>(k >> 3);
        const auto w = static_cast<std::uint32_t>(k & 7);
        if (f == 3 && w == 0) {
          const std::uint64_t t = r.varint();  // an unknown enum value leaves the field as it was, as in protobuf
          if (t >= 1 && t <= 4) proto.model_type = static_cast<int>(t);
        } else if (f == 35 && w == 0) {
          proto.byte_fallback = r.varint() != 0;
        } else if (f == 24 && w == 0) {
          proto.treat_whitespace_as_suffix = r.varint() != 0;
        } else if (f == 44 && w == 2) {
          proto.has_unk_surface = true;
          proto.unk_surface = std::string(r.bytes());
        } else {
          r.skip(w);
        }
      }
    } else if (field == 3 && wt == 2) {
      parse_normalizer_spec(top.bytes(), what, proto.normalizer);
    } else if (field == 5 && wt == 2) {
      proto.has_denormalizer = true;
      parse_normalizer_spec(top.bytes(), what, proto.denormalizer);
    } else {
      top.skip(wt);
    }
  }
  if (proto.pieces.empty()) throw FormatError(what + ": SentencePiece model has no pieces");
  return proto;
}

// ---------------------------------------------------------------------------------------------------------------
// SentencePiece's own algorithms (0.2.x semantics) for .model files: the normalizer, then unigram Viterbi, BPE
// merging, word or character splitting, then SentencePiece's post-processing (merged unknowns, byte fallback).
//
// Why not libsentencepiece: Debian's build (0.1.97) carries its own protobuf-lite 3.14 and exports its symbols;
// in a process that also loads libtorch (which links protobuf 3.21) the two collide and the process crashes at
// startup. So radlite parses .model files and segments itself; libsentencepiece is only the tests' oracle.

// NormalizerSpec semantics: charsmap rules (longest match), user-defined symbols kept verbatim, dummy prefix,
// extra-whitespace removal, whitespace escaping to "▁".
class SpmNormalizer {
 public:
  SpmNormalizer() = default;
  SpmNormalizer(const SpmNormalizerSpec& spec, bool treat_whitespace_as_suffix, const PieceTrie* user_defined,
                const std::string& what)
      : charsmap_(CharsMap::parse(spec.charsmap, what)),
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
    const Utf8Char ch = decode_utf8(input, 0);
    if (!ch.valid) return {kReplacementChar, 1};
    return {input.substr(0, ch.len), ch.len};
  }

  CharsMap charsmap_;
  const PieceTrie* user_defined_ = nullptr;  // owned by the model; null when there are none
  bool add_dummy_prefix_ = true;
  bool remove_extra_whitespaces_ = true;
  bool escape_whitespaces_ = true;
  bool treat_whitespace_as_suffix_ = false;
};

// Byte length of the character starting with `lead`, as SentencePiece's OneCharLen (from the lead byte only).
std::size_t one_char_len(unsigned char lead) { return lead < 0xC0 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4; }

class SpmNative final : public SentencePieceModel {
 public:
  SpmNative(const SpmProto& proto, const std::string& what)
      : model_type_(proto.model_type),
        normalizer_add_dummy_prefix_(proto.normalizer.add_dummy_prefix),
        normalizer_remove_extra_whitespaces_(proto.normalizer.remove_extra_whitespaces) {
    byte_fallback_ = proto.byte_fallback;
    unk_surface_ = proto.unk_surface;
    // Load-time checks of SentencePiece (ModelInterface::InitializePieces), so that we refuse what it refuses.
    float min_score = std::numeric_limits<float>::max();
    float max_score = std::numeric_limits<float>::min();  // SentencePiece starts from FLT_MIN as well
    for (const auto& p : proto.pieces) {
      if (p.type == kNormal) {
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
      const bool normal_like = p.type == kNormal || p.type == kUserDefined || p.type == kUnused;
      auto& index = normal_like ? normal_ : reserved_;
      if (!index.emplace(std::string_view(pieces_[i]), id).second) {
        throw FormatError(where() + " ('" + p.piece + "') is already defined");
      }
      if (p.type == kUnknown) {
        if (unk_id_ >= 0) throw FormatError(where() + ": a second piece of type UNKNOWN");
        unk_id_ = id;
      }
      if (p.type == kByte) {
        if (!byte_fallback_) throw FormatError(where() + " is a byte piece although byte_fallback is false");
        const int b = parse_byte_piece(p.piece);
        if (b < 0) throw FormatError(where() + " ('" + p.piece + "') is not a valid byte piece");
        byte_found[static_cast<std::size_t>(b)] = true;
      }
      // Unigram: user-defined symbols get a bonus so that they always win, as in SentencePiece.
      scores_[i] = p.type == kUserDefined ? static_cast<double>(p.piece.size()) * max_score - 0.1 : p.score;
      // Unused pieces sit in SentencePiece's trie but are skipped; control, unknown and byte pieces never match.
      if (p.type == kNormal || p.type == kUserDefined) trie_entries.emplace_back(p.piece, id);
      if (p.type == kUserDefined) user_defined.emplace_back(p.piece, id);
    }
    if (unk_id_ < 0) throw FormatError(what + ": SentencePiece model has no piece of type UNKNOWN");
    if (byte_fallback_ && std::find(byte_found.begin(), byte_found.end(), false) != byte_found.end()) {
      throw FormatError(what + ": byte_fallback is true but the model lacks some of the 256 byte pieces");
    }
    unk_score_ = static_cast<double>(min_score - 10.0f);
    trie_.build(trie_entries);
    user_defined_.build(user_defined);
    const PieceTrie* ud = user_defined.empty() ? nullptr : &user_defined_;
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
      case 1: segment_unigram(normalized, segments); break;
      case 2: segment_bpe(normalized, segments); break;
      case 3: segment_words(normalized, segments); break;
      default: segment_chars(normalized, segments); break;
    }
    // SentencePiece's post-processing: unknown pieces become their bytes with byte fallback, else a run of
    // unknowns is reported as one piece.
    bool prev_unk = false;
    for (const auto& [surface, id] : segments) {
      const bool is_unk = types_[static_cast<std::size_t>(id)] == kUnknown;
      if (is_unk && byte_fallback_) {
        for (const char b : surface) {
          std::string bp = byte_piece(static_cast<unsigned char>(b));
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
      text += sanitize_utf8(bytes);
      bytes.clear();
    };
    bool is_bos_ws = true;
    bool bos_ws_seen = false;
    for (const std::int32_t given : ids) {
      const std::string& p = piece(given);
      // SentencePiece maps the piece back to an id, so a text shared by a reserved piece resolves to that one.
      const std::int32_t id = lookup(p);
      const int type = types_[static_cast<std::size_t>(id)];
      if (type == kByte) {
        bytes += static_cast<char>(parse_byte_piece(p));
        continue;
      }
      flush();
      if (bos_ws_seen || !text.empty()) is_bos_ws = false;
      bos_ws_seen = false;
      if (type == kControl) continue;
      if (type == kUnknown) {
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
    std::vector<Segment> segments;
    viterbi(s, trie_, scores_, unk_score_, unk_id_, segments);
    for (const Segment& seg : segments) out.emplace_back(s.substr(seg.begin, seg.end - seg.begin), seg.id);
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
      if (types_[id] == kUnused) split_of[merged] = {text_of(l), text_of(r)};
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
        const auto split = types_[static_cast<std::size_t>(id)] == kUnused ? split_of.find(w) : split_of.end();
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
  std::vector<double> scores_;  // unigram scores, user-defined bonus included
  std::unordered_map<std::string_view, std::int32_t> normal_;    // NORMAL, USER_DEFINED, UNUSED
  std::unordered_map<std::string_view, std::int32_t> reserved_;  // CONTROL, UNKNOWN, BYTE
  PieceTrie trie_;
  PieceTrie user_defined_;
  SpmNormalizer normalizer_;
  bool has_denormalizer_ = false;
  SpmNormalizer denormalizer_;
  std::int32_t unk_id_ = -1;
  double unk_score_ = 0;
  bool byte_fallback_ = false;
  std::string unk_surface_;
};

// ---------------------------------------------------------------------------------------------------------------
// Hugging Face tokenizers: normalizers and pre-tokenizers used around Unigram models.

struct NormalizerStep {
  enum Kind { kPrecompiled, kReplaceString, kReplaceRegex, kStrip, kLowercase, kNfc, kNfd, kNfkc, kNfkd, kPrepend };
  Kind kind;
  CharsMap charsmap;
  std::string pattern;
  std::string content;
  Pattern regex;
  bool left = false;
  bool right = false;
};

struct PreTokenizerStep {
  enum Kind { kWhitespaceSplit, kMetaspace };
  Kind kind;
  std::string replacement;
  bool prepend = true;
  bool split = true;
};

std::string base64_decode(const std::string& in, const std::string& what) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t pad = 0;
  for (const char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      v = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      v = c - '0' + 52;
    } else if (c == '+') {
      v = 62;
    } else if (c == '/') {
      v = 63;
    } else if (c == '=') {
      ++pad;
      continue;
    } else {
      throw FormatError(what + ": invalid base64 character (code " +
                        std::to_string(static_cast<unsigned char>(c)) + ")");
    }
    if (pad > 0) throw FormatError(what + ": base64 data after '=' padding");
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  if ((in.size() - pad) % 4 == 1 || pad > 2) throw FormatError(what + ": base64 data has an invalid length");
  return out;
}

std::string utf8proc_normalize(const std::string& s, int options) {
  utf8proc_uint8_t* result = nullptr;
  const utf8proc_ssize_t n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(s.data()),
                                          static_cast<utf8proc_ssize_t>(s.size()), &result,
                                          static_cast<utf8proc_option_t>(options));
  if (n < 0) {
    std::free(result);
    return s;  // only reachable with invalid UTF-8, which sanitize_utf8 already removed
  }
  std::string out(reinterpret_cast<const char*>(result), static_cast<std::size_t>(n));
  std::free(result);
  return out;
}

// The Precompiled normalizer of `tokenizers`: per extended grapheme cluster, a cluster shorter than 6 bytes is
// replaced whole when its SHORTEST charsmap prefix matches; otherwise each character is looked up alone.
std::string precompiled_normalize(const CharsMap& map, const std::string& s) {
  std::string out;
  out.reserve(s.size());
  const auto shortest = [&](std::string_view key, std::string_view& rep) {
    bool found = false;
    map.prefix_matches(key, [&](std::size_t, std::string_view r) {
      rep = r;
      found = true;
      return false;
    });
    return found;
  };
  const auto emit_cluster = [&](std::string_view g) {
    std::string_view rep;
    if (g.size() < 6 && shortest(g, rep)) {
      out.append(rep);
      return;
    }
    for (std::size_t pos = 0; pos < g.size();) {
      const std::size_t len = decode_utf8(g, pos).len;
      const std::string_view ch = g.substr(pos, len);
      if (shortest(ch, rep)) {
        out.append(rep);
      } else {
        out.append(ch);
      }
      pos += len;
    }
  };
  std::size_t cluster_begin = 0;
  utf8proc_int32_t state = 0;
  utf8proc_int32_t prev = -1;
  for (std::size_t pos = 0; pos < s.size();) {
    const Utf8Char ch = decode_utf8(s, pos);
    const auto cp = static_cast<utf8proc_int32_t>(ch.cp);
    if (prev >= 0 && utf8proc_grapheme_break_stateful(prev, cp, &state)) {
      emit_cluster(std::string_view(s).substr(cluster_begin, pos - cluster_begin));
      cluster_begin = pos;
    }
    prev = cp;
    pos += ch.len;
  }
  if (cluster_begin < s.size()) emit_cluster(std::string_view(s).substr(cluster_begin));
  return out;
}

std::string replace_all(const std::string& s, const std::string& pattern, const std::string& content) {
  if (pattern.empty()) return s;
  std::string out;
  std::size_t pos = 0;
  for (std::size_t hit; (hit = s.find(pattern, pos)) != std::string::npos; pos = hit + pattern.size()) {
    out.append(s, pos, hit - pos);
    out.append(content);
  }
  out.append(s, pos, std::string::npos);
  return out;
}

std::string strip_whitespace(const std::string& s, bool left, bool right) {
  std::size_t begin = 0;
  std::size_t end = s.size();
  if (left) {
    while (begin < end) {
      const Utf8Char ch = decode_utf8(s, begin);
      if (!is_unicode_whitespace(ch.cp)) break;
      begin += ch.len;
    }
  }
  if (right) {
    while (end > begin) {
      std::size_t start = end - 1;
      while (start > begin && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
      if (!is_unicode_whitespace(decode_utf8(s, start).cp)) break;
      end = start;
    }
  }
  return s.substr(begin, end - begin);
}

std::string lowercase(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t pos = 0; pos < s.size();) {
    const Utf8Char ch = decode_utf8(s, pos);
    if (ch.cp == 0x130) {
      out += "i\xCC\x87";  // Rust's char::to_lowercase: the one unconditional two-character lowercase mapping
    } else {
      append_utf8(out, static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(ch.cp))));
    }
    pos += ch.len;
  }
  return out;
}

const nlohmann::json* member(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  const auto it = j.find(key);
  return it == j.end() || it->is_null() ? nullptr : &*it;
}

std::string string_field(const nlohmann::json& j, const char* key, const std::string& where) {
  const nlohmann::json* v = member(j, key);
  if (v == nullptr || !v->is_string()) throw FormatError(where + "." + key + ": missing or not a string");
  return v->get<std::string>();
}

bool bool_field(const nlohmann::json& j, const char* key, bool fallback, const std::string& where) {
  const nlohmann::json* v = member(j, key);
  if (v == nullptr) return fallback;
  if (!v->is_boolean()) throw FormatError(where + "." + key + ": not a boolean");
  return v->get<bool>();
}

void parse_normalizer(const nlohmann::json& j, const std::string& where, std::vector<NormalizerStep>& steps) {
  const std::string type = string_field(j, "type", where);
  NormalizerStep step{};
  if (type == "Sequence") {
    const nlohmann::json* list = member(j, "normalizers");
    if (list == nullptr || !list->is_array()) throw FormatError(where + ".normalizers: missing or not an array");
    for (std::size_t i = 0; i < list->size(); ++i) {
      parse_normalizer((*list)[i], where + ".normalizers[" + std::to_string(i) + "]", steps);
    }
    return;
  }
  if (type == "Precompiled") {
    step.kind = NormalizerStep::kPrecompiled;
    const nlohmann::json* blob = member(j, "precompiled_charsmap");
    if (blob != nullptr && !blob->is_string()) throw FormatError(where + ".precompiled_charsmap: not a string");
    const std::string what = where + ".precompiled_charsmap";
    step.charsmap = CharsMap::parse(blob == nullptr ? std::string() : base64_decode(blob->get<std::string>(), what),
                                    what);
    if (!step.charsmap.replacements_are_utf8()) throw FormatError(what + ": replacement strings are not UTF-8");
    if (step.charsmap.empty()) return;  // an empty charsmap normalizes nothing
  } else if (type == "Replace") {
    const nlohmann::json* pattern = member(j, "pattern");
    if (pattern == nullptr || !pattern->is_object()) throw FormatError(where + ".pattern: missing or not an object");
    step.content = string_field(j, "content", where);
    if (const nlohmann::json* s = member(*pattern, "String")) {
      if (!s->is_string()) throw FormatError(where + ".pattern.String: not a string");
      step.kind = NormalizerStep::kReplaceString;
      step.pattern = s->get<std::string>();
    } else if (const nlohmann::json* r = member(*pattern, "Regex")) {
      if (!r->is_string()) throw FormatError(where + ".pattern.Regex: not a string");
      step.kind = NormalizerStep::kReplaceRegex;
      step.pattern = r->get<std::string>();
      step.regex = parse_pattern(*pattern, JsonPlace{where, "pattern"});
    } else {
      throw FormatError(where + ".pattern: expected a String or Regex member");
    }
  } else if (type == "Strip") {
    step.kind = NormalizerStep::kStrip;
    step.left = bool_field(j, "strip_left", false, where);
    step.right = bool_field(j, "strip_right", false, where);
  } else if (type == "Lowercase") {
    step.kind = NormalizerStep::kLowercase;
  } else if (type == "NFC") {
    step.kind = NormalizerStep::kNfc;
  } else if (type == "NFD") {
    step.kind = NormalizerStep::kNfd;
  } else if (type == "NFKC") {
    step.kind = NormalizerStep::kNfkc;
  } else if (type == "NFKD") {
    step.kind = NormalizerStep::kNfkd;
  } else if (type == "Prepend") {
    step.kind = NormalizerStep::kPrepend;
    step.content = string_field(j, "prepend", where);
  } else {
    throw ModelError(where + ": normalizer type '" + type + "' is not supported with a Unigram model");
  }
  steps.push_back(std::move(step));
}

void parse_pre_tokenizer(const nlohmann::json& j, const std::string& where, std::vector<PreTokenizerStep>& steps) {
  const std::string type = string_field(j, "type", where);
  if (type == "Sequence") {
    const nlohmann::json* list = member(j, "pretokenizers");
    if (list == nullptr || !list->is_array()) throw FormatError(where + ".pretokenizers: missing or not an array");
    for (std::size_t i = 0; i < list->size(); ++i) {
      parse_pre_tokenizer((*list)[i], where + ".pretokenizers[" + std::to_string(i) + "]", steps);
    }
    return;
  }
  PreTokenizerStep step{};
  if (type == "WhitespaceSplit") {
    step.kind = PreTokenizerStep::kWhitespaceSplit;
  } else if (type == "Metaspace") {
    step.kind = PreTokenizerStep::kMetaspace;
    step.replacement = string_field(j, "replacement", where);
    if (step.replacement.empty() || decode_utf8(step.replacement, 0).len != step.replacement.size()) {
      throw FormatError(where + ".replacement: must be exactly one character");
    }
    step.split = bool_field(j, "split", true, where);
    if (const nlohmann::json* scheme = member(j, "prepend_scheme")) {
      if (!scheme->is_string()) throw FormatError(where + ".prepend_scheme: not a string");
      const std::string s = scheme->get<std::string>();
      // "first" only differs from "always" for text after an added token, which the Tokenizer pipeline splits
      // off before calling us; each call here encodes one such segment.
      if (s == "always" || s == "first") {
        step.prepend = true;
      } else if (s == "never") {
        step.prepend = false;
      } else {
        throw FormatError(where + ".prepend_scheme: unknown value '" + s + "'");
      }
    } else {
      step.prepend = bool_field(j, "add_prefix_space", true, where);
    }
  } else {
    throw ModelError(where + ": pre-tokenizer type '" + type + "' is not supported with a Unigram model");
  }
  steps.push_back(std::move(step));
}

class HfUnigram final : public SentencePieceModel {
 public:
  struct Entry {
    std::string piece;
    double score;
  };

  HfUnigram(std::string what, const std::vector<Entry>& vocab, std::int32_t unk_id, bool byte_fallback,
            std::vector<NormalizerStep> normalizers, std::vector<PreTokenizerStep> pre_tokenizers,
            bool strip_decoded_space, std::vector<std::int32_t> hidden_in_decode)
      : what_(std::move(what)),
        normalizers_(std::move(normalizers)),
        pre_tokenizers_(std::move(pre_tokenizers)),
        unk_id_(unk_id),
        byte_fallback_(byte_fallback),
        strip_decoded_space_(strip_decoded_space),
        hidden_in_decode_(std::move(hidden_in_decode)) {
    for (const PreTokenizerStep& step : pre_tokenizers_) {
      if (step.kind == PreTokenizerStep::kMetaspace) space_ = step.replacement;
    }
    double min_score = std::numeric_limits<double>::infinity();
    std::vector<std::pair<std::string, std::int32_t>> entries;
    entries.reserve(vocab.size());
    scores_.reserve(vocab.size());
    for (std::size_t i = 0; i < vocab.size(); ++i) {
      vocab_.add(vocab[i].piece, /*last_wins=*/true);
      scores_.push_back(vocab[i].score);
      min_score = std::min(min_score, vocab[i].score);
      entries.emplace_back(vocab[i].piece, static_cast<std::int32_t>(i));
    }
    unk_score_ = min_score - 10.0;
    trie_.build(entries, /*last_wins=*/true);
  }

  void encode(std::string_view text, std::vector<Piece>& out) const override {
    std::string normalized = sanitize_utf8(text);
    for (const NormalizerStep& step : normalizers_) normalized = apply(step, normalized);
    std::vector<std::string> words{std::move(normalized)};
    for (const PreTokenizerStep& step : pre_tokenizers_) words = apply(step, words);
    std::vector<Segment> segments;
    for (const std::string& word : words) {
      if (word.empty()) continue;
      segments.clear();
      viterbi(word, trie_, scores_, unk_score_, unk_id_, segments);
      // Runs of unknown characters become one token, as tokenizers' Unigram does with fuse_unk.
      for (std::size_t i = 0; i < segments.size();) {
        std::size_t j = i + 1;
        if (segments[i].id == unk_id_) {
          while (j < segments.size() && segments[j].id == unk_id_) ++j;
        }
        const std::string token = word.substr(segments[i].begin, segments[j - 1].end - segments[i].begin);
        emit(token, out);
        i = j;
      }
    }
  }

  std::size_t vocab_size() const override { return vocab_.size(); }
  std::string id_to_piece(std::int32_t id) const override { return vocab_.piece(id); }
  std::int32_t piece_to_id(const std::string& piece) const override { return vocab_.find(piece); }
  std::int32_t unk_id() const override { return unk_id_; }

  std::string decode(const std::vector<std::int32_t>& ids) const override {
    std::vector<std::string> pieces;
    pieces.reserve(ids.size());
    for (const std::int32_t id : ids) {
      const std::string& p = vocab_.piece(id);
      if (std::find(hidden_in_decode_.begin(), hidden_in_decode_.end(), id) != hidden_in_decode_.end()) continue;
      pieces.push_back(p);
    }
    return decode_pieces(pieces, space_, strip_decoded_space_);
  }

 private:
  void emit(const std::string& token, std::vector<Piece>& out) const {
    const std::int32_t id = vocab_.find(token);
    if (id >= 0) {
      out.push_back({token, id});
      return;
    }
    if (byte_fallback_) {
      std::vector<Piece> bytes;
      for (const char b : token) {
        std::string bp = byte_piece(static_cast<unsigned char>(b));
        const std::int32_t bid = vocab_.find(bp);
        if (bid < 0) {
          bytes.clear();
          break;
        }
        bytes.push_back({std::move(bp), bid});
      }
      if (!bytes.empty()) {
        out.insert(out.end(), bytes.begin(), bytes.end());
        return;
      }
    }
    if (unk_id_ < 0) {
      throw InvalidArgument(what_ + ": the text contains characters outside the vocabulary and the Unigram model "
                            "has no unk_id");
    }
    out.push_back({token, unk_id_});
  }

  static std::string apply(const NormalizerStep& step, const std::string& s) {
    switch (step.kind) {
      case NormalizerStep::kPrecompiled: return precompiled_normalize(step.charsmap, s);
      case NormalizerStep::kReplaceString: return replace_all(s, step.pattern, step.content);
      case NormalizerStep::kReplaceRegex: {
        Matches m;
        find_matches(step.regex, s, m);
        std::string out;
        std::size_t last = 0;
        for (const auto& [b, e] : m) {
          out.append(s, last, b - last);
          out += step.content;
          last = e;
        }
        return out.append(s, last, std::string::npos);
      }
      case NormalizerStep::kStrip: return strip_whitespace(s, step.left, step.right);
      case NormalizerStep::kLowercase: return lowercase(s);
      case NormalizerStep::kNfc: return utf8proc_normalize(s, UTF8PROC_STABLE | UTF8PROC_COMPOSE);
      case NormalizerStep::kNfd: return utf8proc_normalize(s, UTF8PROC_STABLE | UTF8PROC_DECOMPOSE);
      case NormalizerStep::kNfkc:
        return utf8proc_normalize(s, UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT);
      case NormalizerStep::kNfkd:
        return utf8proc_normalize(s, UTF8PROC_STABLE | UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT);
      case NormalizerStep::kPrepend: return s.empty() ? s : step.content + s;
    }
    return s;
  }

  static std::vector<std::string> apply(const PreTokenizerStep& step, const std::vector<std::string>& words) {
    std::vector<std::string> out;
    for (const std::string& w : words) {
      if (step.kind == PreTokenizerStep::kWhitespaceSplit) {
        std::string current;
        for (std::size_t pos = 0; pos < w.size();) {
          const Utf8Char ch = decode_utf8(w, pos);
          if (is_unicode_whitespace(ch.cp)) {
            if (!current.empty()) out.push_back(std::move(current));
            current.clear();
          } else {
            current.append(w, pos, ch.len);
          }
          pos += ch.len;
        }
        if (!current.empty()) out.push_back(std::move(current));
        continue;
      }
      // Metaspace
      if (w.empty()) continue;
      std::string replaced = replace_all(w, " ", step.replacement);
      if (step.prepend && replaced.compare(0, step.replacement.size(), step.replacement) != 0) {
        replaced.insert(0, step.replacement);
      }
      if (!step.split) {
        out.push_back(std::move(replaced));
        continue;
      }
      // Split with the replacement merged into the following piece.
      std::size_t begin = 0;
      for (std::size_t hit = replaced.find(step.replacement, 1); hit != std::string::npos;
           hit = replaced.find(step.replacement, hit + step.replacement.size())) {
        if (hit > begin) out.push_back(replaced.substr(begin, hit - begin));
        begin = hit;
      }
      out.push_back(replaced.substr(begin));
    }
    return out;
  }

  std::string what_;
  Vocabulary vocab_;
  std::vector<double> scores_;
  PieceTrie trie_;
  std::vector<NormalizerStep> normalizers_;
  std::vector<PreTokenizerStep> pre_tokenizers_;
  std::int32_t unk_id_;
  double unk_score_ = 0;
  bool byte_fallback_;
  bool strip_decoded_space_;
  std::string space_{kMetaSpace};  // the Metaspace replacement character, turned back into ' ' by decode
  std::vector<std::int32_t> hidden_in_decode_;
};

}  // namespace

std::unique_ptr<const SentencePieceModel> SentencePieceModel::from_spm_file(const std::string& path,
                                                                            bool xlmr_ids) {
  return from_spm_bytes(io::read_file(path), path, xlmr_ids);
}

std::unique_ptr<const SentencePieceModel> SentencePieceModel::from_spm_bytes(std::string_view data,
                                                                             const std::string& path,
                                                                             bool xlmr_ids) {
  const SpmProto proto = parse_model_proto(data, path);
  // Validates the pieces as SentencePiece does on load, whichever id convention is asked for.
  auto native = std::make_unique<SpmNative>(proto, path);

  if (xlmr_ids) {
    // transformers' conversion: fairseq specials first, then every spm piece after the first three, then <mask>.
    if (proto.pieces.size() < 3) throw ModelError(path + ": an XLM-R vocabulary needs at least 3 pieces");
    std::vector<HfUnigram::Entry> vocab{{"<s>", 0.0}, {"<pad>", 0.0}, {"</s>", 0.0}, {"<unk>", 0.0}};
    for (std::size_t i = 3; i < proto.pieces.size(); ++i) {
      vocab.push_back({proto.pieces[i].piece, static_cast<double>(proto.pieces[i].score)});
    }
    vocab.push_back({"<mask>", 0.0});
    std::vector<NormalizerStep> normalizers;
    NormalizerStep step{};
    step.kind = NormalizerStep::kPrecompiled;
    step.charsmap = CharsMap::parse(proto.normalizer.charsmap, path + ": normalizer_spec.precompiled_charsmap");
    if (!step.charsmap.replacements_are_utf8()) {
      throw FormatError(path + ": normalizer_spec.precompiled_charsmap: replacement strings are not UTF-8");
    }
    if (!step.charsmap.empty()) normalizers.push_back(std::move(step));
    std::vector<PreTokenizerStep> pre(2);
    pre[0].kind = PreTokenizerStep::kWhitespaceSplit;
    pre[1].kind = PreTokenizerStep::kMetaspace;
    pre[1].replacement = std::string(kMetaSpace);
    const auto mask_id = static_cast<std::int32_t>(vocab.size() - 1);
    // Decoding leaves out the five specials, as the tokenizer.json route does for its special added tokens.
    return std::make_unique<HfUnigram>(path, vocab, 3, false, std::move(normalizers), std::move(pre), true,
                                       std::vector<std::int32_t>{0, 1, 2, 3, mask_id});
  }
  return native;
}

std::unique_ptr<const SentencePieceModel> SentencePieceModel::from_tokenizer_json(const nlohmann::json& tj,
                                                                                  const std::string& what) {
  const nlohmann::json* model = member(tj, "model");
  if (model == nullptr || !model->is_object()) throw FormatError(what + ": 'model' is missing or not an object");
  const std::string type = string_field(*model, "type", what + ": model");
  if (type != "Unigram") throw ModelError(what + ": model.type is '" + type + "', expected 'Unigram'");
  const nlohmann::json* vocab_json = member(*model, "vocab");
  if (vocab_json == nullptr || !vocab_json->is_array() || vocab_json->empty()) {
    throw FormatError(what + ": model.vocab is missing, empty or not an array");
  }
  std::vector<HfUnigram::Entry> vocab;
  vocab.reserve(vocab_json->size());
  for (std::size_t i = 0; i < vocab_json->size(); ++i) {
    const nlohmann::json& e = (*vocab_json)[i];
    if (!e.is_array() || e.size() != 2 || !e[0].is_string() || !e[1].is_number()) {
      throw FormatError(what + ": model.vocab[" + std::to_string(i) + "] is not a [piece, score] pair");
    }
    vocab.push_back({e[0].get<std::string>(), e[1].get<double>()});
  }
  std::int32_t unk_id = -1;
  if (const nlohmann::json* u = member(*model, "unk_id")) {
    if (!u->is_number_integer()) throw FormatError(what + ": model.unk_id is not an integer");
    const auto v = u->get<std::int64_t>();
    if (v < 0 || static_cast<std::size_t>(v) >= vocab.size()) {
      throw FormatError(what + ": model.unk_id " + std::to_string(v) + " is outside the vocabulary of " +
                        std::to_string(vocab.size()));
    }
    unk_id = static_cast<std::int32_t>(v);
  }
  const bool byte_fallback = bool_field(*model, "byte_fallback", false, what + ": model");

  std::vector<NormalizerStep> normalizers;
  if (const nlohmann::json* n = member(tj, "normalizer")) parse_normalizer(*n, what + ": normalizer", normalizers);
  std::vector<PreTokenizerStep> pre;
  if (const nlohmann::json* p = member(tj, "pre_tokenizer")) parse_pre_tokenizer(*p, what + ": pre_tokenizer", pre);

  bool strip_decoded_space = false;
  for (const PreTokenizerStep& s : pre) {
    if (s.kind == PreTokenizerStep::kMetaspace && s.prepend) strip_decoded_space = true;
  }
  // Special added tokens are the pipeline's business; decoding here leaves them out like skip_special_tokens.
  std::vector<std::int32_t> hidden;
  if (const nlohmann::json* added = member(tj, "added_tokens"); added != nullptr && added->is_array()) {
    for (const nlohmann::json& a : *added) {
      if (a.is_object() && a.value("special", false) && a.contains("id") && a["id"].is_number_integer()) {
        hidden.push_back(a["id"].get<std::int32_t>());
      }
    }
  }
  return std::make_unique<HfUnigram>(what, vocab, unk_id, byte_fallback, std::move(normalizers), std::move(pre),
                                     strip_decoded_space, std::move(hidden));
}

}  // namespace radlite::tokenizers
