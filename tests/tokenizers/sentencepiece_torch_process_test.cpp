// The SentencePiece code in a process that also loads libtorch (and so protobuf 3.21). Debian's
// libsentencepiece embeds protobuf 3.14 and such a process crashes before main(); radlite therefore never links
// it. This executable links radlite (libtorch) and must start, load a .model and encode like the reference
// (transformers' XLM-R conversion of the model).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "io/file_util.h"
#include "radlite/tokenizer.h"

namespace {

std::string loaded_libraries() {
  std::ifstream maps("/proc/self/maps");
  std::stringstream ss;
  ss << maps.rdbuf();
  return ss.str();
}

}  // namespace

TEST(SentencePieceWithTorch, NoLibsentencepieceAndEncodesLikeTheReference) {
  const std::string maps = loaded_libraries();
  EXPECT_NE(maps.find("libtorch"), std::string::npos) << "this test is meant to run with libtorch loaded";
  EXPECT_EQ(maps.find("libsentencepiece"), std::string::npos) << "libsentencepiece must not be loaded with torch";

  const std::string data = RADLITE_TEST_DATA_DIR;
  const auto tok = radlite::Tokenizer::from_path(data + "/tokenizers/files/sentencepiece-test/sp_bpe_2k.model");
  const auto fixture = radlite::io::read_json_file(data + "/tokenizers/sp-bpe-2k-xlmr.json");
  radlite::EncodeOptions o;
  o.max_length = fixture.at("max_length_single").get<std::size_t>();
  int checked = 0;
  for (const auto& e : fixture.at("single")) {
    EXPECT_EQ(tok.encode(e.at("text").get<std::string>(), o).ids, e.at("input_ids").get<std::vector<std::int32_t>>());
    if (++checked == 20) break;
  }
  EXPECT_EQ(checked, 20);
}
