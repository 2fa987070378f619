// The loaded state behind BiEncoder and CrossEncoder (internal; ATen).
#pragma once

#include <ATen/ATen.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "model/model_config.h"
#include "model/perturbation.h"
#include "model/transformer.h"
#include "radlite/encoder.h"
#include "radlite/tokenizer.h"

namespace radlite {

class BiEncoder::Impl {
 public:
  model::BiEncoderLayout layout;
  std::unique_ptr<model::TransformerEncoder> encoder;
  std::shared_ptr<const Tokenizer> tokenizer;
  std::size_t batch_size = 32;
  std::size_t max_batch_tokens = 8192;
  std::size_t max_length = 0;
  bool normalize = false;
  std::string dir;
  std::vector<std::string> weight_files;
  std::size_t dimension = 0;
  // The weights' hash is computed on first use: hashing a large checkpoint would double the load time.
  mutable std::once_flag identity_once;
  mutable std::string identity;

  /// Embeddings of `ids` in input order. When `token_states` is given it receives each row's last hidden state
  /// ([length x hidden], row-major) before pooling.
  Matrix embed(const std::vector<std::vector<std::int32_t>>& ids, const model::Perturbation& perturb,
               std::vector<Matrix>* token_states = nullptr) const;
};

class CrossEncoder::Impl {
 public:
  std::unique_ptr<model::TransformerEncoder> encoder;
  std::shared_ptr<const Tokenizer> tokenizer;
  // BERT: pooler (dense + tanh) then classifier. RoBERTa: classifier.dense + tanh then classifier.out_proj.
  at::Tensor head_dense_w, head_dense_b, head_out_w, head_out_b;
  std::size_t num_labels = 1;
  std::size_t batch_size = 32;
  std::size_t max_batch_tokens = 8192;
  std::size_t max_length = 0;
  std::string dir;
  std::vector<std::string> weight_files;
  mutable std::once_flag identity_once;
  mutable std::string identity;

  std::vector<std::vector<float>> logits(const std::vector<TokenizedPair>& pairs,
                                         const model::Perturbation& perturb) const;
};

namespace model {

/// "<directory name> sha256:<16 hex>" over the checkpoint's weight files, in order.
std::string model_identity(const std::string& dir, const std::vector<std::string>& weight_files);

/// Loads the tokenizer of a model directory (defined with the text path, encode_text.cpp).
std::shared_ptr<const Tokenizer> load_tokenizer(const std::string& dir);

}  // namespace model
}  // namespace radlite
