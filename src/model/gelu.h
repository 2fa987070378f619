// GELU in its erf form, x * 0.5 * (1 + erf(x / sqrt(2))), over float32 buffers on the CPU (internal to radlite).
//
// erf is Abramowitz and Stegun's formula 7.1.26 (|error| <= 1.5e-7): erf(z) = 1 - t (a1 + t (a2 + ... + t a5))
// e^(-z^2) with t = 1 / (1 + p |z|), signed as z. PyTorch's vectorized CPU GELU evaluates the same formula, so
// results stay within rounding of libtorch's at::gelu. Here it runs where the values are still in cache: on each
// chunk of the int8 FFN's output as it is produced, and after the float32 FFN's GEMM where oneDNN does not fuse it.
//
// gelu_erf_avx2 / gelu_erf_avx512 live in translation units compiled for those instruction sets (gelu_avx2.cpp,
// gelu_avx512.cpp); call them only when available. gelu_erf picks the widest available, else the plain C++ version.
#pragma once

#include <cstdint>

namespace radlite::model {

bool gelu_avx2_available();
bool gelu_avx512_available();
void gelu_erf_avx2(float* x, std::int64_t n);
void gelu_erf_avx512(float* x, std::int64_t n);
/// The same formula in plain C++ (std::exp), element by element.
void gelu_erf_reference(float* x, std::int64_t n);
/// In place over n floats, on the calling thread, with the widest kernel this CPU has.
void gelu_erf(float* x, std::int64_t n);
/// In place over a [rows, n] row-major buffer, its rows shared over ATen's intra-op threads (gelu_threads.cpp).
void gelu_erf_rows(float* x, std::int64_t rows, std::int64_t n);

}  // namespace radlite::model
