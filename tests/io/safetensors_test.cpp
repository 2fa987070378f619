// The safetensors reader against hand-built files: valid ones read back exactly, every kind of corruption is a
// FormatError naming the source and the problem (never a crash or an out-of-bounds read).
#include <gtest/gtest.h>

#include <cstring>

#include "../support/safetensors_writer.h"
#include "../support/scratch_dir.h"
#include "io/safetensors.h"
#include "radlite/error.h"

using namespace radlite;
namespace ts = radlite::test_support;
using radlite::test_support::build_raw;
using radlite::test_support::build_safetensors;
using radlite::test_support::RawTensor;

namespace {

std::vector<RawTensor> two_tensors() {
  return {{"a", "F32", {2, 3}, ts::f32_bytes({1, 2, 3, 4, 5, 6})},
          {"b.weight", "BF16", {2}, ts::encode_floats({1.5f, -2.0f}, "BF16")}};
}

// Expects a FormatError whose message contains every string in `parts`.
void expect_format_error(const std::string& bytes, const std::vector<std::string>& parts) {
  try {
    io::SafetensorsFile::from_bytes(bytes, "broken.safetensors");
    ADD_FAILURE() << "no exception";
  } catch (const FormatError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("broken.safetensors"), std::string::npos) << msg;
    for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "missing '" << p << "' in: " << msg;
  }
}

std::string header_with(const std::string& entries) { return "{" + entries + "}"; }

}  // namespace

TEST(Safetensors, ReadsBackTensorsAndMetadata) {
  auto bytes = build_safetensors(two_tensors(), {{"format", "pt"}});
  auto f = io::SafetensorsFile::from_bytes(bytes, "mem");
  ASSERT_EQ(f.tensors().size(), 2u);
  const auto* a = f.find("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->dtype, io::TensorDType::F32);
  EXPECT_EQ(a->shape, (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(a->nbytes, 24u);
  float v[6];
  std::memcpy(v, a->data, 24);
  EXPECT_EQ(v[0], 1.0f);
  EXPECT_EQ(v[5], 6.0f);
  const auto* b = f.find("b.weight");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->dtype, io::TensorDType::BF16);
  EXPECT_EQ(b->nbytes, 4u);
  std::uint16_t h[2];
  std::memcpy(h, b->data, 4);
  EXPECT_EQ(h[0], 0x3fc0);  // 1.5 in bfloat16
  EXPECT_EQ(f.find("missing"), nullptr);
  EXPECT_EQ(f.metadata().at("format"), "pt");
}

TEST(Safetensors, MapsFilesFromDisk) {
  ts::ScratchDir dir;
  ts::write_file(dir.file("model.safetensors"), build_safetensors(two_tensors()));
  auto f = io::SafetensorsFile::open(dir.file("model.safetensors"));
  ASSERT_NE(f.find("a"), nullptr);
  float v[6];
  std::memcpy(v, f.find("a")->data, 24);
  EXPECT_EQ(v[3], 4.0f);
  auto ck = io::Checkpoint::open_directory(dir.path());
  EXPECT_EQ(ck.require("b.weight").nbytes, 4u);
}

TEST(Safetensors, ZeroSizedAndScalarTensors) {
  auto bytes = build_safetensors({{"empty", "F32", {0, 4}, ""}, {"scalar", "I64", {}, std::string(8, '\1')}});
  auto f = io::SafetensorsFile::from_bytes(bytes, "mem");
  EXPECT_EQ(f.find("empty")->nbytes, 0u);
  EXPECT_EQ(f.find("scalar")->numel(), 1);
}

TEST(Safetensors, TruncatedFiles) {
  expect_format_error("", {"truncated", "0 bytes"});
  expect_format_error(std::string(5, '\0'), {"truncated"});
  // Cut the data section: the last tensor's end offset now lies past the end.
  auto bytes = build_safetensors(two_tensors());
  expect_format_error(bytes.substr(0, bytes.size() - 2), {"b.weight", "past the end"});
  // Cut inside the header.
  expect_format_error(bytes.substr(0, 20), {"header length", "past the end"});
}

TEST(Safetensors, HeaderLengthPastEndOrHuge) {
  std::string bytes = build_safetensors(two_tensors());
  std::string past = bytes;
  past[0] = static_cast<char>(0xff);
  past[1] = static_cast<char>(0x0f);  // 4095 bytes of header in a much shorter file
  expect_format_error(past, {"header length 4095", "past the end"});
  std::string huge = bytes;
  for (int i = 0; i < 8; ++i) huge[i] = static_cast<char>(0xff);
  expect_format_error(huge, {"exceeds the limit"});
}

TEST(Safetensors, OffsetsPastEnd) {
  expect_format_error(
      build_raw(header_with(R"("a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]})"), std::string(4, '\0')),
      {"'a'", "past the end"});
}

TEST(Safetensors, BeginAfterEnd) {
  expect_format_error(
      build_raw(header_with(R"("a": {"dtype": "F32", "shape": [0], "data_offsets": [8, 4]})"), std::string(8, '\0')),
      {"'a'", "begin 8 > end 4"});
}

TEST(Safetensors, OverlappingTensors) {
  expect_format_error(build_raw(header_with(R"("a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},)"
                                            R"("b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]})"),
                                std::string(12, '\0')),
                      {"'a'", "'b'", "overlap"});
}

TEST(Safetensors, WrongByteCount) {
  expect_format_error(
      build_raw(header_with(R"("a": {"dtype": "F16", "shape": [3], "data_offsets": [0, 8]})"), std::string(8, '\0')),
      {"'a'", "byte count 8", "F16", "[3]", "6 bytes"});
}

TEST(Safetensors, OverflowingShape) {
  expect_format_error(
      build_raw(header_with(R"("a": {"dtype": "F64", "shape": [4294967296, 4294967296], "data_offsets": [0, 8]})"),
                std::string(8, '\0')),
      {"'a'", "overflows"});
}

TEST(Safetensors, UnknownDtype) {
  expect_format_error(
      build_raw(header_with(R"("a": {"dtype": "F24", "shape": [1], "data_offsets": [0, 3]})"), std::string(3, '\0')),
      {"'a'", "unknown dtype 'F24'"});
}

TEST(Safetensors, BrokenJsonAndMalformedEntries) {
  expect_format_error(build_raw(R"({"a": {"dtype": "F32", "shape": [1], )", std::string(4, '\0')), {"invalid JSON"});
  expect_format_error(build_raw("[1, 2]", ""), {"not a JSON object"});
  expect_format_error(build_raw(header_with(R"("a": {"shape": [1], "data_offsets": [0, 4]})"), std::string(4, '\0')),
                      {"'a'", "dtype"});
  expect_format_error(
      build_raw(header_with(R"("a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]})"), std::string(4, '\0')),
      {"'a'", "non-negative"});
  expect_format_error(
      build_raw(header_with(R"("a": {"dtype": "F32", "shape": [1], "data_offsets": [0]})"), std::string(4, '\0')),
      {"'a'", "data_offsets"});
  expect_format_error(build_raw(header_with(R"("a": 3)"), ""), {"'a'", "not a JSON object"});
  expect_format_error(build_raw(header_with(R"("__metadata__": [1])"), ""), {"__metadata__"});
}

TEST(Safetensors, MissingFileIsIoError) {
  EXPECT_THROW(io::SafetensorsFile::open("/nonexistent/radlite/model.safetensors"), IoError);
  ts::ScratchDir dir;
  try {
    io::Checkpoint::open_directory(dir.path());
    FAIL() << "no exception";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("model.safetensors"), std::string::npos);
  }
}

TEST(Safetensors, ShardedCheckpoint) {
  ts::ScratchDir dir;
  ts::write_file(dir.file("model-00001-of-00002.safetensors"),
                 build_safetensors({{"a", "F32", {1}, ts::f32_bytes({7})}}));
  ts::write_file(
      dir.file("model-00002-of-00002.safetensors"),
      build_safetensors({{"b", "F32", {1}, ts::f32_bytes({8})}, {"unused", "F32", {1}, ts::f32_bytes({9})}}));
  ts::write_file(dir.file("model.safetensors.index.json"),
                 R"({"metadata": {"total_size": 8}, "weight_map": {"a": "model-00001-of-00002.safetensors",)"
                 R"( "b": "model-00002-of-00002.safetensors"}})");
  auto ck = io::Checkpoint::open_directory(dir.path());
  float v;
  std::memcpy(&v, ck.require("b").data, 4);
  EXPECT_EQ(v, 8.0f);
  std::memcpy(&v, ck.require("a").data, 4);
  EXPECT_EQ(v, 7.0f);
  EXPECT_EQ(ck.files().size(), 2u);
  EXPECT_NE(ck.source_of("b").find("00002"), std::string::npos);
  try {
    ck.require("c");
    FAIL() << "no exception";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("'c'"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("model.safetensors.index.json"), std::string::npos);
  }
}

TEST(Safetensors, ShardIndexErrors) {
  ts::ScratchDir dir;
  ts::write_file(dir.file("s1.safetensors"), build_safetensors({{"a", "F32", {1}, ts::f32_bytes({7})}}));
  // A tensor mapped to a shard that does not hold it.
  ts::write_file(dir.file("model.safetensors.index.json"), R"({"weight_map": {"zz": "s1.safetensors"}})");
  try {
    io::Checkpoint::open_directory(dir.path());
    FAIL() << "no exception";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("'zz'"), std::string::npos) << e.what();
  }
  // A shard file that is absent.
  ts::write_file(dir.file("model.safetensors.index.json"), R"({"weight_map": {"a": "s2.safetensors"}})");
  EXPECT_THROW(io::Checkpoint::open_directory(dir.path()), IoError);
  // Paths escaping the directory are refused.
  ts::write_file(dir.file("model.safetensors.index.json"), R"({"weight_map": {"a": "../s1.safetensors"}})");
  EXPECT_THROW(io::Checkpoint::open_directory(dir.path()), FormatError);
  // Broken index JSON names the index file.
  ts::write_file(dir.file("model.safetensors.index.json"), R"({"weight_map": )");
  try {
    io::Checkpoint::open_directory(dir.path());
    FAIL() << "no exception";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("model.safetensors.index.json"), std::string::npos);
  }
}

// Every truncation and every single-byte corruption of a valid file either parses or throws FormatError;
// ASan builds turn any out-of-bounds read into a failure.
TEST(Safetensors, FuzzTruncationsAndByteFlips) {
  const std::string good = build_safetensors(two_tensors(), {{"format", "pt"}});
  int errors = 0;
  for (std::size_t n = 0; n < good.size(); ++n) {
    try {
      io::SafetensorsFile::from_bytes(good.substr(0, n), "cut");
    } catch (const FormatError&) {
      ++errors;
    }
  }
  EXPECT_EQ(errors, static_cast<int>(good.size()));  // every strict prefix loses data, so all must fail
  for (std::size_t i = 0; i < good.size(); ++i) {
    for (int flip : {0x01, 0x20, 0x80, 0xff}) {
      std::string bad = good;
      bad[i] = static_cast<char>(bad[i] ^ flip);
      try {
        auto f = io::SafetensorsFile::from_bytes(bad, "flip");
        for (const auto& kv : f.tensors()) {
          volatile std::uint8_t sink = 0;
          for (std::size_t k = 0; k < kv.second.nbytes; ++k) sink = sink ^ kv.second.data[k];
          (void)sink;
        }
      } catch (const FormatError&) {
      }
    }
  }
}
