// The loaded state behind BiEncoder and CrossEncoder (internal; ATen).
//
// Impl is a nested class of the public one, so Impl::of() reaches a loaded model's state without the public header
// naming any friend. Production code composes make_batch -> TransformerEncoder::forward -> the head below; the
// parity tests' negative controls (model/encoder_access.h, a test-only library) compose the same pieces around a
// deliberately altered Batch.
#pragma once

#include <ATen/ATen.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "model/model_config.h"
#include "model/text_path.h"
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
  std::size_t dimension = 0;
  // What identity() hashes (model/fingerprint.h). Hashed on first use: a large checkpoint takes a while to read.
  std::string identity_label, identity_settings;
  std::vector<std::string> weight_files, tokenizer_files;
  mutable std::once_flag identity_once;
  mutable std::string identity;

  static const Impl& of(const BiEncoder& encoder) { return *encoder.impl_; }

  /// Embeddings of `ids` in input order (validated, sorted, batched).
  Matrix embed(const std::vector<std::vector<std::int32_t>>& ids) const;
  /// Pooling (+ normalization) of one pass's last hidden states [B, L, H] under `mask` [B, L]: [B, dimension]
  /// float32 on the model's device.
  at::Tensor pool(const at::Tensor& states, const at::Tensor& mask) const;
  /// The hidden states pool() reads: only the first token's for CLS pooling alone.
  model::OutputRows pooled_rows() const {
    return layout.pooling.cls && layout.pooling.count() == 1 ? model::OutputRows::First : model::OutputRows::All;
  }
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
  std::string identity_label, identity_settings;  // as BiEncoder::Impl
  std::vector<std::string> weight_files, tokenizer_files;
  mutable std::once_flag identity_once;
  mutable std::string identity;

  static const Impl& of(const CrossEncoder& encoder) { return *encoder.impl_; }

  /// Logits of `pairs` in input order (validated, sorted, batched).
  std::vector<std::vector<float>> logits(const std::vector<TokenizedPair>& pairs) const;
  /// Checks ids and type ids of every pair (InvalidArgument naming the pair).
  void validate(const std::vector<TokenizedPair>& pairs) const;
  /// The classification head on one pass's last hidden states [B, L, H] (it reads position 0 alone, so forward
  /// runs with OutputRows::First and L is 1): [B, num_labels] float32 on the CPU.
  at::Tensor head(const at::Tensor& states) const;
};

namespace model {}  // namespace model
}  // namespace radlite
