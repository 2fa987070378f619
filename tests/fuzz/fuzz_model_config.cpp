// Fuzzes the model-directory parsers: config.json, modules.json, the pooling config (booleans or
// `pooling_mode`), Normalize, sentence_bert_config.json and tokenizer_config.json. The input is a file
// archive (fuzz_files.h) written into a scratch model directory; the seeds are the bundled tiny models'
// files. Built from src/model/model_config.cpp and radlite_core only: no libtorch in the fuzzer.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_check.h"
#include "fuzz_files.h"
#include "model/model_config.h"
#include "radlite/error.h"

static int fuzz_one(const std::uint8_t* data, std::size_t size) {
  static radlite::fuzz::ScratchDir scratch;
  using namespace radlite::model;
  const auto archive = radlite::fuzz::split_archive(std::string_view(reinterpret_cast<const char*>(data), size));
  const std::string dir = scratch.reset(archive.files);
  try {
    EncoderConfig c = read_encoder_config(dir);
    RADLITE_FUZZ_CHECK(c.hidden_size > 0 && c.num_layers > 0 && c.num_heads > 0 && c.vocab_size > 0,
                       "required sizes are positive");
    RADLITE_FUZZ_CHECK(c.hidden_size % c.num_heads == 0, "heads divide the hidden size");
    RADLITE_FUZZ_CHECK(c.max_tokens() >= 2, "the position table leaves room for a sequence");
    RADLITE_FUZZ_CHECK(c.pad_token_id >= 0 && c.pad_token_id < c.vocab_size, "pad id inside the vocabulary");
    const std::size_t plain = resolve_plain_max_length(dir, c);
    RADLITE_FUZZ_CHECK(plain >= 1 && plain <= static_cast<std::size_t>(c.max_tokens()), "plain max length in range");
  } catch (const radlite::Error&) {
  }
  try {
    BiEncoderLayout layout = read_bi_encoder_layout(dir);
    RADLITE_FUZZ_CHECK(layout.max_seq_length >= 1, "a bi-encoder takes at least one token");
    RADLITE_FUZZ_CHECK(layout.pooling.count() >= 1, "at least one pooling mode");
  } catch (const radlite::Error&) {
  }
  return 0;
}

RADLITE_FUZZ_ENTRY(fuzz_one)
