// SentencePiece .model files (internal): the fields of ModelProto (sentencepiece_model.proto) that tokenization
// needs, read from the protobuf wire format without libprotobuf, and SentencePiece's own load-time checks.
//
// Why no libsentencepiece / libprotobuf: Debian's libsentencepiece embeds protobuf-lite 3.14 and exports its
// symbols; in a process that also loads libtorch (protobuf 3.21) the two collide and the process crashes at
// startup. libsentencepiece remains the tests' oracle (test_sentencepiece links it, without torch).
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace radlite::tokenizers {

enum SpmPieceType : int {
  kSpmNormal = 1,
  kSpmUnknown = 2,
  kSpmControl = 3,
  kSpmUserDefined = 4,
  kSpmUnused = 5,
  kSpmByte = 6
};

struct SpmNormalizerSpec {
  std::string charsmap;  // precompiled_charsmap bytes
  bool add_dummy_prefix = true;
  bool remove_extra_whitespaces = true;
  bool escape_whitespaces = true;
};

struct SpmProto {
  struct Piece {
    std::string piece;
    float score = 0;
    int type = kSpmNormal;
  };
  std::vector<Piece> pieces;
  int model_type = 1;  // 1 UNIGRAM, 2 BPE, 3 WORD, 4 CHAR
  bool byte_fallback = false;
  bool treat_whitespace_as_suffix = false;
  std::string unk_surface = " \xE2\x81\x87 ";  // trainer_spec.unk_surface's default
  SpmNormalizerSpec normalizer;
  bool has_denormalizer = false;
  SpmNormalizerSpec denormalizer;
};

/// Parses a serialized ModelProto and applies SentencePiece's load-time checks (ModelInterface::InitializePieces:
/// no empty or duplicate pieces, exactly one UNKNOWN, byte pieces only with byte_fallback and then all 256, finite
/// scores), so that radlite refuses what SentencePiece refuses. FormatError naming `what` otherwise.
SpmProto read_sentencepiece_model(std::string_view bytes, const std::string& what);

}  // namespace radlite::tokenizers
