// Test support: the layout of a BERT / RoBERTa / XLM-RoBERTa checkpoint as transformers writes it (tensor names,
// shapes and order; config.json), for the helpers that write random-weight models: tests/model/tiny_model_writer.h
// (tiny models with a naive reference forward pass) and tests/bench/bench_models.h (full-size benchmark models).
// Each chooses its own values. Header-only, no torch.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace radlite::test_support {

/// What config.json says about an encoder checkpoint.
struct EncoderShape {
  std::string model_type = "roberta";  // "bert", "roberta", "xlm-roberta"
  int hidden = 24, heads = 3, layers = 3, intermediate = 40, vocab = 50, max_positions = 20, type_vocab = 1;
  int pad_id = 1;
  double eps = 1e-5;
  std::string act = "gelu_new";
  int num_labels = 0;  // > 0: a sequence-classification checkpoint with this many labels
  bool roberta_like() const { return model_type != "bert"; }
  /// Where a sequence-classification checkpoint keeps the base model: "roberta." or "bert.".
  std::string base_prefix() const { return roberta_like() ? "roberta." : "bert."; }
};

/// What a tensor is, so that a writer can pick its values.
enum class TensorRole {
  kWordEmbeddings,
  kPositionEmbeddings,
  kTokenTypeEmbeddings,
  kNormWeight,
  kNormBias,
  kWeight,
  kBias
};

struct TensorLayout {
  std::string name;  // as transformers names it, without the base-model prefix
  std::vector<std::int64_t> shape;
  TensorRole role;
  bool head;  // part of the classification head (never prefixed)
};

/// The tensors of `s` in transformers' order: embeddings, layers, then the pooler when `pooler` is set, then the
/// classification head when s.num_labels > 0 (RoBERTa's dense + out_proj, BERT's single linear layer).
inline std::vector<TensorLayout> encoder_tensors(const EncoderShape& s, bool pooler) {
  using R = TensorRole;
  const std::int64_t H = s.hidden, I = s.intermediate;
  std::vector<TensorLayout> t;
  auto add = [&](const std::string& name, std::vector<std::int64_t> shape, R role, bool head = false) {
    t.push_back({name, std::move(shape), role, head});
  };
  add("embeddings.word_embeddings.weight", {s.vocab, H}, R::kWordEmbeddings);
  add("embeddings.position_embeddings.weight", {s.max_positions, H}, R::kPositionEmbeddings);
  add("embeddings.token_type_embeddings.weight", {s.type_vocab, H}, R::kTokenTypeEmbeddings);
  add("embeddings.LayerNorm.weight", {H}, R::kNormWeight);
  add("embeddings.LayerNorm.bias", {H}, R::kNormBias);
  for (int l = 0; l < s.layers; ++l) {
    const std::string p = "encoder.layer." + std::to_string(l) + ".";
    for (const char* m : {"query", "key", "value"}) {
      add(p + "attention.self." + m + ".weight", {H, H}, R::kWeight);
      add(p + "attention.self." + m + ".bias", {H}, R::kBias);
    }
    add(p + "attention.output.dense.weight", {H, H}, R::kWeight);
    add(p + "attention.output.dense.bias", {H}, R::kBias);
    add(p + "attention.output.LayerNorm.weight", {H}, R::kNormWeight);
    add(p + "attention.output.LayerNorm.bias", {H}, R::kNormBias);
    add(p + "intermediate.dense.weight", {I, H}, R::kWeight);
    add(p + "intermediate.dense.bias", {I}, R::kBias);
    add(p + "output.dense.weight", {H, I}, R::kWeight);
    add(p + "output.dense.bias", {H}, R::kBias);
    add(p + "output.LayerNorm.weight", {H}, R::kNormWeight);
    add(p + "output.LayerNorm.bias", {H}, R::kNormBias);
  }
  if (pooler) {
    add("pooler.dense.weight", {H, H}, R::kWeight);
    add("pooler.dense.bias", {H}, R::kBias);
  }
  if (s.num_labels > 0 && s.roberta_like()) {
    add("classifier.dense.weight", {H, H}, R::kWeight, true);
    add("classifier.dense.bias", {H}, R::kBias, true);
    add("classifier.out_proj.weight", {s.num_labels, H}, R::kWeight, true);
    add("classifier.out_proj.bias", {s.num_labels}, R::kBias, true);
  } else if (s.num_labels > 0) {
    add("classifier.weight", {s.num_labels, H}, R::kWeight, true);
    add("classifier.bias", {s.num_labels}, R::kBias, true);
  }
  return t;
}

/// config.json of `s`, without "architectures" (callers that want it add it).
inline nlohmann::json encoder_config(const EncoderShape& s) {
  nlohmann::json c = {{"model_type", s.model_type},
                      {"hidden_size", s.hidden},
                      {"num_attention_heads", s.heads},
                      {"num_hidden_layers", s.layers},
                      {"intermediate_size", s.intermediate},
                      {"vocab_size", s.vocab},
                      {"max_position_embeddings", s.max_positions},
                      {"type_vocab_size", s.type_vocab},
                      {"pad_token_id", s.pad_id},
                      {"layer_norm_eps", s.eps},
                      {"hidden_act", s.act}};
  if (s.num_labels > 0) {
    nlohmann::json id2label = nlohmann::json::object();
    for (int i = 0; i < s.num_labels; ++i) id2label[std::to_string(i)] = "LABEL_" + std::to_string(i);
    c["id2label"] = id2label;
  }
  return c;
}

}  // namespace radlite::test_support
