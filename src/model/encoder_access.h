// Test-only seam: forward passes with deliberate mistakes, and token-level states, on a loaded encoder. The parity
// tests use them to show that their tolerances would catch a wrong forward pass. Compiled into
// radlite_model_testing (not into radlite, not installed); production code never includes this file. No torch
// types here.
#pragma once

#include <cstdint>
#include <vector>

#include "radlite/encoder.h"

namespace radlite::model {

/// Deliberate mistakes, each an edit of the batch the forward pass reads.
struct Perturbation {
  bool shift_positions = false;        // position ids + 1 (an off-by-one in the RoBERTa offset)
  bool drop_token_types = false;       // all token_type_ids 0 (BERT pairs lose their second segment)
  bool ignore_attention_mask = false;  // padded keys take part in attention (pooling still uses the real mask)
};

/// All rows run in ONE padded pass (so padding is present whenever lengths differ), then the edit is applied.
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
  /// Each pair's last hidden state at its first token ([CLS]), [pairs x hidden]: from a forward pass that computes
  /// every token's (first_only false) or one whose last layer runs on the first rows alone (OutputRows::First, what
  /// CrossEncoder uses).
  static Matrix first_states(const CrossEncoder& encoder, const std::vector<TokenizedPair>& pairs, bool first_only);
};

}  // namespace radlite::model
