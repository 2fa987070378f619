// Dynamically quantized Linear layers for DType::Int8 on CPU (internal).
//
// Weights are quantized once, at load, to int8 with one symmetric scale per output channel (max |w| / 127 of the
// row, so that no row loses precision to another row's outlier). Activations are quantized per call (dynamic
// quantization), the products are accumulated in int32 and returned in float32 with the bias added. Two kernels:
//
// - On x86-64 with AVX2 and without VNNI: radlite's own GEMM (int8_gemm.h), with a scale and zero point per row of
//   the activations (per token), 7 bits each. About 2x float32's GEMM rate there (int8_gemm.h has the numbers).
// - Elsewhere (VNNI CPUs, other architectures), or with RADLITE_INT8_ONEDNN set in the environment when the layer
//   is built (for comparisons and tests): libtorch's quantized linear on the oneDNN engine (Debian's libtorch has
//   no fbgemm), with one scale and zero point for the whole activation tensor. Without VNNI oneDNN's kernels use
//   7-bit activations too ("reduce_range", for the same reason as int8_gemm.h gives); with VNNI (avx512_vnni /
//   avx_vnni) the full 8 bits.
#pragma once

#include <ATen/ATen.h>

#include <memory>

namespace radlite::model {

class Int8Linear {
 public:
  /// weight [out, in] and bias [out], float32 on CPU.
  Int8Linear(const at::Tensor& weight, const at::Tensor& bias);
  ~Int8Linear();
  Int8Linear(Int8Linear&&) noexcept;
  Int8Linear& operator=(Int8Linear&&) noexcept;

  /// x [rows, in] float32 -> [rows, out] float32 (= x w^T + b, up to the quantization error).
  at::Tensor forward(const at::Tensor& x) const;
  /// The same into out ([rows, out] float32; written in place when contiguous).
  void forward_into(const at::Tensor& x, at::Tensor& out) const;

  /// Whether this CPU runs the full 8-bit activation range (VNNI) or 7 bits.
  static bool full_range();
  /// Whether this layer runs radlite's AVX2 kernel (int8_gemm.h) rather than oneDNN's.
  bool own_kernel() const;
  /// Whether layers built now take radlite's kernel: AVX2 + FMA, no VNNI, RADLITE_INT8_ONEDNN unset (and, per
  /// layer, an input width up to kInt8MaxDepth).
  static bool own_kernel_chosen();

 private:
  struct Packed;
  std::unique_ptr<Packed> packed_;
};

}  // namespace radlite::model
