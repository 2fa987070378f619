// What a model directory says about the network (config.json) and its sentence-transformers modules
// (modules.json, 1_Pooling/config.json, Normalize, max_seq_length). Internal to radlite; no torch here, so
// these parsers compile fast and are tested without a model.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace radlite::model {

enum class Family { Bert, Roberta, XlmRoberta };
enum class Activation { GeluErf, GeluTanh, Relu, Silu };

/// The transformer encoder's hyper-parameters, all from config.json.
struct EncoderConfig {
  std::string path;  // the config.json it came from, for messages
  Family family = Family::Bert;
  std::string model_type;
  std::vector<std::string> architectures;
  std::int64_t hidden_size = 0;
  std::int64_t num_layers = 0;
  std::int64_t num_heads = 0;
  std::int64_t intermediate_size = 0;
  std::int64_t vocab_size = 0;
  std::int64_t max_position_embeddings = 0;
  std::int64_t type_vocab_size = 0;
  std::int64_t pad_token_id = 0;
  double layer_norm_eps = 1e-12;
  Activation activation = Activation::GeluErf;
  std::optional<std::int64_t> num_labels;  // from id2label / num_labels when present

  bool roberta_like() const { return family != Family::Bert; }
  /// The longest sequence the position table allows: RoBERTa-style models reserve padding_idx + 1 positions.
  std::int64_t max_tokens() const {
    return roberta_like() ? max_position_embeddings - pad_token_id - 1 : max_position_embeddings;
  }
  /// The checkpoint prefix of the base model inside a *ForSequenceClassification checkpoint.
  const char* base_prefix() const { return roberta_like() ? "roberta." : "bert."; }
};

/// Parses `dir`/config.json. Throws IoError / FormatError / ModelError naming the file and field.
EncoderConfig read_encoder_config(const std::string& dir);

/// sentence-transformers pooling modes, in the order sentence-transformers concatenates them.
struct PoolingConfig {
  bool cls = false;
  bool max = false;
  bool mean = false;
  bool mean_sqrt_len = false;
  bool weighted_mean = false;
  bool last_token = false;
  int count() const { return cls + max + mean + mean_sqrt_len + weighted_mean + last_token; }
};

/// A bi-encoder directory as sentence-transformers writes it (or a plain transformers directory).
struct BiEncoderLayout {
  std::string transformer_dir;  // where config.json, the weights and the tokenizer live
  PoolingConfig pooling;
  bool normalize = false;
  std::size_t max_seq_length = 0;  // resolved, never above the position table's limit
};

/// Reads modules.json (sentence-transformers <= 5 names and the newer module paths), the pooling config
/// (boolean flags or `pooling_mode`), Normalize, and resolves max_seq_length: sentence_bert_config.json, else
/// tokenizer_config.json model_max_length (the "no limit" sentinel ignored), else the position table.
/// A directory without modules.json is a plain transformers model: mean pooling, no Normalize.
BiEncoderLayout read_bi_encoder_layout(const std::string& dir);

/// max_seq_length for a plain transformers directory (a cross-encoder): tokenizer_config.json model_max_length
/// unless absent or the sentinel, capped by the position table.
std::size_t resolve_plain_max_length(const std::string& dir, const EncoderConfig& config);

}  // namespace radlite::model
