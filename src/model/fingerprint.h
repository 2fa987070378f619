// Model identities: a fingerprint of everything that determines a model's outputs (internal; no torch).
//
// An index records its bi-encoder's identity() and refuses queries from another model, so the identity must
// change whenever the vectors could, and only then: it hashes the weights' bytes, the tokenizer files' bytes and a
// canonical text of the settings radlite computes with (the config.json fields it reads, pooling, normalization,
// max_length), never the directory's name or path. A byte-identical copy elsewhere has the same identity;
// an edited config or pooling file gives another.
#pragma once

#include <string>
#include <vector>

#include "model/model_config.h"

namespace radlite::model {

/// The config.json fields the forward pass uses, as canonical text ("family=roberta hidden=768 ...").
std::string describe_config(const EncoderConfig& config);

/// The pooling modes, in sentence-transformers' order ("cls+mean").
std::string describe_pooling(const PoolingConfig& pooling);

/// The tokenizer files of `dir` that exist (tokenizer.json, tokenizer_config.json, special_tokens_map.json,
/// added_tokens.json, vocab.json, merges.txt, vocab.txt, sentencepiece.bpe.model, spiece.model), as paths.
std::vector<std::string> tokenizer_files(const std::string& dir);

/// "<label> fp:<16 hex digits>": SHA-256 over `settings`, the weight files' contents (in the given order) and the
/// tokenizer files' names (without directory) and contents. Reads every file: call lazily.
std::string fingerprint(const std::string& label, const std::string& settings,
                        const std::vector<std::string>& weight_files, const std::vector<std::string>& tokenizer_files);

}  // namespace radlite::model
