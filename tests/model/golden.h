// Test support: the reference outputs recorded from transformers / sentence-transformers (tests/data/golden).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/file_util.h"
#include "radlite/matrix.h"

namespace radlite::test_support {

inline std::string model_dir(const std::string& name) { return std::string(RADLITE_MODELS_DIR) + "/" + name; }

inline nlohmann::json golden(const std::string& name) {
  return io::read_json_file(std::string(RADLITE_TEST_DATA_DIR) + "/golden/" + name + ".json");
}

/// A bundled model directory and the golden it must reproduce (some models share one: same weights, other files).
using ModelAndGolden = std::pair<std::string, std::string>;

inline std::vector<ModelAndGolden> bi_encoder_goldens() {
  return {{"roberta-biencoder-tiny", "roberta-biencoder-tiny"},
          {"roberta-biencoder-tiny-st5", "roberta-biencoder-tiny"},
          {"bert-biencoder-cls-tiny", "bert-biencoder-cls-tiny"},
          {"xlmr-biencoder-sp-tiny", "xlmr-biencoder-sp-tiny"}};
}

inline std::vector<ModelAndGolden> cross_encoder_goldens() {
  return {{"bert-crossencoder-tiny", "bert-crossencoder-tiny"},
          {"bert-crossencoder-tiny-vocab", "bert-crossencoder-tiny"},
          {"roberta-crossencoder-tiny", "roberta-crossencoder-tiny"}};
}

/// Names a parameterized test after its model directory (gtest allows only [A-Za-z0-9_]).
struct ModelTestName {
  template <class ParamInfo>
  std::string operator()(const ParamInfo& info) const {
    std::string n = info.param.first;
    for (auto& c : n)
      if (c == '-') c = '_';
    return n;
  }
};

inline std::vector<std::vector<std::int32_t>> int_rows(const nlohmann::json& j) {
  std::vector<std::vector<std::int32_t>> out;
  for (const auto& r : j) out.push_back(r.get<std::vector<std::int32_t>>());
  return out;
}

inline std::vector<std::vector<float>> float_rows(const nlohmann::json& j) {
  std::vector<std::vector<float>> out;
  for (const auto& r : j) out.push_back(r.get<std::vector<float>>());
  return out;
}

/// Largest |a - b| over all entries; infinity when the shapes differ.
inline double max_abs_diff(const Matrix& a, const std::vector<std::vector<float>>& b) {
  if (a.rows() != b.size()) return INFINITY;
  double m = 0;
  for (std::size_t i = 0; i < a.rows(); ++i) {
    if (b[i].size() != a.cols()) return INFINITY;
    for (std::size_t j = 0; j < a.cols(); ++j) m = std::max(m, std::fabs(static_cast<double>(a(i, j)) - b[i][j]));
  }
  return m;
}

inline double max_abs_diff(const Matrix& a, const Matrix& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) return INFINITY;
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(static_cast<double>(a.data()[i]) - b.data()[i]));
  return m;
}

inline double max_abs_diff(const std::vector<std::vector<float>>& a, const std::vector<std::vector<float>>& b) {
  if (a.size() != b.size()) return INFINITY;
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].size() != b[i].size()) return INFINITY;
    for (std::size_t j = 0; j < a[i].size(); ++j) m = std::max(m, std::fabs(static_cast<double>(a[i][j]) - b[i][j]));
  }
  return m;
}

}  // namespace radlite::test_support
