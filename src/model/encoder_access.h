// Internal access to loaded encoders: forward passes with deliberate perturbations and token-level states, for
// parity tests that must show they can fail. No torch types; not part of the public API.
#pragma once

#include <cstdint>
#include <vector>

#include "model/perturbation.h"
#include "radlite/encoder.h"

namespace radlite::model {

struct EncoderAccess {
  /// BiEncoder::encode_ids with a perturbed forward pass.
  static Matrix embed(const BiEncoder& encoder, const std::vector<std::vector<std::int32_t>>& ids,
                      const Perturbation& perturb);
  /// Each row's last hidden state ([length x hidden]) before pooling.
  static std::vector<Matrix> token_states(const BiEncoder& encoder, const std::vector<std::vector<std::int32_t>>& ids,
                                          const Perturbation& perturb);
  /// CrossEncoder::logits_ids with a perturbed forward pass.
  static std::vector<std::vector<float>> logits(const CrossEncoder& encoder, const std::vector<TokenizedPair>& pairs,
                                                const Perturbation& perturb);
  /// The loaded tokenizer.
  static const Tokenizer* tokenizer(const BiEncoder& encoder);
  static const Tokenizer* tokenizer(const CrossEncoder& encoder);
  /// True for RoBERTa / XLM-RoBERTa (</s></s> between segments, one segment type), false for BERT.
  static bool roberta_style(const CrossEncoder& encoder);
};

}  // namespace radlite::model
