// The threaded entry of the fused attention kernel (attention_avx2.h): (sequence, head) pairs shared over ATen's
// intra-op threads, each with its own scratch.
#include <ATen/Parallel.h>

#include <vector>

#include "model/attention_avx2.h"

namespace radlite::model {

void attention_fused(const float* q, const float* k, const float* v, const std::int64_t* lengths, std::int64_t heads,
                     std::int64_t groups, std::int64_t L, std::int64_t dh, float scale, float* out) {
  at::parallel_for(0, groups, 1, [&](std::int64_t g0, std::int64_t g1) {
    std::vector<float> work(static_cast<std::size_t>(attention_work_floats(L, dh)));
    attention_avx2(q, k, v, lengths, heads, L, dh, scale, g0, g1, out, work.data());
  });
}

}  // namespace radlite::model
