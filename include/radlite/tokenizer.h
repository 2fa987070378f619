// radlite/tokenizer.h: tokenizers that give the ids Hugging Face gives.
//
// Usage:
//   auto tok = radlite::Tokenizer::from_path("models/radlit-biencoder");   // directory, tokenizer.json, vocab.txt,
//                                                                          // vocab.json (+ merges.txt), or .model
//   radlite::Encoding e = tok.encode("CT shows a filling defect.", {.max_length = 512});
//   radlite::Encoding p = tok.encode_pair("query", "document", {.max_length = 512});
//   // e.ids, e.type_ids, e.attention_mask; tok.decode(e.ids)
//
// Supported: tokenizer.json with models BPE (byte-level, byte fallback), WordPiece (also files whose model has no
// "type"), WordLevel, Unigram; normalizers BertNormalizer, NFC/NFD/NFKC/NFKD, Lowercase, StripAccents, Strip, Replace,
// Prepend, Precompiled, Sequence (every component works with every model, as in HF); pre-tokenizers ByteLevel,
// BertPreTokenizer, Whitespace, WhitespaceSplit, Metaspace, Split, Punctuation, Digits, Sequence; post-processors
// RobertaProcessing, BertProcessing, TemplateProcessing, ByteLevel, Sequence; added tokens with lstrip / rstrip /
// single_word / normalized / special. Legacy files: vocab.json + merges.txt (RoBERTa), vocab.txt (+ do_lower_case from
// tokenizer_config.json), SentencePiece .model (converted as transformers' XLMRobertaTokenizer does: XLM-RoBERTa id
// convention). A directory resolves to tokenizer.json first, then vocab.json + merges.txt, vocab.txt,
// sentencepiece.bpe.model (spiece.model, with T5 / ALBERT id conventions, is not a tokenizer radlite loads). A
// tokenizer.json "truncation" or "padding" block is not applied (transformers does not apply it either): pass
// EncodeOptions::max_length. Replace and Split patterns are Oniguruma regexes, as in HF tokenizers (UTF-8, Ruby syntax,
// \p classes); a pattern that backtracks exponentially on some text stops with a ModelError (HF tokenizers aborts
// there). Not supported (ModelError at load): BPE dropout.
//
// Invalid UTF-8 in input text: bytes that are not valid UTF-8 are replaced by U+FFFD before tokenization
// (as Python's bytes.decode(errors="replace") does); never undefined behaviour.
//
// Thread safety: a Tokenizer is immutable after loading (its BPE word cache is internally synchronized); concurrent
// calls on one instance are safe.
// Copies are cheap and share the loaded state.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace radlite {

/// The result of tokenizing one text or one pair.
struct Encoding {
  std::vector<std::int32_t> ids;             // token ids, special tokens included
  std::vector<std::int32_t> type_ids;        // segment ids: 0 for the first text, 1 for the second of a BERT pair
  std::vector<std::int32_t> attention_mask;  // 1 for every token (padding is the encoder's business)
  std::vector<std::string> tokens;           // the token strings, as the vocabulary spells them
};

/// How to encode.
struct EncodeOptions {
  bool add_special_tokens = true;  // <s> ... </s>, [CLS] ... [SEP], as the post-processor says
  std::size_t max_length = 0;      // 0: no truncation; else at most this many ids, special tokens included.
                                   // Pairs are truncated longest_first as HF tokenizers 0.23 does it: each side
                                   // is first capped at max_length tokens (at a word boundary), then the longer
                                   // side gives up tokens first.
                                   // A max_length below the number of special tokens throws InvalidArgument.
};

class Tokenizer {
 public:
  /// Loads from a model directory, a tokenizer.json, a vocab.txt, a vocab.json (merges.txt beside it) or a
  /// SentencePiece .model. Throws IoError / FormatError / ModelError naming the file and field.
  static Tokenizer from_path(const std::string& path);
  /// Loads from the text of a tokenizer.json (for embedders with no files).
  static Tokenizer from_json(const std::string& tokenizer_json);

  Encoding encode(std::string_view text, const EncodeOptions& options = {}) const;
  /// An empty `second` encodes `first` alone (as transformers does for text_pair=""), with options.max_length.
  Encoding encode_pair(std::string_view first, std::string_view second, const EncodeOptions& options = {}) const;
  /// encode() of each text, in order (on the calling thread).
  std::vector<Encoding> encode_batch(const std::vector<std::string>& texts, const EncodeOptions& options = {}) const;

  /// Text of ids; special tokens are dropped when skip_special_tokens is true.
  std::string decode(const std::vector<std::int32_t>& ids, bool skip_special_tokens = true) const;
  /// -1 when the token is not in the vocabulary.
  std::int32_t token_to_id(const std::string& token) const;
  /// Throws InvalidArgument when id is out of range.
  std::string id_to_token(std::int32_t id) const;
  std::size_t vocab_size() const;

  /// The padding token's id (from the tokenizer's padding / special tokens; 0 when none is declared).
  std::int32_t pad_id() const;
  /// tokenizer_config.json model_max_length when the tokenizer was loaded from a directory holding one
  /// (values >= 1e9, the "no limit" sentinel, read as 0); 0 when unknown.
  std::size_t model_max_length() const;

  class Impl;

 private:
  explicit Tokenizer(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
};

}  // namespace radlite
