// The int8 GEMM on oneDNN's matmul, for CPUs with AMX or VNNI (internal to radlite).
//
// The same arithmetic as int8_gemm.h: 7-bit activations with a scale and zero point per row, int8 weights with a
// scale per output column, the products summed exactly in int32. oneDNN computes only the int32 sums (uint8 x int8
// -> int32, no scales, no zero points: exact on every kernel it picks), and radlite's epilogue
// (int8_epilogue_avx2) applies the same formula as int8_gemm_reference. So every kernel radlite runs for int8
// (its own AVX2 GEMM, oneDNN's AMX or VNNI or AVX2 matmul) gives bit-identical outputs on every CPU.
//
// oneDNN is the copy libtorch itself links (Debian's libtorch uses the system libdnnl), reached through its public
// API; a build without it (RADLITE_HAVE_DNNL undefined) reports the kernel unavailable.
//
// Measured on one of this project's 2-core machines (an Intel Xeon with AMX under KVM), 2 threads, 4,096 x 768 x
// 3,072, while a build ran beside it: oneDNN's AMX int8 matmul ("brg:avx512_core_amx_int8") about 630 G
// operations/s, its AVX-512 VNNI one about 400, against about 125 for libtorch's quantized linear on the same
// library (it keeps the weights in a plain layout, so oneDNN falls back to its older "gemm:jit").
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "model/int8_gemm.h"

namespace radlite::model {

/// True when this build has oneDNN.
bool int8_dnnl_available();
/// True when the CPU has AMX int8 or VNNI (avx512_vnni, avx_vnni): then oneDNN's matmul is radlite's int8 kernel.
bool int8_dnnl_preferred();

/// The quantized weights of one layer, reordered once into the blocked layout oneDNN's kernel chooses.
struct Int8DnnlWeights;
struct Int8DnnlWeightsDeleter {
  void operator()(Int8DnnlWeights* p) const;
};
using Int8DnnlWeightsPtr = std::unique_ptr<Int8DnnlWeights, Int8DnnlWeightsDeleter>;

/// From the packed weights' int8 values (w.data; w.kp is the depth). Throws ModelError without oneDNN.
Int8DnnlWeightsPtr int8_dnnl_pack(const Int8PackedWeights& w);

/// acc[r][j] = sum_i q[r][i] * wq[j][i] for rows [0, rows) (q: rows of w.kp bytes; acc: rows x w.n int32).
/// Runs on OpenMP's threads (omp_get_max_threads of the calling thread). Safe to call from several threads.
void int8_dnnl_gemm(const Int8DnnlWeights& w, const std::uint8_t* q, std::int64_t rows, std::int32_t* acc);

/// oneDNN's name for the kernel it runs for this layer at `rows` rows (e.g. "brg:avx512_core_amx_int8").
std::string int8_dnnl_kernel_name(const Int8DnnlWeights& w, std::int64_t rows);

// float32 Linear layers on oneDNN's matmul, on x86-64 CPUs with AVX-512 or AVX2 (the same library, the same
// per-shape kernel cache; F32DnnlMode below). Measured on the 2-core AMX Xeon, 2 threads: oneDNN's
// "brg:avx512_core" 270-286 GFLOP/s at the encoders' shapes (4,096-8,192 rows) against OpenBLAS's 234-266, and
// 224-227 against 110-128 at 32 rows (one query), where radlite's own AVX2 kernel (small_linear.h) reached about
// 115. Sums run in another order than OpenBLAS's: the outputs agree to rounding, and the parity tests (1e-5 of the
// references) hold on both kinds of CPU.

/// How float32 Linear layers use oneDNN on this CPU (read once; RADLITE_F32_OPENBLAS=1 in the environment gives
/// None):
/// - Blocked: the CPU has AVX-512 (avx512f, avx512bw, avx512vl, avx512dq): the weights are reordered once into the
///   layout of oneDNN's AVX-512 kernel (a copy; the encoder releases its own).
/// - InPlace: other x86-64 CPUs with AVX2 and FMA: oneDNN's kernel there (gemm:jit in oneDNN 2.6) packs the weights
///   on every call, as OpenBLAS does, and reads them from the encoder's own [n][k] tensor (oneDNN's "ba"), which
///   the small-row kernel (small_linear.h) keeps reading for queries. Measured on the 2-core AVX2 EPYC, 2 threads,
///   4,096 rows: 158-168 against OpenBLAS's 142-155 GFLOP/s at MiniLM's [x384]x[384x1536], about equal at
///   RoBERTa-base's [x768]x[768x3072]; GELU and the residual are applied as the sums are stored.
/// - None: OpenBLAS (through ATen) for every float32 layer.
enum class F32DnnlMode { None, Blocked, InPlace };
F32DnnlMode f32_dnnl_mode();

/// The widest input the transformer gives this path (wider layers keep OpenBLAS; see transformer.cpp).
constexpr std::int64_t kF32DnnlMaxDepth = 4096;

struct F32DnnlWeights;
struct F32DnnlWeightsDeleter {
  void operator()(F32DnnlWeights* p) const;
};
using F32DnnlWeightsPtr = std::unique_ptr<F32DnnlWeights, F32DnnlWeightsDeleter>;

/// w [n, k] row-major and bias [n] (may be null): reordered once into oneDNN's blocked layout (a copy; the caller
/// may release its own), or with in_place (F32DnnlMode::InPlace) read where it is: then w must outlive the result.
/// The bias is always copied. Throws ModelError without oneDNN.
F32DnnlWeightsPtr f32_dnnl_pack(const float* w, const float* bias, std::int64_t n, std::int64_t k,
                                bool in_place = false);
/// What oneDNN applies to the sums before they are stored, while they are in registers (its post-ops).
enum class F32Epilogue {
  None,
  Gelu,      // GELU, erf form (oneDNN's eltwise_gelu_erf)
  Residual,  // plus `residual` [rows, n]
};

/// out [rows, n] = x [rows, k] w^T + bias, then the epilogue; all row-major and contiguous, `residual` apart from
/// `out`. Safe to call from several threads.
void f32_dnnl_linear(const F32DnnlWeights& w, const float* x, std::int64_t rows, float* out,
                     F32Epilogue epilogue = F32Epilogue::None, const float* residual = nullptr);

}  // namespace radlite::model
