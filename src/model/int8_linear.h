// Dynamically quantized Linear layers for DType::Int8 on CPU (internal).
//
// Weights are quantized once, at load, to int8 with one symmetric scale per output channel (max |w| / 127 of the
// row, so that no row loses precision to another row's outlier). Activations are quantized per call (dynamic
// quantization), the products are accumulated in int32 and returned in float32 with the bias added. Kernels, chosen
// when a layer is built (Int8Linear::chosen_kernel):
//
// - OneDnn, on CPUs with AMX or VNNI (avx512_vnni / avx_vnni) in builds with oneDNN: oneDNN's matmul sums the
//   int32 products (int8_dnnl.h), radlite applies the scales.
// - Own, on other x86-64 CPUs with AVX2: radlite's own GEMM (int8_gemm.h), about 2x float32's GEMM rate there.
// - Torch, where neither is available: libtorch's quantized linear on the oneDNN engine (Debian's libtorch has no
//   fbgemm), with one scale and zero point for the whole activation tensor; 7-bit activations without VNNI
//   ("reduce_range"), 8 bits with it.
//
// Own and OneDnn quantize alike (7 bits, a scale and zero point per row of the activations, i.e. per token) and
// give bit-identical outputs. RADLITE_INT8_KERNEL=own|onednn|torch in the environment picks one (for comparisons
// and tests; read when a layer is built).
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <memory>
#include <string>

namespace radlite::model {

enum class Int8Kernel { Own, OneDnn, Torch };

class Int8Linear {
 public:
  /// weight [out, in] and bias [out], float32 on CPU.
  Int8Linear(const at::Tensor& weight, const at::Tensor& bias);
  ~Int8Linear();
  Int8Linear(Int8Linear&&) noexcept;
  Int8Linear& operator=(Int8Linear&&) noexcept;

  /// x [rows, in] float32 -> [rows, out] float32 (= x w^T + b, up to the quantization error).
  at::Tensor forward(const at::Tensor& x) const;
  /// The same into out ([rows, out] float32; written in place when contiguous). With `gelu`, GELU (erf form, gelu.h)
  /// follows on the output: the Own and OneDnn kernels apply it to each block of rows as it is produced, while it
  /// is in cache.
  void forward_into(const at::Tensor& x, at::Tensor& out, bool gelu = false) const;

  /// Whether this CPU has VNNI, where the Torch kernel runs the full 8-bit activation range (7 bits otherwise).
  static bool full_range();
  /// The kernel of this layer.
  Int8Kernel kernel() const;
  /// Its name, and for OneDnn the kernel oneDNN picks at `rows` rows (e.g. "onednn-matmul (brg:avx512_core_amx_int8)").
  std::string kernel_detail(std::int64_t rows) const;
  /// The kernel layers built now take (RADLITE_INT8_KERNEL, else the CPU's best; a layer deeper than
  /// kInt8MaxDepth falls back to Torch). Throws when RADLITE_INT8_KERNEL names an unknown or unavailable kernel.
  static Int8Kernel chosen_kernel();
  static const char* kernel_name(Int8Kernel k);

 private:
  struct Packed;
  std::unique_ptr<Packed> packed_;
};

}  // namespace radlite::model
