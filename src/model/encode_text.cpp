// The text path of the encoders: tokenize, then run the ids path. No torch here (model/text_path.h), so this
// file compiles fast.
#include <memory>
#include <utility>

#include "io/file_util.h"
#include "model/text_path.h"
#include "radlite/error.h"
#include "radlite/tokenizer.h"
#include "tokenizers/tokenizer_files.h"

namespace radlite {

namespace model {

std::shared_ptr<const Tokenizer> load_tokenizer(const std::string& dir) {
  // A directory without any tokenizer file still serves the ids path; broken tokenizer files fail the load.
  if (!tokenizers::has_tokenizer_files(dir)) return nullptr;  // the tokenizer module's one list of file names
  return std::make_shared<const Tokenizer>(Tokenizer::from_path(dir));
}

}  // namespace model

namespace {
[[noreturn]] void no_tokenizer(const std::string& identity) {
  throw ModelError(identity + ": the model directory has no tokenizer files (tokenizer.json, vocab.json + " +
                   "merges.txt, vocab.txt or sentencepiece.bpe.model); only encode_ids / logits_ids are available");
}
}  // namespace

const Tokenizer& BiEncoder::tokenizer() const {
  const Tokenizer* t = model::tokenizer_of(*this);
  if (!t) no_tokenizer(identity());
  return *t;
}

const Tokenizer& CrossEncoder::tokenizer() const {
  const Tokenizer* t = model::tokenizer_of(*this);
  if (!t) no_tokenizer(identity());
  return *t;
}

std::vector<std::int32_t> BiEncoder::tokenize(const std::string& text) const {
  EncodeOptions opts;
  opts.max_length = max_length();
  return tokenizer().encode(text, opts).ids;
}

Matrix BiEncoder::encode(const std::vector<std::string>& texts) const {
  std::vector<std::vector<std::int32_t>> ids;
  ids.reserve(texts.size());
  for (const auto& t : texts) ids.push_back(tokenize(t));
  return encode_ids(ids);
}

TokenizedPair CrossEncoder::tokenize(const std::string& query, const std::string& document) const {
  const Tokenizer& tok = tokenizer();
  EncodeOptions opts;
  opts.max_length = max_length();
  if (!document.empty()) {
    Encoding e = tok.encode_pair(query, document, opts);
    return {std::move(e.ids), std::move(e.type_ids)};
  }
  // sentence-transformers' CrossEncoder tokenizes lists of pairs, and then an empty second text still gets the
  // pair template's separators: [CLS] q [SEP] [SEP] (the last in segment 1) for BERT, <s> q </s></s></s> for
  // RoBERTa. The Tokenizer, like transformers' tokenizer(q, ""), encodes q alone; add the separators, keeping
  // the query truncated as the pair would truncate it.
  const bool roberta = model::roberta_style(*this);
  const std::size_t extra = roberta ? 2 : 1;
  if (opts.max_length) opts.max_length = opts.max_length > extra ? opts.max_length - extra : 1;
  Encoding e = tok.encode(query, opts);
  if (e.ids.empty()) throw ModelError("tokenizer gave no tokens for a query with an empty document");
  const std::int32_t sep = e.ids.back();
  TokenizedPair p{std::move(e.ids), std::move(e.type_ids)};
  p.type_ids.resize(p.ids.size(), 0);
  for (std::size_t i = 0; i < extra; ++i) {
    p.ids.push_back(sep);
    p.type_ids.push_back(roberta ? 0 : 1);
  }
  return p;
}

std::vector<std::vector<float>> CrossEncoder::logits(
    const std::vector<std::pair<std::string, std::string>>& pairs) const {
  std::vector<TokenizedPair> tokenized;
  tokenized.reserve(pairs.size());
  for (const auto& p : pairs) tokenized.push_back(tokenize(p.first, p.second));
  return logits_ids(tokenized);
}

std::vector<std::vector<float>> CrossEncoder::logits(const std::string& query,
                                                     const std::vector<std::string>& documents) const {
  std::vector<std::pair<std::string, std::string>> pairs;
  pairs.reserve(documents.size());
  for (const auto& d : documents) pairs.emplace_back(query, d);
  return logits(pairs);
}

std::vector<float> CrossEncoder::score_pairs(const std::string& query,
                                             const std::vector<std::string>& documents) const {
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
