// Test support: writes small random-weight BERT / RoBERTa model directories of any size, and an independent,
// naive reference forward pass (loops over tokens, double precision) to check the library against.
#pragma once

#include <cmath>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../support/encoder_checkpoint.h"
#include "../support/safetensors_writer.h"
#include "../support/scratch_dir.h"

namespace radlite::test_support {

/// A tiny model: its shape (small defaults, see EncoderShape), how its file stores the weights, and the seed.
struct TinySpec : EncoderShape {
  std::string dtype = "F32";
  bool prefixed = false;  // store the base model under bert. / roberta.
  unsigned seed = 7;
};

using Weights = std::map<std::string, std::vector<float>>;  // name -> values (row-major)

/// Random weights for `spec`, named as transformers names them (without the base-model prefix).
inline Weights random_weights(const TinySpec& s, std::map<std::string, std::vector<std::int64_t>>* shapes) {
  std::mt19937 rng(s.seed);
  std::normal_distribution<float> n(0.0f, 0.4f);
  Weights w;
  for (const auto& t : encoder_tensors(s, /*pooler=*/true)) {
    std::int64_t count = 1;
    for (auto d : t.shape) count *= d;
    std::vector<float> v(static_cast<std::size_t>(count));
    const float center = t.role == TensorRole::kNormWeight ? 1.0f : 0.0f;
    for (auto& x : v) x = center + n(rng);
    w[t.name] = v;
    (*shapes)[t.name] = t.shape;
  }
  return w;
}

/// Writes config.json and model.safetensors for `spec` into `dir`; returns the weights (F32 values before any
/// conversion to the file's dtype).
inline Weights write_tiny_model(const TinySpec& s, const std::string& dir) {
  std::map<std::string, std::vector<std::int64_t>> shapes;
  Weights w = random_weights(s, &shapes);
  std::vector<RawTensor> raw;
  const std::string prefix = s.prefixed ? s.base_prefix() : "";
  for (const auto& kv : w) {
    const bool head = kv.first.rfind("classifier.", 0) == 0;
    raw.push_back({(head ? "" : prefix) + kv.first, s.dtype, shapes[kv.first], encode_floats(kv.second, s.dtype)});
  }
  write_file(dir + "/model.safetensors", build_safetensors(raw, {{"format", "pt"}}));
  write_file(dir + "/config.json", encoder_config(s).dump(2));
  return w;
}

/// The naive reference: one sequence (no padding), double precision, loops over tokens.
class NaiveEncoder {
 public:
  NaiveEncoder(const TinySpec& s, const Weights& w) : s_(s), w_(w) {}

  /// last_hidden_state [len][hidden].
  std::vector<std::vector<double>> forward(const std::vector<int>& ids, const std::vector<int>& types) const {
    const int H = s_.hidden, L = static_cast<int>(ids.size());
    std::vector<std::vector<double>> x(L, std::vector<double>(H));
    int running = 0;  // RoBERTa: positions count non-pad tokens from padding_idx + 1
    for (int t = 0; t < L; ++t) {
      int pos = t;
      if (s_.roberta_like()) pos = ids[t] == s_.pad_id ? s_.pad_id : s_.pad_id + (++running);
      const int tt = s_.roberta_like() || types.empty() ? 0 : types[t];
      for (int h = 0; h < H; ++h)
        x[t][h] = at("embeddings.word_embeddings.weight", ids[t] * H + h) +
                  at("embeddings.token_type_embeddings.weight", tt * H + h) +
                  at("embeddings.position_embeddings.weight", pos * H + h);
      x[t] = layer_norm(x[t], "embeddings.LayerNorm");
    }
    const int nh = s_.heads, dh = H / nh;
    for (int l = 0; l < s_.layers; ++l) {
      const std::string p = "encoder.layer." + std::to_string(l) + ".";
      std::vector<std::vector<double>> q(L), k(L), v(L), ctx(L, std::vector<double>(H, 0.0));
      for (int t = 0; t < L; ++t) {
        q[t] = linear(x[t], p + "attention.self.query");
        k[t] = linear(x[t], p + "attention.self.key");
        v[t] = linear(x[t], p + "attention.self.value");
      }
      for (int hd = 0; hd < nh; ++hd)
        for (int i = 0; i < L; ++i) {
          std::vector<double> sc(L);
          double mx = -1e300;
          for (int j = 0; j < L; ++j) {
            double d = 0;
            for (int e = 0; e < dh; ++e) d += q[i][hd * dh + e] * k[j][hd * dh + e];
            sc[j] = d / std::sqrt(static_cast<double>(dh));
            mx = std::max(mx, sc[j]);
          }
          double z = 0;
          for (int j = 0; j < L; ++j) z += (sc[j] = std::exp(sc[j] - mx));
          for (int j = 0; j < L; ++j)
            for (int e = 0; e < dh; ++e) ctx[i][hd * dh + e] += sc[j] / z * v[j][hd * dh + e];
        }
      for (int t = 0; t < L; ++t) {
        auto a = linear(ctx[t], p + "attention.output.dense");
        for (int h = 0; h < H; ++h) a[h] += x[t][h];
        x[t] = layer_norm(a, p + "attention.output.LayerNorm");
        auto inter = linear(x[t], p + "intermediate.dense");
        for (auto& u : inter) u = act(u);
        auto o = linear(inter, p + "output.dense");
        for (int h = 0; h < H; ++h) o[h] += x[t][h];
        x[t] = layer_norm(o, p + "output.LayerNorm");
      }
    }
    return x;
  }

  /// Classification logits from the first token.
  std::vector<double> classify(const std::vector<std::vector<double>>& states) const {
    if (s_.roberta_like()) {
      auto h = linear(states[0], "classifier.dense");
      for (auto& u : h) u = std::tanh(u);
      return linear(h, "classifier.out_proj");
    }
    auto h = linear(states[0], "pooler.dense");
    for (auto& u : h) u = std::tanh(u);
    return linear(h, "classifier");
  }

 private:
  double at(const std::string& name, std::size_t i) const { return w_.at(name)[i]; }

  std::vector<double> linear(const std::vector<double>& in, const std::string& name) const {
    const auto& W = w_.at(name + ".weight");
    const auto& b = w_.at(name + ".bias");
    const std::size_t out = b.size(), n = in.size();
    std::vector<double> r(out);
    for (std::size_t o = 0; o < out; ++o) {
      double acc = b[o];
      for (std::size_t i = 0; i < n; ++i) acc += static_cast<double>(W[o * n + i]) * in[i];
      r[o] = acc;
    }
    return r;
  }

  std::vector<double> layer_norm(const std::vector<double>& in, const std::string& name) const {
    double mean = 0, var = 0;
    for (double u : in) mean += u;
    mean /= static_cast<double>(in.size());
    for (double u : in) var += (u - mean) * (u - mean);
    var /= static_cast<double>(in.size());
    std::vector<double> r(in.size());
    for (std::size_t i = 0; i < in.size(); ++i)
      r[i] = (in[i] - mean) / std::sqrt(var + s_.eps) * at(name + ".weight", i) + at(name + ".bias", i);
    return r;
  }

  double act(double u) const {
    if (s_.act == "gelu") return 0.5 * u * (1.0 + std::erf(u / std::sqrt(2.0)));
    if (s_.act == "gelu_new") return 0.5 * u * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (u + 0.044715 * u * u * u)));
    if (s_.act == "relu") return u > 0 ? u : 0.0;
    if (s_.act == "silu") return u / (1.0 + std::exp(-u));
    return NAN;
  }

  TinySpec s_;
  const Weights& w_;
};

}  // namespace radlite::test_support
