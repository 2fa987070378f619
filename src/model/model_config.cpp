#include "model/model_config.h"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "io/file_util.h"
#include "radlite/error.h"

namespace radlite::model {

namespace {

using nlohmann::json;

const json& require_object(const json& j, const std::string& path) {
  if (!j.is_object()) throw FormatError(path + ": expected a JSON object at the top level");
  return j;
}

// A required positive integer field.
std::int64_t positive_int(const json& j, const char* key, const std::string& path) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) throw ModelError(path + ": missing required field '" + key + "'");
  if (!it->is_number_integer() || it->get<std::int64_t>() <= 0)
    throw ModelError(path + ": field '" + key + "' must be a positive integer, got " + it->dump());
  return it->get<std::int64_t>();
}

std::int64_t int_or(const json& j, const char* key, std::int64_t fallback, const std::string& path) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_number_integer()) throw ModelError(path + ": field '" + key + "' must be an integer, got " + it->dump());
  return it->get<std::int64_t>();
}

Activation parse_activation(const std::string& name, const std::string& path) {
  // transformers' ACT2FN names; the tanh forms differ only in how the cubic is written.
  if (name == "gelu" || name == "gelu_python") return Activation::GeluErf;
  if (name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu_fast") return Activation::GeluTanh;
  if (name == "relu") return Activation::Relu;
  if (name == "silu" || name == "swish") return Activation::Silu;
  throw ModelError(path + ": unsupported hidden_act '" + name + "' (supported: gelu, gelu_new, gelu_pytorch_tanh, " +
                   "gelu_fast, relu, silu)");
}

std::string module_type_tail(const std::string& type) {
  auto dot = type.rfind('.');
  return dot == std::string::npos ? type : type.substr(dot + 1);
}

PoolingConfig parse_pooling(const std::string& path) {
  const json j = io::read_json_file(path);
  require_object(j, path);
  PoolingConfig p;
  auto mode = j.find("pooling_mode");
  if (mode != j.end() && !mode->is_null()) {
    // sentence-transformers >= 6 (and some 5.x files) store the mode as a string, or a list of them.
    std::vector<std::string> names;
    if (mode->is_string()) {
      names.push_back(mode->get<std::string>());
    } else if (mode->is_array()) {
      for (const auto& m : *mode) {
        if (!m.is_string()) throw FormatError(path + ": 'pooling_mode' entries must be strings, got " + m.dump());
        names.push_back(m.get<std::string>());
      }
    } else {
      throw FormatError(path + ": 'pooling_mode' must be a string, got " + mode->dump());
    }
    for (const auto& n : names) {
      if (n == "cls") p.cls = true;
      else if (n == "max") p.max = true;
      else if (n == "mean") p.mean = true;
      else if (n == "mean_sqrt_len_tokens") p.mean_sqrt_len = true;
      else if (n == "weightedmean") p.weighted_mean = true;
      else if (n == "lasttoken") p.last_token = true;
      else
        throw ModelError(path + ": unsupported pooling_mode '" + n +
                         "' (supported: cls, max, mean, mean_sqrt_len_tokens, weightedmean, lasttoken)");
    }
  } else {
    auto flag = [&](const char* key) {
      auto it = j.find(key);
      if (it == j.end() || it->is_null()) return false;
      if (!it->is_boolean()) throw FormatError(path + ": '" + key + "' must be true or false, got " + it->dump());
      return it->get<bool>();
    };
    p.cls = flag("pooling_mode_cls_token");
    p.max = flag("pooling_mode_max_tokens");
    p.mean = flag("pooling_mode_mean_tokens");
    p.mean_sqrt_len = flag("pooling_mode_mean_sqrt_len_tokens");
    p.weighted_mean = flag("pooling_mode_weightedmean_tokens");
    p.last_token = flag("pooling_mode_lasttoken");
  }
  if (p.count() == 0) throw ModelError(path + ": no pooling mode is enabled");
  return p;
}

// tokenizer_config.json model_max_length, or nothing when absent or the "no limit" sentinel (int(1e30)).
std::optional<std::size_t> tokenizer_model_max_length(const std::string& dir) {
  const std::string path = io::join_path(dir, "tokenizer_config.json");
  if (!io::is_file(path)) return std::nullopt;
  const json j = io::read_json_file(path);
  require_object(j, path);
  auto it = j.find("model_max_length");
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_number()) throw FormatError(path + ": 'model_max_length' must be a number, got " + it->dump());
  const double v = it->get<double>();
  if (!(v >= 1)) throw FormatError(path + ": 'model_max_length' must be positive, got " + it->dump());
  // transformers writes int(1e30) for "no limit", which JSON readers see as a float; below that, a fraction is a
  // broken file, not a length to round.
  if (v >= 1e9) return std::nullopt;
  if (v != std::floor(v))
    throw FormatError(path + ": 'model_max_length' must be an integer, got " + it->dump());
  return static_cast<std::size_t>(v);
}

}  // namespace

EncoderConfig read_encoder_config(const std::string& dir) {
  const std::string path = io::join_path(dir, "config.json");
  const json j = io::read_json_file(path);
  require_object(j, path);
  EncoderConfig c;
  c.path = path;
  if (auto a = j.find("architectures"); a != j.end() && a->is_array())
    for (const auto& s : *a)
      if (s.is_string()) c.architectures.push_back(s.get<std::string>());

  auto mt = j.find("model_type");
  if (mt != j.end() && mt->is_string()) {
    c.model_type = mt->get<std::string>();
  } else if (!c.architectures.empty()) {
    // Very old configs carry only the class name.
    const std::string& arch = c.architectures.front();
    if (arch.rfind("XLMRoberta", 0) == 0) c.model_type = "xlm-roberta";
    else if (arch.rfind("Roberta", 0) == 0) c.model_type = "roberta";
    else if (arch.rfind("Bert", 0) == 0) c.model_type = "bert";
  }
  if (c.model_type.empty()) throw ModelError(path + ": no 'model_type' (nor a known 'architectures' entry)");
  if (c.model_type == "bert") c.family = Family::Bert;
  else if (c.model_type == "roberta") c.family = Family::Roberta;
  else if (c.model_type == "xlm-roberta") c.family = Family::XlmRoberta;
  else
    throw ModelError(path + ": unsupported model_type '" + c.model_type + "' (supported: bert, roberta, xlm-roberta)");

  c.hidden_size = positive_int(j, "hidden_size", path);
  c.num_layers = positive_int(j, "num_hidden_layers", path);
  c.num_heads = positive_int(j, "num_attention_heads", path);
  c.intermediate_size = positive_int(j, "intermediate_size", path);
  c.vocab_size = positive_int(j, "vocab_size", path);
  c.max_position_embeddings = positive_int(j, "max_position_embeddings", path);
  // transformers' defaults when the field is absent.
  c.type_vocab_size = int_or(j, "type_vocab_size", 2, path);
  if (c.type_vocab_size <= 0) throw ModelError(path + ": 'type_vocab_size' must be positive");
  c.pad_token_id = int_or(j, "pad_token_id", c.roberta_like() ? 1 : 0, path);
  if (c.pad_token_id < 0 || c.pad_token_id >= c.vocab_size)
    throw ModelError(path + ": 'pad_token_id' " + std::to_string(c.pad_token_id) + " is outside the vocabulary (" +
                     std::to_string(c.vocab_size) + ")");
  if (c.hidden_size % c.num_heads != 0)
    throw ModelError(path + ": hidden_size " + std::to_string(c.hidden_size) + " is not a multiple of " +
                     "num_attention_heads " + std::to_string(c.num_heads));
  if (c.max_tokens() < 2)
    throw ModelError(path + ": max_position_embeddings " + std::to_string(c.max_position_embeddings) +
                     " leaves no room for a sequence");

  if (auto e = j.find("layer_norm_eps"); e != j.end() && !e->is_null()) {
    if (!e->is_number() || !(e->get<double>() > 0))
      throw ModelError(path + ": 'layer_norm_eps' must be a positive number, got " + e->dump());
    c.layer_norm_eps = e->get<double>();
  }
  if (auto a = j.find("hidden_act"); a != j.end() && !a->is_null()) {
    if (!a->is_string()) throw ModelError(path + ": 'hidden_act' must be a string, got " + a->dump());
    c.activation = parse_activation(a->get<std::string>(), path);
  }
  if (auto p = j.find("position_embedding_type"); p != j.end() && !p->is_null()) {
    if (!p->is_string() || p->get<std::string>() != "absolute")
      throw ModelError(path + ": unsupported position_embedding_type " + p->dump() + " (only \"absolute\")");
  }
  if (auto l = j.find("id2label"); l != j.end() && l->is_object() && !l->empty()) {
    c.num_labels = static_cast<std::int64_t>(l->size());
  } else if (auto n = j.find("num_labels"); n != j.end() && n->is_number_integer()) {
    c.num_labels = n->get<std::int64_t>();
  }
  return c;
}

BiEncoderLayout read_bi_encoder_layout(const std::string& dir) {
  BiEncoderLayout layout;
  const std::string modules_path = io::join_path(dir, "modules.json");
  if (!io::is_file(modules_path)) {
    // sentence-transformers wraps a plain transformers model in Transformer + mean Pooling.
    layout.transformer_dir = dir;
    layout.pooling.mean = true;
  } else {
    const json modules = io::read_json_file(modules_path);
    if (!modules.is_array() || modules.empty())
      throw FormatError(modules_path + ": expected a non-empty JSON array of modules");
    bool have_transformer = false, have_pooling = false;
    for (std::size_t i = 0; i < modules.size(); ++i) {
      const json& m = modules[i];
      const std::string where = modules_path + ": module " + std::to_string(i);
      if (!m.is_object()) throw FormatError(where + " is not a JSON object");
      auto type_it = m.find("type");
      if (type_it == m.end() || !type_it->is_string()) throw FormatError(where + ": missing string 'type'");
      std::string sub;
      if (auto p = m.find("path"); p != m.end()) {
        if (!p->is_string()) throw FormatError(where + ": 'path' must be a string");
        sub = p->get<std::string>();
        if (sub.find("..") != std::string::npos || (!sub.empty() && sub[0] == '/'))
          throw FormatError(where + ": 'path' " + p->dump() + " leaves the model directory");
      }
      const std::string module_dir = sub.empty() ? dir : io::join_path(dir, sub);
      const std::string type = type_it->get<std::string>();
      const std::string tail = module_type_tail(type);
      const bool known_package = type.rfind("sentence_transformers.", 0) == 0;
      if (known_package && tail == "Transformer") {
        if (have_transformer) throw ModelError(where + ": a second Transformer module is not supported");
        if (i != 0) throw ModelError(where + ": the Transformer module must come first");
        have_transformer = true;
        layout.transformer_dir = module_dir;
      } else if (known_package && tail == "Pooling") {
        if (!have_transformer || have_pooling || layout.normalize)
          throw ModelError(where + ": Pooling must follow the Transformer module, once");
        layout.pooling = parse_pooling(io::join_path(module_dir, "config.json"));
        have_pooling = true;
      } else if (known_package && tail == "Normalize") {
        if (!have_pooling) throw ModelError(where + ": Normalize before Pooling is not supported");
        layout.normalize = true;
      } else {
        throw ModelError(where + ": unsupported module type '" + type +
                         "' (supported: Transformer, Pooling, Normalize)");
      }
    }
    if (!have_transformer) throw ModelError(modules_path + ": no Transformer module");
    if (!have_pooling) throw ModelError(modules_path + ": no Pooling module (token embeddings only are not supported)");
  }

  const EncoderConfig config = read_encoder_config(layout.transformer_dir);
  const auto limit = static_cast<std::size_t>(config.max_tokens());
  std::optional<std::size_t> max_len;
  // sentence-transformers looks for its own config in the Transformer module's folder.
  const std::string sbert = io::join_path(layout.transformer_dir, "sentence_bert_config.json");
  if (io::is_file(sbert)) {
    const json j = io::read_json_file(sbert);
    require_object(j, sbert);
    if (auto it = j.find("max_seq_length"); it != j.end() && !it->is_null()) {
      if (!it->is_number_integer() || it->get<std::int64_t>() <= 0)
        throw FormatError(sbert + ": 'max_seq_length' must be a positive integer, got " + it->dump());
      max_len = static_cast<std::size_t>(it->get<std::int64_t>());
    }
  }
  if (!max_len) {
    auto tok = tokenizer_model_max_length(layout.transformer_dir);
    // sentence-transformers caps the tokenizer's value by max_position_embeddings; the cap below is stricter
    // for RoBERTa and only matters for inconsistent files.
    if (tok) max_len = std::min<std::size_t>(*tok, static_cast<std::size_t>(config.max_position_embeddings));
  }
  layout.max_seq_length = std::min(max_len.value_or(limit), limit);
  return layout;
}

std::size_t resolve_plain_max_length(const std::string& dir, const EncoderConfig& config) {
  const auto limit = static_cast<std::size_t>(config.max_tokens());
  auto tok = tokenizer_model_max_length(dir);
  return tok ? std::min(*tok, limit) : limit;
}

}  // namespace radlite::model
