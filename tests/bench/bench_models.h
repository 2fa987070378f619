// Benchmark support: writes full-size model directories with deterministic random weights, of the two shapes
// RadLITE uses, so that no benchmark downloads anything:
//   * a RoBERTa-base sentence-transformers bi-encoder (mean pooling + Normalize, the roberta-base tokenizer);
//   * a MiniLM-L12-H384 BERT sequence-classification cross-encoder with one label (the shape of
//     ms-marco-MiniLM-L-12-v2) and the bert-base-uncased vocabulary.
// The peer harness (cpu_peers.sh) loads these very files into PyTorch and ONNX Runtime, so every runtime sees
// the same weights. Header-only, no torch.
#pragma once

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "../support/encoder_checkpoint.h"

namespace radlite::bench {

using ModelShape = test_support::EncoderShape;

inline ModelShape roberta_base_shape() {
  ModelShape s;
  s.model_type = "roberta";
  s.hidden = 768, s.heads = 12, s.layers = 12, s.intermediate = 3072, s.vocab = 50265, s.max_positions = 514;
  s.type_vocab = 1, s.pad_id = 1, s.eps = 1e-5, s.act = "gelu", s.num_labels = 0;  // a bare encoder (bi-encoder)
  return s;
}

inline ModelShape minilm_l12_cross_shape() {
  ModelShape s;
  s.model_type = "bert";
  s.hidden = 384, s.heads = 12, s.layers = 12, s.intermediate = 1536, s.vocab = 30522, s.max_positions = 512;
  s.type_vocab = 2, s.pad_id = 0, s.eps = 1e-12, s.act = "gelu", s.num_labels = 1;  // BertForSequenceClassification
  return s;
}

namespace detail {

// splitmix64: a fixed, portable generator, so the weights are the same on every machine and compiler
// (std::normal_distribution is implementation-defined).
struct Rng {
  std::uint64_t s;
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform on [-1, 1).
  float uniform() { return static_cast<float>(static_cast<double>(next() >> 11) * 0x1.0p-52 - 1.0); }
};

inline std::uint64_t name_seed(const std::string& name, std::uint64_t seed) {
  std::uint64_t h = 1469598103934665603ull ^ seed;  // FNV-1a
  for (unsigned char c : name) h = (h ^ c) * 1099511628211ull;
  return h;
}

struct Tensor {
  std::string name;
  std::vector<std::int64_t> shape;
  float center, spread;  // values uniform in center +- spread
};

// The tensors of `s` with their full names (the base model under bert. / roberta. in a classification
// checkpoint). Linear weights have standard deviation 1/sqrt(fan_in) (variance-preserving, so attention is
// neither uniform nor one-hot and int8 rounding is tested on realistic magnitudes); uniform(-a, a) has standard
// deviation a / sqrt(3).
inline std::vector<Tensor> tensors(const ModelShape& s) {
  using R = test_support::TensorRole;
  const std::string base = s.num_labels ? s.base_prefix() : "";
  const float root3 = std::sqrt(3.0f);
  std::vector<Tensor> t;
  for (const auto& l : test_support::encoder_tensors(s, /*pooler=*/s.num_labels > 0)) {
    float center = 0, spread = 0.05f;  // biases
    if (l.role == R::kWordEmbeddings) spread = 0.5f * root3;
    if (l.role == R::kPositionEmbeddings || l.role == R::kTokenTypeEmbeddings) spread = 0.2f * root3;
    if (l.role == R::kNormWeight) center = 1, spread = 0.1f;
    if (l.role == R::kWeight) spread = root3 / std::sqrt(static_cast<float>(l.shape[1]));  // fan_in
    t.push_back({(l.head ? "" : base) + l.name, l.shape, center, spread});
  }
  return t;
}

inline void write_json(const std::filesystem::path& p, const nlohmann::json& j) {
  std::ofstream out(p);
  out << j.dump(2) << "\n";
  if (!out) throw std::runtime_error("cannot write " + p.string());
}

inline void copy_file(const std::filesystem::path& from, const std::filesystem::path& to) {
  std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing);
}

}  // namespace detail

/// Writes model.safetensors (F32, streamed tensor by tensor: a RoBERTa-base file is 500 MB) and config.json.
inline void write_weights(const ModelShape& s, const std::filesystem::path& dir, std::uint64_t seed) {
  namespace fs = std::filesystem;
  fs::create_directories(dir);
  const auto ts = detail::tensors(s);
  nlohmann::json header = nlohmann::json::object();
  header["__metadata__"] = {{"format", "pt"}};
  std::uint64_t offset = 0;
  for (const auto& t : ts) {
    std::uint64_t n = 4;
    for (auto d : t.shape) n *= static_cast<std::uint64_t>(d);
    header[t.name] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + n}}};
    offset += n;
  }
  std::string h = header.dump();
  while (h.size() % 8) h += ' ';
  std::ofstream out(dir / "model.safetensors", std::ios::binary);
  std::uint64_t hn = h.size();
  char len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<char>((hn >> (8 * i)) & 0xff);
  out.write(len, 8);
  out.write(h.data(), static_cast<std::streamsize>(h.size()));
  std::vector<float> buf;
  for (const auto& t : ts) {
    std::int64_t n = 1;
    for (auto d : t.shape) n *= d;
    buf.resize(static_cast<std::size_t>(n));
    detail::Rng rng{detail::name_seed(t.name, seed)};
    for (auto& v : buf) v = t.center + t.spread * rng.uniform();
    out.write(reinterpret_cast<const char*>(buf.data()), static_cast<std::streamsize>(buf.size() * sizeof(float)));
  }
  if (!out) throw std::runtime_error("cannot write " + (dir / "model.safetensors").string());

  nlohmann::json c = test_support::encoder_config(s);
  if (s.num_labels) {
    c["architectures"] = {s.model_type == "bert" ? "BertForSequenceClassification"
                                                 : "RobertaForSequenceClassification"};
  }
  detail::write_json(dir / "config.json", c);
}

/// The RoBERTa-base bi-encoder directory (sentence-transformers layout). `tokenizers` is
/// tests/data/tokenizers/files.
inline void write_biencoder(const ModelShape& s, const std::filesystem::path& dir,
                            const std::filesystem::path& tokenizers, std::uint64_t seed = 2026) {
  namespace fs = std::filesystem;
  write_weights(s, dir, seed);
  for (const char* f : {"tokenizer.json", "vocab.json", "merges.txt"})
    detail::copy_file(tokenizers / "roberta-base" / f, dir / f);
  detail::write_json(dir / "tokenizer_config.json",
                     {{"tokenizer_class", "RobertaTokenizer"}, {"model_max_length", 512}});
  detail::write_json(dir / "sentence_bert_config.json", {{"max_seq_length", 512}, {"do_lower_case", false}});
  detail::write_json(
      dir / "modules.json",
      nlohmann::json::array(
          {{{"idx", 0}, {"name", "0"}, {"path", ""}, {"type", "sentence_transformers.models.Transformer"}},
           {{"idx", 1}, {"name", "1"}, {"path", "1_Pooling"}, {"type", "sentence_transformers.models.Pooling"}},
           {{"idx", 2}, {"name", "2"}, {"path", "2_Normalize"}, {"type", "sentence_transformers.models.Normalize"}}}));
  fs::create_directories(dir / "1_Pooling");
  fs::create_directories(dir / "2_Normalize");
  detail::write_json(dir / "1_Pooling" / "config.json",
                     {{"word_embedding_dimension", s.hidden}, {"pooling_mode_mean_tokens", true}});
}

/// The MiniLM-L12 cross-encoder directory (plain transformers layout, bert-base-uncased vocabulary).
inline void write_crossencoder(const ModelShape& s, const std::filesystem::path& dir,
                               const std::filesystem::path& tokenizers, std::uint64_t seed = 2027) {
  write_weights(s, dir, seed);
  for (const char* f : {"tokenizer.json", "vocab.txt"})
    detail::copy_file(tokenizers / "bert-base-uncased" / f, dir / f);
  detail::write_json(dir / "tokenizer_config.json",
                     {{"tokenizer_class", "BertTokenizer"}, {"do_lower_case", true}, {"model_max_length", 512}});
}

}  // namespace radlite::bench
