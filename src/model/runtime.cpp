#include "radlite/runtime.h"

#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "model/int8_dnnl.h"
#include "model/int8_gemm.h"
#include "model/runtime_default.h"
#include "radlite/error.h"

namespace radlite {

namespace {
// Whether the application has chosen a count; then the load-time default (below) never overrides it.
std::atomic<bool> g_threads_chosen{false};

int hardware_threads() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }
}  // namespace

void set_num_threads(int n) {
  if (n < 0 || n > kMaxThreads)
    throw InvalidArgument("set_num_threads: " + std::to_string(n) + " threads is outside [0, " +
                          std::to_string(kMaxThreads) + "] (0 = all hardware threads)");
  g_threads_chosen = true;
  at::set_num_threads(n == 0 ? hardware_threads() : n);
}

int num_threads() { return at::get_num_threads(); }

bool cuda_available() { return torch::cuda::is_available(); }

bool cpu_has_fast_dtype(DType dtype) {
  switch (dtype) {
    case DType::F32:
      return true;
    case DType::Int8:
      return model::int8_gemm_available() || model::int8_dnnl_preferred();
    case DType::BF16:
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
      return __builtin_cpu_supports("avx512bf16");
#else
      return false;  // no x86 flags to read: not known to be fast
#endif
    case DType::F16:
      return false;
  }
  return false;
}

std::string torch_version() {
  return std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
         std::to_string(TORCH_VERSION_PATCH);
}

namespace model {

void apply_default_threads() {
  // Once per process: a later load must not undo a count the application set in between.
  static std::once_flag once;
  std::call_once(once, [] {
    if (!g_threads_chosen && !std::getenv("OMP_NUM_THREADS")) at::set_num_threads(hardware_threads());
  });
}

}  // namespace model
}  // namespace radlite
