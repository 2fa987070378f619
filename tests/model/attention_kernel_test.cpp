// The fused float32 attention kernel (model/attention_avx2.h) against a double-precision softmax(scale q k^T) v,
// over head sizes 8-96 (whole and partial vectors), sequence lengths that leave every remainder of the row and key
// blocks, sequences of different lengths packed one after another in strided rows (as the encoder passes them),
// and score ranges wide enough to send exp below float's range (those weights must come out as exactly 0).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "model/attention_avx2.h"
#include "radlite/runtime.h"

namespace {

using namespace radlite::model;

// Packed token-major rows as the encoder hands them over: one buffer with q, k and v side by side in each row
// (ld = 3 * heads * dh plus a few unused floats, so that a stride mistake shows), sequences one after another.
struct Data {
  std::int64_t heads, L, dh;  // L: the longest sequence
  std::vector<std::int64_t> lengths, starts;
  std::int64_t ld = 0, rows = 0;
  std::vector<float> qkv;
  std::int64_t width() const { return heads * dh; }
  std::int64_t ld_out() const { return width() + 5; }
  const float* q(std::int64_t b, std::int64_t h, std::int64_t i) const {
    return qkv.data() + (starts[static_cast<std::size_t>(b)] + i) * ld + h * dh;
  }
  AttentionArgs args(float scale, float* out) const {
    AttentionArgs a;
    a.q = qkv.data();
    a.k = a.q + width();
    a.v = a.q + 2 * width();
    a.ld = ld;
    a.out = out;
    a.ld_out = ld_out();
    a.starts = starts.data();
    a.lengths = lengths.data();
    a.heads = heads;
    a.dh = dh;
    a.scale = scale;
    a.max_length = L;
    return a;
  }
  std::int64_t sequences() const { return static_cast<std::int64_t>(lengths.size()); }
};

Data make(std::int64_t seqs, std::int64_t heads, std::int64_t L, std::int64_t dh, float spread, std::mt19937& rng) {
  Data d{heads, L, dh, {}, {}, 3 * heads * dh + 3, 0, {}};
  std::uniform_real_distribution<float> u(-spread, spread);
  for (std::int64_t b = 0; b < seqs; ++b) {
    d.lengths.push_back(b == 0 ? L : std::uniform_int_distribution<std::int64_t>(1, L)(rng));
    d.starts.push_back(d.rows);
    d.rows += d.lengths.back();
  }
  d.qkv.resize(static_cast<std::size_t>(d.rows * d.ld));
  for (auto& x : d.qkv) x = u(rng);
  return d;
}

// Every output row of each (sequence, head): softmax over the sequence's keys in double. Columns past the heads
// stay at the -1 the output buffers start with.
std::vector<double> reference(const Data& d, float scale) {
  const std::int64_t dh = d.dh, H = d.width();
  std::vector<double> out(static_cast<std::size_t>(d.rows * d.ld_out()), -1.0);
  for (std::int64_t b = 0; b < d.sequences(); ++b)
    for (std::int64_t h = 0; h < d.heads; ++h) {
      const std::int64_t n = d.lengths[static_cast<std::size_t>(b)];
      for (std::int64_t i = 0; i < n; ++i) {
        std::vector<double> s(static_cast<std::size_t>(n));
        double m = -1e300, sum = 0.0;
        for (std::int64_t j = 0; j < n; ++j) {
          double dot = 0.0;
          for (std::int64_t c = 0; c < dh; ++c) dot += static_cast<double>(d.q(b, h, i)[c]) * d.q(b, h, j)[H + c];
          s[static_cast<std::size_t>(j)] = dot * scale;
          m = std::max(m, s[static_cast<std::size_t>(j)]);
        }
        for (auto& x : s) sum += x = std::exp(x - m);
        double* o = out.data() + (d.starts[static_cast<std::size_t>(b)] + i) * d.ld_out() + h * dh;
        for (std::int64_t c = 0; c < dh; ++c) o[c] = 0.0;
        for (std::int64_t j = 0; j < n; ++j)
          for (std::int64_t c = 0; c < dh; ++c)
            o[c] += s[static_cast<std::size_t>(j)] / sum * d.q(b, h, j)[2 * H + c];
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
  std::vector<float> out(static_cast<std::size_t>(d.rows * d.ld_out()), -1.0f);
  attention_fused(d.args(scale, out.data()), d.sequences());
  return out;
}

// One kernel directly, on one thread: attention_avx2 or attention_avx512.
std::vector<float> run_width(const Data& d, float scale, bool wide) {
  std::vector<float> out(static_cast<std::size_t>(d.rows * d.ld_out()), -1.0f),
      work(static_cast<std::size_t>(attention_work_floats(d.L, d.dh)));
  (wide ? attention_avx512 : attention_avx2)(d.args(scale, out.data()), 0, d.sequences() * d.heads, work.data());
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

namespace {

// attention_amx (tiles) or attention_avx512bf16, directly, on one thread.
std::vector<float> run_bf16(const Data& d, float scale, bool tiles) {
  std::vector<float> out(static_cast<std::size_t>(d.rows * d.ld_out()), -1.0f),
      work(static_cast<std::size_t>(attention_amx_work_floats(d.L, d.dh)));
  (tiles ? attention_amx : attention_avx512bf16)(d.args(scale, out.data()), 0, d.sequences() * d.heads, work.data());
  return out;
}

// Mean absolute difference over the heads' columns (the others must be untouched: -1 in both).
double mean_diff(const std::vector<float>& got, const std::vector<double>& want) {
  double s = 0.0;
  for (std::size_t i = 0; i < got.size(); ++i) s += std::abs(static_cast<double>(got[i]) - want[i]);
  return s / static_cast<double>(got.size());
}

}  // namespace

// The bfloat16 kernels (AMX tiles; AVX512-BF16 without them) round q, k, the softmax numerators and v to bfloat16
// (8 significant bits): with values in [-1, 1] their outputs are within 3e-3 of double precision at worst (2^-9 of
// v, for one token) and 7e-4 on average, over head sizes 32-128 (one and several 32-column chunks; two and four
// output tiles per pass) and lengths that leave every remainder of the 16-row and 32-key blocks. Through
// attention_fused too (bf16_products set; RADLITE_ATTENTION_NO_AMX picks the kernel without tiles), on two threads.
TEST(AttentionKernel, Bfloat16KernelsMatchTheReferenceToTheirPrecisionAndTheCheckCanFail) {
  if (!attention_bf16_available()) GTEST_SKIP() << "no AMX-BF16 or AVX512-BF16 on this CPU";
  radlite::set_num_threads(2);
  std::vector<bool> kernels{false};
  if (attention_amx_available()) kernels.push_back(true);
  for (const bool tiles : kernels) {
    const char* name = tiles ? "amx" : "avx512bf16";
    std::mt19937 rng(29);
    for (std::int64_t dh : {32, 64, 96, 128})
      for (std::int64_t L : {1, 5, 16, 17, 31, 32, 33, 70, 130}) {
        ASSERT_TRUE(attention_amx_supports(dh));
        const Data d = make(3, 2, L, dh, 1.0f, rng);
        const float scale = 1.0f / std::sqrt(static_cast<float>(dh));
        const auto want = reference(d, scale);
        const auto got = run_bf16(d, scale, tiles);
        EXPECT_LT(max_diff(got, want), 5e-3) << name << " dh " << dh << " L " << L;
        EXPECT_LT(mean_diff(got, want), 1e-3) << name << " dh " << dh << " L " << L;
        AttentionArgs a = d.args(scale, nullptr);
        std::vector<float> fused(static_cast<std::size_t>(d.rows * d.ld_out()), -1.0f);
        a.out = fused.data();
        a.bf16_products = true;
        if (!tiles) ::setenv("RADLITE_ATTENTION_NO_AMX", "1", 1);
        attention_fused(a, d.sequences());
        ::unsetenv("RADLITE_ATTENTION_NO_AMX");
        EXPECT_EQ(fused, got) << "attention_fused with bf16_products runs the " << name << " kernel: dh " << dh
                              << " L " << L;
      }
    // Far below the maximum: weights that underflow are exactly 0, and nothing is NaN. Scores of hundreds move by
    // units when q and k are rounded to 8 bits, which can hand a row's weight to another key: the outputs stay
    // convex combinations of the values (|v| <= 6).
    const Data wide = make(2, 2, 45, 32, 6.0f, rng);
    const auto got_wide = run_bf16(wide, 1.0f, tiles);
    for (float x : got_wide) ASSERT_TRUE(std::isfinite(x)) << name;
    EXPECT_LT(max_diff(got_wide, reference(wide, 1.0f)), 12.0) << name;
    // The comparison can fail: one sequence read with one key fewer than it has moves its rows by far more.
    const Data d = make(2, 2, 40, 32, 1.0f, rng);
    Data short_one = d;
    short_one.lengths[0] -= 1;
    EXPECT_GT(mean_diff(run_bf16(short_one, 0.25f, tiles), reference(d, 0.25f)), 3e-3) << name;
  }
  EXPECT_FALSE(attention_amx_supports(16));
  EXPECT_FALSE(attention_amx_supports(48));
  if (kernels.size() < 2) GTEST_SKIP() << "no AMX on this CPU: only the AVX512-BF16 kernel was checked";
}

// query_rows (what the encoder's last layer asks for when only [CLS] is read): each sequence's first query rows are
// computed as without it, against all of the sequence's keys, and no other output row is written. Every kernel this
// CPU has, directly and through attention_fused (whose split over threads counts the rows left out).
TEST(AttentionKernel, FirstQueryRowsAloneMatchTheFullResultAndNothingElseIsWritten) {
  if (!attention_avx2_available()) GTEST_SKIP() << "no AVX2 + FMA on this CPU";
  radlite::set_num_threads(2);
  std::mt19937 rng(41);
  struct Kernel {
    const char* name;
    bool bf16, tiles, threaded;
  };
  std::vector<Kernel> kernels{{"avx2", false, false, false}, {"fused float32", false, false, true}};
  if (attention_avx512_available()) kernels.push_back({"avx512", false, false, false});
  if (attention_bf16_available()) kernels.push_back({"avx512bf16", true, false, false});
  if (attention_amx_available()) kernels.push_back({"amx", true, true, false});
  for (const Kernel& k : kernels)
    for (std::int64_t dh : {32, 64})
      for (std::int64_t L : {1, 5, 17, 70}) {
        const Data d = make(4, 3, L, dh, 1.0f, rng);
        const float scale = 1.0f / std::sqrt(static_cast<float>(dh));
        for (std::int64_t query_rows : {0, 1, 3, 17}) {
          std::vector<float> out(static_cast<std::size_t>(d.rows * d.ld_out()), -1.0f);
          AttentionArgs a = d.args(scale, out.data());
          a.query_rows = query_rows;
          a.bf16_products = k.bf16;
          std::vector<float> all(out.size(), -1.0f);
          AttentionArgs full = d.args(scale, all.data());
          full.bf16_products = k.bf16;
          for (const AttentionArgs& args : {a, full}) {
            std::vector<float> work(static_cast<std::size_t>(
                k.bf16 ? attention_amx_work_floats(d.L, dh) : attention_work_floats(d.L, dh)));
            const std::int64_t groups = d.sequences() * d.heads;
            if (k.threaded)
              attention_fused(args, d.sequences());
            else if (k.tiles)
              attention_amx(args, 0, groups, work.data());
            else if (k.bf16)
              attention_avx512bf16(args, 0, groups, work.data());
            else if (std::string(k.name) == "avx512")
              attention_avx512(args, 0, groups, work.data());
            else
              attention_avx2(args, 0, groups, work.data());
          }
          std::size_t written = 0, expected = 0;
          for (std::int64_t b = 0; b < d.sequences(); ++b) {
            const std::int64_t n = d.lengths[static_cast<std::size_t>(b)];
            const std::int64_t nq = query_rows > 0 ? std::min(n, query_rows) : n;
            expected += static_cast<std::size_t>(nq);
            for (std::int64_t i = 0; i < n; ++i) {
              const float* o = out.data() + (d.starts[static_cast<std::size_t>(b)] + i) * d.ld_out();
              const float* f = all.data() + (d.starts[static_cast<std::size_t>(b)] + i) * d.ld_out();
              const bool row_written = std::any_of(o, o + d.width(), [](float x) { return x != -1.0f; });
              written += row_written;
              if (i < nq)
                EXPECT_TRUE(std::equal(o, o + d.ld_out(), f))
                    << k.name << " dh " << dh << " L " << L << " query_rows " << query_rows << " row " << i;
              else
                EXPECT_FALSE(row_written) << k.name << " dh " << dh << " L " << L << " query_rows " << query_rows
                                          << " wrote row " << i << " of sequence " << b;
            }
          }
          EXPECT_EQ(written, expected) << k.name << " dh " << dh << " L " << L << " query_rows " << query_rows;
        }
      }
}
