// OutputRows::First (model/transformer.h): a cross-encoder reads only each pair's first-token state, so the last
// layer runs its attention for that query row alone and its projections, FFN and LayerNorms on those rows. The
// states it returns must be the ones a pass over every token computes, for BERT and RoBERTa, float32 and int8, the
// fused attention kernel and ATen's, with padding in the batch and more rows than the small-row kernel takes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "../support/scratch_dir.h"
#include "model/encoder_access.h"
#include "radlite/encoder.h"
#include "tiny_model_writer.h"

using namespace radlite;
namespace ts = radlite::test_support;

namespace {

double max_abs_diff(const Matrix& a, const Matrix& b, std::size_t rows) {
  double m = 0.0;
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < a.cols(); ++c)
      m = std::max(m, std::abs(static_cast<double>(a.row(r)[c]) - static_cast<double>(b.row(r)[c])));
  return m;
}

TEST(OutputRows, FirstRowsAloneMatchThePassOverEveryTokenAndTheCheckCanFail) {
  for (const std::string type : {"bert", "roberta"}) {
    ts::TinySpec spec;
    spec.model_type = type;
    spec.pad_id = type == "bert" ? 0 : 1;
    spec.type_vocab = type == "bert" ? 2 : 1;
    spec.act = "gelu";
    spec.num_labels = 1;
    spec.hidden = 64;  // two heads of 32: the fused kernel takes them
    spec.heads = 2;
    spec.intermediate = 128;
    spec.layers = 3;
    spec.vocab = 100;
    spec.max_positions = 80;
    ts::ScratchDir dir;
    ts::write_tiny_model(spec, dir.path());

    // 213 tokens in six pairs of different lengths: padding in the pass, and more rows than small_linear takes
    // (96), so the pass over every token and the narrowed last layer run their Linear layers on different kernels.
    std::mt19937 rng(5);
    std::vector<TokenizedPair> pairs;
    for (const std::size_t len : {60u, 3u, 41u, 17u, 60u, 32u}) {
      TokenizedPair p;
      p.ids.push_back(2);
      while (p.ids.size() < len) p.ids.push_back(std::uniform_int_distribution<std::int32_t>(3, 99)(rng));
      if (type == "bert") {
        p.type_ids.assign(len, 0);
        std::fill(p.type_ids.begin() + static_cast<std::ptrdiff_t>(len / 2), p.type_ids.end(), 1);
      }
      pairs.push_back(p);
    }
    for (const bool fused : {true, false}) {
      if (!fused) ::setenv("RADLITE_NO_FUSED_ATTENTION", "1", 1);  // read when the model loads
      for (const DType dtype : {DType::F32, DType::Int8}) {
        CrossEncoderOptions options;
        options.compute.dtype = dtype;
        const CrossEncoder ce = CrossEncoder::load(dir.path(), options);
        const std::string what = type + (fused ? " fused" : " aten") + (dtype == DType::Int8 ? " int8" : " float32");
        const Matrix first = model::EncoderAccess::first_states(ce, pairs, true);
        const Matrix all = model::EncoderAccess::first_states(ce, pairs, false);
        ASSERT_EQ(first.rows(), pairs.size()) << what;
        ASSERT_EQ(first.cols(), static_cast<std::size_t>(spec.hidden)) << what;
        EXPECT_LT(max_abs_diff(first, all, pairs.size()), 1e-5) << what;
        // The comparison can fail: the first token's state depends on every token of its pair (the last layer's
        // keys and values), so changing a pair's last token moves it.
        std::vector<TokenizedPair> changed = pairs;
        changed[0].ids.back() = changed[0].ids.back() == 50 ? 51 : 50;
        const Matrix moved = model::EncoderAccess::first_states(ce, changed, true);
        EXPECT_GT(max_abs_diff(moved, first, 1), 1e-4) << what;
        EXPECT_LT(max_abs_diff(moved, model::EncoderAccess::first_states(ce, changed, false), pairs.size()), 1e-5)
            << what;
      }
      ::unsetenv("RADLITE_NO_FUSED_ATTENTION");
    }
  }
}

}  // namespace
