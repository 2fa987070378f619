// The text path of the encoders: tokenize, then run the ids path. Compiled only in builds that have the
// tokenizer module (see model/sources.cmake). No torch here.
#include <memory>
#include <utility>

#include "model/encoder_access.h"
#include "radlite/error.h"
#include "radlite/tokenizer.h"

namespace radlite {

namespace model {

std::shared_ptr<const Tokenizer> load_tokenizer(const std::string& dir) {
  return std::make_shared<const Tokenizer>(Tokenizer::from_path(dir));
}

}  // namespace model

const Tokenizer& BiEncoder::tokenizer() const { return *model::EncoderAccess::tokenizer(*this); }
const Tokenizer& CrossEncoder::tokenizer() const { return *model::EncoderAccess::tokenizer(*this); }

Matrix BiEncoder::encode(const std::vector<std::string>& texts) const {
  const Tokenizer& tok = tokenizer();
  EncodeOptions opts;
  opts.max_length = max_length();
  std::vector<std::vector<std::int32_t>> ids;
  ids.reserve(texts.size());
  for (const auto& t : texts) ids.push_back(tok.encode(t, opts).ids);
  return encode_ids(ids);
}

std::vector<std::vector<float>> CrossEncoder::logits(const std::vector<std::pair<std::string, std::string>>& pairs) const {
  const Tokenizer& tok = tokenizer();
  EncodeOptions opts;
  opts.max_length = max_length();
  std::vector<TokenizedPair> tokenized;
  tokenized.reserve(pairs.size());
  for (const auto& p : pairs) {
    Encoding e = tok.encode_pair(p.first, p.second, opts);
    tokenized.push_back({std::move(e.ids), std::move(e.type_ids)});
  }
  return logits_ids(tokenized);
}

std::vector<std::vector<float>> CrossEncoder::logits(const std::string& query,
                                                     const std::vector<std::string>& documents) const {
  std::vector<std::pair<std::string, std::string>> pairs;
  pairs.reserve(documents.size());
  for (const auto& d : documents) pairs.emplace_back(query, d);
  return logits(pairs);
}

std::vector<float> CrossEncoder::score_pairs(const std::string& query, const std::vector<std::string>& documents) const {
  if (num_labels() > 2)
    throw ModelError(identity() + ": score_pairs needs a model with 1 or 2 labels, this one has " +
                     std::to_string(num_labels()) + " (use logits())");
  const auto all = logits(query, documents);
  std::vector<float> out;
  out.reserve(all.size());
  // Two labels: logit[1] - logit[0], whose sigmoid is softmax's probability of label 1.
  for (const auto& l : all) out.push_back(l.size() == 1 ? l[0] : l[1] - l[0]);
  return out;
}

}  // namespace radlite
