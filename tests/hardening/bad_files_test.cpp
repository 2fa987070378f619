// Bad-input catalogue, part 1: malformed files a user downloads or edits — safetensors checkpoints,
// config.json / modules.json / pooling configs, tokenizer.json — and NaN/Inf weights. See catalogue.h.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "catalogue.h"
#include "io/safetensors.h"
#include "radlite/encoder.h"
#include "radlite/retrieval/beir.h"
#include "radlite/retrieval/pipeline.h"
#include "radlite/tokenizer.h"
#include "support/safetensors_writer.h"
#include "support/scratch_dir.h"

namespace {

using radlite::FormatError;
using radlite::IoError;
using radlite::ModelError;
using radlite::hardening::expect_error;
using radlite::hardening::expect_error_in_child;
using radlite::io::SafetensorsFile;
namespace ts = radlite::test_support;

const std::string kModels = RADLITE_MODELS_DIR;
const std::string kBert = kModels + "/bert-biencoder-cls-tiny";

std::string u64le(std::uint64_t n) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return out;
}

std::string one_tensor(const std::string& header_fields, const std::string& data) {
  return ts::build_raw("{\"w\": {" + header_fields + "}}", data);
}

// A JSON value nested `depth` levels deep: [[[...]]].
std::string nested(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

TEST(BadFiles, SafetensorsFromBytes) {
  const char* area = "safetensors (SafetensorsFile)";
  auto parse = [](std::string bytes) { return [bytes] { SafetensorsFile::from_bytes(bytes, "bad.safetensors"); }; };
  const std::string f32x4 = ts::f32_bytes({1, 2, 3, 4});
  expect_error<FormatError>(area, "empty file (0 bytes)", {"bad.safetensors"}, parse(""));
  expect_error<FormatError>(area, "truncated: 5 bytes, shorter than the 8-byte header length", {"bad.safetensors"},
                            parse(std::string("\x10\0\0\0\0", 5)));
  expect_error<FormatError>(area, "header length 64 in a 20-byte file", {"bad.safetensors"},
                            parse(u64le(64) + "{\"a\":1}    "));
  expect_error<FormatError>(area, "huge declared header length (2^63)", {"bad.safetensors"},
                            parse(u64le(1ull << 63) + "{}      "));
  expect_error<FormatError>(area, "wrong magic: a PyTorch zip (pytorch_model.bin renamed)", {"bad.safetensors"},
                            parse(std::string("PK\x03\x04\x14\0\0\0\0\0\0\0\0\0\0\0", 16)));
  expect_error<FormatError>(area, "header is JSON but not an object ([])", {"bad.safetensors"},
                            parse(ts::build_raw("[]", "")));
  expect_error<FormatError>(area, "header JSON truncated", {"bad.safetensors"},
                            parse(ts::build_raw("{\"w\": {\"dtype\": \"F32\"", "")));
  expect_error<FormatError>(area, "data_offsets past the end of the data", {"bad.safetensors", "'w'"},
                            parse(one_tensor(R"("dtype": "F32", "shape": [4], "data_offsets": [0, 32])", f32x4)));
  expect_error<FormatError>(area, "wrong length: 16 bytes for shape [3] F32", {"bad.safetensors", "'w'"},
                            parse(one_tensor(R"("dtype": "F32", "shape": [3], "data_offsets": [0, 16])", f32x4)));
  expect_error<FormatError>(
      area, "shape product overflows 64 bits ([2^62, 2^62])", {"bad.safetensors", "'w'"},
      parse(one_tensor(
          R"("dtype": "F32", "shape": [4611686018427387904, 4611686018427387904], "data_offsets": [0, 16])", f32x4)));
  expect_error<FormatError>(
      area, "shape x element size overflows ([2^62] F32, 16 bytes)", {"bad.safetensors", "'w'"},
      parse(one_tensor(R"("dtype": "F32", "shape": [4611686018427387904], "data_offsets": [0, 16])", f32x4)));
  expect_error<FormatError>(
      area, "huge declared size: shape [2^40] with offsets [0, 2^42]", {"bad.safetensors", "'w'"},
      parse(one_tensor(R"("dtype": "F32", "shape": [1099511627776], "data_offsets": [0, 4398046511104])", f32x4)));
  expect_error<FormatError>(area, "negative dimension", {"bad.safetensors", "'w'"},
                            parse(one_tensor(R"("dtype": "F32", "shape": [-4], "data_offsets": [0, 16])", f32x4)));
  expect_error<FormatError>(area, "unknown dtype F17", {"bad.safetensors", "'w'", "F17"},
                            parse(one_tensor(R"("dtype": "F17", "shape": [4], "data_offsets": [0, 16])", f32x4)));
  expect_error<FormatError>(area, "offsets reversed [16, 0]", {"bad.safetensors", "'w'"},
                            parse(one_tensor(R"("dtype": "F32", "shape": [4], "data_offsets": [16, 0])", f32x4)));
  expect_error<FormatError>(area, "two tensors overlap", {"bad.safetensors"},
                            parse(ts::build_raw(R"({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
                                                    "b": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}})",
                                                f32x4)));
}

TEST(BadFiles, SafetensorsJsonEdgeCases) {
  const char* area = "safetensors (SafetensorsFile)";
  auto parse = [](std::string bytes) { return [bytes] { SafetensorsFile::from_bytes(bytes, "bad.safetensors"); }; };
  const std::string f32x4 = ts::f32_bytes({1, 2, 3, 4});
  expect_error<FormatError>(
      area, "lone surrogate \\ud800 in a tensor name", {"bad.safetensors"},
      parse(ts::build_raw(R"({"\ud800": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}})", f32x4)));
}

TEST(BadFiles, NulByteIsAnError) {
  // Issue 8, defect 12 (owner: lead, JSON safety): a NUL byte ends JSON parsing and the rest of the file is
  // ignored, so these are accepted today.
  const std::string f32x4 = ts::f32_bytes({1, 2, 3, 4});
  std::string header = R"({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}})";
  header += std::string("\0{\"x\": 1}", 9);
  expect_error<FormatError>("safetensors (SafetensorsFile)", "NUL byte inside the header, after the JSON",
                            {"bad.safetensors"},
                            [&] { SafetensorsFile::from_bytes(ts::build_raw(header, f32x4), "bad.safetensors"); });
  ts::ScratchDir dir;
  ts::copy_model_dir(kBert, dir.path());
  ts::write_file(dir.file("config.json"), ts::read_bytes(kBert + "/config.json") + std::string("\0{\"x\": 1}", 9));
  expect_error<FormatError>("model directory (BiEncoder::load)",
                            "config.json: NUL byte after the JSON object, then more JSON", {"config.json"},
                            [&] { radlite::BiEncoder::load(dir.path()); });
  ts::write_file(
      dir.file("tokenizer.json"),
      std::string(R"({"model": {"type": "WordLevel", "vocab": {"a": 0}, "unk_token": "a"}})") + '\0' + "junk");
  expect_error<FormatError>("tokenizer.json (Tokenizer::from_path / from_json)", "NUL byte after the JSON object",
                            {"tokenizer.json"}, [&] { radlite::Tokenizer::from_path(dir.file("tokenizer.json")); });
}

TEST(BadFiles, JsonNumberOverflow) {
  // Found by fuzz_beir (crash-9c42951c...): io::parse_json catches nlohmann's parse_error only, so a number
  // beyond double range (1e400) escapes as nlohmann::json::out_of_range (406), not a radlite::Error, from
  // every JSON file read through it. Owner: lead (JSON safety). Reproducer: a corpus.jsonl line "1e400".
  ts::ScratchDir dir;
  ts::write_file(dir.file("corpus.jsonl"), "{\"_id\": \"a\", \"text\": \"x\"}\n1e400\n");
  expect_error<FormatError>("BEIR files (load_beir_corpus)", "a line holding the number 1e400",
                            {"corpus.jsonl", "line 2"}, [&] { radlite::load_beir_corpus(dir.file("corpus.jsonl")); });
  ts::copy_model_dir(kBert, dir.path());
  std::string config = ts::read_bytes(kBert + "/config.json");
  config.insert(config.find('{') + 1, "\"layer_norm_eps\": 1e400, ");
  ts::write_file(dir.file("config.json"), config);
  expect_error<FormatError>("model directory (BiEncoder::load)", "config.json: layer_norm_eps 1e400", {"config.json"},
                            [&] { radlite::BiEncoder::load(dir.path()); });
  const std::string f32x4 = ts::f32_bytes({1, 2, 3, 4});
  expect_error<FormatError>(
      "safetensors (SafetensorsFile)", "header: __metadata__ value 1e400", {"bad.safetensors"}, [&] {
        SafetensorsFile::from_bytes(
            ts::build_raw(
                R"({"__metadata__": {"x": 1e400}, "w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}})",
                f32x4),
            "bad.safetensors");
      });
  expect_error<FormatError>(
      "tokenizer.json (Tokenizer::from_path / from_json)", "a score of 1e400 in a Unigram vocabulary",
      {"tokenizer.json"}, [&] {
        ts::write_file(dir.file("tokenizer.json"),
                       R"({"model": {"type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0.0], ["a", 1e400]]}})");
        radlite::Tokenizer::from_path(dir.file("tokenizer.json"));
      });
  radlite::Pipeline p(nullptr, nullptr);
  p.add({{"d1", "", "lung"}});
  p.save(dir.file("index"));
  std::string manifest = ts::read_bytes(dir.file("index/manifest.json"));
  manifest.insert(manifest.find('{') + 1, "\"padding\": 1e400, ");
  ts::write_file(dir.file("index/manifest.json"), manifest);
  expect_error<FormatError>("index directory (Pipeline::load)", "manifest.json: a number 1e400", {"manifest.json"},
                            [&] { radlite::Pipeline::load(dir.file("index"), nullptr, nullptr); });
}

TEST(BadFiles, SafetensorsDeeplyNestedShape) {
  // Issue 8, defect 3: an error message that dumps a 100,000-level value overflows the stack (owner: lead,
  // JSON safety). Runs in a child so a crash fails only this test.
  const std::string hdr = "{\"w\": {\"dtype\": \"F32\", \"shape\": " + nested(100000) + ", \"data_offsets\": [0, 16]}}";
  expect_error_in_child<FormatError>(
      "safetensors (SafetensorsFile)", "shape nested 100,000 levels deep", {"bad.safetensors"}, [hdr] {
        SafetensorsFile::from_bytes(ts::build_raw(hdr, ts::f32_bytes({1, 2, 3, 4})), "bad.safetensors");
      });
}

TEST(BadFiles, CheckpointFilesInAModelDirectory) {
  const char* area = "model directory (BiEncoder::load)";
  ts::ScratchDir dir;
  ts::copy_model_dir(kBert, dir.path());
  const std::string weights = ts::read_bytes(kBert + "/model.safetensors");
  auto load = [&] { radlite::BiEncoder::load(dir.path()); };
  ts::write_file(dir.file("model.safetensors"), "");
  expect_error<FormatError>(area, "model.safetensors empty (0 bytes)", {"model.safetensors"}, load);
  ts::write_file(dir.file("model.safetensors"), weights.substr(0, weights.size() / 2));
  expect_error<FormatError>(area, "model.safetensors truncated to half", {"model.safetensors"}, load);
  ts::write_file(dir.file("model.safetensors"), weights);
  ts::write_file(dir.file("config.json"), "");
  expect_error<FormatError>(area, "config.json empty", {"config.json"}, load);
  const std::string config = ts::read_bytes(kBert + "/config.json");
  ts::write_file(dir.file("config.json"), config.substr(0, config.size() / 2));
  expect_error<FormatError>(area, "config.json truncated", {"config.json"}, load);
  ts::write_file(dir.file("config.json"), config);
  ts::write_file(dir.file("modules.json"), "{\"not\": \"a list\"}");
  expect_error<FormatError>(area, "modules.json is an object, not a list", {"modules.json"}, load);
  ts::copy_model_dir(kBert, dir.path());
  ts::write_file(dir.file("1_Pooling/config.json"), "{\"pooling_mode\": \"median\"}");
  expect_error<ModelError>(area, "pooling config: unknown pooling_mode \"median\"", {"1_Pooling/config.json", "median"},
                           load);
}

TEST(BadFiles, ConfigNestedDeeply) {
  // Issue 8, defect 3 (owner: lead, JSON safety / model).
  ts::ScratchDir dir;
  ts::copy_model_dir(kBert, dir.path());
  ts::write_file(dir.file("config.json"), "{\"model_type\": \"bert\", \"hidden_size\": " + nested(100000) + "}");
  // Malformed (error.h's rule): a FormatError naming the file and the nesting, from the shared JSON reader.
  expect_error_in_child<FormatError>(
      "model directory (BiEncoder::load)", "config.json: hidden_size nested 100,000 levels",
      {"config.json", "nested deeper than 256"}, [&] { radlite::BiEncoder::load(dir.path()); });
}

// A copy of the tiny BERT bi-encoder whose embedding LayerNorm weight holds `value` in one element.
void poison_weights(const std::string& dir, float value) {
  ts::copy_model_dir(kBert, dir);
  SafetensorsFile f = SafetensorsFile::open(kBert + "/model.safetensors");
  std::vector<ts::RawTensor> tensors;
  for (const auto& [name, t] : f.tensors()) {
    std::string bytes(reinterpret_cast<const char*>(t.data), t.nbytes);
    if (name == "embeddings.LayerNorm.weight") std::memcpy(bytes.data(), &value, sizeof value);
    tensors.push_back({name, radlite::io::dtype_name(t.dtype), t.shape, bytes});
  }
  ts::write_file(dir + "/model.safetensors", ts::build_safetensors(tensors));
}

TEST(BadFiles, NonFiniteWeights) {
  // Issue 8, defect 7 (owner: model): NaN/Inf weights load and give NaN embeddings without an error. The
  // reaction asked for: a ModelError naming the tensor at load (or at least never a silent NaN output).
  for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    ts::ScratchDir dir;
    poison_weights(dir.path(), bad);
    expect_error<ModelError>("model directory (BiEncoder::load)",
                             std::string("a ") + (std::isnan(bad) ? "NaN" : "+Inf") + " in embeddings.LayerNorm.weight",
                             {"embeddings.LayerNorm.weight"}, [&] {
                               radlite::BiEncoder enc = radlite::BiEncoder::load(dir.path());
                               radlite::Matrix m = enc.encode({"a chest radiograph"});
                               for (float v : m.values())
                                 if (!std::isfinite(v)) return;  // a silent NaN: reported as "accepted"
                             });
  }
}

TEST(BadFiles, TokenizerJson) {
  const char* area = "tokenizer.json (Tokenizer::from_path / from_json)";
  ts::ScratchDir dir;
  const std::string real =
      ts::read_bytes(std::string(RADLITE_TEST_DATA_DIR) + "/tokenizers/files/bert-base-uncased/tokenizer.json");
  const std::string path = dir.file("tokenizer.json");
  auto load = [&] { radlite::Tokenizer::from_path(path); };
  ts::write_file(path, "");
  expect_error<FormatError>(area, "empty file", {"tokenizer.json"}, load);
  ts::write_file(path, real.substr(0, real.size() / 3));
  expect_error<FormatError>(area, "truncated to a third", {"tokenizer.json"}, load);
  ts::write_file(path, "\x89PNG\r\n\x1a\n");
  expect_error<FormatError>(area, "wrong magic: a PNG file", {"tokenizer.json"}, load);
  ts::write_file(path, R"({"model": {"type": "BPE", "vocab": {"\ud800": 0}, "merges": []}})");
  expect_error<FormatError>(area, "lone surrogate \\ud800 in the vocabulary", {"tokenizer.json"}, load);
  ts::write_file(path, R"({"model": {"type": "Transformer9000", "vocab": {}}})");
  expect_error<ModelError>(area, "unknown model type", {"tokenizer.json", "Transformer9000"}, load);
  ts::write_file(path,
                 R"({"model": {"type": "WordPiece", "vocab": {"[UNK]": 0, "a": 4294967296}, "unk_token": "[UNK]"}})");
  expect_error<FormatError>(area, "vocabulary id beyond 32 bits (4294967296)", {"tokenizer.json"}, load);
}

}  // namespace
