// The pipeline stages of a Hugging Face tokenizer (internal): normalizers, pre-tokenizers, models (BPE, WordPiece),
// post-processors and decoders, and their construction from tokenizer.json sections.
//
// Offsets are not tracked (radlite's Encoding has none), so every stage works on plain UTF-8 strings. Text given to
// these stages is valid UTF-8 (the Tokenizer repairs input first).
// Thread safety: every stage is immutable after construction except the BPE word cache, which is guarded by
// per-shard mutexes; all methods may be called concurrently.
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "io/json_reader.h"
#include "tokenizers/regex.h"

namespace radlite::tokenizers {

// tokenizer.json fields are read with the one JSON field reader of src/io (one message shape:
// "<file>: field 'a.b': <problem>"; FormatError for malformed values, ModelError for unsupported ones).
using io::find;
using io::format_error;
using io::get_bool;
using io::get_int;
using io::get_string;
using io::JsonPlace;
using io::model_error;
using io::require;

/// The "type" of a component section (which must be an object); "" when absent.
inline std::string type_of(const nlohmann::json& j, const JsonPlace& p) {
  if (!j.is_object()) format_error(p, "expected an object");
  return get_string(j, "type", p, "");
}

/// The current splits of one text: their bytes in one buffer, so pre-tokenizers allocate per call, not per word.
struct Pieces {
  struct Span {
    std::uint32_t begin, end;
    bool at_start;  // the split begins at the start of the original text (Metaspace prepend_scheme "first")
  };
  std::string buf;
  std::vector<Span> spans;
  void clear() {
    buf.clear();
    spans.clear();
  }
  void add(std::string_view s, bool at_start) {
    if (s.empty()) return;
    auto b = static_cast<std::uint32_t>(buf.size());
    buf.append(s.data(), s.size());
    spans.push_back({b, static_cast<std::uint32_t>(buf.size()), at_start});
  }
  std::string_view view(const Span& s) const { return std::string_view(buf).substr(s.begin, s.end - s.begin); }
};

// ---------------------------------------------------------------------------------------------------------------
class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual void normalize(std::string& text) const = 0;
};
std::unique_ptr<Normalizer> make_normalizer(const nlohmann::json& j, const JsonPlace& p);
/// BertNormalizer with explicit settings (vocab.txt loading).
std::unique_ptr<Normalizer> make_bert_normalizer(bool clean_text, bool chinese_chars, int strip_accents /*-1 auto*/,
                                                 bool lowercase);
/// Precompiled from the raw bytes of a SentencePiece charsmap; nullptr when it has no rules. FormatError naming
/// `what` for a malformed one.
std::unique_ptr<Normalizer> make_precompiled_normalizer(const std::string& charsmap, const std::string& what);

// ---------------------------------------------------------------------------------------------------------------
class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  /// Splits every piece of `in` into `out` (out is cleared first).
  virtual void apply(const Pieces& in, Pieces& out) const = 0;
};
std::unique_ptr<PreTokenizer> make_pre_tokenizer(const nlohmann::json& j, const JsonPlace& p);
std::unique_ptr<PreTokenizer> make_byte_level_pre_tokenizer(bool add_prefix_space);
std::unique_ptr<PreTokenizer> make_bert_pre_tokenizer();

// ---------------------------------------------------------------------------------------------------------------
/// Open-addressing map from token text to id: lookups by string_view without building a std::string.
class Vocab {
 public:
  void reserve(std::size_t n);
  /// Adds a token; a token already present keeps its first id (HF's HashMap construction from JSON does not allow
  /// duplicates anyway), or takes the new one with last_wins (a Unigram vocabulary is a list: HF's map of it keeps
  /// the last duplicate, and every position still counts as an id).
  void insert(std::string token, std::int32_t id, bool last_wins = false);
  std::int32_t find(std::string_view token) const;  // -1 when absent
  std::size_t size() const { return keys_.size() + duplicate_ids_; }
  /// Token of an id, nullptr when no token has it.
  const std::string* token_of(std::int32_t id) const;
  std::int32_t max_id() const { return static_cast<std::int32_t>(by_id_.size()) - 1; }

 private:
  static std::uint64_t hash(std::string_view s);
  void rehash(std::size_t slots);
  std::vector<std::string> keys_;
  std::vector<std::int32_t> ids_;
  std::vector<std::int32_t> slots_;  // index into keys_, -1 empty
  std::vector<std::int32_t> by_id_;  // id -> index into keys_, -1 none
  std::size_t duplicate_ids_ = 0;    // ids given to a token already present (last_wins)
};

class Model {
 public:
  virtual ~Model() = default;
  /// Appends the ids of one pre-tokenized word.
  virtual void tokenize(std::string_view word, std::vector<std::int32_t>& ids) const = 0;
  virtual const Vocab& vocab() const = 0;
};
/// model section of tokenizer.json (BPE, WordPiece, WordLevel, Unigram, or a typeless section with their fields).
std::unique_ptr<Model> make_model(const nlohmann::json& j, const JsonPlace& p);
/// roberta-style vocab.json + merges.txt.
std::unique_ptr<Model> make_bpe_from_files(const std::string& vocab_json_path, const std::string& merges_path);
/// BERT vocab.txt.
std::unique_ptr<Model> make_wordpiece_from_file(const std::string& vocab_txt_path, const std::string& unk_token);

// ---------------------------------------------------------------------------------------------------------------
struct Sequence {
  std::vector<std::int32_t> ids;
  std::vector<std::int32_t> type_ids;
};
class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  /// How many special tokens process() adds.
  virtual std::size_t added_tokens(bool pair) const = 0;
  /// Joins a (and b when given) into out, adding special tokens when add_special.
  virtual void process(const Sequence& a, const Sequence* b, bool add_special, Sequence& out) const = 0;
  /// Every id process() may add (checked against the vocabulary at load).
  virtual std::vector<std::int32_t> special_ids() const = 0;
};
std::unique_ptr<PostProcessor> make_post_processor(const nlohmann::json& j, const JsonPlace& p);
/// No post-processor: the sequences concatenated, type ids 0 and 1.
std::unique_ptr<PostProcessor> make_plain_post_processor();
/// cls A sep [sep B sep], type ids all 0 (RoBERTa, XLM-RoBERTa).
std::unique_ptr<PostProcessor> make_roberta_processor(std::int32_t cls, std::int32_t sep);
/// cls A sep [B sep], B's type ids 1 (BERT).
std::unique_ptr<PostProcessor> make_bert_processor(std::int32_t cls, std::int32_t sep);

// ---------------------------------------------------------------------------------------------------------------
class Decoder {
 public:
  virtual ~Decoder() = default;
  virtual std::string decode(const std::vector<std::string>& tokens) const = 0;
};
/// nullptr for a null section.
std::unique_ptr<Decoder> make_decoder(const nlohmann::json& j, const JsonPlace& p);
std::unique_ptr<Decoder> make_byte_level_decoder();
std::unique_ptr<Decoder> make_wordpiece_decoder(const std::string& prefix, bool cleanup);

}  // namespace radlite::tokenizers
