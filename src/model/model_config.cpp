#include "model/model_config.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <system_error>

#include <nlohmann/json.hpp>

#include "io/json_reader.h"
#include "radlite/error.h"

namespace radlite::model {

namespace fs = std::filesystem;

namespace {

using io::JsonPlace;
using nlohmann::json;

// config.json, modules.json, the pooling config, sentence_bert_config.json and tokenizer_config.json are a few KB
// (tokenizer_config.json with thousands of added tokens a few MB); anything this large is not a config file, and a
// device such as /dev/zero must not be read until memory runs out.
constexpr std::uint64_t kMaxConfigBytes = 64ull << 20;

constexpr long long kMaxInt = std::numeric_limits<std::int64_t>::max();

// A required positive integer field.
std::int64_t positive_int(const json& j, const char* key, const JsonPlace& at) {
  return io::get_int(j, key, at, 1, kMaxInt);
}

Activation parse_activation(const std::string& name, const JsonPlace& at) {
  // transformers' ACT2FN names; the tanh forms differ only in how the cubic is written.
  if (name == "gelu" || name == "gelu_python") return Activation::GeluErf;
  if (name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu_fast") return Activation::GeluTanh;
  if (name == "relu") return Activation::Relu;
  if (name == "silu" || name == "swish") return Activation::Silu;
  io::model_error(at, "unsupported activation '" + name + "' (supported: gelu, gelu_new, gelu_pytorch_tanh, " +
                          "gelu_fast, relu, silu)");
}

std::string module_type_tail(const std::string& type) {
  auto dot = type.rfind('.');
  return dot == std::string::npos ? type : type.substr(dot + 1);
}

PoolingConfig parse_pooling(const std::string& path) {
  const json j = io::read_json_file(path, kMaxConfigBytes);
  const JsonPlace at{path, ""};
  PoolingConfig p;
  if (const json* mode = io::find(j, "pooling_mode", at)) {
    // sentence-transformers >= 6 (and some 5.x files) store the mode as a string, or a list of them.
    const JsonPlace mode_at = at.at("pooling_mode");
    std::vector<std::string> names;
    if (mode->is_string()) {
      names.push_back(mode->get<std::string>());
    } else if (mode->is_array()) {
      for (std::size_t i = 0; i < mode->size(); ++i) {
        const json& m = (*mode)[i];
        if (!m.is_string()) io::format_error(mode_at.at(i), "expected a string, got " + io::describe(m));
        names.push_back(m.get<std::string>());
      }
    } else {
      io::format_error(mode_at, "expected a string or an array of strings, got " + io::describe(*mode));
    }
    for (const auto& n : names) {
      if (n == "cls")
        p.cls = true;
      else if (n == "max")
        p.max = true;
      else if (n == "mean")
        p.mean = true;
      else if (n == "mean_sqrt_len_tokens")
        p.mean_sqrt_len = true;
      else if (n == "weightedmean")
        p.weighted_mean = true;
      else if (n == "lasttoken")
        p.last_token = true;
      else
        io::model_error(mode_at, "unsupported pooling mode '" + n +
                                     "' (supported: cls, max, mean, mean_sqrt_len_tokens, weightedmean, lasttoken)");
    }
  } else {
    p.cls = io::get_bool(j, "pooling_mode_cls_token", at, false);
    p.max = io::get_bool(j, "pooling_mode_max_tokens", at, false);
    p.mean = io::get_bool(j, "pooling_mode_mean_tokens", at, false);
    p.mean_sqrt_len = io::get_bool(j, "pooling_mode_mean_sqrt_len_tokens", at, false);
    p.weighted_mean = io::get_bool(j, "pooling_mode_weightedmean_tokens", at, false);
    p.last_token = io::get_bool(j, "pooling_mode_lasttoken", at, false);
  }
  if (p.count() == 0) throw ModelError(path + ": no pooling mode is enabled");
  return p;
}

// tokenizer_config.json model_max_length, or nothing when absent or the "no limit" sentinel (int(1e30)).
std::optional<std::size_t> tokenizer_model_max_length(const std::string& dir) {
  std::error_code ec;  // the path tests below report a failure as false
  const std::string path = (fs::path(dir) / "tokenizer_config.json").string();
  if (!fs::is_regular_file(path, ec)) return std::nullopt;
  const json j = io::read_json_file(path, kMaxConfigBytes);
  const JsonPlace at{path, ""};
  if (!io::find(j, "model_max_length", at)) return std::nullopt;
  const double v = io::get_number(j, "model_max_length", at, 1, std::numeric_limits<double>::max());
  // transformers writes int(1e30) for "no limit", which JSON readers see as a float; below that, a fraction is a
  // broken file, not a length to round.
  if (v >= 1e9) return std::nullopt;
  if (v != std::floor(v))
    io::format_error(at.at("model_max_length"), "expected an integer, got " + io::describe(json(v)));
  return static_cast<std::size_t>(v);
}

}  // namespace

EncoderConfig read_encoder_config(const std::string& dir) {
  const std::string path = (fs::path(dir) / "config.json").string();
  const json j = io::read_json_file(path, kMaxConfigBytes);
  const JsonPlace at{path, ""};
  EncoderConfig c;
  c.path = path;
  // architectures, model_type and the label count are read leniently, as transformers does: a value of another
  // type counts as absent.
  if (const json* a = io::find(j, "architectures", at); a && a->is_array())
    for (const auto& s : *a)
      if (s.is_string()) c.architectures.push_back(s.get<std::string>());

  const json* mt = io::find(j, "model_type", at);
  if (mt && mt->is_string()) {
    c.model_type = mt->get<std::string>();
  } else if (!c.architectures.empty()) {
    // Very old configs carry only the class name.
    const std::string& arch = c.architectures.front();
    if (arch.rfind("XLMRoberta", 0) == 0)
      c.model_type = "xlm-roberta";
    else if (arch.rfind("Roberta", 0) == 0)
      c.model_type = "roberta";
    else if (arch.rfind("Bert", 0) == 0)
      c.model_type = "bert";
  }
  if (c.model_type.empty()) throw ModelError(path + ": no 'model_type' (nor a known 'architectures' entry)");
  if (c.model_type == "bert")
    c.family = Family::Bert;
  else if (c.model_type == "roberta")
    c.family = Family::Roberta;
  else if (c.model_type == "xlm-roberta")
    c.family = Family::XlmRoberta;
  else
    io::model_error(at.at("model_type"), "unsupported '" + c.model_type + "' (supported: bert, roberta, xlm-roberta)");

  c.hidden_size = positive_int(j, "hidden_size", at);
  c.num_layers = positive_int(j, "num_hidden_layers", at);
  c.num_heads = positive_int(j, "num_attention_heads", at);
  c.intermediate_size = positive_int(j, "intermediate_size", at);
  c.vocab_size = positive_int(j, "vocab_size", at);
  c.max_position_embeddings = positive_int(j, "max_position_embeddings", at);
  // transformers' defaults when the field is absent.
  c.type_vocab_size = io::get_int(j, "type_vocab_size", at, 2, 1, kMaxInt);
  c.pad_token_id = io::get_int(j, "pad_token_id", at, c.roberta_like() ? 1 : 0, -kMaxInt - 1, kMaxInt);
  if (c.pad_token_id < 0 || c.pad_token_id >= c.vocab_size)
    io::model_error(at.at("pad_token_id"), std::to_string(c.pad_token_id) + " is outside the vocabulary (" +
                                               std::to_string(c.vocab_size) + ")");
  if (c.hidden_size % c.num_heads != 0)
    throw ModelError(path + ": hidden_size " + std::to_string(c.hidden_size) + " is not a multiple of " +
                     "num_attention_heads " + std::to_string(c.num_heads));
  if (c.max_tokens() < 2)
    throw ModelError(path + ": max_position_embeddings " + std::to_string(c.max_position_embeddings) +
                     " leaves no room for a sequence");

  c.layer_norm_eps = io::get_number(j, "layer_norm_eps", at, c.layer_norm_eps, 0, std::numeric_limits<double>::max());
  if (!(c.layer_norm_eps > 0)) io::format_error(at.at("layer_norm_eps"), "expected a positive number, got 0");
  if (io::find(j, "hidden_act", at))
    c.activation = parse_activation(io::get_string(j, "hidden_act", at), at.at("hidden_act"));
  const std::string position = io::get_string(j, "position_embedding_type", at, "absolute");
  if (position != "absolute")
    io::model_error(at.at("position_embedding_type"), "unsupported '" + position + "' (only \"absolute\")");
  if (const json* l = io::find(j, "id2label", at); l && l->is_object() && !l->empty()) {
    c.num_labels = static_cast<std::int64_t>(l->size());
  } else if (const json* n = io::find(j, "num_labels", at); n && n->is_number_integer()) {
    c.num_labels = n->get<std::int64_t>();
  }
  return c;
}

BiEncoderLayout read_bi_encoder_layout(const std::string& dir) {
  std::error_code ec;  // the path tests below report a failure as false
  BiEncoderLayout layout;
  const std::string modules_path = (fs::path(dir) / "modules.json").string();
  if (!fs::is_regular_file(modules_path, ec)) {
    // sentence-transformers wraps a plain transformers model in Transformer + mean Pooling.
    layout.transformer_dir = dir;
    layout.pooling.mean = true;
  } else {
    const json modules = io::read_json_file(modules_path, kMaxConfigBytes);
    if (!modules.is_array() || modules.empty())
      io::format_error(JsonPlace{modules_path, ""},
                       "expected a non-empty array of modules, got " + io::describe(modules));
    bool have_transformer = false, have_pooling = false;
    for (std::size_t i = 0; i < modules.size(); ++i) {
      const json& m = modules[i];
      const JsonPlace where = JsonPlace{modules_path, ""}.at(i);
      const std::string type = io::get_string(m, "type", where);
      std::string sub;
      if (m.contains("path")) {  // a null path is an error too, as before
        sub = io::get_string(m, "path", where);
        if (sub.find("..") != std::string::npos || (!sub.empty() && sub[0] == '/'))
          io::format_error(where.at("path"), "'" + sub + "' leaves the model directory");
      }
      const std::string module_dir = sub.empty() ? dir : (fs::path(dir) / sub).string();
      const std::string tail = module_type_tail(type);
      const bool known_package = type.rfind("sentence_transformers.", 0) == 0;
      if (known_package && tail == "Transformer") {
        if (have_transformer) io::model_error(where, "a second Transformer module is not supported");
        if (i != 0) io::model_error(where, "the Transformer module must come first");
        have_transformer = true;
        layout.transformer_dir = module_dir;
      } else if (known_package && tail == "Pooling") {
        if (!have_transformer || have_pooling || layout.normalize)
          io::model_error(where, "Pooling must follow the Transformer module, once");
        layout.pooling = parse_pooling((fs::path(module_dir) / "config.json").string());
        have_pooling = true;
      } else if (known_package && tail == "Normalize") {
        if (!have_pooling) io::model_error(where, "Normalize before Pooling is not supported");
        layout.normalize = true;
      } else {
        io::model_error(where.at("type"),
                        "unsupported module type '" + type + "' (supported: Transformer, Pooling, Normalize)");
      }
    }
    if (!have_transformer) throw ModelError(modules_path + ": no Transformer module");
    if (!have_pooling) throw ModelError(modules_path + ": no Pooling module (token embeddings only are not supported)");
  }

  const EncoderConfig config = read_encoder_config(layout.transformer_dir);
  const auto limit = static_cast<std::size_t>(config.max_tokens());
  std::optional<std::size_t> max_len;
  // sentence-transformers looks for its own config in the Transformer module's folder.
  const std::string sbert = (fs::path(layout.transformer_dir) / "sentence_bert_config.json").string();
  if (fs::is_regular_file(sbert, ec)) {
    const json j = io::read_json_file(sbert, kMaxConfigBytes);
    const JsonPlace at{sbert, ""};
    if (io::find(j, "max_seq_length", at))
      max_len = static_cast<std::size_t>(io::get_int(j, "max_seq_length", at, 1, kMaxInt));
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
