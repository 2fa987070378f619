// radlite/retrieval/calibration.h: temperature scaling of reranker logits into probabilities.
//
//   std::vector<float> p = radlite::calibrate(logits, {1.5});      // sigmoid(logit / 1.5)
//   radlite::TemperatureFit fit = radlite::fit_temperature(dev_logits, dev_labels);
//   std::vector<float> q = radlite::calibrate(test_logits, {fit.temperature});
//   std::vector<float> probs = radlite::softmax(class_logits, {fit3.temperature});  // several labels
//
// fit_temperature minimises the mean log loss (binary cross-entropy, or cross-entropy for several labels)
// over T in [min_temperature, max_temperature]. The loss is convex in beta = 1/T (a one-parameter logistic
// regression), so a safeguarded Newton iteration on beta (bisection on the derivative's sign bracket when a
// Newton step leaves the bracket) finds the global minimum; it stops when beta moves by less than
// `tolerance` relatively (i.e. about `tolerance` in log T). A minimum outside the interval is clamped.
// Computations are in double and numerically stable (log-sum-exp, log1p); vector results are rounded to float.
//
// Thread safety: pure functions.
#pragma once

#include <radlite/matrix.h>

#include <cstddef>
#include <vector>

namespace radlite {

struct CalibrationOptions {
  double temperature = 1.0;  // T > 0; T > 1 softens (probabilities toward 0.5), T < 1 sharpens
};

/// sigmoid(logit / T) for each logit. InvalidArgument on T <= 0 or non-finite T.
std::vector<float> calibrate(const std::vector<float>& logits, const CalibrationOptions& options = {});
double calibrate(double logit, const CalibrationOptions& options = {});

/// softmax(logits / T) over one set of labels (sums to 1). InvalidArgument on an empty input or bad T.
std::vector<float> softmax(const std::vector<float>& logits, const CalibrationOptions& options = {});
/// Row-wise softmax of a rows x labels matrix.
Matrix softmax_rows(const Matrix& logits, const CalibrationOptions& options = {});

struct TemperatureFitOptions {
  double min_temperature = 1e-2;  // search interval for T, 0 < min < max
  double max_temperature = 1e2;
  double tolerance = 1e-10;  // relative change of 1/T that stops the iteration (~ on log T)
  int max_iterations = 200;
};

struct TemperatureFit {
  double temperature = 1.0;    // the minimiser (clamped to the search interval)
  double log_loss = 0.0;       // mean log loss at `temperature`
  double log_loss_at_1 = 0.0;  // mean log loss at T = 1, for comparison
  int iterations = 0;
};

/// Binary case: labels[i] in [0, 1] (0/1, or soft targets) for logits[i]. InvalidArgument on empty input,
/// a size mismatch, labels outside [0, 1] or non-finite logits.
TemperatureFit fit_temperature(const std::vector<float>& logits, const std::vector<float>& labels,
                               const TemperatureFitOptions& options = {});

/// Several labels: row i of `logits` scores the labels of example i, labels[i] is the true column.
TemperatureFit fit_temperature(const Matrix& logits, const std::vector<std::size_t>& labels,
                               const TemperatureFitOptions& options = {});

}  // namespace radlite
