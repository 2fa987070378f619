// Test support: writes and rewrites SentencePiece .model files (a ModelProto) at the protobuf wire level, so that
// tests can build models that no trainer writes (UNUSED, user-defined and byte pieces, other algorithms, broken
// vocabularies) without libprotobuf. Header-only.
#pragma once

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace radlite::test_support {

inline void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

inline void put_key(std::string& out, std::uint32_t field, std::uint32_t wire_type) {
  put_varint(out, (field << 3) | wire_type);
}

inline void put_bytes(std::string& out, std::uint32_t field, const std::string& bytes) {
  put_key(out, field, 2);
  put_varint(out, bytes.size());
  out += bytes;
}

inline std::uint64_t get_varint(const std::string& s, std::size_t& pos) {
  std::uint64_t v = 0;
  for (int shift = 0; pos < s.size(); shift += 7) {
    const auto b = static_cast<unsigned char>(s[pos++]);
    v |= static_cast<std::uint64_t>(b & 0x7F) << shift;
    if (!(b & 0x80)) break;
  }
  return v;
}

/// One ModelProto.SentencePiece. type: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte.
struct ProtoPiece {
  std::string piece;
  float score = 0;
  int type = 1;
};

/// Splits a ModelProto into its pieces and the raw bytes of every other top-level field; std::runtime_error on
/// anything but the length-delimited fields a trainer writes.
inline void split_model(const std::string& model, std::vector<ProtoPiece>& pieces, std::string& rest) {
  std::size_t pos = 0;
  while (pos < model.size()) {
    const std::size_t start = pos;
    const std::uint64_t key = get_varint(model, pos);
    if ((key & 7) != 2) throw std::runtime_error("split_model: unexpected top-level wire type");
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
        throw std::runtime_error("split_model: unexpected field in a piece");
      }
    }
    pieces.push_back(p);
  }
}

/// The ModelProto of `pieces` followed by `rest` (other top-level fields, as split_model returns them) and, when
/// not empty, a second trainer_spec: protobuf parsers merge it into the first one field by field.
inline std::string join_model(const std::vector<ProtoPiece>& pieces, const std::string& rest,
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
  if (!trainer_extra.empty()) put_bytes(out, 2, trainer_extra);
  return out;
}

/// A trainer_spec body that sets model_type (1 unigram, 2 BPE, 3 word, 4 char).
inline std::string trainer_model_type(int type) {
  std::string t;
  put_key(t, 3, 0);
  put_varint(t, static_cast<std::uint64_t>(type));
  return t;
}

}  // namespace radlite::test_support
