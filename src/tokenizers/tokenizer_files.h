// The files a model directory's tokenizer is loaded from (internal), in the order Tokenizer::from_path tries
// them: the one list shared by the tokenizer loader and the encoders (src/model/encode_text.cpp), so that both
// agree on whether a directory has a tokenizer.
// spiece.model (T5, ALBERT) is deliberately absent: those tokenizers use other id conventions than the XLM-R one
// radlite implements for .model files, so such a directory loads for the ids path only.
#pragma once

#include <string>

namespace radlite::tokenizers {

struct TokenizerFile {
  const char* name;
  const char* companion;  // a file that must sit beside it, or nullptr
};
inline constexpr TokenizerFile kTokenizerFiles[] = {
    {"tokenizer.json", nullptr},
    {"vocab.json", "merges.txt"},
    {"vocab.txt", nullptr},
    {"sentencepiece.bpe.model", nullptr},
};

/// Every file of a model directory whose content can change the ids: the files above and their companions, the
/// settings files the loaders read beside them, and spiece.model (read for the ids path). Model identities
/// (src/model/fingerprint.cpp) hash the ones present, in this order; the order is part of the identity.
inline constexpr const char* kTokenizerInputFiles[] = {
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "vocab.json",
    "merges.txt",
    "vocab.txt",
    "sentencepiece.bpe.model",
    "spiece.model",
};

/// True when dir holds any of the files above (a broken or incomplete one included: loading then reports it).
bool has_tokenizer_files(const std::string& dir);
/// "tokenizer.json, vocab.json + merges.txt, vocab.txt or sentencepiece.bpe.model", for error messages.
std::string tokenizer_files_text();

}  // namespace radlite::tokenizers
