// Fuzzes tokenization of arbitrary bytes (invalid UTF-8, NUL, control characters, any code point) through
// every tokenizer kind radlite implements, each loaded once from the repository's fixtures:
//   byte-level BPE (roberta-base tokenizer.json), WordPiece with BertNormalizer (bert-base-uncased),
//   BPE with byte fallback (synthetic), Unigram with a Precompiled normalizer (xlmr tiny tokenizer.json),
//   SentencePiece .model files (unigram and BPE).
// Every input is encoded alone, as a pair (split at the first 0xFF byte or in the middle) and truncated;
// the ids must be valid ids, decode must not fail, and truncation must honour max_length.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "radlite/error.h"
#include "radlite/tokenizer.h"

namespace {

struct Named {
  const char* name;
  radlite::Tokenizer tok;
};

std::vector<Named> load_all() {
  const std::string data = RADLITE_FUZZ_DATA_DIR;
  const std::string models = RADLITE_FUZZ_MODELS_DIR;
  std::vector<Named> out;
  auto add = [&](const char* name, const std::string& path) {
    out.push_back({name, radlite::Tokenizer::from_path(path)});
  };
  add("bpe-byte-level", data + "/tokenizers/files/roberta-base/tokenizer.json");
  add("wordpiece", data + "/tokenizers/files/bert-base-uncased/tokenizer.json");
  add("bpe-byte-fallback", data + "/tokenizers/files/synthetic/bpe-byte-fallback.tokenizer.json");
  add("unigram-precompiled", models + "/xlmr-biencoder-sp-tiny/tokenizer.json");
  add("sentencepiece-unigram", data + "/tokenizers/files/sentencepiece-test/test_model.model");
  add("sentencepiece-bpe", data + "/tokenizers/files/sentencepiece-test/sp_bpe_2k.model");
  return out;
}

void check_encoding(const radlite::Tokenizer& tok, const radlite::Encoding& e, std::size_t max_length) {
  RADLITE_FUZZ_CHECK(
      e.ids.size() == e.type_ids.size() && e.ids.size() == e.attention_mask.size() && e.ids.size() == e.tokens.size(),
      "one type id, mask entry and token string per id");
  if (max_length) RADLITE_FUZZ_CHECK(e.ids.size() <= max_length, "truncation honours max_length");
  for (std::size_t i = 0; i < e.ids.size(); ++i) {
    // id_to_token throws InvalidArgument for an id outside the vocabulary: that would be a bug here.
    RADLITE_FUZZ_CHECK(tok.id_to_token(e.ids[i]) == e.tokens[i], "every id is a vocabulary entry spelled as its token");
  }
  (void)tok.decode(e.ids, true);
  (void)tok.decode(e.ids, false);
}

const std::vector<Named>& tokenizers() {
  static const std::vector<Named> all = load_all();
  return all;
}

}  // namespace

// Loading six tokenizers takes seconds under ASan: done here, before the first input, so that it does not
// count against libFuzzer's per-input -timeout.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)tokenizers();
  return 0;
}

static int fuzz_one(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::size_t cut = text.find('\xFF') != std::string_view::npos ? text.find('\xFF') : size / 2;
  const std::string_view first = text.substr(0, cut), second = text.substr(std::min(cut + 1, size));
  // A max_length from the input (>= 4 so that every kind's special tokens fit) exercises truncation paths.
  const std::size_t max_length = size ? 4 + data[0] % 29 : 8;
  for (const Named& n : tokenizers()) {
    radlite::EncodeOptions whole;
    check_encoding(n.tok, n.tok.encode(text, whole), 0);
    radlite::EncodeOptions cut_opt;
    cut_opt.max_length = max_length;
    check_encoding(n.tok, n.tok.encode(text, cut_opt), max_length);
    radlite::EncodeOptions raw;
    raw.add_special_tokens = false;
    check_encoding(n.tok, n.tok.encode(text, raw), 0);
    check_encoding(n.tok, n.tok.encode_pair(first, second, whole), 0);
    check_encoding(n.tok, n.tok.encode_pair(first, second, cut_opt), max_length);
  }
  return 0;
}

RADLITE_FUZZ_ENTRY(fuzz_one)
