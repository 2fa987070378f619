// Tokenizer loading: tokenizer.json, the legacy files (vocab.json + merges.txt, vocab.txt + tokenizer_config.json)
// and SentencePiece .model files, all into the one pipeline of tokenizer_impl.h.
#include <cstdint>
#include <filesystem>
#include <system_error>

#include "io/file_util.h"
#include "io/numbers.h"
#include "radlite/error.h"
#include "tokenizers/sentencepiece_converter.h"
#include "tokenizers/tokenizer_files.h"
#include "tokenizers/tokenizer_impl.h"

namespace radlite {

using nlohmann::json;
using namespace radlite::tokenizers;
namespace fs = std::filesystem;

namespace tokenizers {

bool has_tokenizer_files(const std::string& dir) {
  std::error_code ec;  // the path tests below report a failure as false
  for (const TokenizerFile& f : kTokenizerFiles)
    if (fs::is_regular_file(fs::path(dir) / f.name, ec)) return true;
  return false;
}

std::string tokenizer_files_text() {
  std::string s;
  const std::size_t n = std::size(kTokenizerFiles);
  for (std::size_t i = 0; i < n; ++i) {
    if (i) s += i + 1 == n ? " or " : ", ";
    s += kTokenizerFiles[i].name;
    if (kTokenizerFiles[i].companion) s += std::string(" + ") + kTokenizerFiles[i].companion;
  }
  return s;
}

}  // namespace tokenizers

namespace {

// A special token's text in tokenizer_config.json: a string or {"content": ...}.
std::string config_token(const json& config, const std::string& key, const std::string& fallback) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return fallback;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object() && it->contains("content") && (*it)["content"].is_string())
    return (*it)["content"].get<std::string>();
  return fallback;
}

}  // namespace

// ------------------------------------------------------------------------------------------------ loading
namespace {

std::unique_ptr<Tokenizer::Impl> build_from_json_checked(const json& j, const std::string& file);

// Every field access below validates its type; this net turns any that slipped through into a FormatError
// naming the file instead of a json exception.
std::unique_ptr<Tokenizer::Impl> build_from_json(const json& j, const std::string& file) {
  try {
    return build_from_json_checked(j, file);
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(file + ": unexpected structure: " + e.what());
  }
}

std::unique_ptr<Tokenizer::Impl> build_from_json_checked(const json& j, const std::string& file) {
  JsonPlace root{file, ""};
  if (!j.is_object()) format_error(root, "expected a JSON object");
  auto impl = std::make_unique<Tokenizer::Impl>();
  const json& model = require(j, "model", root);
  impl->model = make_model(model, root.at("model"));
  if (j.contains("normalizer")) impl->normalizer = make_normalizer(j["normalizer"], root.at("normalizer"));
  if (j.contains("pre_tokenizer"))
    impl->pre_tokenizer = make_pre_tokenizer(j["pre_tokenizer"], root.at("pre_tokenizer"));
  impl->post =
      make_post_processor(j.contains("post_processor") ? j["post_processor"] : json(), root.at("post_processor"));
  if (j.contains("decoder")) impl->decoder = make_decoder(j["decoder"], root.at("decoder"));

  if (j.contains("added_tokens") && !j["added_tokens"].is_null()) {
    const json& list = j["added_tokens"];
    JsonPlace lp = root.at("added_tokens");
    if (!list.is_array()) format_error(lp, "expected an array");
    for (std::size_t i = 0; i < list.size(); ++i) {
      const json& t = list[i];
      JsonPlace tp = lp.at(i);
      AddedToken a;
      const json& id = require(t, "id", tp);
      if (!id.is_number_integer() || id.get<long long>() < 0)
        format_error(tp.at("id"), "expected a non-negative integer");
      a.content = get_string(t, "content", tp, "");
      if (a.content.empty()) format_error(tp.at("content"), "missing or empty");
      a.id = impl->id_for_new_token(a.content);
      a.special = get_bool(t, "special", tp, false);
      a.lstrip = get_bool(t, "lstrip", tp, false);
      a.rstrip = get_bool(t, "rstrip", tp, false);
      a.normalized = get_bool(t, "normalized", tp, !a.special);
      a.single_word = get_bool(t, "single_word", tp, false);
      impl->add_token(std::move(a));
    }
  }
  impl->finish();
  for (std::int32_t id : impl->post->special_ids())
    if (!impl->has_id(id))
      format_error(root.at("post_processor"), "special token id " + std::to_string(id) + " is not in the vocabulary");
  impl->pad = -1;
  if (j.contains("padding") && j["padding"].is_object() && j["padding"].contains("pad_id") &&
      j["padding"]["pad_id"].is_number_integer())
    impl->pad = j["padding"]["pad_id"].get<std::int32_t>();
  return impl;
}

void add_config_tokens(Tokenizer::Impl& impl, const json& cfg, const std::string& file);

std::unique_ptr<Tokenizer::Impl> build_roberta(const std::string& vocab, const std::string& merges, const json& cfg) {
  auto impl = std::make_unique<Tokenizer::Impl>();
  impl->model = make_bpe_from_files(vocab, merges);
  bool prefix = cfg.is_object() && cfg.contains("add_prefix_space") && cfg["add_prefix_space"].is_boolean() &&
                cfg["add_prefix_space"].get<bool>();
  impl->pre_tokenizer = make_byte_level_pre_tokenizer(prefix);
  impl->decoder = make_byte_level_decoder();
  const Vocab& v = impl->model->vocab();
  std::int32_t next_id = v.max_id() + 1;
  auto special = [&](const std::string& key, const std::string& fallback, bool lstrip) {
    std::string content = config_token(cfg, key, fallback);
    if (impl->added_by_content.count(content)) return impl->added[impl->added_by_content[content]].id;
    AddedToken t;
    t.content = content;
    t.id = v.find(content);
    if (t.id < 0) t.id = next_id++;  // transformers appends special tokens missing from the vocabulary
    t.special = true;
    t.lstrip = lstrip;
    impl->add_token(t);
    return t.id;
  };
  special("bos_token", "<s>", false);
  special("pad_token", "<pad>", false);
  special("eos_token", "</s>", false);
  special("unk_token", "<unk>", false);
  std::int32_t cls = special("cls_token", "<s>", false);
  std::int32_t sep = special("sep_token", "</s>", false);
  // transformers 5 builds <mask> without lstrip (the reference ids keep the space before it as its own token).
  special("mask_token", "<mask>", false);
  impl->post = make_roberta_processor(cls, sep);
  add_config_tokens(*impl, cfg, "tokenizer_config.json");
  impl->finish();
  return impl;
}

std::unique_ptr<Tokenizer::Impl> build_bert(const std::string& vocab_txt, const json& cfg) {
  auto impl = std::make_unique<Tokenizer::Impl>();
  bool lower = true, chinese = true;
  int strip = -1;
  if (cfg.is_object()) {
    if (cfg.contains("do_lower_case") && cfg["do_lower_case"].is_boolean()) lower = cfg["do_lower_case"].get<bool>();
    if (cfg.contains("tokenize_chinese_chars") && cfg["tokenize_chinese_chars"].is_boolean())
      chinese = cfg["tokenize_chinese_chars"].get<bool>();
    if (cfg.contains("strip_accents") && cfg["strip_accents"].is_boolean()) strip = cfg["strip_accents"].get<bool>();
  }
  std::string unk = config_token(cfg, "unk_token", "[UNK]");
  impl->model = make_wordpiece_from_file(vocab_txt, unk);
  impl->normalizer = make_bert_normalizer(true, chinese, strip, lower);
  impl->pre_tokenizer = make_bert_pre_tokenizer();
  impl->decoder = make_wordpiece_decoder("##", true);
  const Vocab& v = impl->model->vocab();
  std::int32_t next_id = v.max_id() + 1;
  auto special = [&](const std::string& key, const std::string& fallback) {
    std::string content = config_token(cfg, key, fallback);
    if (impl->added_by_content.count(content)) return impl->added[impl->added_by_content[content]].id;
    AddedToken t;
    t.content = content;
    t.id = v.find(content);
    if (t.id < 0) t.id = next_id++;
    t.special = true;
    impl->add_token(t);
    return t.id;
  };
  special("pad_token", "[PAD]");
  special("unk_token", "[UNK]");
  std::int32_t cls = special("cls_token", "[CLS]");
  std::int32_t sep = special("sep_token", "[SEP]");
  special("mask_token", "[MASK]");
  impl->post = make_bert_processor(cls, sep);
  add_config_tokens(*impl, cfg, "tokenizer_config.json");
  impl->finish();
  return impl;
}

// A SentencePiece .model, converted as transformers' XLMRobertaTokenizer does (sentencepiece_converter.h), with
// XLM-R's special tokens: fixed ids for <s> <pad> </s> <unk>, <mask> last.
std::unique_ptr<Tokenizer::Impl> build_spm(const std::string& path, const json& cfg) {
  auto impl = std::make_unique<Tokenizer::Impl>();
  ConvertedSentencePiece sp = convert_sentencepiece_xlmr(io::read_file(path), path);
  impl->normalizer = std::move(sp.normalizer);
  impl->pre_tokenizer = std::move(sp.pre_tokenizer);
  impl->model = std::move(sp.model);
  impl->decoder = std::move(sp.decoder);
  const auto n = static_cast<std::int32_t>(impl->model->vocab().size());
  std::int32_t mask_id = impl->model->vocab().find(config_token(cfg, "mask_token", "<mask>"));
  if (mask_id < 0) mask_id = n - 1;
  struct S {
    const char* key;
    const char* fallback;
    std::int32_t id;
  };
  for (const S& s : {S{"bos_token", "<s>", 0}, S{"pad_token", "<pad>", 1}, S{"eos_token", "</s>", 2},
                     S{"unk_token", "<unk>", 3}, S{"mask_token", "<mask>", mask_id}}) {
    AddedToken t;
    t.content = config_token(cfg, s.key, s.fallback);
    t.id = s.id;
    t.special = true;
    impl->add_token(t);
  }
  impl->post = make_roberta_processor(0, 2);
  add_config_tokens(*impl, cfg, "tokenizer_config.json");
  impl->finish();
  return impl;
}

// Extra tokens a legacy directory declares in tokenizer_config.json (added_tokens_decoder, as transformers saves
// them, and additional_special_tokens), on top of the ones the legacy loader creates.
void add_config_tokens(Tokenizer::Impl& impl, const json& cfg, const std::string& file) {
  if (!cfg.is_object()) return;
  if (cfg.contains("added_tokens_decoder") && cfg["added_tokens_decoder"].is_object()) {
    for (auto it = cfg["added_tokens_decoder"].begin(); it != cfg["added_tokens_decoder"].end(); ++it) {
      JsonPlace tp{file, "added_tokens_decoder." + it.key()};
      const auto id = io::parse_int(it.key(), 0, INT32_MAX);
      if (!id) format_error(tp, "key is not a token id");
      AddedToken t;
      t.id = static_cast<std::int32_t>(*id);
      t.content = get_string(*it, "content", tp, "");
      if (t.content.empty()) format_error(tp.at("content"), "missing or empty");
      t.special = get_bool(*it, "special", tp, false);
      t.lstrip = get_bool(*it, "lstrip", tp, false);
      t.rstrip = get_bool(*it, "rstrip", tp, false);
      t.normalized = get_bool(*it, "normalized", tp, !t.special);
      t.single_word = get_bool(*it, "single_word", tp, false);
      impl.add_token(std::move(t));
    }
  }
  if (cfg.contains("additional_special_tokens") && cfg["additional_special_tokens"].is_array()) {
    for (const auto& x : cfg["additional_special_tokens"]) {
      std::string content = x.is_string() ? x.get<std::string>()
                            : (x.is_object() && x.contains("content") && x["content"].is_string())
                                ? x["content"].get<std::string>()
                                : std::string();
      if (content.empty() || impl.added_by_content.count(content)) continue;
      AddedToken t;
      t.content = content;
      t.id = impl.model->vocab().find(content);
      if (t.id < 0) continue;  // transformers would grow the vocabulary; such ids exist in no checkpoint here
      t.special = true;
      impl.add_token(std::move(t));
    }
  }
}

json read_config(const std::string& dir) {
  std::error_code ec;  // the path tests below report a failure as false
  std::string p = (fs::path(dir) / "tokenizer_config.json").string();
  if (!fs::is_regular_file(p, ec)) return json();
  json cfg = io::read_json_file(p);
  if (!cfg.is_object()) throw FormatError(p + ": expected a JSON object");
  return cfg;
}

void apply_config(Tokenizer::Impl& impl, const json& cfg, const std::string& file) {
  if (cfg.is_object() && cfg.contains("model_max_length") && cfg["model_max_length"].is_number()) {
    // transformers writes a huge float (1e30) for "no limit"; below that the value must be a whole length.
    const double v = cfg["model_max_length"].get<double>();
    if (v < 1e9 && (v < 0 || v != static_cast<double>(static_cast<long long>(v))))
      format_error(JsonPlace{file, "model_max_length"},
                   "expected a whole non-negative number, got " + io::describe(cfg["model_max_length"]));
    impl.max_length = v >= 1e9 ? 0 : static_cast<std::size_t>(v);
  }
  if (impl.pad < 0 && cfg.is_object()) {
    std::string pad = config_token(cfg, "pad_token", "");
    if (!pad.empty()) impl.pad = impl.token_to_id(pad);
  }
  if (impl.pad < 0) impl.pad = impl.token_to_id("<pad>");
  if (impl.pad < 0) impl.pad = impl.token_to_id("[PAD]");
  if (impl.pad < 0) impl.pad = 0;
}

}  // namespace

Tokenizer Tokenizer::from_json(const std::string& tokenizer_json) {
  const std::string what = "tokenizer.json (in memory)";
  auto impl = build_from_json(io::parse_json(tokenizer_json, what), what);
  apply_config(*impl, json(), what);
  return Tokenizer(std::shared_ptr<const Impl>(std::move(impl)));
}

Tokenizer Tokenizer::from_path(const std::string& path) {
  std::error_code ec;  // the path tests below report a failure as false
  std::unique_ptr<Impl> impl;
  std::string dir;
  if (fs::is_directory(path, ec)) {
    dir = path;
    for (const TokenizerFile& f : kTokenizerFiles) {
      const std::string file = (fs::path(path) / f.name).string();
      if (!fs::is_regular_file(file, ec) || (f.companion && !fs::is_regular_file(fs::path(path) / f.companion, ec)))
        continue;
      const std::string name = f.name;
      if (name == "tokenizer.json")
        impl = build_from_json(io::read_json_file(file), file);
      else if (name == "vocab.json")
        impl = build_roberta(file, (fs::path(path) / f.companion).string(), read_config(dir));
      else if (name == "vocab.txt")
        impl = build_bert(file, read_config(dir));
      else
        impl = build_spm(file, read_config(dir));
      break;
    }
    if (!impl) throw IoError(path + ": no tokenizer files (looked for " + tokenizer_files_text() + ")");
  } else if (fs::is_regular_file(path, ec)) {
    const std::filesystem::path fs_path(path);
    dir = fs_path.has_parent_path() ? fs_path.parent_path().string() : std::string(".");
    const std::string name = fs_path.filename().string();
    const std::string ext = fs_path.extension().string();
    if (ext == ".model") {
      impl = build_spm(path, read_config(dir));
    } else if (ext == ".txt") {
      impl = build_bert(path, read_config(dir));
    } else if (name == "vocab.json") {
      std::string merges = (fs::path(dir) / "merges.txt").string();
      if (!fs::is_regular_file(merges, ec)) throw IoError(merges + ": missing (needed beside " + path + ")");
      impl = build_roberta(path, merges, read_config(dir));
    } else if (ext == ".json") {
      impl = build_from_json(io::read_json_file(path), path);
    } else {
      throw ModelError(path + ": not a tokenizer file (expected tokenizer.json, vocab.json, vocab.txt or .model)");
    }
  } else {
    throw IoError(path + ": no such file or directory");
  }
  apply_config(*impl, read_config(dir), (fs::path(dir) / "tokenizer_config.json").string());
  return Tokenizer(std::shared_ptr<const Impl>(std::move(impl)));
}

}  // namespace radlite
