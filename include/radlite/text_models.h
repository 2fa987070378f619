// radlite/text_models.h: the two model roles the retrieval pipeline uses, as interfaces.
//
// The retrieval module depends only on these (no libtorch): BiEncoder implements TextEncoder and CrossEncoder
// implements PairScorer (radlite/encoder.h); an application may plug in its own implementations (a remote
// embedding service, a different reranker). Implementations must be safe to call from several threads at once.
#pragma once

#include <string>
#include <vector>

#include "radlite/matrix.h"

namespace radlite {

/// Maps texts to fixed-size vectors (one row per text, in input order).
class TextEncoder {
 public:
  virtual ~TextEncoder() = default;
  virtual Matrix encode_texts(const std::vector<std::string>& texts) const = 0;
  /// Number of columns encode_texts returns.
  virtual std::size_t dimension() const = 0;
  /// A stable identity of what determines the vectors (BiEncoder: "roberta bi-encoder fp:<16 hex>", a hash of
  /// weights, tokenizer, config, pooling, normalization and max length); an index records it and refuses queries
  /// encoded by a model with another identity. It must not depend on where the model is stored.
  virtual std::string identity() const = 0;
};

/// Scores (query, document) pairs with one relevance logit each (higher = more relevant).
/// Calibrate with radlite::calibrate (sigmoid(logit / T)).
class PairScorer {
 public:
  virtual ~PairScorer() = default;
  virtual std::vector<float> score_pairs(const std::string& query, const std::vector<std::string>& documents) const = 0;
  virtual std::string identity() const = 0;
};

}  // namespace radlite
