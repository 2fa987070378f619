// Temperature scaling. Fitting works on beta = 1/T, where the mean log loss is convex.
#include <radlite/error.h>
#include <radlite/retrieval/calibration.h>

#include <algorithm>
#include <cmath>
#include <functional>

namespace radlite {
namespace {

void check_temperature(double t) {
  if (!(t > 0.0) || !std::isfinite(t))
    throw InvalidArgument("calibration: temperature must be finite and > 0, got " + std::to_string(t));
}

double sigmoid(double z) {
  if (z >= 0.0) return 1.0 / (1.0 + std::exp(-z));
  const double e = std::exp(z);
  return e / (1.0 + e);
}

// log(1 + exp(z)) without overflow.
double softplus(double z) { return z > 0.0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z)); }

struct LossDerivs {
  double loss, d1, d2;  // mean loss and its first two derivatives in beta
};

TemperatureFit minimise(const std::function<LossDerivs(double)>& f, const TemperatureFitOptions& o) {
  if (!(o.min_temperature > 0.0) || !(o.max_temperature > o.min_temperature) || !std::isfinite(o.max_temperature)) {
    throw InvalidArgument("fit_temperature: need 0 < min_temperature < max_temperature");
  }
  if (o.max_iterations < 1) throw InvalidArgument("fit_temperature: max_iterations must be >= 1");
  double lo = 1.0 / o.max_temperature, hi = 1.0 / o.min_temperature;
  TemperatureFit fit;
  fit.log_loss_at_1 = f(1.0).loss;
  double beta = std::clamp(1.0, lo, hi);
  int it = 0;
  // Convexity: d1 < 0 means the minimum lies at larger beta, d1 > 0 at smaller.
  if (f(lo).d1 >= 0.0) {
    beta = lo;
  } else if (f(hi).d1 <= 0.0) {
    beta = hi;
  } else {
    for (it = 1; it <= o.max_iterations; ++it) {
      const LossDerivs d = f(beta);
      if (d.d1 > 0.0)
        hi = beta;
      else
        lo = beta;
      double next = d.d2 > 0.0 ? beta - d.d1 / d.d2 : 0.5 * (lo + hi);
      if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
      const bool done = std::fabs(next - beta) <= o.tolerance * beta || d.d1 == 0.0;
      beta = next;
      if (done) break;
    }
  }
  fit.temperature = 1.0 / beta;
  fit.log_loss = f(beta).loss;
  fit.iterations = it;
  return fit;
}

}  // namespace

double calibrate(double logit, const CalibrationOptions& options) {
  check_temperature(options.temperature);
  return sigmoid(logit / options.temperature);
}

std::vector<float> calibrate(const std::vector<float>& logits, const CalibrationOptions& options) {
  check_temperature(options.temperature);
  std::vector<float> out;
  out.reserve(logits.size());
  for (float x : logits) out.push_back(static_cast<float>(sigmoid(static_cast<double>(x) / options.temperature)));
  return out;
}

std::vector<float> softmax(const std::vector<float>& logits, const CalibrationOptions& options) {
  check_temperature(options.temperature);
  if (logits.empty()) throw InvalidArgument("softmax: empty logits");
  const double t = options.temperature;
  const double mx = *std::max_element(logits.begin(), logits.end()) / t;
  std::vector<double> e(logits.size());
  double sum = 0.0;
  for (std::size_t i = 0; i < logits.size(); ++i) sum += e[i] = std::exp(logits[i] / t - mx);
  std::vector<float> out(logits.size());
  for (std::size_t i = 0; i < e.size(); ++i) out[i] = static_cast<float>(e[i] / sum);
  return out;
}

Matrix softmax_rows(const Matrix& logits, const CalibrationOptions& options) {
  check_temperature(options.temperature);
  if (logits.cols() == 0) throw InvalidArgument("softmax_rows: zero columns");
  Matrix out(logits.rows(), logits.cols());
  for (std::size_t r = 0; r < logits.rows(); ++r) {
    std::vector<float> row(logits.row(r), logits.row(r) + logits.cols());
    const auto p = softmax(row, options);
    for (std::size_t c = 0; c < logits.cols(); ++c) out(r, c) = p[c];
  }
  return out;
}

TemperatureFit fit_temperature(const std::vector<float>& logits, const std::vector<float>& labels,
                               const TemperatureFitOptions& options) {
  if (logits.empty()) throw InvalidArgument("fit_temperature: no examples");
  if (logits.size() != labels.size()) {
    throw InvalidArgument("fit_temperature: " + std::to_string(logits.size()) + " logits but " +
                          std::to_string(labels.size()) + " labels");
  }
  for (std::size_t i = 0; i < logits.size(); ++i) {
    if (!std::isfinite(logits[i]))
      throw InvalidArgument("fit_temperature: logit " + std::to_string(i) + " is not finite");
    if (!(labels[i] >= 0.0f && labels[i] <= 1.0f))
      throw InvalidArgument("fit_temperature: label " + std::to_string(i) + " is outside [0, 1]");
  }
  const double n = static_cast<double>(logits.size());
  auto f = [&](double beta) {
    LossDerivs d{0.0, 0.0, 0.0};
    for (std::size_t i = 0; i < logits.size(); ++i) {
      const double x = logits[i], y = labels[i], z = beta * x, s = sigmoid(z);
      d.loss += softplus(z) - y * z;
      d.d1 += (s - y) * x;
      d.d2 += s * (1.0 - s) * x * x;
    }
    return LossDerivs{d.loss / n, d.d1 / n, d.d2 / n};
  };
  return minimise(f, options);
}

TemperatureFit fit_temperature(const Matrix& logits, const std::vector<std::size_t>& labels,
                               const TemperatureFitOptions& options) {
  if (logits.rows() == 0 || logits.cols() == 0) throw InvalidArgument("fit_temperature: no examples");
  if (logits.rows() != labels.size()) {
    throw InvalidArgument("fit_temperature: " + std::to_string(logits.rows()) + " rows but " +
                          std::to_string(labels.size()) + " labels");
  }
  for (std::size_t r = 0; r < logits.rows(); ++r) {
    if (labels[r] >= logits.cols())
      throw InvalidArgument("fit_temperature: label " + std::to_string(labels[r]) + " of row " + std::to_string(r) +
                            " out of range");
    for (std::size_t c = 0; c < logits.cols(); ++c) {
      if (!std::isfinite(logits(r, c)))
        throw InvalidArgument("fit_temperature: logit (" + std::to_string(r) + ", " + std::to_string(c) +
                              ") is not finite");
    }
  }
  const double n = static_cast<double>(logits.rows());
  auto f = [&](double beta) {
    LossDerivs d{0.0, 0.0, 0.0};
    for (std::size_t r = 0; r < logits.rows(); ++r) {
      const float* x = logits.row(r);
      double mx = beta * x[0];
      for (std::size_t c = 1; c < logits.cols(); ++c) mx = std::max(mx, beta * x[c]);
      double z = 0.0, ex = 0.0, ex2 = 0.0;
      for (std::size_t c = 0; c < logits.cols(); ++c) {
        const double e = std::exp(beta * x[c] - mx);
        z += e;
        ex += e * x[c];
        ex2 += e * x[c] * x[c];
      }
      ex /= z;
      ex2 /= z;
      d.loss += mx + std::log(z) - beta * x[labels[r]];
      d.d1 += ex - x[labels[r]];
      d.d2 += ex2 - ex * ex;
    }
    return LossDerivs{d.loss / n, d.d1 / n, d.d2 / n};
  };
  return minimise(f, options);
}

}  // namespace radlite
