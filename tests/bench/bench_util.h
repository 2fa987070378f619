// Benchmark support: timing, the CPU's relevant flags, transformer FLOP counts and the GEMM roofline.
#pragma once

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "bench_models.h"

namespace radlite::bench {

using Clock = std::chrono::steady_clock;

inline double seconds_of(const std::function<void()>& f) {
  const auto t0 = Clock::now();
  f();
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

/// Best of `repeat` runs: on a shared machine the minimum is the least disturbed measurement.
inline double best_seconds(int repeat, const std::function<void()>& f) {
  double best = 1e300;
  for (int i = 0; i < repeat; ++i) best = std::min(best, seconds_of(f));
  return best;
}

/// The q-quantile (0..1) of `v` by the nearest-rank method.
inline double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(std::max(0.0, std::ceil(q * static_cast<double>(v.size())) - 1));
  return v[std::min(i, v.size() - 1)];
}

struct CpuInfo {
  std::string model;
  std::vector<std::pair<std::string, bool>> flags;  // the ones that decide which kernels are fast
};

inline CpuInfo cpu_info() {
  CpuInfo info;
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  std::set<std::string> have;
  while (std::getline(in, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = line.substr(0, line.find_first_of(" \t"));
    const std::string value = colon + 2 <= line.size() ? line.substr(colon + 2) : "";
    if (key == "model" && line.rfind("model name", 0) == 0 && info.model.empty()) info.model = value;
    if (key == "flags" && have.empty()) {
      std::istringstream ss(value);
      for (std::string f; ss >> f;) have.insert(f);
    }
  }
  for (const char* f : {"avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "avx_vnni", "amx_bf16", "amx_int8"})
    info.flags.emplace_back(f, have.count(f) > 0);
  return info;
}

/// FLOPs of one encoder forward pass over sequences of the given (real, unpadded) lengths: the useful work,
/// so that padding shows up as a lower fraction of the roofline. `first_row_last_layer`: the pass a cross-encoder
/// runs (OutputRows::First), whose last layer projects every token's query, key and value but computes attention,
/// the output projection and the FFN for the first token alone; counted as that, not as a full layer.
inline double encoder_flops(const ModelShape& s, const std::vector<std::size_t>& lengths,
                            bool first_row_last_layer = false) {
  const double H = s.hidden, I = s.intermediate;
  double total = 0;
  for (auto n : lengths) {
    const double L = static_cast<double>(n);
    const double layer = 2 * L * H * 3 * H + 2 * L * H * H + 4 * L * H * I  // QKV, attention output, FFN
                         + 4 * L * L * H;                                   // scores and context
    const double last = 2 * L * H * 3 * H + 2 * H * H + 4 * H * I + 4 * L * H;
    total += first_row_last_layer ? layer * (s.layers - 1) + last : layer * s.layers;
  }
  return total;
}

/// GFLOP/s of at::mm on the FFN's shape [tokens x hidden] x [hidden x intermediate]: what the encoder's
/// GEMMs can reach in this process with this thread count. Best of `repeat`.
inline double gemm_roofline(const ModelShape& s, at::ScalarType dtype, int repeat, std::int64_t tokens = 4096) {
  at::Tensor a = at::randn({tokens, s.hidden}).to(dtype), b = at::randn({s.hidden, s.intermediate}).to(dtype);
  at::Tensor c = at::empty({tokens, s.intermediate}, a.options());
  at::mm_out(c, a, b);  // warm-up
  // float32: best of at least 10 (about 0.3 s at these shapes): every figure is divided by it, and on a shared
  // machine a best of 2 landed anywhere between 85 and 165 GFLOP/s in one hour. Other dtypes are only printed (and
  // bfloat16 takes seconds per product on CPUs without avx512_bf16).
  const double t = best_seconds(std::max(repeat, dtype == at::kFloat ? 10 : 2), [&] { at::mm_out(c, a, b); });
  return 2.0 * static_cast<double>(tokens) * s.hidden * s.intermediate / t * 1e-9;
}

}  // namespace radlite::bench
