// radlite/matrix.h: a plain row-major float matrix, the currency between the encoder and retrieval.
//
// Usage:
//   radlite::Matrix zeros(2, 3);                                  // 2 x 3, all 0
//   radlite::Matrix m(2, 2, {1, 0, 0, 1});                        // values row after row
//   float x = m(1, 1);  const float* r = m.row(0);
//
// Rows are items (texts, documents), columns are dimensions. It owns its data; copying copies. The shape and the
// number of values always agree: the constructors check it (InvalidArgument), and no member can change one without
// the other. Element access (operator(), row) is unchecked, like std::vector's operator[].
// Thread safety: like std::vector (concurrent const access is safe).
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "radlite/error.h"

namespace radlite {

class Matrix {
 public:
  Matrix() = default;
  /// rows x cols zeros. InvalidArgument when rows * cols overflows.
  Matrix(std::size_t rows, std::size_t cols) : rows_(rows), cols_(cols), data_(checked_size(rows, cols), 0.0f) {}
  /// rows x cols from values given row after row. InvalidArgument unless values.size() == rows * cols.
  Matrix(std::size_t rows, std::size_t cols, std::vector<float> values)
      : rows_(rows), cols_(cols), data_(std::move(values)) {
    if (data_.size() != checked_size(rows, cols))
      throw InvalidArgument("Matrix: a " + std::to_string(rows) + " x " + std::to_string(cols) + " matrix needs " +
                            std::to_string(rows * cols) + " values, got " + std::to_string(data_.size()));
  }

  std::size_t rows() const { return rows_; }
  std::size_t cols() const { return cols_; }
  /// rows() * cols(): the number of values.
  std::size_t size() const { return data_.size(); }
  bool empty() const { return rows_ == 0; }

  /// All values, row after row.
  const std::vector<float>& values() const { return data_; }
  float* data() { return data_.data(); }
  const float* data() const { return data_.data(); }

  float* row(std::size_t i) { return data_.data() + i * cols_; }
  const float* row(std::size_t i) const { return data_.data() + i * cols_; }
  float& operator()(std::size_t i, std::size_t j) { return data_[i * cols_ + j]; }
  float operator()(std::size_t i, std::size_t j) const { return data_[i * cols_ + j]; }

 private:
  static std::size_t checked_size(std::size_t rows, std::size_t cols) {
    if (cols != 0 && rows > std::numeric_limits<std::size_t>::max() / cols)
      throw InvalidArgument("Matrix: " + std::to_string(rows) + " x " + std::to_string(cols) + " is too large");
    return rows * cols;
  }

  std::size_t rows_ = 0;
  std::size_t cols_ = 0;
  std::vector<float> data_;  // rows_ * cols_ values, row after row
};

}  // namespace radlite
