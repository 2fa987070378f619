// radlite/matrix.h: a plain row-major float matrix, the currency between the encoder and retrieval.
//
// Rows are items (texts, documents), columns are dimensions. It owns its data; copying copies.
// Thread safety: like std::vector (concurrent const access is safe).
#pragma once

#include <cstddef>
#include <vector>

namespace radlite {

struct Matrix {
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::vector<float> data;  // rows * cols values, row after row

  Matrix() = default;
  Matrix(std::size_t r, std::size_t c) : rows(r), cols(c), data(r * c, 0.0f) {}

  float* row(std::size_t i) { return data.data() + i * cols; }
  const float* row(std::size_t i) const { return data.data() + i * cols; }
  float& operator()(std::size_t i, std::size_t j) { return data[i * cols + j]; }
  float operator()(std::size_t i, std::size_t j) const { return data[i * cols + j]; }
  bool empty() const { return rows == 0; }
};

}  // namespace radlite
