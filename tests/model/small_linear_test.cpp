// The few-rows float32 Linear kernel (model/small_linear.h) against a double-precision loop, over shapes that
// reach every path: row pairs and an odd row, whole and partial 6-column blocks, k with a tail below 8 floats,
// k longer than one 768-float stretch (copied and not copied), and 1 or 2 threads.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "model/small_linear.h"
#include "radlite/runtime.h"

namespace {

using radlite::model::small_linear;

struct Case {
  std::int64_t rows, k, n;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.rows << "x" << c.k << " times " << c.k << "x" << c.n; }

struct Problem {
  std::vector<float> x, w, bias;
};

Problem random_problem(const Case& c, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> d;
  Problem p;
  p.x.resize(static_cast<std::size_t>(c.rows * c.k));
  p.w.resize(static_cast<std::size_t>(c.n * c.k));
  p.bias.resize(static_cast<std::size_t>(c.n));
  for (auto* v : {&p.x, &p.w, &p.bias})
    for (float& f : *v) f = d(gen);
  return p;
}

// The first element of `out` farther from x w^T + b (in double) than float rounding allows, as a message; empty
// when there is none. The bound is relative to sum |x||w| + |b|: a float dot product's rounding error grows with
// that sum, and a wrong index gives an error of its order.
std::string first_mismatch(const Case& c, const Problem& p, const std::vector<float>& out) {
  for (std::int64_t m = 0; m < c.rows; ++m)
    for (std::int64_t j = 0; j < c.n; ++j) {
      double ref = p.bias[static_cast<std::size_t>(j)], mag = std::abs(ref);
      for (std::int64_t i = 0; i < c.k; ++i) {
        const double t =
            double(p.x[static_cast<std::size_t>(m * c.k + i)]) * p.w[static_cast<std::size_t>(j * c.k + i)];
        ref += t;
        mag += std::abs(t);
      }
      const double got = out[static_cast<std::size_t>(m * c.n + j)];
      if (!(std::abs(got - ref) <= 1e-6 * mag))
        return "out[" + std::to_string(m) + "][" + std::to_string(j) + "] = " + std::to_string(got) + ", expected " +
               std::to_string(ref);
    }
  return {};
}

class SmallLinear : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    if (!radlite::model::small_linear_available()) GTEST_SKIP() << "no AVX2 + FMA kernel on this CPU or build";
  }
  void TearDown() override { radlite::set_num_threads(0); }
};

TEST_P(SmallLinear, MatchesDoublePrecisionReference) {
  const Case c = GetParam();
  const Problem p = random_problem(c, static_cast<unsigned>(c.rows * 7919 + c.k * 31 + c.n));
  std::vector<float> one(static_cast<std::size_t>(c.rows * c.n)), two(one.size());
  radlite::set_num_threads(1);
  small_linear(p.x.data(), c.rows, c.k, p.w.data(), p.bias.data(), c.n, one.data());
  EXPECT_EQ(first_mismatch(c, p, one), "");
  // The threads split the columns on the kernel's block boundaries, so each column is computed the same way.
  radlite::set_num_threads(2);
  small_linear(p.x.data(), c.rows, c.k, p.w.data(), p.bias.data(), c.n, two.data());
  EXPECT_EQ(one, two);

  // The check can fail: a changed weight in the last column (a partial block's, where there is one).
  Problem changed = p;
  changed.w[static_cast<std::size_t>((c.n - 1) * c.k + c.k - 1)] += 1.0f;
  EXPECT_NE(first_mismatch(c, changed, one), "");
}

TEST_F(SmallLinear, NoBiasStartsFromZero) {
  const Case c{3, 20, 7};
  Problem p = random_problem(c, 5);
  std::vector<float> out(static_cast<std::size_t>(c.rows * c.n));
  small_linear(p.x.data(), c.rows, c.k, p.w.data(), nullptr, c.n, out.data());
  std::fill(p.bias.begin(), p.bias.end(), 0.0f);
  EXPECT_EQ(first_mismatch(c, p, out), "");
}

INSTANTIATE_TEST_SUITE_P(Shapes, SmallLinear,
                         ::testing::Values(Case{1, 768, 768}, Case{2, 8, 6}, Case{3, 5, 1}, Case{7, 13, 13},
                                           Case{32, 768, 2304}, Case{32, 3072, 768}, Case{5, 3072, 20},
                                           Case{9, 1000, 17}, Case{64, 384, 1536}),
                         [](const ::testing::TestParamInfo<Case>& i) {
                           return "rows" + std::to_string(i.param.rows) + "_k" + std::to_string(i.param.k) + "_n" +
                                  std::to_string(i.param.n);
                         });

}  // namespace
