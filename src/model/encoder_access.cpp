// The test-only seam of encoder_access.h: the production pieces (make_batch, TransformerEncoder::forward, the
// Impl heads) composed around an edited Batch.
#include "model/encoder_access.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <cstring>

#include "model/encoder_impl.h"

namespace radlite::model {

namespace {

// The forward pass's inputs after the deliberate mistakes. The real mask is kept in `batch` for pooling.
Batch perturbed(const Batch& batch, const Perturbation& p, const EncoderConfig& config) {
  Batch b = batch;
  if (p.shift_positions) b.positions = at::clamp_max(b.positions + 1, config.max_position_embeddings - 1);
  if (p.drop_token_types) b.type_ids = at::Tensor();
  if (p.ignore_attention_mask) b.mask = at::ones_like(b.mask);
  return b;
}

std::vector<const std::vector<std::int32_t>*> row_pointers(const std::vector<std::vector<std::int32_t>>& ids) {
  std::vector<const std::vector<std::int32_t>*> rows;
  for (const auto& r : ids) rows.push_back(&r);
  return rows;
}

Matrix to_matrix(const at::Tensor& t) {
  const at::Tensor host = t.to(at::kCPU, at::kFloat).contiguous();
  Matrix m(static_cast<std::size_t>(host.size(0)), static_cast<std::size_t>(host.size(1)));
  if (host.numel()) std::memcpy(m.data(), host.data_ptr<float>(), m.size() * sizeof(float));
  return m;
}

}  // namespace

Matrix EncoderAccess::embed(const BiEncoder& encoder, const std::vector<std::vector<std::int32_t>>& ids,
                            const Perturbation& perturb) {
  const auto& impl = BiEncoder::Impl::of(encoder);
  const auto& cfg = impl.encoder->config();
  validate_rows(ids, impl.max_length, cfg, "sequence");
  c10::InferenceMode guard;
  const Batch batch = make_batch(row_pointers(ids), {}, cfg, impl.encoder->placement());
  return to_matrix(impl.pool(impl.encoder->forward(perturbed(batch, perturb, cfg), impl.pooled_rows()), batch.mask));
}

std::vector<Matrix> EncoderAccess::token_states(const BiEncoder& encoder,
                                                const std::vector<std::vector<std::int32_t>>& ids,
                                                const Perturbation& perturb) {
  const auto& impl = BiEncoder::Impl::of(encoder);
  const auto& cfg = impl.encoder->config();
  validate_rows(ids, impl.max_length, cfg, "sequence");
  c10::InferenceMode guard;
  const Batch batch = make_batch(row_pointers(ids), {}, cfg, impl.encoder->placement());
  const at::Tensor states = impl.encoder->forward(perturbed(batch, perturb, cfg));
  std::vector<Matrix> out;
  for (std::size_t i = 0; i < ids.size(); ++i)
    out.push_back(
        to_matrix(states[static_cast<std::int64_t>(i)].narrow(0, 0, static_cast<std::int64_t>(ids[i].size()))));
  return out;
}

namespace {

Batch pair_batch(const CrossEncoder::Impl& impl, const std::vector<TokenizedPair>& pairs) {
  const auto& cfg = impl.encoder->config();
  impl.validate(pairs);
  std::vector<const std::vector<std::int32_t>*> rows, types;
  bool any_types = false;
  for (const auto& p : pairs) {
    rows.push_back(&p.ids);
    types.push_back(p.type_ids.empty() ? nullptr : &p.type_ids);
    any_types = any_types || !p.type_ids.empty();
  }
  if (!any_types || cfg.roberta_like()) types.clear();
  return make_batch(rows, types, cfg, impl.encoder->placement());
}

}  // namespace

std::vector<std::vector<float>> EncoderAccess::logits(const CrossEncoder& encoder,
                                                      const std::vector<TokenizedPair>& pairs,
                                                      const Perturbation& perturb) {
  const auto& impl = CrossEncoder::Impl::of(encoder);
  c10::InferenceMode guard;
  const Batch batch = pair_batch(impl, pairs);
  const Matrix l =
      to_matrix(impl.head(impl.encoder->forward(perturbed(batch, perturb, impl.encoder->config()), OutputRows::First)));
  std::vector<std::vector<float>> out;
  for (std::size_t i = 0; i < l.rows(); ++i) out.emplace_back(l.row(i), l.row(i) + l.cols());
  return out;
}

Matrix EncoderAccess::first_states(const CrossEncoder& encoder, const std::vector<TokenizedPair>& pairs,
                                   bool first_only) {
  const auto& impl = CrossEncoder::Impl::of(encoder);
  c10::InferenceMode guard;
  const at::Tensor states =
      impl.encoder->forward(pair_batch(impl, pairs), first_only ? OutputRows::First : OutputRows::All);
  return to_matrix(states.select(1, 0));
}

}  // namespace radlite::model
