// Row-block dot products for exact dense search (internal to radlite).
//
// The library is built for the baseline x86-64 ISA (SSE2), where one query's scan is bound by arithmetic,
// not memory. On CPUs with AVX2 + FMA a separately compiled kernel is used instead, chosen at run time.
// That kernel's translation unit is compiled with -mavx2 -mfma, so it uses intrinsics and plain loops only
// (no shared inline or template code that the linker could pick for callers on older CPUs).
#pragma once

#include <cstddef>
#include <cstdint>

namespace radlite::dense_kernels {

/// True when this build has the AVX2 kernel and the CPU supports AVX2 and FMA.
bool avx2_available();

/// scores[i] = dot(rows + i * dim, query) for i < n. Only call when avx2_available().
void dot_rows_avx2(const float* rows, std::size_t n, std::size_t dim, const float* query, float* scores);

/// dot(a, b) over dim floats. Only call when avx2_available().
float dot_avx2(const float* a, const float* b, std::size_t dim);

/// scores[i] = dot(rows + i * dim, query) for i < n: the AVX2 kernel when `allow_avx2` and available, else
/// Eigen's matrix-vector product (baseline ISA). Defined in dense.cpp.
void dot_rows(const float* rows, std::size_t n, std::size_t dim, const float* query, float* scores, bool allow_avx2);

// float16 storage (DenseOptions::dtype): rows of IEEE binary16 values, converted to float as they are read.

/// True when avx2_available() and the CPU also has F16C (the half <-> float conversion instructions).
bool f16c_available();

/// scores[i] = dot(float(rows + i * dim), query) for i < n. Only call when f16c_available().
void dot_rows_f16_avx2(const std::uint16_t* rows, std::size_t n, std::size_t dim, const float* query, float* scores);

/// out[i] = float(in[i]) for i < n. Only call when f16c_available().
void halves_to_floats_f16c(const std::uint16_t* in, std::size_t n, float* out);

/// The F16C kernels when `allow_simd` and available, else portable loops (float16.h). Defined in dense.cpp.
void dot_rows_f16(const std::uint16_t* rows, std::size_t n, std::size_t dim, const float* query, float* scores,
                  bool allow_simd);
void halves_to_floats(const std::uint16_t* in, std::size_t n, float* out, bool allow_simd);

}  // namespace radlite::dense_kernels
