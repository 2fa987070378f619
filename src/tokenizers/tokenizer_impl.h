// Tokenizer::Impl (internal): the one pipeline every tokenizer runs, whatever file it came from (tokenizer.json,
// vocab.json + merges.txt, vocab.txt, a SentencePiece .model):
//   added-token split -> normalizer -> added-token split (normalized tokens) -> pre-tokenizer -> model
//   -> truncation -> post-processor,
// and decoding through the decoder, as Hugging Face tokenizers runs them. Loading (tokenizer_loading.cpp) fills it.
// Thread safety: immutable once loaded (the BPE word cache synchronizes itself).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "radlite/tokenizer.h"
#include "tokenizers/added_tokens.h"
#include "tokenizers/pipeline.h"

namespace radlite {

class Tokenizer::Impl {
 public:
  std::unique_ptr<tokenizers::Normalizer> normalizer;       // may be null
  std::unique_ptr<tokenizers::PreTokenizer> pre_tokenizer;  // may be null
  std::unique_ptr<tokenizers::Model> model;
  std::unique_ptr<tokenizers::PostProcessor> post;
  std::unique_ptr<tokenizers::Decoder> decoder;  // null: tokens joined with spaces
  std::vector<tokenizers::AddedToken> added;
  std::unordered_map<std::string, std::size_t> added_by_content;
  std::unordered_map<std::int32_t, std::size_t> added_by_id;
  tokenizers::AddedTokenMatcher raw_matcher, normalized_matcher;
  std::int32_t pad = -1;  // resolved by apply_config
  std::size_t max_length = 0;
  std::int32_t max_added_id = -1;  // the largest id of an added token (ids of replaced tokens never shrink it)

  /// Adds a token, replacing one with the same content.
  void add_token(tokenizers::AddedToken t);
  /// The id HF gives a token being added: its vocabulary id, else (for new text) the id after the vocabulary and
  /// the tokens added so far. The "id" written in tokenizer.json is not used; HF only warns when it differs.
  std::int32_t id_for_new_token(const std::string& content) const;
  /// Builds the matchers once all tokens and the normalizer are known.
  void finish();

  std::int32_t token_to_id(const std::string& token) const;  // -1 when unknown
  std::string id_to_token(std::int32_t id) const;            // InvalidArgument when out of range
  bool has_id(std::int32_t id) const;
  std::size_t vocab_size() const;

  /// Ids of one text, no special tokens; with limit > 0 stops after the word at which the count reaches it.
  void encode_sequence(std::string_view input, std::vector<std::int32_t>& ids, std::size_t limit = 0) const;
  void fill(const tokenizers::Sequence& s, Encoding& e) const;
  std::size_t content_budget(const EncodeOptions& o, bool pair) const;
};

}  // namespace radlite
