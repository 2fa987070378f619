// SentencePiece's own tokenization (test support): what libsentencepiece 0.2.x gives for a .model (its normalizer
// with add_dummy_prefix / remove_extra_whitespaces, Viterbi over the whole normalized sentence, BPE merging by
// score, word and char models, merged unknowns, byte fallback, and its decoder), plus the same interface over a
// radlite::Tokenizer.
//
// Why here and not in the library: raw SentencePiece ids are not what any model radlite loads uses (transformers
// converts every .model into a Hugging Face pipeline, which is what the library implements). But this code is
// built on the library's .model reader, charsmap and Unigram lattice, so checking it against libsentencepiece
// (test_sentencepiece) and against sentencepiece 0.2.2's recorded outputs cross-checks those library parts on
// every piece type and algorithm a .model can hold.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "radlite/tokenizer.h"

namespace radlite::test_support {

struct Piece {
  std::string text;  // the piece as the vocabulary spells it, e.g. "▁Hello"
  std::int32_t id;
};

class SentencePieceModel {
 public:
  virtual ~SentencePieceModel() = default;
  /// Segments text and appends the pieces (no special tokens).
  virtual void encode(std::string_view text, std::vector<Piece>& out) const = 0;
  virtual std::size_t vocab_size() const = 0;
  virtual std::string id_to_piece(std::int32_t id) const = 0;            // InvalidArgument when out of range
  virtual std::int32_t piece_to_id(const std::string& piece) const = 0;  // -1 when absent
  virtual std::int32_t unk_id() const = 0;
  virtual std::string decode(const std::vector<std::int32_t>& ids) const = 0;
};

/// SentencePiece's semantics on the bytes of a .model (ids are the model's own); FormatError naming `what`.
std::unique_ptr<const SentencePieceModel> native_sentencepiece(std::string_view model_bytes, const std::string& what);
std::unique_ptr<const SentencePieceModel> native_sentencepiece_file(const std::string& path);
/// The same interface over a radlite tokenizer (encode without special tokens, decode skipping them).
std::unique_ptr<const SentencePieceModel> through_tokenizer(Tokenizer tokenizer);

}  // namespace radlite::test_support
