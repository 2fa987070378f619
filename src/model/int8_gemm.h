// radlite's own int8 GEMM for DType::Int8 on x86-64 CPUs with AVX2 and no VNNI (internal to radlite).
//
// out = x w^T + b with w quantized once to int8 (symmetric, one scale per output column, |q| <= 127) and x quantized
// per call to 7-bit unsigned integers with a scale and zero point per row (each token its own range, so one outlier
// token does not coarsen the others). The products are summed exactly in int32 and the result is
//   out[r][j] = fma(float(acc[r][j] - zero[r] * colsum[j]), scale[r] * wscale[j], bias[j])
// with colsum[j] the sum of column j's quantized weights (the zero point's share, taken out once).
//
// Why 7 bits: AVX2's integer multiply-add (vpmaddubsw) adds two uint8 x int8 products into an int16 with
// saturation. With activations up to 127 and weights up to 127 in magnitude a pair is at most 32,258 and never
// saturates, so the sums are exact. A second step (vpmaddwd by ones) widens to int32. Measured on this project's
// 2-core AMD EPYC (Zen 3, AVX2 only), one thread: the kernel step alone, data in the L1 cache, 98.7 G
// multiply-adds/s; the whole GEMM at RoBERTa-base's shapes (4,096 rows) about 90 G multiply-adds/s (180 G
// operations/s), against 68-82 for libtorch's oneDNN int8 kernel and 40-45 for OpenBLAS's float32 GEMM. CPUs with VNNI
// (avx512_vnni / avx_vnni) or AMX multiply uint8 x int8 straight into int32; there oneDNN's matmul computes the same
// int32 sums and int8_epilogue_avx2 the same outputs (int8_dnnl.h).
//
// Layout: the weights are packed in panels of 16 columns; a panel holds, for each group of 4 along k, the 16
// columns' 4 values: [kp / 4][16][4] int8, kp being k rounded up to 4, padding zero. The quantized activations are
// rows of kp bytes (padding zero), and the kernel takes 4 rows at a time (callers round the row count up to 4).
//
// The kernels' translation unit (int8_gemm_avx2.cpp) is compiled with -mavx2 -mfma and holds no shared inline or
// template code (see retrieval/dense_kernels.h for why): its functions take plain pointers.
#pragma once

#include <cstdint>
#include <vector>

namespace radlite::model {

constexpr std::int64_t kInt8PanelCols = 16;
constexpr std::int64_t kInt8TileRows = 4;
/// The largest k the int32 sums are safe for: |acc - zero * colsum| <= 2 * 127 * 127 * k < 2^31.
constexpr std::int64_t kInt8MaxDepth = 65536;

/// True when this build has the AVX2 kernels and the CPU supports AVX2 and FMA.
bool int8_gemm_available();

/// Weights packed for the kernels, with per-column scale, bias and quantized column sum (padded to whole panels).
struct Int8PackedWeights {
  std::int64_t n = 0, k = 0, kp = 0, panels = 0;
  std::vector<std::int8_t> data;   // panels * kp * 16
  std::vector<float> scale, bias;  // panels * 16; padding columns 0
  std::vector<std::int32_t> colsum;
};

/// Quantizes w [n, k] (row-major float32) per column j of the output: scale max|w[j]| / 127 (1 for an all-zero
/// row), q = round-to-nearest-even(w / scale). bias may be null (zeros). Throws InvalidArgument when k exceeds
/// kInt8MaxDepth.
Int8PackedWeights int8_pack_weights(const float* w, const float* bias, std::int64_t n, std::int64_t k);

/// Quantizes rows [r0, r1) of x [rows, k] into q (rows of kp bytes) with per-row scale and zero point:
/// lo = min(0, min x), hi = max(0, max x), scale = (hi - lo) / 127 (1 when that is 0), zero = rne(-lo / scale),
/// q = clamp(rne(x * (1 / scale)) + zero, 0, 127), all in float32. Padding bytes are written 0.
void int8_quantize_rows_avx2(const float* x, std::int64_t k, std::int64_t kp, std::int64_t r0, std::int64_t r1,
                             std::uint8_t* q, float* scale, std::int32_t* zero);

/// out[r][j] for rows [r0, r1) and the columns of panels [p0, p1) (the formula above); out is [*, n] row-major.
/// q must hold whole tiles of 4 rows from r0 (rows past r1 are read, not written). r0 must be a multiple of 4.
void int8_gemm_panels_avx2(const std::int8_t* panels, const float* wscale, const float* bias,
                           const std::int32_t* colsum, std::int64_t n, std::int64_t kp, const std::uint8_t* q,
                           const float* scale, const std::int32_t* zero, std::int64_t r0, std::int64_t r1,
                           std::int64_t p0, std::int64_t p1, float* out);

/// The formula above applied to int32 sums computed elsewhere (oneDNN's, int8_dnnl.h): acc is [rows, n]; rows
/// [r0, r1) of out [*, n] are written. wscale, bias and colsum are the packed weights' (n columns or more).
void int8_epilogue_avx2(const std::int32_t* acc, std::int64_t n, const float* wscale, const float* bias,
                        const std::int32_t* colsum, const float* scale, const std::int32_t* zero, std::int64_t r0,
                        std::int64_t r1, float* out);
void int8_epilogue_reference(const std::int32_t* acc, std::int64_t n, const float* wscale, const float* bias,
                             const std::int32_t* colsum, const float* scale, const std::int32_t* zero, std::int64_t r0,
                             std::int64_t r1, float* out);

/// Plain C++ versions of int8_quantize_rows_avx2 and int8_gemm_panels_avx2, operation for operation (the tests compare
/// bit for bit).
void int8_quantize_rows_reference(const float* x, std::int64_t k, std::int64_t kp, std::int64_t r0, std::int64_t r1,
                                  std::uint8_t* q, float* scale, std::int32_t* zero);
void int8_gemm_reference(const Int8PackedWeights& w, const std::uint8_t* q, const float* scale,
                         const std::int32_t* zero, std::int64_t rows, float* out);

}  // namespace radlite::model
