#include "model/transformer.h"

#include <ATen/Context.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>

#include "radlite/error.h"

namespace radlite::model {

namespace {

std::string shape_string(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

at::Tensor layer_norm(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, double eps) {
  return at::layer_norm(x, {x.size(-1)}, w, b, eps);
}

at::Tensor activate(const at::Tensor& x, Activation a) {
  switch (a) {
    case Activation::GeluErf: return at::gelu(x);
    case Activation::GeluTanh: return at::gelu(x, "tanh");
    case Activation::Relu: return at::relu(x);
    case Activation::Silu: return at::silu(x);
  }
  return x;
}

}  // namespace

Placement resolve_placement(const std::string& device, DType dtype) {
  Placement p;
  try {
    p.device = at::Device(device);
  } catch (const std::exception&) {
    throw InvalidArgument("device '" + device + "' is not valid (use cpu, cuda or cuda:N)");
  }
  if (p.device.is_cuda()) {
    if (!at::hasCUDA()) throw InvalidArgument("device '" + device + "': this libtorch build has no usable CUDA device");
  } else if (!p.device.is_cpu()) {
    throw InvalidArgument("device '" + device + "' is not supported (use cpu, cuda or cuda:N)");
  }
  switch (dtype) {
    case DType::F32: p.dtype = at::kFloat; break;
    case DType::BF16: p.dtype = at::kBFloat16; break;
    case DType::F16:
      if (p.device.is_cpu())
        throw InvalidArgument("dtype float16 needs a CUDA device (libtorch has no float16 GEMM on CPU); "
                              "use bfloat16 or float32 on CPU");
      p.dtype = at::kHalf;
      break;
  }
  return p;
}

at::Tensor load_weight(const io::Checkpoint& ckpt, const std::string& name, const std::vector<std::int64_t>& shape,
                       const Placement& placement) {
  const io::TensorView* t = ckpt.find(name);
  if (!t) throw ModelError(ckpt.description() + ": missing tensor '" + name + "'");
  const std::string where = ckpt.source_of(name) + ": tensor '" + name + "'";
  if (t->shape != shape)
    throw ModelError(where + ": expected shape " + shape_string(shape) + " (from config.json), got " +
                     shape_string(t->shape));
  at::ScalarType src;
  switch (t->dtype) {
    case io::TensorDType::F32: src = at::kFloat; break;
    case io::TensorDType::F16: src = at::kHalf; break;
    case io::TensorDType::BF16: src = at::kBFloat16; break;
    default:
      throw ModelError(where + ": unsupported dtype " + io::dtype_name(t->dtype) + " (weights must be F32, F16 or BF16)");
  }
  // Copy out of the mapping: its data need not be aligned, and the model must not depend on the file staying open.
  at::Tensor host = at::empty(shape, at::TensorOptions().dtype(src));
  if (t->nbytes) std::memcpy(host.data_ptr(), t->data, t->nbytes);
  return host.to(placement.device, placement.dtype).contiguous();
}

std::string detect_prefix(const io::Checkpoint& ckpt, const EncoderConfig& config) {
  for (std::string prefix : {std::string(), std::string(config.base_prefix())})
    if (ckpt.find(prefix + "embeddings.word_embeddings.weight")) return prefix;
  throw ModelError(ckpt.description() + ": missing tensor 'embeddings.word_embeddings.weight' (also looked for '" +
                   config.base_prefix() + "embeddings.word_embeddings.weight')");
}

TransformerEncoder::TransformerEncoder(const io::Checkpoint& ckpt, const EncoderConfig& config,
                                       const std::string& prefix, const Placement& placement)
    : config_(config), placement_(placement) {
  const std::int64_t H = config.hidden_size, I = config.intermediate_size;
  auto w = [&](const std::string& name, const std::vector<std::int64_t>& shape) {
    return load_weight(ckpt, prefix + name, shape, placement);
  };
  word_ = w("embeddings.word_embeddings.weight", {config.vocab_size, H});
  position_ = w("embeddings.position_embeddings.weight", {config.max_position_embeddings, H});
  token_type_ = w("embeddings.token_type_embeddings.weight", {config.type_vocab_size, H});
  emb_ln_w_ = w("embeddings.LayerNorm.weight", {H});
  emb_ln_b_ = w("embeddings.LayerNorm.bias", {H});
  for (std::int64_t i = 0; i < config.num_layers; ++i) {
    const std::string p = "encoder.layer." + std::to_string(i) + ".";
    Layer l;
    l.qkv_w = at::cat({w(p + "attention.self.query.weight", {H, H}), w(p + "attention.self.key.weight", {H, H}),
                       w(p + "attention.self.value.weight", {H, H})})
                  .contiguous();
    l.qkv_b = at::cat({w(p + "attention.self.query.bias", {H}), w(p + "attention.self.key.bias", {H}),
                       w(p + "attention.self.value.bias", {H})})
                  .contiguous();
    l.attn_out_w = w(p + "attention.output.dense.weight", {H, H});
    l.attn_out_b = w(p + "attention.output.dense.bias", {H});
    l.attn_ln_w = w(p + "attention.output.LayerNorm.weight", {H});
    l.attn_ln_b = w(p + "attention.output.LayerNorm.bias", {H});
    l.inter_w = w(p + "intermediate.dense.weight", {I, H});
    l.inter_b = w(p + "intermediate.dense.bias", {I});
    l.out_w = w(p + "output.dense.weight", {H, I});
    l.out_b = w(p + "output.dense.bias", {H});
    l.out_ln_w = w(p + "output.LayerNorm.weight", {H});
    l.out_ln_b = w(p + "output.LayerNorm.bias", {H});
    layers_.push_back(std::move(l));
  }
}

at::Tensor TransformerEncoder::forward(const Batch& batch, const Perturbation& perturb) const {
  const auto& c = config_;
  const std::int64_t B = batch.ids.size(0), L = batch.ids.size(1);
  const std::int64_t H = c.hidden_size, nh = c.num_heads, dh = H / nh;

  at::Tensor positions;
  if (c.roberta_like()) {
    // transformers derives RoBERTa positions from the ids, not the attention mask: every non-pad token counts,
    // pads (including a literal pad id inside the text) sit at padding_idx.
    at::Tensor not_pad = batch.ids.ne(c.pad_token_id).to(at::kLong);
    positions = at::cumsum(not_pad, 1) * not_pad + c.pad_token_id;
  } else {
    positions = at::arange(L, at::TensorOptions().dtype(at::kLong).device(placement_.device)).unsqueeze(0).expand({B, L});
  }
  if (perturb.shift_positions) positions = at::clamp_max(positions + 1, c.max_position_embeddings - 1);

  at::Tensor x = at::embedding(word_, batch.ids);
  if (c.roberta_like() || !batch.type_ids.defined() || perturb.drop_token_types)
    x = x + token_type_[0];  // one segment: every token gets type 0
  else
    x = x + at::embedding(token_type_, batch.type_ids);
  x = x + at::embedding(position_, positions);
  x = layer_norm(x, emb_ln_w_, emb_ln_b_, c.layer_norm_eps);

  // Additive mask as transformers builds it: 0 for real keys, the dtype's lowest value for padded ones.
  at::Tensor additive;
  if (!perturb.ignore_attention_mask) {
    // Each dtype's own lowest value, as finfo(dtype).min: float's would overflow half / bfloat16 to -inf.
    const double lowest = placement_.dtype == at::kFloat  ? static_cast<double>(std::numeric_limits<float>::lowest())
                          : placement_.dtype == at::kHalf ? -65504.0
                                                          : -3.3895313892515355e38;
    additive = (1 - batch.mask).to(placement_.dtype) * lowest;
    additive = additive.view({B, 1, 1, L});
  }
  const double scale = 1.0 / std::sqrt(static_cast<double>(dh));

  for (const Layer& l : layers_) {
    at::Tensor qkv = at::linear(x, l.qkv_w, l.qkv_b).view({B, L, 3, nh, dh}).permute({2, 0, 3, 1, 4});
    at::Tensor q = qkv[0], k = qkv[1], v = qkv[2];  // [B, nh, L, dh]
    at::Tensor scores = at::matmul(q, k.transpose(-1, -2)) * scale;
    if (additive.defined()) scores = scores + additive;
    at::Tensor probs = placement_.dtype == at::kFloat ? at::softmax(scores, -1)
                                                      : at::softmax(scores, -1, at::kFloat).to(placement_.dtype);
    at::Tensor ctx = at::matmul(probs, v).permute({0, 2, 1, 3}).reshape({B, L, H});
    x = layer_norm(at::linear(ctx, l.attn_out_w, l.attn_out_b) + x, l.attn_ln_w, l.attn_ln_b, c.layer_norm_eps);
    at::Tensor h = activate(at::linear(x, l.inter_w, l.inter_b), c.activation);
    x = layer_norm(at::linear(h, l.out_w, l.out_b) + x, l.out_ln_w, l.out_ln_b, c.layer_norm_eps);
  }
  return x;
}

Batch make_batch(const std::vector<const std::vector<std::int32_t>*>& rows,
                 const std::vector<const std::vector<std::int32_t>*>& type_rows, std::int64_t pad_id,
                 const Placement& placement) {
  const auto B = static_cast<std::int64_t>(rows.size());
  std::int64_t L = 0;
  for (const auto* r : rows) L = std::max<std::int64_t>(L, static_cast<std::int64_t>(r->size()));
  Batch b;
  at::Tensor ids = at::full({B, L}, pad_id, at::kLong);
  at::Tensor mask = at::zeros({B, L}, at::kLong);
  at::Tensor types;
  const bool with_types = !type_rows.empty();
  if (with_types) types = at::zeros({B, L}, at::kLong);
  auto ia = ids.accessor<std::int64_t, 2>();
  auto ma = mask.accessor<std::int64_t, 2>();
  for (std::int64_t i = 0; i < B; ++i) {
    const auto& r = *rows[static_cast<std::size_t>(i)];
    for (std::size_t j = 0; j < r.size(); ++j) {
      ia[i][static_cast<std::int64_t>(j)] = r[j];
      ma[i][static_cast<std::int64_t>(j)] = 1;
    }
    b.lengths.push_back(static_cast<std::int64_t>(r.size()));
    if (with_types && type_rows[static_cast<std::size_t>(i)]) {
      auto ta = types.accessor<std::int64_t, 2>();
      const auto& t = *type_rows[static_cast<std::size_t>(i)];
      for (std::size_t j = 0; j < t.size(); ++j) ta[i][static_cast<std::int64_t>(j)] = t[j];
    }
  }
  // One host-to-device copy per pass, before the layer loop.
  b.ids = ids.to(placement.device);
  b.mask = mask.to(placement.device);
  if (with_types) b.type_ids = types.to(placement.device);
  return b;
}

void validate_rows(const std::vector<std::vector<std::int32_t>>& rows, std::size_t max_len,
                   const EncoderConfig& config, const char* what) {
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    if (r.empty()) throw InvalidArgument(std::string(what) + " " + std::to_string(i) + " is empty");
    if (r.size() > max_len)
      throw InvalidArgument(std::string(what) + " " + std::to_string(i) + " has " + std::to_string(r.size()) +
                            " tokens, more than max_length " + std::to_string(max_len));
    for (std::size_t j = 0; j < r.size(); ++j)
      if (r[j] < 0 || r[j] >= config.vocab_size)
        throw InvalidArgument(std::string(what) + " " + std::to_string(i) + ": token id " + std::to_string(r[j]) +
                              " at position " + std::to_string(j) + " is outside the vocabulary [0, " +
                              std::to_string(config.vocab_size) + ")");
  }
}

std::vector<std::size_t> length_order(const std::vector<std::size_t>& lengths) {
  std::vector<std::size_t> order(lengths.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return lengths[a] > lengths[b]; });
  return order;
}

}  // namespace radlite::model
