// The BERT / RoBERTa / XLM-RoBERTa encoder stack on ATen, and weight loading from safetensors (internal).
#pragma once

#include <ATen/ATen.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "io/safetensors.h"
#include "model/int8_dnnl.h"
#include "model/int8_linear.h"
#include "model/model_config.h"
#include "radlite/encoder.h"

namespace radlite::model {

/// Where and in what dtype the weights live.
struct Placement {
  at::Device device = at::kCPU;
  at::ScalarType dtype = at::kFloat;
  bool int8 = false;  // DType::Int8: dtype is float32 and the encoder's Linear layers are quantized
};

/// Parses "cpu", "cuda", "cuda:N" and checks the device is usable; InvalidArgument otherwise.
/// F16 on CPU is refused (no CPU float16 GEMM in libtorch 1.13).
Placement resolve_placement(const std::string& device, DType dtype);

/// Copies a checkpoint tensor to `placement`, converting F32 / F16 / BF16 to the compute dtype. ModelError naming
/// the file and tensor when it is missing, has another shape, or an unsupported dtype.
at::Tensor load_weight(const io::Checkpoint& ckpt, const std::string& name, const std::vector<std::int64_t>& shape,
                       const Placement& placement);

/// The prefix under which the base model's tensors are stored ("", "bert." or "roberta."); ModelError when the
/// checkpoint has none of them.
std::string detect_prefix(const io::Checkpoint& ckpt, const EncoderConfig& config);

/// One padded batch, on the model's device: everything the forward pass reads besides the weights.
struct Batch {
  at::Tensor ids;        // [B, L] int64, padded with the pad id
  at::Tensor type_ids;   // [B, L] int64, or undefined (all zero)
  at::Tensor positions;  // [B, L] int64 position ids, as transformers computes them for the architecture
  at::Tensor mask;       // [B, L] int64, 1 for real tokens (attention keys and pooling)
  std::vector<std::int64_t> lengths;
};

/// Which rows of the last hidden state a caller reads.
enum class OutputRows {
  All,    // every token's
  First,  // each sequence's first token's alone ([CLS] / <s>: a classification head, CLS pooling)
};

class TransformerEncoder {
 public:
  TransformerEncoder(const io::Checkpoint& ckpt, const EncoderConfig& config, const std::string& prefix,
                     const Placement& placement);

  /// last_hidden_state [B, L, H] in the compute dtype. With OutputRows::First only each sequence's first row,
  /// [B, 1, H]: the last layer then runs its attention for that query row alone and its output projection, FFN and
  /// LayerNorms on those B rows (its keys and values still come from every token). Each row's result is the one
  /// All computes, but for the summation order of the kernels chosen by row count.
  at::Tensor forward(const Batch& batch, OutputRows rows = OutputRows::All) const;

  const EncoderConfig& config() const { return config_; }
  const Placement& placement() const { return placement_; }

 private:
  struct Layer {
    at::Tensor qkv_w, qkv_b;  // query, key and value fused into one [3H, H] projection
    at::Tensor attn_out_w, attn_out_b, attn_ln_w, attn_ln_b;
    at::Tensor inter_w, inter_b, out_w, out_b, out_ln_w, out_ln_b;
    // DType::Int8: the four projections quantized (their float weights are then released).
    std::shared_ptr<const Int8Linear> qkv_q, attn_out_q, inter_q, out_q;
    // float32 on a CPU with AVX-512 in a build with oneDNN (int8_dnnl.h): the four projections in oneDNN's layout
    // (their at::Tensor weights are then released).
    std::shared_ptr<const F32DnnlWeights> qkv_f, attn_out_f, inter_f, out_f;
  };
  EncoderConfig config_;
  Placement placement_;
  bool small_linear_;  // float32 on a CPU with AVX2 + FMA: few rows take small_linear (small_linear.h)
  // float32 (and int8 on radlite's int8 kernel) on a CPU with AVX2 + FMA, bfloat16 on one with AMX-BF16: attention
  // through the fused kernels (attention_avx2.h), unless the environment sets RADLITE_NO_FUSED_ATTENTION (read when
  // a model is loaded; for comparisons and tests).
  bool fused_attention_;
  bool bf16_attention_;  // int8 models on AMX CPUs: the fused attention may take bfloat16 products
  at::Tensor word_, position_, token_type_, emb_ln_w_, emb_ln_b_;
  std::vector<Layer> layers_;
};

/// Builds padded batches from rows of ids: `order` lists the rows in the sequence they are batched (sorted by
/// length), each pass takes up to batch_size of them.
Batch make_batch(const std::vector<const std::vector<std::int32_t>*>& rows,
                 const std::vector<const std::vector<std::int32_t>*>& type_rows, const EncoderConfig& config,
                 const Placement& placement);

/// Checks every row: non-empty, at most max_len tokens, ids in [0, vocab), type ids in [0, type_vocab) when given.
void validate_rows(const std::vector<std::vector<std::int32_t>>& rows, std::size_t max_len, const EncoderConfig& config,
                   const char* what);

/// ModelError when a pass's outputs `out` ([rows of order[start, end), ...], on the CPU) hold a NaN or infinity,
/// naming the first input row. Finite weights can still overflow (float16, extreme values): never hand out NaN.
void require_finite_output(const at::Tensor& out, const char* what, const std::vector<std::size_t>& order,
                           std::size_t start, std::size_t end);

/// Row indices sorted by decreasing length (stable), so each pass pads little.
std::vector<std::size_t> length_order(const std::vector<std::size_t>& lengths);

/// Splits rows taken in `order` (decreasing length, from length_order) into forward passes, as [begin, end)
/// ranges of `order`: at most batch_size rows each and, when token_budget > 0, at most token_budget padded
/// tokens (rows x the pass's longest row) unless a single row is longer. Bounding the padded tokens bounds every
/// per-pass tensor, so long texts run in smaller passes instead of in one huge allocation.
std::vector<std::pair<std::size_t, std::size_t>> plan_passes(const std::vector<std::size_t>& order,
                                                             const std::vector<std::size_t>& lengths,
                                                             std::size_t batch_size, std::size_t token_budget);

}  // namespace radlite::model
