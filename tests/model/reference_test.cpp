// Models of other sizes than the fixtures (widths, depths, head counts, position tables, activations, label
// counts), with random weights written by the test, against an independent naive implementation (loops over
// tokens in double precision, tiny_model_writer.h). Nothing in the library may assume a size.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>

#include "../support/scratch_dir.h"
#include "golden.h"
#include "model/encoder_access.h"
#include "radlite/encoder.h"
#include "tiny_model_writer.h"

using namespace radlite;
namespace ts = radlite::test_support;

namespace {

constexpr double kTol = 1e-5;

std::vector<double> naive_pool(const std::vector<std::vector<double>>& s, const std::string& mode) {
  const std::size_t L = s.size(), H = s[0].size();
  std::vector<double> out(H, 0.0);
  if (mode == "cls") return s[0];
  if (mode == "lasttoken") return s[L - 1];
  if (mode == "max") {
    out.assign(H, -1e300);
    for (const auto& r : s)
      for (std::size_t h = 0; h < H; ++h) out[h] = std::max(out[h], r[h]);
    return out;
  }
  double wsum = 0;
  for (std::size_t t = 0; t < L; ++t) {
    const double w = mode == "weightedmean" ? static_cast<double>(t + 1) : 1.0;
    wsum += w;
    for (std::size_t h = 0; h < H; ++h) out[h] += w * s[t][h];
  }
  const double div = mode == "mean_sqrt_len_tokens" ? std::sqrt(static_cast<double>(L)) : wsum;
  for (auto& v : out) v /= div;
  return out;
}

void write_st_layout(const std::string& dir, const std::string& mode, bool normalize, int dim) {
  nlohmann::json modules = nlohmann::json::array();
  modules.push_back({{"idx", 0},
                     {"name", "0"},
                     {"path", ""},
                     {"type", "sentence_transformers.base.modules.transformer.Transformer"}});
  modules.push_back({{"idx", 1},
                     {"name", "1"},
                     {"path", "1_Pooling"},
                     {"type", "sentence_transformers.sentence_transformer.modules.pooling.Pooling"}});
  if (normalize)
    modules.push_back({{"idx", 2},
                       {"name", "2"},
                       {"path", "2_Normalize"},
                       {"type", "sentence_transformers.base.modules.normalize.Normalize"}});
  ts::write_file(dir + "/modules.json", modules.dump(2));
  std::system(("mkdir -p '" + dir + "/1_Pooling' '" + dir + "/2_Normalize'").c_str());
  ts::write_file(dir + "/1_Pooling/config.json",
                 nlohmann::json{{"embedding_dimension", dim}, {"pooling_mode", mode}, {"include_prompt", true}}.dump());
}

// Sequences of several lengths up to the position limit, one with a literal pad id inside (RoBERTa positions
// must skip it), so that passes are padded.
std::vector<std::vector<std::int32_t>> sample_ids(const ts::TinySpec& s, std::size_t max_len) {
  std::mt19937 rng(s.seed + 1);
  std::uniform_int_distribution<int> tok(3, s.vocab - 1);
  std::vector<std::vector<std::int32_t>> rows;
  for (std::size_t len : {std::size_t(3), max_len, std::size_t(7), std::size_t(2), max_len - 3}) {
    std::vector<std::int32_t> r(len);
    for (auto& t : r) t = tok(rng);
    rows.push_back(r);
  }
  rows[2][3] = s.pad_id;
  return rows;
}

class RandomBiEncoder : public ::testing::TestWithParam<std::string> {};

TEST_P(RandomBiEncoder, MatchesNaiveReference) {
  const std::string mode = GetParam();
  ts::TinySpec spec;  // RoBERTa, hidden 24, 3 heads, 3 layers, intermediate 40, gelu_new, 20 positions
  ts::ScratchDir dir;
  const ts::Weights w = ts::write_tiny_model(spec, dir.path());
  write_st_layout(dir.path(), mode, /*normalize=*/mode == "mean", spec.hidden);
  BiEncoderOptions opts;
  opts.compute.batch_size = 3;
  const BiEncoder enc = BiEncoder::load(dir.path(), opts);
  ASSERT_EQ(enc.max_length(), static_cast<std::size_t>(spec.max_positions - spec.pad_id - 1));
  ASSERT_EQ(enc.dimension(), static_cast<std::size_t>(spec.hidden));

  const auto ids = sample_ids(spec, enc.max_length());
  const ts::NaiveEncoder naive(spec, w);
  const Matrix got = enc.encode_ids(ids);
  const auto states = model::EncoderAccess::token_states(enc, ids, {});
  double emb_diff = 0, state_diff = 0;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const auto ref_states = naive.forward(std::vector<int>(ids[i].begin(), ids[i].end()), {});
    for (std::size_t t = 0; t < ref_states.size(); ++t)
      for (std::size_t h = 0; h < ref_states[t].size(); ++h)
        state_diff = std::max(state_diff, std::fabs(states[i](t, h) - ref_states[t][h]));
    auto ref = naive_pool(ref_states, mode);
    if (mode == "mean") {
      double n = 0;
      for (double v : ref) n += v * v;
      for (auto& v : ref) v /= std::sqrt(n);
    }
    for (std::size_t h = 0; h < ref.size(); ++h) emb_diff = std::max(emb_diff, std::fabs(got(i, h) - ref[h]));
  }
  std::cout << "[reference] pooling " << mode << ": states max_abs_diff=" << state_diff
            << " embeddings max_abs_diff=" << emb_diff << "\n";
  EXPECT_LT(state_diff, kTol);
  EXPECT_LT(emb_diff, kTol);

  // The comparison can fail: a shifted position table is caught.
  model::Perturbation shift;
  shift.shift_positions = true;
  const Matrix wrong = model::EncoderAccess::embed(enc, ids, shift);
  EXPECT_GT(ts::max_abs_diff(wrong, got), 1e-3);
}

INSTANTIATE_TEST_SUITE_P(PoolingModes, RandomBiEncoder,
                         ::testing::Values("mean", "cls", "max", "mean_sqrt_len_tokens", "weightedmean", "lasttoken"));

// Long sequences and a wide FFN, so that the forward pass computes the FFN in several chunks (2^24 elements: 819
// rows of 20,480, of 1,033 tokens), with and without the padded-token budget splitting the passes, through the
// fused attention kernel (head size 8) and through ATen's (RADLITE_NO_FUSED_ATTENTION), whose score chunks hold
// 2^20 elements: 4 of the 15 (sequence, head) pairs of 512 tokens. All against the naive reference.
TEST(RandomBiEncoderChunks, LongSequencesAndWideFfnMatchNaiveReference) {
  ts::TinySpec spec;
  spec.layers = 2;
  spec.intermediate = 20480;
  spec.max_positions = 514;
  ts::ScratchDir dir;
  const ts::Weights w = ts::write_tiny_model(spec, dir.path());
  write_st_layout(dir.path(), "mean", /*normalize=*/false, spec.hidden);
  const ts::NaiveEncoder naive(spec, w);
  for (const bool fused : {true, false})
  for (std::size_t budget : {std::size_t(0), std::size_t(1024)}) {
    if (fused)
      ::unsetenv("RADLITE_NO_FUSED_ATTENTION");
    else
      ::setenv("RADLITE_NO_FUSED_ATTENTION", "1", 1);
    BiEncoderOptions opts;
    opts.compute.batch_size = 5;
    opts.compute.max_batch_tokens = budget;
    const BiEncoder enc = BiEncoder::load(dir.path(), opts);
    ::unsetenv("RADLITE_NO_FUSED_ATTENTION");
    const auto ids = sample_ids(spec, enc.max_length());
    ASSERT_EQ(ids[1].size(), 512u);
    const auto states = model::EncoderAccess::token_states(enc, ids, {});
    double state_diff = 0;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      const auto ref = naive.forward(std::vector<int>(ids[i].begin(), ids[i].end()), {});
      for (std::size_t t = 0; t < ref.size(); ++t)
        for (std::size_t h = 0; h < ref[t].size(); ++h)
          state_diff = std::max(state_diff, std::fabs(states[i](t, h) - ref[t][h]));
    }
    std::cout << "[reference] chunked, " << (fused ? "fused" : "ATen") << " attention, max_batch_tokens " << budget
              << ": states max_abs_diff=" << state_diff << "\n";
    EXPECT_LT(state_diff, kTol);
    // Not vacuous: attending to the padded keys changes the short sequences' states.
    model::Perturbation unmasked;
    unmasked.ignore_attention_mask = true;
    const auto leaky = model::EncoderAccess::token_states(enc, ids, unmasked);
    double leak = 0;
    for (std::size_t t = 0; t < ids[0].size(); ++t)
      for (std::size_t h = 0; h < static_cast<std::size_t>(spec.hidden); ++h)
        leak = std::max(leak, static_cast<double>(std::fabs(leaky[0](t, h) - states[0](t, h))));
    if (budget == 0) EXPECT_GT(leak, 1e-3);
  }
}

struct CrossCase {
  ts::TinySpec spec;
  const char* name;
};

class RandomCrossEncoder : public ::testing::TestWithParam<CrossCase> {};

TEST_P(RandomCrossEncoder, MatchesNaiveReference) {
  const ts::TinySpec spec = GetParam().spec;
  ts::ScratchDir dir;
  const ts::Weights w = ts::write_tiny_model(spec, dir.path());
  CrossEncoderOptions opts;
  opts.compute.batch_size = 2;
  const CrossEncoder ce = CrossEncoder::load(dir.path(), opts);
  ASSERT_EQ(ce.num_labels(), static_cast<std::size_t>(spec.num_labels));
  const auto rows = sample_ids(spec, ce.max_length());
  std::vector<TokenizedPair> pairs;
  for (const auto& r : rows) {
    TokenizedPair p;
    p.ids = r;
    if (!spec.roberta_like()) {
      p.type_ids.assign(r.size(), 0);
      for (std::size_t j = r.size() / 2; j < r.size(); ++j) p.type_ids[j] = 1;
    }
    pairs.push_back(p);
  }
  const auto got = ce.logits_ids(pairs);
  const ts::NaiveEncoder naive(spec, w);
  double diff = 0;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    const auto ref =
        naive.classify(naive.forward(std::vector<int>(pairs[i].ids.begin(), pairs[i].ids.end()),
                                     std::vector<int>(pairs[i].type_ids.begin(), pairs[i].type_ids.end())));
    ASSERT_EQ(got[i].size(), ref.size());
    for (std::size_t k = 0; k < ref.size(); ++k) diff = std::max(diff, std::fabs(got[i][k] - ref[k]));
  }
  std::cout << "[reference] " << GetParam().name << ": logits max_abs_diff=" << diff << "\n";
  EXPECT_LT(diff, kTol);
  model::Perturbation unmask;
  unmask.ignore_attention_mask = true;
  EXPECT_GT(ts::max_abs_diff(model::EncoderAccess::logits(ce, pairs, unmask), got), 1e-3);
}

ts::TinySpec bert_three_labels() {
  ts::TinySpec s;
  s.model_type = "bert";
  s.hidden = 20;
  s.heads = 4;
  s.layers = 2;
  s.intermediate = 36;
  s.type_vocab = 2;
  s.pad_id = 0;
  s.max_positions = 16;
  s.eps = 1e-12;
  s.act = "relu";
  s.num_labels = 3;
  s.prefixed = true;
  s.seed = 11;
  return s;
}

ts::TinySpec xlmr_two_labels() {
  ts::TinySpec s;
  s.model_type = "xlm-roberta";
  s.hidden = 12;
  s.heads = 2;
  s.layers = 1;
  s.intermediate = 20;
  s.max_positions = 30;
  s.act = "gelu";
  s.num_labels = 2;
  s.prefixed = false;  // a bare checkpoint: base tensors without the roberta. prefix
  s.seed = 12;
  return s;
}

ts::TinySpec roberta_silu_one_label() {
  ts::TinySpec s;
  s.hidden = 8;
  s.heads = 1;
  s.layers = 4;
  s.intermediate = 8;
  s.act = "silu";
  s.num_labels = 1;
  s.prefixed = true;
  s.pad_id = 2;
  s.max_positions = 14;
  s.seed = 13;
  return s;
}

INSTANTIATE_TEST_SUITE_P(Shapes, RandomCrossEncoder,
                         ::testing::Values(CrossCase{bert_three_labels(), "bert_h20_4heads_relu_3labels"},
                                           CrossCase{xlmr_two_labels(), "xlmr_h12_2heads_gelu_2labels_bare"},
                                           CrossCase{roberta_silu_one_label(), "roberta_h8_1head_4layers_silu_pad2"}),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
