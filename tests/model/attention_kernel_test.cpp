// The fused float32 attention kernel (model/attention_avx2.h) against a double-precision softmax(scale q k^T) v,
// over head sizes 8-64 (one or two 8-float halves of a 16-column block), sequence lengths that leave every
// remainder of the 4-row and 16-key blocks, padded and unpadded sequences, and score ranges wide enough to send
// exp below float's range (those weights must come out as exactly 0).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "model/attention_avx2.h"
#include "radlite/runtime.h"

namespace {

using namespace radlite::model;

struct Data {
  std::int64_t heads, L, dh;
  std::vector<std::int64_t> lengths;
  std::vector<float> q, k, v;
};

Data make(std::int64_t seqs, std::int64_t heads, std::int64_t L, std::int64_t dh, float spread, std::mt19937& rng) {
  Data d{heads, L, dh, {}, {}, {}, {}};
  std::uniform_real_distribution<float> u(-spread, spread);
  for (std::int64_t b = 0; b < seqs; ++b)
    d.lengths.push_back(b == 0 ? L : std::uniform_int_distribution<std::int64_t>(1, L)(rng));
  const auto n = static_cast<std::size_t>(seqs * heads * L * dh);
  for (auto* t : {&d.q, &d.k, &d.v}) {
    t->resize(n);
    for (auto& x : *t) x = u(rng);
  }
  return d;
}

// Rows i < n of each (sequence, head): softmax over keys j < n in double; rows n.. are 0.
std::vector<double> reference(const Data& d, float scale) {
  const std::int64_t G = static_cast<std::int64_t>(d.lengths.size()) * d.heads, L = d.L, dh = d.dh;
  std::vector<double> out(static_cast<std::size_t>(G * L * dh), 0.0);
  for (std::int64_t g = 0; g < G; ++g) {
    const std::int64_t n = d.lengths[static_cast<std::size_t>(g / d.heads)];
    const float* q = d.q.data() + g * L * dh;
    const float* k = d.k.data() + g * L * dh;
    const float* v = d.v.data() + g * L * dh;
    for (std::int64_t i = 0; i < n; ++i) {
      std::vector<double> s(static_cast<std::size_t>(n));
      double m = -1e300, sum = 0.0;
      for (std::int64_t j = 0; j < n; ++j) {
        double dot = 0.0;
        for (std::int64_t c = 0; c < dh; ++c) dot += static_cast<double>(q[i * dh + c]) * k[j * dh + c];
        s[static_cast<std::size_t>(j)] = dot * scale;
        m = std::max(m, s[static_cast<std::size_t>(j)]);
      }
      for (auto& x : s) sum += x = std::exp(x - m);
      for (std::int64_t j = 0; j < n; ++j)
        for (std::int64_t c = 0; c < dh; ++c)
          out[static_cast<std::size_t>((g * L + i) * dh + c)] += s[static_cast<std::size_t>(j)] / sum * v[j * dh + c];
    }
  }
  return out;
}

double max_diff(const std::vector<float>& got, const std::vector<double>& want) {
  double m = 0.0;
  for (std::size_t i = 0; i < got.size(); ++i) m = std::max(m, std::abs(static_cast<double>(got[i]) - want[i]));
  return m;
}

std::vector<float> run(const Data& d, float scale) {
  std::vector<float> out(d.q.size(), -1.0f);
  attention_fused(d.q.data(), d.k.data(), d.v.data(), d.lengths.data(), d.heads,
                  static_cast<std::int64_t>(d.lengths.size()) * d.heads, d.L, d.dh, scale, out.data());
  return out;
}

// One kernel directly, on one thread: attention_avx2 or attention_avx512.
std::vector<float> run_width(const Data& d, float scale, bool wide) {
  std::vector<float> out(d.q.size(), -1.0f), work(static_cast<std::size_t>(attention_work_floats(d.L, d.dh)));
  const std::int64_t groups = static_cast<std::int64_t>(d.lengths.size()) * d.heads;
  (wide ? attention_avx512 : attention_avx2)(d.q.data(), d.k.data(), d.v.data(), d.lengths.data(), d.heads, d.L, d.dh,
                                             scale, 0, groups, out.data(), work.data());
  return out;
}

}  // namespace

// attention_fused picks the AVX-512 kernel where the CPU has it: both widths are checked here on such a CPU, head
// sizes that fill whole vectors and ones that leave the last vector partial (masked).
TEST(AttentionKernel, BothVectorWidthsMatchTheReference) {
  if (!attention_avx2_available()) GTEST_SKIP() << "no AVX2 + FMA on this CPU";
  std::mt19937 rng(17);
  std::vector<bool> widths{false};
  if (attention_avx512_available()) widths.push_back(true);
  for (const bool wide : widths)
    for (std::int64_t dh : {8, 24, 32, 40, 64, 96})
      for (std::int64_t L : {1, 5, 31, 32, 33, 70}) {
        const Data d = make(2, 2, L, dh, 1.0f, rng);
        const float scale = 1.0f / std::sqrt(static_cast<float>(dh));
        const auto got = run_width(d, scale, wide);
        EXPECT_LT(max_diff(got, reference(d, scale)), 2e-6) << (wide ? "avx512" : "avx2") << " dh " << dh << " L " << L;
      }
  // The comparison can fail for each width: one sequence read with one key fewer than it has differs.
  for (const bool wide : widths) {
    const Data d = make(2, 2, 40, 32, 1.0f, rng);
    Data short_one = d;
    short_one.lengths[0] -= 1;
    EXPECT_GT(max_diff(run_width(short_one, 0.25f, wide), reference(d, 0.25f)), 1e-3) << (wide ? "avx512" : "avx2");
  }
  if (widths.size() < 2) GTEST_SKIP() << "no AVX-512F on this CPU: only the AVX2 kernel was checked";
}

TEST(AttentionKernel, MatchesDoublePrecisionSoftmaxAttention) {
  if (!attention_avx2_available()) GTEST_SKIP() << "no AVX2 + FMA on this CPU (the ATen path runs instead)";
  radlite::set_num_threads(2);
  std::mt19937 rng(3);
  std::size_t cases = 0;
  for (std::int64_t dh : {8, 16, 24, 32, 64})
    for (std::int64_t L : {1, 3, 4, 5, 16, 17, 33, 130}) {
      ASSERT_TRUE(attention_avx2_supports(dh));
      const Data d = make(3, 2, L, dh, 1.0f, rng);
      const float scale = 1.0f / std::sqrt(static_cast<float>(dh));
      EXPECT_LT(max_diff(run(d, scale), reference(d, scale)), 2e-6) << "dh " << dh << " L " << L;
      ++cases;
    }
  EXPECT_EQ(cases, 40u);
  EXPECT_FALSE(attention_avx2_supports(12));
  EXPECT_FALSE(attention_avx2_supports(0));
}

TEST(AttentionKernel, FarBelowTheMaximumWeighsExactlyZeroAndTheCheckCanFail) {
  if (!attention_avx2_available()) GTEST_SKIP() << "no AVX2 + FMA on this CPU";
  std::mt19937 rng(9);
  // Scores spread over hundreds: most exp() arguments fall below -87 (float underflow).
  const Data d = make(2, 3, 37, 32, 6.0f, rng);
  const auto want = reference(d, 1.0f);
  const auto got = run(d, 1.0f);
  EXPECT_LT(max_diff(got, want), 1e-4 * 36);  // |v| <= 6: relative 2e-5 of the output range
  for (float x : got) ASSERT_TRUE(std::isfinite(x));
  // The comparison can fail: one sequence read with one key fewer than it has differs.
  const Data small = make(2, 2, 21, 16, 1.0f, rng);
  Data small_short = small;
  small_short.lengths[0] -= 1;
  EXPECT_GT(max_diff(run(small_short, 0.25f), reference(small, 0.25f)), 1e-3);
}
