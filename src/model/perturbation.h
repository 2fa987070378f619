// Deliberate mistakes the forward pass can be asked to make, so parity tests can show they would catch them.
// Internal to radlite (tests only); the public API always runs the correct forward pass.
#pragma once

namespace radlite::model {

struct Perturbation {
  bool shift_positions = false;        // position ids + 1 (an off-by-one in the RoBERTa offset)
  bool drop_token_types = false;       // all token_type_ids 0 (BERT pairs lose their second segment)
  bool ignore_attention_mask = false;  // padded keys take part in attention

  bool any() const { return shift_positions || drop_token_types || ignore_attention_mask; }
};

}  // namespace radlite::model
