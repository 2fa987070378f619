// Protobuf wire format reader for ModelProto: see sentencepiece_proto.h.
#include "tokenizers/sentencepiece_proto.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <unordered_set>

#include "radlite/error.h"
#include "tokenizers/unigram.h"

namespace radlite::tokenizers {
namespace {

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
      case 0:
        varint();
        break;
      case 1:
        if (data_.size() - pos_ < 8) fail("truncated fixed64");
        pos_ += 8;
        break;
      case 2:
        bytes();
        break;
      case 5:
        if (data_.size() - pos_ < 4) fail("truncated fixed32");
        pos_ += 4;
        break;
      default:
        fail("unsupported wire type " + std::to_string(wire_type));
    }
  }
  [[noreturn]] void fail(const std::string& why) const {
    throw FormatError(what_ + ": not a valid SentencePiece model (" + why + " at byte " + std::to_string(pos_) + ")");
  }

 private:
  std::string_view data_;
  const std::string& what_;
  std::size_t pos_ = 0;
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
      SpmProto::Piece p;
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
          if (t >= kSpmNormal && t <= kSpmByte) p.type = static_cast<int>(t);
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

// ModelInterface::InitializePieces: what SentencePiece refuses at load, refused here with the same reasons.
void check_like_sentencepiece(const SpmProto& proto, const std::string& what) {
  std::unordered_set<std::string_view> normal, reserved;
  std::vector<bool> byte_found(256, false);
  bool has_unk = false;
  for (std::size_t i = 0; i < proto.pieces.size(); ++i) {
    const auto& p = proto.pieces[i];
    const auto where = [&]() { return what + ": piece " + std::to_string(i); };  // only built for errors
    if (p.piece.empty()) throw FormatError(where() + " is empty");
    if (!std::isfinite(p.score)) throw FormatError(where() + " ('" + p.piece + "') has a score that is not finite");
    const bool normal_like = p.type == kSpmNormal || p.type == kSpmUserDefined || p.type == kSpmUnused;
    if (!(normal_like ? normal : reserved).insert(p.piece).second)
      throw FormatError(where() + " ('" + p.piece + "') is already defined");
    if (p.type == kSpmUnknown) {
      if (has_unk) throw FormatError(where() + ": a second piece of type UNKNOWN");
      has_unk = true;
    }
    if (p.type == kSpmByte) {
      if (!proto.byte_fallback) throw FormatError(where() + " is a byte piece although byte_fallback is false");
      const int b = parse_byte_piece(p.piece);
      if (b < 0) throw FormatError(where() + " ('" + p.piece + "') is not a valid byte piece");
      byte_found[static_cast<std::size_t>(b)] = true;
    }
  }
  if (!has_unk) throw FormatError(what + ": SentencePiece model has no piece of type UNKNOWN");
  if (proto.byte_fallback && std::find(byte_found.begin(), byte_found.end(), false) != byte_found.end())
    throw FormatError(what + ": byte_fallback is true but the model lacks some of the 256 byte pieces");
}

}  // namespace

SpmProto read_sentencepiece_model(std::string_view bytes, const std::string& what) {
  SpmProto proto = parse_model_proto(bytes, what);
  check_like_sentencepiece(proto, what);
  return proto;
}

}  // namespace radlite::tokenizers
