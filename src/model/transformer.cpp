#include "model/transformer.h"

#include <ATen/Context.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <numeric>

#include "model/attention_avx2.h"
#include "model/gelu.h"
#include "model/layer_norm.h"
#include "model/small_linear.h"
#include "radlite/error.h"

namespace radlite::model {

namespace {

// Chunk sizes (elements) of the attention scores (4 MB in float32; only the ATen attention path keeps them) and of
// the FFN intermediate (64 MB). Each FFN chunk is two GEMMs, and OpenBLAS repacks the whole weight matrix (9.4 MB
// for a base model's) on every call: with 1M-element chunks (341 rows of 3,072) that repacking and the shorter
// GEMMs cost RoBERTa-base 11% of its throughput at 32x128 and 8x512 (885-897 against 989-994 tokens/s in
// alternating runs of bench_cpu). 16M elements leaves the usual passes (up to 4,096 tokens) unchunked and still
// bounds the buffer for larger ones.
constexpr std::int64_t kScoreChunkElements = std::int64_t{1} << 20;
constexpr std::int64_t kFfnChunkElements = std::int64_t{1} << 24;

at::Tensor layer_norm(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, double eps) {
  return at::layer_norm(x, {x.size(-1)}, w, b, eps);
}

void activate_(at::Tensor& x, Activation a) {
  switch (a) {
    case Activation::GeluErf:
      at::gelu_(x);
      break;
    case Activation::GeluTanh:
      at::gelu_(x, "tanh");
      break;
    case Activation::Relu:
      at::relu_(x);
      break;
    case Activation::Silu:
      at::silu_(x);
      break;
  }
}

}  // namespace

TransformerEncoder::TransformerEncoder(const io::Checkpoint& ckpt, const EncoderConfig& config,
                                       const std::string& prefix, const Placement& placement)
    : config_(config),
      placement_(placement),
      small_linear_(placement.device.is_cpu() && placement.dtype == at::kFloat && small_linear_available()),
      // int8 too when its layers quantize per row (kernels Own and OneDnn, identical outputs): the smallest int8
      // embedding cosine to float32 over the 729 CancerGov answers is 0.999226 with the fused attention and with
      // ATen's. With the Torch kernel (one scale per call) the fused attention lowered it from 0.999197 to 0.998980,
      // below the 0.999 asked, so int8 on that kernel keeps ATen's attention.
      // bfloat16 models on CPUs with AMX-BF16 or AVX512-BF16 too (attention_amx.cpp, reading and writing bfloat16
      // rows; the softmax and the sums in float32, where ATen's path rounds the scores and the softmax to bfloat16).
      fused_attention_(placement.device.is_cpu() && !std::getenv("RADLITE_NO_FUSED_ATTENTION") &&
                       ((placement.dtype == at::kFloat &&
                         (!placement.int8 || Int8Linear::chosen_kernel() != Int8Kernel::Torch) &&
                         attention_avx2_available()) ||
                        (placement.dtype == at::kBFloat16 && attention_bf16_available()))),
      bf16_attention_(fused_attention_ && placement.int8 && int8_attention_bf16()) {
  const std::int64_t H = config.hidden_size, I = config.intermediate_size;
  auto w = [&](const std::string& name, const std::vector<std::int64_t>& shape) {
    return load_weight(ckpt, prefix + name, shape, placement);
  };
  word_ = w("embeddings.word_embeddings.weight", {config.vocab_size, H});
  position_ = w("embeddings.position_embeddings.weight", {config.max_position_embeddings, H});
  token_type_ = w("embeddings.token_type_embeddings.weight", {config.type_vocab_size, H});
  emb_ln_w_ = w("embeddings.LayerNorm.weight", {H});
  emb_ln_b_ = w("embeddings.LayerNorm.bias", {H});
  // transformers only warns about unused weights and runs the first num_hidden_layers; a checkpoint with more
  // layers than its config is a mismatch (a truncated or wrong config.json), and the outputs would differ from the
  // model's, so refuse it.
  if (ckpt.find(prefix + "encoder.layer." + std::to_string(config.num_layers) + ".attention.self.query.weight")) {
    std::int64_t n = config.num_layers;
    while (ckpt.find(prefix + "encoder.layer." + std::to_string(n) + ".attention.self.query.weight")) ++n;
    throw ModelError(config.path + ": num_hidden_layers is " + std::to_string(config.num_layers) + ", but " +
                     ckpt.description() + " holds " + std::to_string(n) + " layers (tensor '" + prefix +
                     "encoder.layer." + std::to_string(config.num_layers) +
                     ".attention.self.query.weight'); use the checkpoint's own config.json");
  }
  // float32 Linear layers on oneDNN (int8_dnnl.h: its own copy of the weights on AVX-512 CPUs, the encoder's on
  // AVX2 ones); RADLITE_F32_OPENBLAS keeps OpenBLAS.
  const F32DnnlMode dnnl_f32 = !placement.int8 && placement.device.is_cpu() && placement.dtype == at::kFloat
                                   ? f32_dnnl_mode()
                                   : F32DnnlMode::None;
  const bool in_place = dnnl_f32 == F32DnnlMode::InPlace;
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
    if (placement.int8) {
      l.qkv_q = std::make_shared<const Int8Linear>(l.qkv_w, l.qkv_b);
      l.attn_out_q = std::make_shared<const Int8Linear>(l.attn_out_w, l.attn_out_b);
      l.inter_q = std::make_shared<const Int8Linear>(l.inter_w, l.inter_b);
      l.out_q = std::make_shared<const Int8Linear>(l.out_w, l.out_b);
      l.qkv_w = l.attn_out_w = l.inter_w = l.out_w = at::Tensor();
    } else if (dnnl_f32 != F32DnnlMode::None) {
      // Up to kF32DnnlMaxDepth inputs (every real model's layers): measured against a double-precision reference
      // with 20,480 inputs (RandomBiEncoderChunks), oneDNN's sums erred 1.1e-5 where OpenBLAS's erred 5.0e-6.
      auto pack = [in_place](at::Tensor& w, const at::Tensor& b) {
        std::shared_ptr<const F32DnnlWeights> f;
        if (w.size(1) > kF32DnnlMaxDepth) return f;
        f.reset(f32_dnnl_pack(w.data_ptr<float>(), b.data_ptr<float>(), w.size(0), w.size(1), in_place).release(),
                F32DnnlWeightsDeleter());
        if (!in_place) w = at::Tensor();  // oneDNN holds its own copy; in place it reads w, which the layer keeps
        return f;
      };
      l.qkv_f = pack(l.qkv_w, l.qkv_b);
      l.attn_out_f = pack(l.attn_out_w, l.attn_out_b);
      l.inter_f = pack(l.inter_w, l.inter_b);
      l.out_f = pack(l.out_w, l.out_b);
    }
    layers_.push_back(std::move(l));
  }
}

at::Tensor TransformerEncoder::forward(const Batch& batch, OutputRows output_rows) const {
  const auto& c = config_;
  const std::int64_t B = batch.ids.size(0), L = batch.ids.size(1);
  const std::int64_t H = c.hidden_size, nh = c.num_heads, dh = H / nh;

  at::Tensor x = at::embedding(word_, batch.ids);
  if (c.roberta_like() || !batch.type_ids.defined())
    x = x + token_type_[0];  // one segment: every token gets type 0
  else
    x = x + at::embedding(token_type_, batch.type_ids);
  x = x + at::embedding(position_, batch.positions);
  x = layer_norm(x, emb_ln_w_, emb_ln_b_, c.layer_norm_eps);

  // Padding: the per-token layers (projections, FFN, LayerNorm) run on the real tokens only, packed row after row
  // (`real` lists their positions in [B * L]); only attention needs the padded [B, L] layout. Rows are independent
  // in those layers, so a real token's result does not change; padded positions come out as zeros.
  std::int64_t real_tokens = 0;
  for (auto n : batch.lengths) real_tokens += n;
  const bool padded = real_tokens < B * L;
  at::Tensor real;
  if (padded) {
    real = at::empty({real_tokens}, at::kLong);
    auto* r = real.data_ptr<std::int64_t>();
    for (std::int64_t b = 0; b < B; ++b)
      for (std::int64_t j = 0; j < batch.lengths[static_cast<std::size_t>(b)]; ++j) *r++ = b * L + j;
    real = real.to(placement_.device);
  }

  const double scale = 1.0 / std::sqrt(static_cast<double>(dh));

  // Work buffers, allocated once per pass and reused by every layer. Fresh large tensors per layer cost more than
  // the math: glibc serves blocks above its mmap threshold (at most 32 MB) with mmap and unmaps them on free, so
  // each one page-faults again. The attention scores and the FFN intermediate are the big ones; both are computed
  // in chunks sized to stay a few MB whatever the batch, which also keeps them in cache.
  const std::int64_t BH = B * nh, I = c.intermediate_size;
  const std::int64_t T = real_tokens;  // rows of the per-token layers
  const at::TensorOptions opts = x.options();
  x = padded ? x.view({B * L, H}).index_select(0, real) : x.view({T, H});
  at::Tensor qkv = at::empty({T, 3 * H}, opts);
  at::Tensor ctx = at::empty({T, H}, opts);
  at::Tensor sum = at::empty({T, H}, opts);  // a sublayer's output plus its residual, before LayerNorm
  // float32 on a CPU with AVX2 + FMA: the fused kernel, reading the heads in place from qkv's packed rows and
  // writing ctx's (attention_avx2.h). It takes each sequence's keys as a count: the mask must be ones then zeros,
  // as make_batch writes it, matching the lengths the rows were packed by.
  const bool bf16_rows = placement_.dtype == at::kBFloat16;
  bool fused_attention = fused_attention_ && (bf16_rows ? attention_amx_supports(dh) : attention_avx2_supports(dh));
  std::vector<std::int64_t> starts;
  if (fused_attention) {
    const at::Tensor m = batch.mask.contiguous();
    const std::int64_t* mp = m.data_ptr<std::int64_t>();
    std::int64_t start = 0;
    for (std::int64_t b = 0; b < B && fused_attention; ++b) {
      std::int64_t n = 0;
      while (n < L && mp[b * L + n] == 1) ++n;
      for (std::int64_t j = n; j < L && fused_attention; ++j) fused_attention = mp[b * L + j] == 0;
      fused_attention = fused_attention && n > 0 && n == batch.lengths[static_cast<std::size_t>(b)];
      starts.push_back(start);
      start += n;
    }
  }
  // The other path (other dtypes and devices): the padded [B * L] layout, heads copied out to [B * nh, L, dh], the
  // scores through ATen in chunks of heads. Padded keys and values stay zero (finite, and masked out).
  at::Tensor qkv_padded, ctx_padded, heads, ctx_heads, scores, probs;
  at::Tensor mask_heads;  // undefined without padding: the mask would add zeros
  const std::int64_t group = std::clamp<std::int64_t>(kScoreChunkElements / (L * L), 1, BH);
  if (!fused_attention) {
    if (padded) {
      // The additive mask as transformers builds it: 0 for real keys, the dtype's own lowest value (finfo(dtype).min:
      // float's would overflow half / bfloat16 to -inf) for padded ones; [B * nh, 1, L], repeated per head so that a
      // chunk of heads is a plain narrow.
      const double lowest = placement_.dtype == at::kFloat ? static_cast<double>(std::numeric_limits<float>::lowest())
                            : placement_.dtype == at::kHalf ? -65504.0
                                                            : -3.3895313892515355e38;
      const at::Tensor additive = ((1 - batch.mask).to(placement_.dtype) * lowest).view({B, 1, 1, L});
      mask_heads = additive.expand({B, nh, 1, L}).reshape({BH, 1, L});
    }
    qkv_padded = padded ? at::zeros({B * L, 3 * H}, opts) : qkv;
    ctx_padded = padded ? at::empty({B * L, H}, opts) : at::Tensor();
    heads = at::empty({3, BH, L, dh}, opts);  // q, k, v with each (sequence, head) contiguous
    ctx_heads = at::empty({BH, L, dh}, opts);
    scores = at::empty({group, L, L}, opts);
    probs = at::empty({group, L, L}, opts);
  }
  const std::int64_t ffn_rows = std::clamp<std::int64_t>(kFfnChunkElements / I, 1, T);
  at::Tensor inter = at::empty({ffn_rows, I}, opts);

  // GELU (erf form) for float32 on the CPU through radlite's kernel (gelu.h), fused into the int8 layers; other
  // activations, dtypes and devices through ATen.
  const bool own_gelu =
      c.activation == Activation::GeluErf && placement_.device.is_cpu() && placement_.dtype == at::kFloat;

  // out = in w^T + b, in float32 or through the layer's int8 weights, followed by GELU when `gelu`, plus `residual`
  // when defined. A few float32 rows on the CPU (a query) take the kernel that reads the weights in place
  // (small_linear.h) where the layer still holds them; more rows take oneDNN's (which applies GELU or the residual
  // as it stores the sums) or OpenBLAS's packed GEMM.
  bool small = small_linear_ && T <= kSmallLinearMaxRows;  // the last layer may have fewer rows (OutputRows::First)
  auto linear_out = [&small](at::Tensor& out, const at::Tensor& in, const at::Tensor& w, const at::Tensor& b,
                            const std::shared_ptr<const Int8Linear>& q,
                            const std::shared_ptr<const F32DnnlWeights>& f, bool gelu,
                            const at::Tensor& residual) {
    if (q) {
      q->forward_into(in, out, gelu);
      if (residual.defined()) out.add_(residual);
      return;
    }
    if (f && !(small && w.defined())) {
      const at::Tensor src = in.contiguous();
      const bool fuse_residual = residual.defined() && !gelu && residual.is_contiguous() && out.is_contiguous();
      const F32Epilogue epilogue = gelu ? F32Epilogue::Gelu : fuse_residual ? F32Epilogue::Residual : F32Epilogue::None;
      if (out.is_contiguous()) {
        f32_dnnl_linear(*f, src.data_ptr<float>(), src.size(0), out.data_ptr<float>(), epilogue,
                        fuse_residual ? residual.data_ptr<float>() : nullptr);
      } else {
        at::Tensor tmp = at::empty(out.sizes(), out.options());
        f32_dnnl_linear(*f, src.data_ptr<float>(), src.size(0), tmp.data_ptr<float>(), epilogue);
        out.copy_(tmp);
      }
      if (residual.defined() && !fuse_residual) out.add_(residual);
      return;
    }
    if (small && in.is_contiguous() && out.is_contiguous() && w.is_contiguous() && b.is_contiguous()) {
      small_linear(in.data_ptr<float>(), in.size(0), in.size(1), w.data_ptr<float>(), b.data_ptr<float>(), w.size(0),
                   out.data_ptr<float>());
    } else {
      at::addmm_out(out, b, in, w.t());
    }
    if (gelu && out.is_contiguous())
      gelu_erf_rows(out.data_ptr<float>(), out.size(0), out.size(1));
    else if (gelu)
      at::gelu_(out);
    if (residual.defined()) out.add_(residual);
  };
  const at::Tensor none;

  // x = LayerNorm(sum (+ x)): float32 on a CPU with AVX2 + FMA through radlite's kernel into x's own buffer
  // (layer_norm.h), else ATen's layer_norm (a new tensor). RADLITE_ATEN_LAYER_NORM=1 keeps ATen's.
  static const bool own_ln_env = !std::getenv("RADLITE_ATEN_LAYER_NORM");
  const bool own_ln = own_ln_env && placement_.device.is_cpu() && placement_.dtype == at::kFloat &&
                      layer_norm_avx2_available() && x.is_contiguous();
  auto norm = [&](const at::Tensor& in, bool add_x, const at::Tensor& w, const at::Tensor& b) {
    if (own_ln && in.is_contiguous() && w.is_contiguous() && b.is_contiguous()) {
      layer_norm_rows(in.data_ptr<float>(), add_x ? x.data_ptr<float>() : nullptr, in.size(0), H, w.data_ptr<float>(),
                      b.data_ptr<float>(), static_cast<float>(c.layer_norm_eps), x.data_ptr<float>());
    } else {
      x = layer_norm(add_x ? in + x : in, w, b, c.layer_norm_eps);
    }
  };

  // OutputRows::First: the last layer needs every token's keys and values but only the first rows' queries, and
  // everything after attention only for those rows (first[b] is sequence b's first row in the packed layout).
  const bool first_only = output_rows == OutputRows::First;
  std::int64_t rows = T;
  for (const Layer& l : layers_) {
    const bool narrow_layer = first_only && &l == &layers_.back();
    linear_out(qkv, x, l.qkv_w, l.qkv_b, l.qkv_q, l.qkv_f, false, none);
    if (fused_attention) {
      AttentionArgs a;
      if (bf16_rows) {
        a.q16 = reinterpret_cast<const std::uint16_t*>(qkv.data_ptr<at::BFloat16>());
        a.k16 = a.q16 + H;
        a.v16 = a.q16 + 2 * H;
        a.out16 = reinterpret_cast<std::uint16_t*>(ctx.data_ptr<at::BFloat16>());
      } else {
        a.q = qkv.data_ptr<float>();
        a.k = a.q + H;
        a.v = a.q + 2 * H;
        a.out = ctx.data_ptr<float>();
      }
      a.ld = 3 * H;
      a.ld_out = H;
      a.starts = starts.data();
      a.lengths = batch.lengths.data();
      a.heads = nh;
      a.dh = dh;
      a.scale = static_cast<float>(scale);
      a.max_length = L;
      a.bf16_products = bf16_attention_;
      a.query_rows = narrow_layer ? 1 : 0;
      attention_fused(a, B);
    } else {
      if (padded) qkv_padded.index_copy_(0, real, qkv);
      heads.view({3, B, nh, L, dh}).copy_(qkv_padded.view({B, L, 3, nh, dh}).permute({2, 0, 3, 1, 4}));
      const at::Tensor q = heads[0], k = heads[1], v = heads[2];  // [B * nh, L, dh]
      for (std::int64_t g0 = 0; g0 < BH; g0 += group) {
        const std::int64_t gn = std::min(group, BH - g0);
        at::Tensor s = scores.narrow(0, 0, gn);
        // With a mask, scores = mask + scale * q k^T in the GEMM's own epilogue: two fewer passes over the [L, L]
        // scores. Without one the scale stays a separate pass: baddbmm with beta = 0 over the uninitialized buffer
        // gave non-finite scores with libtorch 1.13 (PairScorer.ThreeLabelsRefused caught it).
        if (mask_heads.defined()) {
          at::baddbmm_out(s, mask_heads.narrow(0, g0, gn), q.narrow(0, g0, gn), k.narrow(0, g0, gn).transpose(1, 2),
                          /*beta=*/1, /*alpha=*/scale);
        } else {
          at::bmm_out(s, q.narrow(0, g0, gn), k.narrow(0, g0, gn).transpose(1, 2));
          s.mul_(scale);
        }
        at::Tensor p = probs.narrow(0, 0, gn);
        if (placement_.dtype == at::kFloat)
          at::_softmax_out(p, s, -1, false);
        else
          p.copy_(at::softmax(s, -1, at::kFloat));  // half / bfloat16: normalize in float, as transformers does
        at::Tensor out = ctx_heads.narrow(0, g0, gn);
        at::bmm_out(out, p, v.narrow(0, g0, gn));
      }
      if (padded) {
        ctx_padded.view({B, L, nh, dh}).copy_(ctx_heads.view({B, nh, L, dh}).permute({0, 2, 1, 3}));
        at::index_select_out(ctx, ctx_padded, 0, real);
      } else {
        ctx.view({B, L, nh, dh}).copy_(ctx_heads.view({B, nh, L, dh}).permute({0, 2, 1, 3}));
      }
    }
    if (narrow_layer) {
      std::vector<std::int64_t> first(static_cast<std::size_t>(B));
      for (std::int64_t b = 0, r = 0; b < B; r += batch.lengths[static_cast<std::size_t>(b)], ++b)
        first[static_cast<std::size_t>(b)] = r;
      const at::Tensor index = at::tensor(first, at::kLong).to(placement_.device);
      ctx = ctx.index_select(0, index);
      x = x.index_select(0, index);
      sum = at::empty({B, H}, opts);
      rows = B;
      small = small_linear_ && rows <= kSmallLinearMaxRows;
    }
    // int8 layers leave their residual to the LayerNorm kernel (one pass fewer over [T, H]); oneDNN's float32 layers
    // add it as they store their sums.
    const bool ln_adds = own_ln && l.attn_out_q != nullptr;
    linear_out(sum, ctx, l.attn_out_w, l.attn_out_b, l.attn_out_q, l.attn_out_f, false, ln_adds ? none : x);
    norm(sum, ln_adds, l.attn_ln_w, l.attn_ln_b);
    for (std::int64_t r0 = 0; r0 < rows; r0 += ffn_rows) {
      const std::int64_t rn = std::min(ffn_rows, rows - r0);
      at::Tensor h = inter.narrow(0, 0, rn);
      linear_out(h, x.narrow(0, r0, rn), l.inter_w, l.inter_b, l.inter_q, l.inter_f, own_gelu, none);
      if (!own_gelu) activate_(h, c.activation);
      at::Tensor out = sum.narrow(0, r0, rn);
      linear_out(out, h, l.out_w, l.out_b, l.out_q, l.out_f, false, ln_adds ? none : x.narrow(0, r0, rn));
    }
    norm(sum, ln_adds, l.out_ln_w, l.out_ln_b);
  }
  if (first_only) return x.view({B, 1, H});
  if (!padded) return x.view({B, L, H});
  return at::zeros({B * L, H}, opts).index_copy_(0, real, x).view({B, L, H});
}

Batch make_batch(const std::vector<const std::vector<std::int32_t>*>& rows,
                 const std::vector<const std::vector<std::int32_t>*>& type_rows, const EncoderConfig& config,
                 const Placement& placement) {
  const std::int64_t pad_id = config.pad_token_id;
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
  if (config.roberta_like()) {
    // transformers derives RoBERTa positions from the ids, not the attention mask: every non-pad token counts,
    // pads (including a literal pad id inside the text) sit at padding_idx.
    const at::Tensor not_pad = b.ids.ne(pad_id).to(at::kLong);
    b.positions = at::cumsum(not_pad, 1) * not_pad + pad_id;
  } else {
    b.positions =
        at::arange(L, at::TensorOptions().dtype(at::kLong).device(placement.device)).unsqueeze(0).expand({B, L});
  }
  return b;
}

void validate_rows(const std::vector<std::vector<std::int32_t>>& rows, std::size_t max_len, const EncoderConfig& config,
                   const char* what) {
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

void require_finite_output(const at::Tensor& out, const char* what, const std::vector<std::size_t>& order,
                           std::size_t start, std::size_t end) {
  const at::Tensor bad = at::logical_not(at::isfinite(out)).reshape({out.size(0), -1}).any(1);
  if (!bad.any().item<bool>()) return;
  std::size_t row = order[start + static_cast<std::size_t>(bad.nonzero()[0][0].item<std::int64_t>())];
  for (std::size_t i = start; i < end; ++i)
    if (bad[static_cast<std::int64_t>(i - start)].item<bool>()) row = std::min(row, order[i]);
  throw ModelError(std::string("the forward pass produced non-finite ") + what + " (input row " + std::to_string(row) +
                   "): the weights overflow the compute dtype");
}

std::vector<std::size_t> length_order(const std::vector<std::size_t>& lengths) {
  std::vector<std::size_t> order(lengths.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return lengths[a] > lengths[b]; });
  return order;
}

std::vector<std::pair<std::size_t, std::size_t>> plan_passes(const std::vector<std::size_t>& order,
                                                             const std::vector<std::size_t>& lengths,
                                                             std::size_t batch_size, std::size_t token_budget) {
  std::vector<std::pair<std::size_t, std::size_t>> passes;
  std::size_t begin = 0;
  while (begin < order.size()) {
    // The first row is the pass's longest (decreasing order), so it sets the padded length.
    const std::size_t longest = std::max<std::size_t>(lengths[order[begin]], 1);
    std::size_t rows = batch_size;
    if (token_budget > 0) rows = std::min(rows, std::max<std::size_t>(token_budget / longest, 1));
    const std::size_t end = std::min(order.size(), begin + rows);
    passes.emplace_back(begin, end);
    begin = end;
  }
  return passes;
}

}  // namespace radlite::model
