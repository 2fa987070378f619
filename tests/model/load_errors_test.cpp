// Broken model directories and bad inputs: every one is an exception of the right kind whose message names the
// file (or tensor, field, row) and the problem; none crashes.
#include <gtest/gtest.h>

#include <functional>

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

}  // namespace

TEST(LoadErrors, TruncatedWeights) {
  ModelCopy m(kBi);
  const std::string bytes = ts::read_bytes(m.path("model.safetensors"));
  ts::write_file(m.path("model.safetensors"), bytes.substr(0, bytes.size() / 2));
  expect_error<FormatError>([&] { BiEncoder::load(m.path()); }, {"model.safetensors", "past the end"});
  ts::write_file(m.path("model.safetensors"), bytes.substr(0, 6));
  expect_error<FormatError>([&] { BiEncoder::load(m.path()); }, {"model.safetensors", "truncated"});
}

TEST(LoadErrors, CorruptedHeader) {
  ModelCopy m(kBi);
  std::string bytes = ts::read_bytes(m.path("model.safetensors"));
  bytes[20] = '\x01';  // inside the header JSON
  ts::write_file(m.path("model.safetensors"), bytes);
  expect_error<FormatError>([&] { BiEncoder::load(m.path()); }, {"model.safetensors", "invalid JSON"});
}

TEST(LoadErrors, OffsetsPastEnd) {
  ModelCopy m(kBi);
  m.edit_weights([](nlohmann::json& h, std::string& data) {
    auto& t = h["encoder.layer.1.output.dense.bias"];
    t["data_offsets"] = {data.size() + 4, data.size() + 4 + 64};
  });
  expect_error<FormatError>([&] { BiEncoder::load(m.path()); },
                            {"model.safetensors", "encoder.layer.1.output.dense.bias", "past the end"});
}

TEST(LoadErrors, ShapeDisagreesWithConfig) {
  ModelCopy m(kBi);
  m.edit_json("config.json", [](nlohmann::json& c) { c["intermediate_size"] = 33; });
  expect_error<ModelError>(
      [&] { BiEncoder::load(m.path()); },
      {"model.safetensors", "encoder.layer.0.intermediate.dense.weight", "expected shape [33, 16]", "got [32, 16]"});
}

TEST(LoadErrors, UnsupportedWeightDtype) {
  ModelCopy m(kBi);
  m.edit_weights([](nlohmann::json& h, std::string&) { h["embeddings.LayerNorm.bias"]["dtype"] = "I32"; });
  expect_error<ModelError>([&] { BiEncoder::load(m.path()); },
                           {"model.safetensors", "embeddings.LayerNorm.bias", "unsupported dtype I32"});
}

TEST(LoadErrors, MissingTensor) {
  ModelCopy m(kBi);
  m.edit_weights([](nlohmann::json& h, std::string&) { h.erase("encoder.layer.1.attention.self.key.bias"); });
  expect_error<ModelError>([&] { BiEncoder::load(m.path()); },
                           {"model.safetensors", "missing tensor 'encoder.layer.1.attention.self.key.bias'"});
  ModelCopy c(kCross);
  c.edit_weights([](nlohmann::json& h, std::string&) { h.erase("bert.pooler.dense.weight"); });
  expect_error<ModelError>([&] { CrossEncoder::load(c.path()); }, {"missing tensor 'bert.pooler.dense.weight'"});
}

TEST(LoadErrors, ConfigProblems) {
  {
    ModelCopy m(kBi);
    m.edit_json("config.json", [](nlohmann::json& c) { c["model_type"] = "gpt2"; });
    expect_error<ModelError>([&] { BiEncoder::load(m.path()); },
                             {"config.json: field 'model_type': unsupported 'gpt2'"});
  }
  {
    ModelCopy m(kBi);
    ts::write_file(m.path("config.json"), "{\"model_type\": \"bert\", \"hidden_size\": ");
    expect_error<FormatError>([&] { BiEncoder::load(m.path()); }, {"config.json", "invalid JSON"});
  }
  {
    ModelCopy m(kBi);
    m.edit_json("config.json", [](nlohmann::json& c) { c.erase("num_attention_heads"); });
    expect_error<FormatError>([&] { BiEncoder::load(m.path()); },
                              {"config.json: field 'num_attention_heads': missing"});
  }
  {
    ModelCopy m(kBi);
    m.edit_json("config.json", [](nlohmann::json& c) { c["hidden_size"] = 0; });
    expect_error<FormatError>([&] { BiEncoder::load(m.path()); },
                              {"config.json: field 'hidden_size': out of range [1, 9223372036854775807]: 0"});
  }
  {
    ModelCopy m(kBi);
    m.edit_json("config.json", [](nlohmann::json& c) { c["vocab_size"] = "1000"; });
    expect_error<FormatError>([&] { BiEncoder::load(m.path()); },
                              {"config.json: field 'vocab_size': expected an integer, got \"1000\""});
  }
  {
    ModelCopy m(kBi);
    m.edit_json("config.json", [](nlohmann::json& c) { c["num_attention_heads"] = 3; });
    expect_error<ModelError>([&] { BiEncoder::load(m.path()); }, {"config.json", "not a multiple"});
  }
  {
    ModelCopy m(kBi);
    m.edit_json("config.json", [](nlohmann::json& c) { c["hidden_act"] = "mish"; });
    expect_error<ModelError>([&] { BiEncoder::load(m.path()); },
                             {"config.json: field 'hidden_act': unsupported activation 'mish'"});
  }
  {
    ModelCopy m(kCross);
    m.edit_json("config.json", [](nlohmann::json& c) { c["id2label"] = {{"0", "a"}, {"1", "b"}}; });
    expect_error<ModelError>([&] { CrossEncoder::load(m.path()); }, {"config.json", "2 labels", "classifier.weight"});
  }
}

TEST(LoadErrors, SentenceTransformersFiles) {
  {
    ModelCopy m(kBi);
    ts::write_file(m.path("modules.json"), "[{\"idx\": 0, ");
    expect_error<FormatError>([&] { BiEncoder::load(m.path()); }, {"modules.json", "invalid JSON"});
  }
  {
    ModelCopy m(kBi);
    m.edit_json("1_Pooling/config.json", [](nlohmann::json& c) { c["pooling_mode"] = "median"; });
    expect_error<ModelError>([&] { BiEncoder::load(m.path()); },
                             {"1_Pooling/config.json: field 'pooling_mode': unsupported pooling mode 'median'"});
  }
  {
    ModelCopy m(kBi);
    m.edit_json("modules.json", [](nlohmann::json& j) {
      j.push_back({{"idx", 2}, {"name", "2"}, {"path", "2_Dense"}, {"type", "sentence_transformers.models.Dense"}});
    });
    expect_error<ModelError>([&] { BiEncoder::load(m.path()); },
                             {"modules.json", "sentence_transformers.models.Dense"});
  }
  {
    ModelCopy m(kBi);
    std::remove(m.path("model.safetensors").c_str());
    expect_error<IoError>([&] { BiEncoder::load(m.path()); }, {"model.safetensors"});
  }
  expect_error<IoError>([&] { BiEncoder::load("/nonexistent/radlite/model"); }, {"/nonexistent/radlite/model"});
}

TEST(LoadErrors, BadOptions) {
  const std::string dir = ts::model_dir(kBi);
  BiEncoderOptions o;
  o.compute.device = "tpu";
  expect_error<InvalidArgument>([&] { BiEncoder::load(dir, o); }, {"tpu"});
  o = {};
  o.compute.dtype = DType::F16;
  expect_error<InvalidArgument>([&] { BiEncoder::load(dir, o); }, {"float16"});
  o = {};
  o.compute.max_length = 600;
  expect_error<InvalidArgument>([&] { BiEncoder::load(dir, o); }, {"max_length 600", "512"});
  o = {};
  o.compute.batch_size = 0;
  expect_error<InvalidArgument>([&] { BiEncoder::load(dir, o); }, {"batch_size"});
}

TEST(InputErrors, BadIds) {
  BiEncoderOptions o;
  o.compute.max_length = 8;
  const BiEncoder enc = BiEncoder::load(ts::model_dir(kBi), o);
  expect_error<InvalidArgument>(
      [&] {
        enc.encode_ids({{0, 5, 2}, {0, 1002, 2}});
      },
      {"sequence 1", "token id 1002", "position 1", "[0, 1002)"});
  expect_error<InvalidArgument>([&] { enc.encode_ids({{0, -3, 2}}); }, {"token id -3"});
  expect_error<InvalidArgument>([&] { enc.encode_ids({{0, 2}, {}}); }, {"sequence 1", "empty"});
  expect_error<InvalidArgument>([&] { enc.encode_ids({std::vector<std::int32_t>(9, 5)}); },
                                {"9 tokens", "max_length 8"});
  const CrossEncoder ce = CrossEncoder::load(ts::model_dir(kCross));
  expect_error<InvalidArgument>(
      [&] {
        ce.logits_ids({{{101, 5, 102}, {0, 0}}});
      },
      {"pair 0", "2 token_type_ids for 3"});
  expect_error<InvalidArgument>([&] { ce.logits_ids({{{101, 5, 102}, {0, 2, 1}}}); }, {"token_type_id 2"});
}
