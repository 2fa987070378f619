// A SentencePiece .model as a Hugging Face pipeline (internal), the way transformers' XLMRobertaTokenizer converts
// it (convert_slow_tokenizer.XLMRobertaConverter), whatever the .model's own algorithm: a Unigram model over
// <s> <pad> </s> <unk> + pieces[3:] + <mask> (fairseq's id convention: every other piece = spm id + 1), the
// model's charsmap as a Precompiled normalizer, WhitespaceSplit + Metaspace("▁") pre-tokenization and a Metaspace
// decoder. The Tokenizer adds the special tokens and the RoBERTa post-processor around it.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "tokenizers/pipeline.h"

namespace radlite::tokenizers {

struct ConvertedSentencePiece {
  std::unique_ptr<Normalizer> normalizer;  // null when the model has no normalization rules
  std::unique_ptr<PreTokenizer> pre_tokenizer;
  std::unique_ptr<Model> model;
  std::unique_ptr<Decoder> decoder;
};

/// Reads the bytes of a .model (`what` names it in errors: FormatError for a malformed file, ModelError for one
/// too small for the XLM-R layout) and converts it.
ConvertedSentencePiece convert_sentencepiece_xlmr(std::string_view model_bytes, const std::string& what);

}  // namespace radlite::tokenizers
