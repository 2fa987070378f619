// SentencePiece-family segmentation (internal): normalization, Metaspace ("▁") handling and Unigram/BPE
// segmentation of one piece of text, WITHOUT special tokens, truncation or added-token splitting (the Tokenizer
// pipeline does those around it).
//
// Two sources:
//  - a SentencePiece .model file (our own parser and segmenters, never libsentencepiece, see the .cpp); with
//    xlmr_ids the ids follow the XLM-RoBERTa convention that transformers' XLMRobertaTokenizer uses:
//    <s>=0 <pad>=1 </s>=2 <unk>=3, every other piece = spm id + 1, <mask> = last id;
//  - a tokenizer.json whose model is Unigram (with its Precompiled / Replace / ... normalizer and Metaspace
//    pre-tokenizer): ids are the tokenizer.json vocabulary's.
// Thread safety: immutable after construction; encode may be called concurrently.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace radlite::tokenizers {

struct Piece {
  std::string text;  // the piece as the vocabulary spells it, e.g. "▁Hello"
  std::int32_t id;
};

class SentencePieceModel {
 public:
  virtual ~SentencePieceModel() = default;

  /// Loads a .model file. Throws IoError / FormatError naming the path.
  static std::unique_ptr<const SentencePieceModel> from_spm_file(const std::string& path, bool xlmr_ids);
  /// The same from the bytes of a .model already in memory; `what` names them in errors (FormatError).
  static std::unique_ptr<const SentencePieceModel> from_spm_bytes(std::string_view bytes, const std::string& what,
                                                                  bool xlmr_ids);
  /// Builds from a parsed tokenizer.json (model.type == "Unigram"); `what` names the file in errors.
  static std::unique_ptr<const SentencePieceModel> from_tokenizer_json(const nlohmann::json& tokenizer_json,
                                                                       const std::string& what);

  /// Segments text (normalizing it first as the model says) and appends the pieces to out.
  virtual void encode(std::string_view text, std::vector<Piece>& out) const = 0;

  virtual std::size_t vocab_size() const = 0;
  virtual std::string id_to_piece(std::int32_t id) const = 0;  // throws InvalidArgument when out of range
  virtual std::int32_t piece_to_id(const std::string& piece) const = 0;  // -1 when absent
  virtual std::int32_t unk_id() const = 0;
  /// Text of a sequence of pieces ("▁" back to spaces, byte pieces decoded).
  virtual std::string decode(const std::vector<std::int32_t>& ids) const = 0;
};

}  // namespace radlite::tokenizers
