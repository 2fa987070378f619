// Dynamically quantized Linear layers for DType::Int8 on CPU (internal).
//
// Weights are quantized once, at load, to int8 with one symmetric scale per output channel (max |w| / 127 of the
// row, so that no row loses precision to another row's outlier). Activations are quantized per call to uint8 with
// a scale and zero point from the tensor's own min / max (dynamic quantization), the product is accumulated in
// int32 and returned in float32 with the bias added. The kernels are libtorch's quantized linear on the oneDNN
// engine (Debian's libtorch has no fbgemm); it picks AVX2, AVX-512 or VNNI code for the CPU it runs on.
//
// Without VNNI, the AVX2 / AVX-512 int8 kernels add pairs of uint8 x int8 products into int16 with saturation;
// 7-bit activations ("reduce_range") keep those sums exact. With VNNI (avx512_vnni / avx_vnni) the products go to
// int32 directly and the full 8 bits are used. The choice is made at run time.
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

  /// Whether this CPU runs the full 8-bit activation range (VNNI) or 7 bits.
  static bool full_range();

 private:
  struct Packed;
  std::unique_ptr<Packed> packed_;
};

}  // namespace radlite::model
