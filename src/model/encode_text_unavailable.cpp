// TEMPORARY (development only, until the tokenizer module is on this branch): the text entry points of the
// encoders report that this build has no tokenizer. Replaced by encode_text.cpp as soon as src/tokenizers has its
// implementation.
#include "radlite/encoder.h"
#include "radlite/error.h"

namespace radlite {

namespace {
[[noreturn]] void no_tokenizer() { throw ModelError("this radlite build has no tokenizer module; use encode_ids / logits_ids"); }
}  // namespace

const Tokenizer& BiEncoder::tokenizer() const { no_tokenizer(); }
const Tokenizer& CrossEncoder::tokenizer() const { no_tokenizer(); }
Matrix BiEncoder::encode(const std::vector<std::string>&) const { no_tokenizer(); }
std::vector<std::vector<float>> CrossEncoder::logits(const std::vector<std::pair<std::string, std::string>>&) const {
  no_tokenizer();
}
std::vector<std::vector<float>> CrossEncoder::logits(const std::string&, const std::vector<std::string>&) const {
  no_tokenizer();
}
std::vector<float> CrossEncoder::score_pairs(const std::string&, const std::vector<std::string>&) const {
  no_tokenizer();
}

}  // namespace radlite
