// BiEncoder: loading a sentence-transformers directory and encoding ids (the text path is in encode_text.cpp).
#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cstring>

#include "io/safetensors.h"
#include "model/encoder_impl.h"
#include "model/fingerprint.h"
#include "model/runtime_default.h"
#include "radlite/error.h"

namespace radlite {

namespace {

// Pooling as sentence-transformers' Pooling module computes it, on float32 token states [B, L, H].
at::Tensor pool_states(const at::Tensor& states, const at::Tensor& mask_long, const model::PoolingConfig& p) {
  const at::Tensor mask = mask_long.to(at::kFloat).unsqueeze(-1);  // [B, L, 1]
  std::vector<at::Tensor> parts;
  if (p.cls) parts.push_back(states.select(1, 0));
  if (p.max) parts.push_back(std::get<0>(states.masked_fill(mask.eq(0), -1e9).max(1)));
  if (p.mean || p.mean_sqrt_len) {
    at::Tensor sum = (states * mask).sum(1);
    at::Tensor count = mask.sum(1).clamp_min(1e-9);
    if (p.mean) parts.push_back(sum / count);
    if (p.mean_sqrt_len) parts.push_back(sum / count.sqrt());
  }
  if (p.weighted_mean) {
    at::Tensor w = at::arange(1, states.size(1) + 1, states.options()).view({1, -1, 1}) * mask;
    parts.push_back((states * w).sum(1) / w.sum(1).clamp_min(1e-9));
  }
  if (p.last_token) {
    // Sequences are right-padded: the last real token sits at length - 1.
    at::Tensor last = (mask_long.sum(1) - 1).clamp_min(0).view({-1, 1, 1}).expand({-1, 1, states.size(2)});
    parts.push_back(states.gather(1, last).squeeze(1));
  }
  return parts.size() == 1 ? parts.front() : at::cat(parts, 1);
}

}  // namespace

at::Tensor BiEncoder::Impl::pool(const at::Tensor& states, const at::Tensor& mask) const {
  at::Tensor pooled = pool_states(states.to(at::kFloat), mask, layout.pooling);
  if (normalize) pooled = pooled / pooled.norm(2, {1}, true).clamp_min(1e-12);
  return pooled;
}

Matrix BiEncoder::Impl::embed(const std::vector<std::vector<std::int32_t>>& ids) const {
  const auto& cfg = encoder->config();
  model::validate_rows(ids, max_length, cfg, "sequence");
  Matrix out(ids.size(), dimension);
  if (ids.empty()) return out;

  c10::InferenceMode guard;
  std::vector<std::size_t> lengths;
  for (const auto& r : ids) lengths.push_back(r.size());
  const auto order = model::length_order(lengths);
  for (const auto& [start, end] : model::plan_passes(order, lengths, batch_size, max_batch_tokens)) {
    std::vector<const std::vector<std::int32_t>*> rows;
    for (std::size_t i = start; i < end; ++i) rows.push_back(&ids[order[i]]);
    const model::Batch batch = model::make_batch(rows, {}, cfg, encoder->placement());
    const at::Tensor pooled = pool(encoder->forward(batch, pooled_rows()), batch.mask).to(at::kCPU).contiguous();
    model::require_finite_output(pooled, "embeddings", order, start, end);
    for (std::size_t i = start; i < end; ++i)
      std::memcpy(out.row(order[i]), pooled[static_cast<std::int64_t>(i - start)].data_ptr<float>(),
                  dimension * sizeof(float));
  }
  return out;
}

BiEncoder::BiEncoder(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
BiEncoder::~BiEncoder() = default;

BiEncoder BiEncoder::load(const std::string& dir, const BiEncoderOptions& options) {
  const DeviceOptions& compute = options.compute;
  if (compute.batch_size == 0) throw InvalidArgument("BiEncoderOptions.compute.batch_size must be at least 1");
  const model::Placement placement = model::resolve_placement(compute.device, compute.dtype);
  model::apply_default_threads();
  auto impl = std::make_shared<Impl>();
  impl->layout = model::read_bi_encoder_layout(dir);
  const std::string& tdir = impl->layout.transformer_dir;
  const model::EncoderConfig config = model::read_encoder_config(tdir);
  const io::Checkpoint ckpt = io::Checkpoint::open_directory(tdir);

  {
    c10::InferenceMode guard;
    impl->encoder =
        std::make_unique<model::TransformerEncoder>(ckpt, config, model::detect_prefix(ckpt, config), placement);
  }
  const std::size_t limit = static_cast<std::size_t>(config.max_tokens());
  if (compute.max_length > limit)
    throw InvalidArgument(dir + ": max_length " + std::to_string(compute.max_length) +
                          " exceeds the model's limit of " + std::to_string(limit) + " tokens (" + config.path +
                          " max_position_embeddings)");
  impl->max_length = compute.max_length ? compute.max_length : impl->layout.max_seq_length;
  impl->batch_size = compute.batch_size;
  impl->max_batch_tokens = compute.max_batch_tokens;
  impl->normalize = options.normalize.value_or(impl->layout.normalize);
  impl->dimension =
      static_cast<std::size_t>(config.hidden_size) * static_cast<std::size_t>(impl->layout.pooling.count());
  impl->weight_files = ckpt.files();
  impl->tokenizer = model::load_tokenizer(tdir);
  impl->tokenizer_files = model::tokenizer_files(tdir);
  impl->identity_label = config.model_type + " bi-encoder";
  impl->identity_settings =
      model::describe_config(config) + " pooling=" + model::describe_pooling(impl->layout.pooling) +
      " normalize=" + (impl->normalize ? "1" : "0") + " max_length=" + std::to_string(impl->max_length);
  return BiEncoder(std::move(impl));
}

Matrix BiEncoder::encode_ids(const std::vector<std::vector<std::int32_t>>& ids) const { return impl_->embed(ids); }

std::size_t BiEncoder::dimension() const { return impl_->dimension; }
std::size_t BiEncoder::max_length() const { return impl_->max_length; }
bool BiEncoder::normalizes() const { return impl_->normalize; }

std::string BiEncoder::identity() const {
  std::call_once(impl_->identity_once, [&] {
    impl_->identity = model::fingerprint(impl_->identity_label, impl_->identity_settings, impl_->weight_files,
                                         impl_->tokenizer_files);
  });
  return impl_->identity;
}

}  // namespace radlite

namespace radlite::model {

const Tokenizer* tokenizer_of(const BiEncoder& encoder) { return BiEncoder::Impl::of(encoder).tokenizer.get(); }

}  // namespace radlite::model
