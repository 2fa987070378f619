// radlite's LayerNorm kernel (model/layer_norm.h) against a double-precision LayerNorm and against libtorch's
// at::layer_norm: widths that leave every remainder of an 8-float vector, with and without the residual added in
// the kernel, in place over the residual (as the encoder calls it), on one thread and shared over threads.
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "model/layer_norm.h"
#include "radlite/runtime.h"

using namespace radlite;

namespace {

struct Rows {
  std::int64_t rows, n;
  std::vector<float> a, b, gamma, beta;
};

Rows make(std::int64_t rows, std::int64_t n, std::mt19937& rng) {
  std::normal_distribution<float> d(0.3f, 2.0f);
  Rows r{rows, n, {}, {}, {}, {}};
  for (auto* v : {&r.a, &r.b}) {
    v->resize(static_cast<std::size_t>(rows * n));
    for (auto& x : *v) x = d(rng);
  }
  for (auto* v : {&r.gamma, &r.beta}) {
    v->resize(static_cast<std::size_t>(n));
    for (auto& x : *v) x = d(rng);
  }
  return r;
}

// In double: (s - mean) / sqrt(var + eps) * gamma + beta, var biased, s = a (+ b). `unbiased` divides by n - 1
// instead: a LayerNorm that is wrong in the way a slip would make it.
std::vector<double> reference(const Rows& r, bool add, double eps, bool unbiased = false) {
  std::vector<double> out(r.a.size());
  for (std::int64_t i = 0; i < r.rows; ++i) {
    std::vector<double> s(static_cast<std::size_t>(r.n));
    double mean = 0.0, var = 0.0;
    for (std::int64_t j = 0; j < r.n; ++j) {
      const auto k = static_cast<std::size_t>(i * r.n + j);
      s[static_cast<std::size_t>(j)] = static_cast<double>(r.a[k]) + (add ? static_cast<double>(r.b[k]) : 0.0);
      mean += s[static_cast<std::size_t>(j)];
    }
    mean /= static_cast<double>(r.n);
    for (double x : s) var += (x - mean) * (x - mean);
    var /= static_cast<double>(unbiased && r.n > 1 ? r.n - 1 : r.n);
    for (std::int64_t j = 0; j < r.n; ++j)
      out[static_cast<std::size_t>(i * r.n + j)] =
          (s[static_cast<std::size_t>(j)] - mean) / std::sqrt(var + eps) * r.gamma[static_cast<std::size_t>(j)] +
          r.beta[static_cast<std::size_t>(j)];
  }
  return out;
}

double max_diff(const std::vector<float>& got, const std::vector<double>& want) {
  double m = 0.0;
  for (std::size_t i = 0; i < got.size(); ++i) m = std::max(m, std::abs(static_cast<double>(got[i]) - want[i]));
  return m;
}

}  // namespace

TEST(LayerNorm, KernelMatchesDoublePrecisionAndLibtorch) {
  if (!model::layer_norm_avx2_available()) GTEST_SKIP() << "no AVX2 + FMA on this CPU (ATen's layer_norm runs)";
  c10::InferenceMode guard;
  set_num_threads(2);
  std::mt19937 rng(11);
  const float eps = 1e-5f;
  for (std::int64_t n : {1, 3, 8, 13, 24, 384, 771})
    for (const bool add : {false, true}) {
      const Rows r = make(37, n, rng);
      const auto want = reference(r, add, eps);
      // Outputs are about |gamma| * 3 + |beta| (up to about 20): float rounding keeps them within a few 1e-6.
      std::vector<float> one(r.a.size());
      model::layer_norm_avx2(r.a.data(), add ? r.b.data() : nullptr, r.rows, n, r.gamma.data(), r.beta.data(), eps,
                             one.data());
      EXPECT_LT(max_diff(one, want), 5e-6) << "n " << n << " add " << add;
      // Threaded, in place over b (as the encoder calls it when the kernel adds the residual).
      std::vector<float> threaded = r.b;
      model::layer_norm_rows(r.a.data(), add ? threaded.data() : nullptr, r.rows, n, r.gamma.data(), r.beta.data(),
                             eps, threaded.data());
      EXPECT_EQ(threaded, one) << "n " << n << " add " << add;
      // libtorch on the same float inputs (not for one column, where libtorch's running variance leaves a rounding
      // residue of the row's value and radlite's two passes give exactly 0 as double precision does).
      if (n == 1) continue;
      at::Tensor s = at::from_blob(const_cast<float*>(r.a.data()), {r.rows, n}).clone();
      if (add) s += at::from_blob(const_cast<float*>(r.b.data()), {r.rows, n});
      const at::Tensor t = at::layer_norm(s, {n}, at::from_blob(const_cast<float*>(r.gamma.data()), {n}),
                                          at::from_blob(const_cast<float*>(r.beta.data()), {n}), eps);
      const at::Tensor mine = at::from_blob(one.data(), {r.rows, n});
      EXPECT_LT((t - mine).abs().max().item<double>(), 5e-6) << "n " << n << " add " << add;
      // The comparison can fail: the unbiased variance (n - 1) moves the outputs by far more.
      if (n >= 8) EXPECT_GT(max_diff(one, reference(r, add, eps, /*unbiased=*/true)), 1e-3) << "n " << n;
    }
}
