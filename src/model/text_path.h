// What the text path of the encoders (encode_text.cpp, no torch) needs from a loaded model, without ATen: the
// loaders and the Impl classes (encoder_impl.h) are compiled with torch, this file and encode_text.cpp are not.
#pragma once

#include <memory>
#include <string>

#include "radlite/encoder.h"

namespace radlite {

class Tokenizer;

namespace model {

/// Loads the tokenizer of a model directory; nullptr when it has no tokenizer files (the model then serves the
/// ids path only). Broken tokenizer files throw.
std::shared_ptr<const Tokenizer> load_tokenizer(const std::string& dir);

/// The loaded model's tokenizer, nullptr when the directory had none.
const Tokenizer* tokenizer_of(const BiEncoder& encoder);
const Tokenizer* tokenizer_of(const CrossEncoder& encoder);

/// True for RoBERTa / XLM-RoBERTa (</s></s> between segments, one segment type), false for BERT.
bool roberta_style(const CrossEncoder& encoder);

}  // namespace model
}  // namespace radlite
