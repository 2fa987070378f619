// CrossEncoder: loading a *ForSequenceClassification directory and scoring tokenized pairs (the text path is in
// encode_text.cpp).
#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "io/safetensors.h"
#include "model/encoder_impl.h"
#include "model/fingerprint.h"
#include "model/runtime_default.h"
#include "radlite/error.h"
#include "radlite/retrieval/calibration.h"

namespace radlite {

void CrossEncoder::Impl::validate(const std::vector<TokenizedPair>& pairs) const {
  const auto& cfg = encoder->config();
  std::vector<std::vector<std::int32_t>> ids;
  ids.reserve(pairs.size());
  for (const auto& p : pairs) ids.push_back(p.ids);
  model::validate_rows(ids, max_length, cfg, "pair");
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    const auto& t = pairs[i].type_ids;
    if (t.empty()) continue;
    if (t.size() != pairs[i].ids.size())
      throw InvalidArgument("pair " + std::to_string(i) + ": " + std::to_string(t.size()) + " token_type_ids for " +
                            std::to_string(pairs[i].ids.size()) + " ids");
    // RoBERTa-style models have one segment type; their tokenizers give no type ids and any given are ignored.
    if (!cfg.roberta_like())
      for (auto v : t)
        if (v < 0 || v >= cfg.type_vocab_size)
          throw InvalidArgument("pair " + std::to_string(i) + ": token_type_id " + std::to_string(v) +
                                " is outside [0, " + std::to_string(cfg.type_vocab_size) + ")");
  }
}

at::Tensor CrossEncoder::Impl::head(const at::Tensor& states) const {
  at::Tensor first = states.select(1, 0);  // [CLS] / <s>
  at::Tensor h = at::tanh(at::linear(first, head_dense_w, head_dense_b));
  return at::linear(h, head_out_w, head_out_b).to(at::kCPU, at::kFloat).contiguous();
}

std::vector<std::vector<float>> CrossEncoder::Impl::logits(const std::vector<TokenizedPair>& pairs) const {
  validate(pairs);
  const auto& cfg = encoder->config();
  std::vector<std::vector<float>> out(pairs.size());
  if (pairs.empty()) return out;
  c10::InferenceMode guard;
  std::vector<std::size_t> lengths;
  for (const auto& p : pairs) lengths.push_back(p.ids.size());
  const auto order = model::length_order(lengths);
  for (const auto& [start, end] : model::plan_passes(order, lengths, batch_size, max_batch_tokens)) {
    std::vector<const std::vector<std::int32_t>*> rows, types;
    bool any_types = false;
    for (std::size_t i = start; i < end; ++i) {
      rows.push_back(&pairs[order[i]].ids);
      const auto& t = pairs[order[i]].type_ids;
      types.push_back(t.empty() ? nullptr : &t);
      any_types = any_types || !t.empty();
    }
    if (!any_types || cfg.roberta_like()) types.clear();
    const model::Batch batch = model::make_batch(rows, types, cfg, encoder->placement());
    const at::Tensor l = head(encoder->forward(batch, model::OutputRows::First));
    model::require_finite_output(l, "logits", order, start, end);
    for (std::size_t i = start; i < end; ++i) {
      const float* p = l[static_cast<std::int64_t>(i - start)].data_ptr<float>();
      out[order[i]].assign(p, p + num_labels);
    }
  }
  return out;
}

CrossEncoder::CrossEncoder(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
CrossEncoder::~CrossEncoder() = default;

CrossEncoder CrossEncoder::load(const std::string& dir, const CrossEncoderOptions& options) {
  const DeviceOptions& compute = options.compute;
  if (compute.batch_size == 0) throw InvalidArgument("CrossEncoderOptions.compute.batch_size must be at least 1");
  const model::Placement placement = model::resolve_placement(compute.device, compute.dtype);
  model::apply_default_threads();
  const model::EncoderConfig config = model::read_encoder_config(dir);
  const io::Checkpoint ckpt = io::Checkpoint::open_directory(dir);
  auto impl = std::make_shared<Impl>();

  // The classifier's shape gives the number of labels; config.json's id2label must agree when present.
  const bool bert = !config.roberta_like();
  const std::string out_name = bert ? "classifier.weight" : "classifier.out_proj.weight";
  const io::TensorView& out_w = ckpt.require(out_name);
  if (out_w.shape.size() != 2 || out_w.shape[0] < 1)
    throw ModelError(ckpt.source_of(out_name) + ": tensor '" + out_name + "' must be [num_labels, hidden]");
  const std::int64_t labels = out_w.shape[0];
  if (config.num_labels && *config.num_labels != labels)
    throw ModelError(config.path + ": " + std::to_string(*config.num_labels) + " labels (id2label), but '" + out_name +
                     "' has " + std::to_string(labels) + " rows");

  {
    c10::InferenceMode guard;
    // A classification checkpoint stores the base model under bert. / roberta.; accept a bare one too.
    impl->encoder =
        std::make_unique<model::TransformerEncoder>(ckpt, config, model::detect_prefix(ckpt, config), placement);
    const std::int64_t H = config.hidden_size;
    const std::string prefix = model::detect_prefix(ckpt, config);
    const std::string dense = bert ? prefix + "pooler.dense." : "classifier.dense.";
    const std::string out = bert ? "classifier." : "classifier.out_proj.";
    impl->head_dense_w = model::load_weight(ckpt, dense + "weight", {H, H}, placement);
    impl->head_dense_b = model::load_weight(ckpt, dense + "bias", {H}, placement);
    impl->head_out_w = model::load_weight(ckpt, out + "weight", {labels, H}, placement);
    impl->head_out_b = model::load_weight(ckpt, out + "bias", {labels}, placement);
  }
  const std::size_t limit = static_cast<std::size_t>(config.max_tokens());
  if (compute.max_length > limit)
    throw InvalidArgument(dir + ": max_length " + std::to_string(compute.max_length) +
                          " exceeds the model's limit of " + std::to_string(limit) + " tokens");
  impl->max_length = compute.max_length ? compute.max_length : model::resolve_plain_max_length(dir, config);
  impl->num_labels = static_cast<std::size_t>(labels);
  impl->batch_size = compute.batch_size;
  impl->max_batch_tokens = compute.max_batch_tokens;
  impl->weight_files = ckpt.files();
  impl->tokenizer = model::load_tokenizer(dir);
  impl->tokenizer_files = model::tokenizer_files(dir);
  impl->identity_label = config.model_type + " cross-encoder";
  impl->identity_settings = model::describe_config(config) + " prefix=" + model::detect_prefix(ckpt, config) +
                            " labels=" + std::to_string(labels) + " max_length=" + std::to_string(impl->max_length);
  return CrossEncoder(std::move(impl));
}

std::vector<std::vector<float>> CrossEncoder::logits_ids(const std::vector<TokenizedPair>& pairs) const {
  return impl_->logits(pairs);
}

std::vector<float> CrossEncoder::probabilities(const std::vector<float>& logits, double temperature) {
  // One implementation of the calibration for the whole library: the retrieval module's.
  if (logits.empty()) throw InvalidArgument("CrossEncoder::probabilities: no logits");
  CalibrationOptions options;
  options.temperature = temperature;
  return logits.size() == 1 ? radlite::calibrate(logits, options) : radlite::softmax(logits, options);
}

std::size_t CrossEncoder::num_labels() const { return impl_->num_labels; }
std::size_t CrossEncoder::max_length() const { return impl_->max_length; }

std::string CrossEncoder::identity() const {
  std::call_once(impl_->identity_once, [&] {
    impl_->identity = model::fingerprint(impl_->identity_label, impl_->identity_settings, impl_->weight_files,
                                         impl_->tokenizer_files);
  });
  return impl_->identity;
}

}  // namespace radlite

namespace radlite::model {

const Tokenizer* tokenizer_of(const CrossEncoder& encoder) { return CrossEncoder::Impl::of(encoder).tokenizer.get(); }

bool roberta_style(const CrossEncoder& encoder) {
  return CrossEncoder::Impl::of(encoder).encoder->config().roberta_like();
}

}  // namespace radlite::model
