// Half-precision checkpoints (F16, BF16 weights converted to float32 at load) and bfloat16 compute.
#include <gtest/gtest.h>

#include <cstring>

#include "../support/safetensors_writer.h"
#include "../support/scratch_dir.h"
#include "golden.h"
#include "radlite/encoder.h"

using namespace radlite;
namespace ts = radlite::test_support;

namespace {

float from_bf16(std::uint16_t h) {
  std::uint32_t u = static_cast<std::uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

float from_f16(std::uint16_t h) {
  const int sign = h >> 15, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  float v;
  if (exp == 0)
    v = std::ldexp(static_cast<float>(mant), -24);
  else if (exp == 31)
    v = mant ? NAN : INFINITY;
  else
    v = std::ldexp(static_cast<float>(mant + 1024), exp - 25);
  return sign ? -v : v;
}

// Rewrites every F32 tensor of `src`/model.safetensors as `dtype` into `half_dir`, and the same values rounded to
// `dtype` but stored as F32 into `rounded_dir`.
void convert(const std::string& src, const std::string& dtype, const std::string& half_dir,
             const std::string& rounded_dir) {
  ts::copy_model_dir(src, half_dir);
  ts::copy_model_dir(src, rounded_dir);
  const std::string bytes = ts::read_bytes(src + "/model.safetensors");
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
  const nlohmann::json header = nlohmann::json::parse(bytes.substr(8, n));
  std::vector<ts::RawTensor> half, rounded;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") continue;
    const auto begin = it.value()["data_offsets"][0].get<std::size_t>();
    const auto end = it.value()["data_offsets"][1].get<std::size_t>();
    std::vector<float> v((end - begin) / 4);
    std::memcpy(v.data(), bytes.data() + 8 + n + begin, end - begin);
    const auto shape = it.value()["shape"].get<std::vector<std::int64_t>>();
    const std::string enc = ts::encode_floats(v, dtype);
    std::vector<float> back(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) {
      std::uint16_t h;
      std::memcpy(&h, enc.data() + 2 * i, 2);
      back[i] = dtype == "BF16" ? from_bf16(h) : from_f16(h);
    }
    half.push_back({it.key(), dtype, shape, enc});
    rounded.push_back({it.key(), "F32", shape, ts::f32_bytes(back)});
  }
  ts::write_file(half_dir + "/model.safetensors", ts::build_safetensors(half));
  ts::write_file(rounded_dir + "/model.safetensors", ts::build_safetensors(rounded));
}

class HalfCheckpoint : public ::testing::TestWithParam<std::string> {};

TEST_P(HalfCheckpoint, LoadsAndMatchesTheRoundedWeights) {
  const std::string dtype = GetParam();
  const auto g = ts::golden("roberta-biencoder-tiny");
  const auto ids = ts::int_rows(g["input_ids"]);
  const auto expected = ts::float_rows(g["embeddings"]);
  ts::ScratchDir half, rounded;
  convert(ts::model_dir("roberta-biencoder-tiny"), dtype, half.path(), rounded.path());

  const Matrix from_half = BiEncoder::load(half.path()).encode_ids(ids);
  const Matrix from_rounded = BiEncoder::load(rounded.path()).encode_ids(ids);
  // The conversion at load is exact: F16/BF16 values become the same float32 numbers.
  EXPECT_LT(ts::max_abs_diff(from_half, from_rounded), 1e-6);
  // And the rounding of the weights moves the embeddings only a little.
  const double diff = ts::max_abs_diff(from_half, expected);
  std::cout << "[dtype] " << dtype << " checkpoint vs float32 golden: max_abs_diff=" << diff << "\n";
  EXPECT_LT(diff, dtype == "BF16" ? 3e-2 : 3e-3);
  EXPECT_GT(diff, 0.0);  // the weights did change
}

INSTANTIATE_TEST_SUITE_P(Dtypes, HalfCheckpoint, ::testing::Values("F16", "BF16"));

TEST(ComputeDtype, Bfloat16OnCpu) {
  const auto g = ts::golden("roberta-biencoder-tiny");
  const auto ids = ts::int_rows(g["input_ids"]);
  BiEncoderOptions o;
  o.compute.dtype = DType::BF16;
  const Matrix got = BiEncoder::load(ts::model_dir("roberta-biencoder-tiny"), o).encode_ids(ids);
  const double diff = ts::max_abs_diff(got, ts::float_rows(g["embeddings"]));
  std::cout << "[dtype] bfloat16 compute vs float32 golden: max_abs_diff=" << diff << "\n";
  EXPECT_LT(diff, 5e-2);

  const auto gc = ts::golden("bert-crossencoder-tiny");
  std::vector<TokenizedPair> pairs;
  for (std::size_t i = 0; i < 8; ++i)
    pairs.push_back({gc["input_ids"][i].get<std::vector<std::int32_t>>(),
                     gc["token_type_ids"][i].get<std::vector<std::int32_t>>()});
  CrossEncoderOptions co;
  co.compute.dtype = DType::BF16;
  const auto logits = CrossEncoder::load(ts::model_dir("bert-crossencoder-tiny"), co).logits_ids(pairs);
  double ldiff = 0;
  for (std::size_t i = 0; i < pairs.size(); ++i)
    ldiff = std::max(ldiff, std::fabs(logits[i][0] - gc["logits"][i][0].get<double>()));
  std::cout << "[dtype] bfloat16 compute cross-encoder logits: max_abs_diff=" << ldiff << "\n";
  EXPECT_LT(ldiff, 5e-2);
}

}  // namespace
