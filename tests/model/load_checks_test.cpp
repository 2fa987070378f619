// Model files that used to load silently and compute something else (issue 8): non-finite weights, a config with
// fewer layers than the checkpoint, a fractional model_max_length, NUL bytes and oversized config files. Each is
// now an error naming the file and what is wrong.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>

#include "golden.h"
#include "model_copy.h"
#include "radlite/encoder.h"
#include "radlite/error.h"

using namespace radlite;
namespace ts = radlite::test_support;
using ts::expect_error;
using ts::ModelCopy;

namespace {

const char* kBi = "xlmr-biencoder-sp-tiny";
const char* kCross = "bert-crossencoder-tiny";

// Overwrites element `index` of a float32 tensor in the copy's model.safetensors.
void poke_float(const ModelCopy& m, const std::string& tensor, std::size_t index, float value) {
  m.edit_weights([&](nlohmann::json& header, std::string& data) {
    ASSERT_EQ(header[tensor]["dtype"], "F32");
    const auto begin = header[tensor]["data_offsets"][0].get<std::size_t>();
    std::memcpy(&data[begin + 4 * index], &value, sizeof value);
  });
}

TEST(LoadChecks, NonFiniteWeightsAreRefusedNamingTheTensor) {
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  const std::pair<float, const char*> cases[] = {{nan, "(nan)"}, {inf, "(inf)"}, {-inf, "(-inf)"}};
  for (const auto& [value, shown] : cases) {
    ModelCopy m(kBi);
    poke_float(m, "encoder.layer.1.output.dense.bias", 3, value);
    expect_error<ModelError>(
        [&] { BiEncoder::load(m.path()); },
        {"model.safetensors", "encoder.layer.1.output.dense.bias", "1 non-finite value", "flat index 3", shown});
  }
  ModelCopy c(kCross);
  poke_float(c, "classifier.weight", 0, nan);
  expect_error<ModelError>([&] { CrossEncoder::load(c.path()); }, {"classifier.weight", "non-finite"});
  // The unmodified copy loads and gives finite logits: the check is about the poked value, not the files.
  ModelCopy fine(kCross);
  const auto logits = CrossEncoder::load(fine.path()).logits("chest", {"x-ray"});
  ASSERT_EQ(logits.size(), 1u);
  for (float v : logits[0]) EXPECT_TRUE(std::isfinite(v));
}

TEST(LoadChecks, ConfigWithFewerLayersThanTheCheckpoint) {
  ModelCopy m(kBi);
  m.edit_json("config.json", [](nlohmann::json& c) { c["num_hidden_layers"] = 1; });
  expect_error<ModelError>([&] { BiEncoder::load(m.path()); },
                           {"config.json", "num_hidden_layers is 1", "holds 2 layers", "encoder.layer.1."});
  // More layers than the checkpoint has stays a missing-tensor error.
  m.edit_json("config.json", [](nlohmann::json& c) { c["num_hidden_layers"] = 3; });
  expect_error<ModelError>([&] { BiEncoder::load(m.path()); }, {"missing tensor 'encoder.layer.2."});
}

TEST(LoadChecks, FractionalModelMaxLength) {
  ModelCopy m(kCross);
  m.edit_json("tokenizer_config.json", [](nlohmann::json& c) { c["model_max_length"] = 7.9; });
  expect_error<FormatError>([&] { CrossEncoder::load(m.path()); },
                            {"tokenizer_config.json", "model_max_length", "7.9"});
  // The "no limit" sentinel transformers writes (int(1e30), a float in JSON) still means "no limit".
  m.edit_json("tokenizer_config.json", [](nlohmann::json& c) { c["model_max_length"] = 1e30; });
  EXPECT_EQ(CrossEncoder::load(m.path()).max_length(), CrossEncoder::load(ts::model_dir(kCross)).max_length());
}

TEST(LoadChecks, NulBytesAreErrors) {
  {
    // Before, parsing stopped at the NUL and the rest of the file (here the real hidden_size) was ignored.
    ModelCopy m(kBi);
    std::string config = ts::read_bytes(m.path("config.json"));
    config.insert(config.rfind('}'), std::string("\0", 1) + ", \"hidden_size\": 99");
    ts::write_file(m.path("config.json"), config);
    expect_error<FormatError>([&] { BiEncoder::load(m.path()); }, {"config.json", "NUL"});
  }
  {
    ModelCopy m(kBi);
    std::string bytes = ts::read_bytes(m.path("model.safetensors"));
    std::uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
    // The header's padding (or its last bytes) becomes a NUL followed by junk.
    bytes[8 + n - 1] = '\0';
    ts::write_file(m.path("model.safetensors"), bytes);
    expect_error<FormatError>([&] { BiEncoder::load(m.path()); }, {"model.safetensors", "NUL"});
  }
}

TEST(LoadChecks, OversizedConfigFilesAreRefused) {
  ModelCopy m(kBi);
  // A sparse 65 MB file (no disk space used): reading stops at the 64 MiB cap for configuration files.
  ASSERT_EQ(::truncate(m.path("config.json").c_str(), 65ll << 20), 0);
  expect_error<FormatError>([&] { BiEncoder::load(m.path()); }, {"config.json", "larger than 67108864 bytes"});
  // A device that never ends (before: grew to GBs, then bad_alloc).
  ASSERT_EQ(std::remove(m.path("config.json").c_str()), 0);
  ASSERT_EQ(::symlink("/dev/zero", m.path("config.json").c_str()), 0);
  expect_error<FormatError>([&] { BiEncoder::load(m.path()); }, {"config.json", "larger than 67108864 bytes"});
}

}  // namespace
