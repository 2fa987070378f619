// radlite/encoder.h: the bi-encoder (texts -> vectors) and the cross-encoder ((query, document) -> logits).
//
// Usage:
//   auto enc = radlite::BiEncoder::load("models/radlit-biencoder", {.threads = 0, .dtype = radlite::DType::F32});
//   radlite::Matrix q = enc.encode({"What are the CT findings in pulmonary embolism?"});   // rows = texts
//   radlite::Matrix v = enc.encode_ids({{0, 2264, 32, 2}});                                // pre-tokenized
//
//   auto ce = radlite::CrossEncoder::load("models/radlit-crossencoder");
//   std::vector<std::vector<float>> l = ce.logits("query", {"doc a", "doc b"});          // num_labels per pair
//   std::vector<float> p = radlite::CrossEncoder::calibrate(l[0], 1.5);                  // sigmoid(l / T)
//
// Model directories: what sentence-transformers saves for a bi-encoder (modules.json of versions <= 5 or >= 6,
// 1_Pooling/config.json, optional Normalize, sentence_bert_config.json), or a plain transformers directory
// (config.json + model.safetensors or a sharded model.safetensors.index.json + tokenizer files). Supported
// architectures: BERT, RoBERTa, XLM-RoBERTa (model_type in config.json); cross-encoders are
// BertForSequenceClassification / (XLM)RobertaForSequenceClassification with any number of labels.
// Checkpoints may hold F32, F16 or BF16 weights; they are converted to the compute dtype at load.
//
// Thread safety: a loaded BiEncoder / CrossEncoder is immutable; concurrent calls on one instance (or on copies,
// which share the weights) from several threads are safe. Loading sets libtorch's process-wide intra-op thread
// count (the `threads` option), so load models before starting worker threads.
// Errors: IoError / FormatError / ModelError naming the file, tensor or field at load; InvalidArgument for bad
// inputs (ids outside the vocabulary, sequences longer than the model allows, empty sequences).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "radlite/matrix.h"
#include "radlite/text_models.h"

namespace radlite {

class Tokenizer;

namespace model {
struct EncoderAccess;  // internal test hooks (perturbed forward passes)
}

/// The dtype the network computes in.
enum class DType {
  F32,   // float32: the reference; parity with transformers within 1e-5
  F16,   // float16: CUDA only (libtorch has no float16 matrix multiply on CPU)
  BF16,  // bfloat16: CPU or CUDA; about 3 significant digits
  Int8,  // CPU only: the Linear layers' weights in int8 (one scale per output channel), activations quantized
         // per call (dynamic quantization); embeddings, LayerNorm, attention and heads stay float32
};

struct BiEncoderOptions {
  std::size_t batch_size = 32;    // texts per forward pass (>= 1); a batch is sorted by length and padded per pass
  std::size_t max_batch_tokens = 8192;  // padded tokens per pass (rows x longest row); long texts then run in
                                        // smaller passes, which bounds memory. 0 = no limit (batch_size only).
                                        // Results do not depend on it beyond float rounding.
  std::size_t max_length = 0;     // tokens per text, special tokens included; 0 = the model's max_seq_length.
                                  // Must not exceed what the position table allows.
  std::optional<bool> normalize;  // unset: as the model directory says (Normalize module); true/false overrides
  int threads = 0;                // libtorch intra-op threads, process-wide; 0 = all hardware threads
  std::string device = "cpu";     // "cpu", "cuda" or "cuda:N"
  DType dtype = DType::F32;       // compute dtype
};

/// A sentence-transformers bi-encoder: transformer + pooling (+ Normalize). Implements TextEncoder.
class BiEncoder : public TextEncoder {
 public:
  /// Loads a model directory (see the top of this file). Throws IoError / FormatError / ModelError naming the
  /// file and what is wrong, InvalidArgument for bad options (unknown device, max_length above the model's limit).
  static BiEncoder load(const std::string& dir, const BiEncoderOptions& options = {});

  ~BiEncoder() override;
  BiEncoder(const BiEncoder&) = default;
  BiEncoder& operator=(const BiEncoder&) = default;

  /// Tokenizes (truncating at max_length) and encodes; one row per text, in input order.
  Matrix encode(const std::vector<std::string>& texts) const;
  /// The ids encode() feeds the network for `text`: special tokens added, truncated at max_length().
  std::vector<std::int32_t> tokenize(const std::string& text) const;
  /// Encodes token ids that already carry the special tokens (e.g. from Tokenizer::encode); every row must be
  /// non-empty, at most max_length() long, with ids inside the vocabulary. One row per sequence, in input order.
  Matrix encode_ids(const std::vector<std::vector<std::int32_t>>& ids) const;

  // TextEncoder
  Matrix encode_texts(const std::vector<std::string>& texts) const override { return encode(texts); }
  std::size_t dimension() const override;
  /// Model directory name + " sha256:" + the first 16 hex digits of the SHA-256 of the weight file(s).
  std::string identity() const override;

  /// The effective max_length (the option, else the model's max_seq_length).
  std::size_t max_length() const;
  /// Whether rows are L2-normalized (the Normalize module, or the override).
  bool normalizes() const;
  /// The tokenizer encode() uses (the model directory's). A directory without tokenizer files loads for the ids
  /// path only: then this and the text methods throw ModelError.
  const Tokenizer& tokenizer() const;

  class Impl;

 private:
  explicit BiEncoder(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
  friend struct model::EncoderAccess;
};

struct CrossEncoderOptions {
  std::size_t batch_size = 32;  // pairs per forward pass (>= 1); sorted by length and padded per pass
  std::size_t max_batch_tokens = 8192;  // padded tokens per pass, as BiEncoderOptions::max_batch_tokens
  std::size_t max_length = 0;   // tokens per pair, special tokens included; 0 = the model's limit
                                // (tokenizer_config.json model_max_length, else the position table)
  int threads = 0;              // libtorch intra-op threads, process-wide; 0 = all hardware threads
  std::string device = "cpu";   // "cpu", "cuda" or "cuda:N"
  DType dtype = DType::F32;     // compute dtype
};

/// A pair already tokenized: ids with special tokens, and segment ids (empty = all zero; RoBERTa-style models
/// ignore them, they have one segment type).
struct TokenizedPair {
  std::vector<std::int32_t> ids;
  std::vector<std::int32_t> type_ids;
};

/// A sequence-classification cross-encoder (BERT pooler + classifier, or RoBERTa classification head).
/// Implements PairScorer: score_pairs gives the logit for one label, logit[1] - logit[0] for two (so that its
/// sigmoid is the softmax probability of label 1), and throws ModelError for more labels.
class CrossEncoder : public PairScorer {
 public:
  static CrossEncoder load(const std::string& dir, const CrossEncoderOptions& options = {});

  ~CrossEncoder() override;
  CrossEncoder(const CrossEncoder&) = default;
  CrossEncoder& operator=(const CrossEncoder&) = default;

  /// Raw logits, num_labels() per pair, in input order.
  std::vector<std::vector<float>> logits(const std::string& query, const std::vector<std::string>& documents) const;
  std::vector<std::vector<float>> logits(const std::vector<std::pair<std::string, std::string>>& pairs) const;
  /// The pair as logits() feeds it to the network: special tokens, segment ids, truncated longest_first at
  /// max_length(). Like sentence-transformers' CrossEncoder, an empty document still gets its separator(s)
  /// (transformers' tokenizer(query, "") would drop them and the logits would differ).
  TokenizedPair tokenize(const std::string& query, const std::string& document) const;
  /// Raw logits of pre-tokenized pairs (see TokenizedPair); rows must fit max_length().
  std::vector<std::vector<float>> logits_ids(const std::vector<TokenizedPair>& pairs) const;

  /// Calibrated scores of one pair's logits: sigmoid(logit / T) for one label, softmax(logits / T) otherwise.
  /// temperature must be > 0 (InvalidArgument otherwise).
  static std::vector<float> calibrate(const std::vector<float>& logits, double temperature = 1.0);

  // PairScorer
  std::vector<float> score_pairs(const std::string& query, const std::vector<std::string>& documents) const override;
  std::string identity() const override;

  std::size_t num_labels() const;
  std::size_t max_length() const;
  /// As BiEncoder::tokenizer().
  const Tokenizer& tokenizer() const;

  class Impl;

 private:
  explicit CrossEncoder(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
  friend struct model::EncoderAccess;
};

}  // namespace radlite
