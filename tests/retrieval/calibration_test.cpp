#include <radlite/error.h>
#include <radlite/retrieval/calibration.h>

#include <gtest/gtest.h>

#include <cmath>
#include <random>

TEST(Calibration, SigmoidAndSoftmaxWithTemperature) {
  EXPECT_NEAR(radlite::calibrate(2.0, {2.0}), 1.0 / (1.0 + std::exp(-1.0)), 1e-15);
  const auto p = radlite::calibrate(std::vector<float>{0.0f, 3.0f, -3.0f, 800.0f, -800.0f}, {1.5});
  EXPECT_EQ(p[0], 0.5f);
  EXPECT_NEAR(p[1], 1.0 / (1.0 + std::exp(-2.0)), 1e-7);
  EXPECT_NEAR(p[2], 1.0 / (1.0 + std::exp(2.0)), 1e-7);
  EXPECT_EQ(p[3], 1.0f);  // no overflow
  EXPECT_EQ(p[4], 0.0f);
  const auto s = radlite::softmax({1.0f, 2.0f, 3.0f}, {2.0});
  const double z = std::exp(0.5) + std::exp(1.0) + std::exp(1.5);
  EXPECT_NEAR(s[0], std::exp(0.5) / z, 1e-7);
  EXPECT_NEAR(s[2], std::exp(1.5) / z, 1e-7);
  const radlite::Matrix m(2, 2, {0, 0, 1000, 0});
  const radlite::Matrix sm = radlite::softmax_rows(m);
  EXPECT_FLOAT_EQ(sm(0, 0), 0.5f);
  EXPECT_FLOAT_EQ(sm(1, 0), 1.0f);
  EXPECT_THROW(radlite::calibrate(1.0, {0.0}), radlite::InvalidArgument);
  EXPECT_THROW(radlite::softmax({}, {}), radlite::InvalidArgument);
}

TEST(Calibration, FitRecoversKnownTemperatureFromSoftLabels) {
  // Targets are exactly sigmoid(x / 2.5): cross-entropy is minimised where predictions equal them.
  std::vector<float> logits, labels;
  for (int i = -40; i <= 40; ++i) {
    logits.push_back(0.25f * static_cast<float>(i));
    labels.push_back(static_cast<float>(1.0 / (1.0 + std::exp(-0.25 * i / 2.5))));
  }
  const auto fit = radlite::fit_temperature(logits, labels);
  EXPECT_NEAR(fit.temperature, 2.5, 1e-5);
  EXPECT_LT(fit.log_loss, fit.log_loss_at_1);
  // Perturbing the targets moves the answer well beyond the tolerance.
  for (auto& y : labels) y = static_cast<float>(std::min(1.0, y * 1.05));
  EXPECT_GT(std::fabs(radlite::fit_temperature(logits, labels).temperature - 2.5), 1e-2);
}

TEST(Calibration, FitRecoversTemperatureFromSampledLabels) {
  std::mt19937 rng(7);
  std::normal_distribution<double> logit(0.0, 4.0);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (double t_true : {0.5, 1.5, 3.0}) {
    std::vector<float> logits, labels;
    for (int i = 0; i < 40000; ++i) {
      const double x = logit(rng);
      logits.push_back(static_cast<float>(x));
      labels.push_back(u(rng) < 1.0 / (1.0 + std::exp(-x / t_true)) ? 1.0f : 0.0f);
    }
    const auto fit = radlite::fit_temperature(logits, labels);
    EXPECT_NEAR(fit.temperature, t_true, 0.06 * t_true) << "true T " << t_true;
  }
}

TEST(Calibration, FitMulticlassTemperature) {
  std::mt19937 rng(11);
  std::normal_distribution<double> logit(0.0, 3.0);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const double t_true = 2.0;
  const std::size_t n = 20000, c = 4;
  radlite::Matrix logits(n, c);
  std::vector<std::size_t> labels(n);
  for (std::size_t r = 0; r < n; ++r) {
    std::vector<float> row(c);
    for (auto& x : row) x = static_cast<float>(logit(rng));
    for (std::size_t j = 0; j < c; ++j) logits(r, j) = row[j];
    const auto p = radlite::softmax(row, {t_true});
    double acc = 0.0, draw = u(rng);
    labels[r] = c - 1;
    for (std::size_t j = 0; j < c; ++j) {
      acc += p[j];
      if (draw < acc) {
        labels[r] = j;
        break;
      }
    }
  }
  const auto fit = radlite::fit_temperature(logits, labels);
  EXPECT_NEAR(fit.temperature, t_true, 0.1);
}

TEST(Calibration, FitEdgeCasesAndErrors) {
  // Perfectly separable data: the loss keeps falling as T -> 0, so the fit stops at min_temperature.
  const auto sharp = radlite::fit_temperature({-2.0f, -1.0f, 1.0f, 2.0f}, {0.0f, 0.0f, 1.0f, 1.0f});
  EXPECT_NEAR(sharp.temperature, 1e-2, 1e-12);
  // Labels independent of the logits: the best T is as large as allowed.
  const auto flat = radlite::fit_temperature({-2.0f, 2.0f, -2.0f, 2.0f}, {0.0f, 0.0f, 1.0f, 1.0f});
  EXPECT_NEAR(flat.temperature, 1e2, 1e-9);
  EXPECT_THROW(radlite::fit_temperature(std::vector<float>{}, std::vector<float>{}), radlite::InvalidArgument);
  EXPECT_THROW(radlite::fit_temperature({1.0f}, {1.0f, 0.0f}), radlite::InvalidArgument);
  EXPECT_THROW(radlite::fit_temperature({1.0f}, {2.0f}), radlite::InvalidArgument);
  EXPECT_THROW(radlite::fit_temperature({std::nanf("")}, {1.0f}), radlite::InvalidArgument);
  EXPECT_THROW(radlite::fit_temperature(radlite::Matrix(1, 2), std::vector<std::size_t>{2}), radlite::InvalidArgument);
}
