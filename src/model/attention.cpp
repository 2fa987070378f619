// The threaded entry of the fused attention kernel (attention_avx2.h): (sequence, head) pairs shared over ATen's
// intra-op threads, each with its own scratch.
#include <ATen/Parallel.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/attention_avx2.h"
#include "radlite/error.h"

namespace radlite::model {

bool attention_bf16_available() { return attention_amx_available() || attention_avx512bf16_available(); }

// int8 layers round activations to 7 bits; bfloat16 products (8 significant bits, sums in float32) cost far less
// accuracy than that. By default only on AMX tiles (2.1-2.9x the float32 kernel on the AMX Xeon); without tiles
// VDPBF16PS measured slower than float32 FMAs there (72 against 82 GFLOP/s, one thread, MiniLM's heads).
bool int8_attention_bf16() {
  const char* v = std::getenv("RADLITE_INT8_ATTENTION");
  const std::string choice = v ? v : "";
  if (choice == "f32") return false;
  if (choice == "bf16") {
    if (!attention_bf16_available())
      throw ModelError("RADLITE_INT8_ATTENTION=bf16: this CPU has neither AMX-BF16 nor AVX512-BF16");
    return true;
  }
  if (!choice.empty()) throw InvalidArgument("RADLITE_INT8_ATTENTION is '" + choice + "'; expected f32 or bf16");
  return attention_amx_available();
}

std::string attention_kernel_name(bool bf16_products) {
  if (bf16_products && attention_bf16_available())
    return attention_amx_available() && !std::getenv("RADLITE_ATTENTION_NO_AMX") ? "amx-bf16" : "avx512-bf16";
  if (attention_avx512_available() && !std::getenv("RADLITE_ATTENTION_AVX2")) return "avx512-f32";
  if (attention_avx2_available()) return "avx2-f32";
  return "aten";
}

void attention_fused(const AttentionArgs& a, std::int64_t sequences) {
  const std::int64_t groups = sequences * a.heads, dh = a.dh;
  // A (sequence, head) costs about n^2 for n real tokens, and a batch's sequences are sorted by length: split into
  // equal halves, the thread with the longest sequences would leave the other waiting. Each thread takes a
  // contiguous run of pairs of about equal total cost instead (the results do not depend on the split).
  std::vector<double> cost(static_cast<std::size_t>(groups) + 1, 0.0);
  for (std::int64_t g = 0; g < groups; ++g) {
    const std::int64_t len = a.lengths[g / a.heads];
    const double n = static_cast<double>(len), d = static_cast<double>(dh);
    const double nq = static_cast<double>(a.query_rows > 0 ? std::min(len, a.query_rows) : len);
    cost[g + 1] = cost[g] + nq * (n + 2.0 * d) + 2.0 * n * d;  // the query rows' products, copying the keys and values
  }
  const std::int64_t parts = std::max<std::int64_t>(1, std::min<std::int64_t>(at::get_num_threads(), groups));
  auto boundary = [&](std::int64_t part) {
    if (part >= parts) return groups;
    const double target = cost[groups] * static_cast<double>(part) / static_cast<double>(parts);
    return static_cast<std::int64_t>(std::lower_bound(cost.begin(), cost.end(), target) - cost.begin());
  };
  static const bool wide = attention_avx512_available() && !std::getenv("RADLITE_ATTENTION_AVX2");
  const bool bf16 = (a.bf16_products || a.q16) && attention_amx_supports(dh) && attention_bf16_available();
  const bool amx = bf16 && attention_amx_available() && !std::getenv("RADLITE_ATTENTION_NO_AMX");
  if (a.q16 && !bf16) throw std::logic_error("attention_fused: bfloat16 rows need a bfloat16 kernel");
  at::parallel_for(0, parts, 1, [&](std::int64_t p0, std::int64_t p1) {
    std::vector<float> work(static_cast<std::size_t>(bf16 ? attention_amx_work_floats(a.max_length, dh)
                                                         : attention_work_floats(a.max_length, dh)));
    const std::int64_t g0 = std::min(boundary(p0), groups), g1 = std::min(boundary(p1), groups);
    if (g0 >= g1) return;
    if (amx)
      attention_amx(a, g0, g1, work.data());
    else if (bf16)
      attention_avx512bf16(a, g0, g1, work.data());
    else if (wide)
      attention_avx512(a, g0, g1, work.data());
    else
      attention_avx2(a, g0, g1, work.data());
  });
}

}  // namespace radlite::model
