// radlite/runtime.h: process-wide settings of the compute backend (libtorch).
//
// Usage:
//   radlite::set_num_threads(4);   // once, at startup, before any encoding
//   auto enc = radlite::BiEncoder::load("models/radlit-biencoder");
//
// The thread count is a property of the process, not of a model: libtorch has one intra-op thread pool that
// every model shares, and no model option changes it. The default: libtorch alone starts with ONE thread on some
// machines, so unless set_num_threads was called before (or OMP_NUM_THREADS is set), the first model load sets all
// hardware threads, once. After that only set_num_threads changes it.
// Thread safety: set_num_threads changes process-wide state. Call it from one thread before encoding starts:
// libtorch applies the count to each thread the first time that thread computes, so a thread that has already
// encoded keeps the count it started with.
#pragma once

#include <string>

#include "radlite/encoder.h"  // DType

namespace radlite {

/// The largest count set_num_threads accepts: far above any real core count, low enough that a typo cannot make
/// the process spawn thousands of threads.
constexpr int kMaxThreads = 1024;

/// Sets the intra-op thread count of the whole process. n = 0 means all hardware threads. n < 0 or n >
/// kMaxThreads: InvalidArgument naming the value.
void set_num_threads(int n);

/// The process's current intra-op thread count (as the calling thread would use it for its next computation).
int num_threads();

/// True when a CUDA device is usable (a CUDA build of libtorch and a GPU).
bool cuda_available();

/// Whether this machine's CPU has the instructions that make `dtype` fast on device "cpu", for choosing a dtype at
/// run time (README, "Which dtype"):
/// - DType::F32: always (the default, exact).
/// - DType::Int8: x86-64 with AVX2 and FMA (radlite's int8 kernel) or with VNNI / AMX (oneDNN's): 1.7-4x float32
///   measured. Elsewhere it still runs, on libtorch's quantized linear.
/// - DType::BF16: AVX512-BF16 (CPUs with AMX have it). Without it bfloat16 runs correctly but its matrix products are
///   about 30x slower than float32 (measured on an AVX2-only AMD EPYC).
/// - DType::F16: false: float16 is refused on the CPU.
bool cpu_has_fast_dtype(DType dtype);

/// The libtorch version radlite was built against, e.g. "1.13.1".
std::string torch_version();

}  // namespace radlite
