// radlite/encoder.h: the bi-encoder (texts -> vectors) and the cross-encoder ((query, document) -> logits).
//
// Usage:
//   radlite::BiEncoderOptions options;
//   options.compute.dtype = radlite::DType::F32;                                          // device, batching too
//   auto enc = radlite::BiEncoder::load("models/radlit-biencoder", options);
//   radlite::Matrix q = enc.encode({"What are the CT findings in pulmonary embolism?"});   // rows = texts
//   radlite::Matrix v = enc.encode_ids({{0, 2264, 32, 2}});                                // pre-tokenized
//
//   auto ce = radlite::CrossEncoder::load("models/radlit-crossencoder");
//   std::vector<std::vector<float>> l = ce.logits("query", {"doc a", "doc b"});          // num_labels per pair
//   std::vector<float> p = radlite::CrossEncoder::probabilities(l[0], 1.5);              // sigmoid(l / T)
//
// Model directories: what sentence-transformers saves for a bi-encoder (modules.json of versions <= 5 or >= 6,
// 1_Pooling/config.json, optional Normalize, sentence_bert_config.json), or a plain transformers directory
// (config.json + model.safetensors or a sharded model.safetensors.index.json + tokenizer files). Supported
// architectures: BERT, RoBERTa, XLM-RoBERTa (model_type in config.json); cross-encoders are
// BertForSequenceClassification / (XLM)RobertaForSequenceClassification with any number of labels.
// Checkpoints may hold F32, F16 or BF16 weights; they are converted to the compute dtype at load.
//
// Thread safety: a loaded BiEncoder / CrossEncoder is immutable; concurrent calls on one instance (or on copies,
// which share the weights) from several threads are safe. Loading never changes process-wide state: the thread
// count is set with radlite::set_num_threads (radlite/runtime.h).
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

/// The dtype the network computes in.
enum class DType {
  F32,   // float32: the reference; parity with transformers within 1e-5
  F16,   // float16: CUDA only (libtorch has no float16 matrix multiply on CPU)
  BF16,  // bfloat16: CPU or CUDA; about 3 significant digits
  Int8,  // CPU only: the Linear layers' weights in int8 (one scale per output channel), activations quantized
         // per call (dynamic quantization; one scale per token on x86-64 with AVX2 and no VNNI); embeddings,
         // LayerNorm and heads stay float32, and so does attention except on CPUs with AMX, where its products
         // take bfloat16 inputs with float32 sums (RADLITE_INT8_ATTENTION=f32 keeps float32)
};

/// How a model runs: where, in what dtype, how inputs are batched and truncated. Shared by both model kinds, so a
/// front end maps its options once. Every field may be left at its default.
struct DeviceOptions {
  std::string device = "cpu";           // "cpu", "cuda" or "cuda:N"
  DType dtype = DType::F32;             // compute dtype
  std::size_t batch_size = 32;          // texts (or pairs) per forward pass (>= 1, InvalidArgument otherwise);
                                        // a batch is sorted by length and padded per pass
  std::size_t max_batch_tokens = 8192;  // padded tokens per pass (rows x longest row); long texts then run in
                                        // smaller passes, which bounds memory. 0 = no limit (batch_size only).
                                        // Results do not depend on it beyond float rounding.
  std::size_t max_length = 0;           // tokens per text or pair, special tokens included; 0 = the model's
                                        // limit. Must not exceed what the position table allows.
};

struct BiEncoderOptions {
  DeviceOptions compute;          // device, dtype, batching, max_length (0 = the model's max_seq_length)
  std::optional<bool> normalize;  // unset: as the model directory says (Normalize module); true/false overrides
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
  /// A fingerprint of everything that determines the vectors: "<model_type> bi-encoder fp:<16 hex digits>", a
  /// SHA-256 over the weight files' and tokenizer files' bytes and the settings computed with (the config.json
  /// fields radlite reads, pooling, normalization, max_length). Not the directory's name or path: a byte-identical
  /// copy elsewhere has the same identity, a changed config or pooling file another. The compute dtype and device
  /// are not part of it (they change results by rounding only). Reads the weights once, on the first call.
  std::string identity() const override;

  /// The effective max_length (the option, else the model's max_seq_length).
  std::size_t max_length() const;
  /// Whether rows are L2-normalized (the Normalize module, or the override).
  bool normalizes() const;
  /// The tokenizer encode() uses (the model directory's). A directory without tokenizer files loads for the ids
  /// path only: then this and the text methods throw ModelError.
  const Tokenizer& tokenizer() const;

  class Impl;  // the loaded state; defined inside the library only

 private:
  explicit BiEncoder(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
};

struct CrossEncoderOptions {
  DeviceOptions compute;  // device, dtype, batching, max_length (0 = tokenizer_config.json model_max_length, else
                          // the position table)
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

  /// Probabilities from one pair's logits: sigmoid(logit / T) for one label, softmax(logits / T) otherwise.
  /// temperature must be > 0 (InvalidArgument otherwise). radlite::calibrate (retrieval/calibration.h) is the
  /// one-logit-per-pair version the pipeline uses; for one label both agree.
  static std::vector<float> probabilities(const std::vector<float>& logits, double temperature = 1.0);

  // PairScorer
  std::vector<float> score_pairs(const std::string& query, const std::vector<std::string>& documents) const override;
  /// As BiEncoder::identity(): "<model_type> cross-encoder fp:<16 hex digits>" over weights, tokenizer files,
  /// config, number of labels and max_length.
  std::string identity() const override;

  std::size_t num_labels() const;
  std::size_t max_length() const;
  /// As BiEncoder::tokenizer().
  const Tokenizer& tokenizer() const;

  class Impl;  // the loaded state; defined inside the library only

 private:
  explicit CrossEncoder(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
};

}  // namespace radlite
