// radlite::Tokenizer: loading (tokenizer.json and the legacy files) and the encode pipeline
// added-token split -> normalizer -> added-token split (normalized tokens) -> pre-tokenizer -> model
// -> truncation -> post-processor, as Hugging Face tokenizers runs it.
#include "radlite/tokenizer.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <unordered_map>

#include "io/file_util.h"
#include "radlite/error.h"
#include "tokenizers/added_tokens.h"
#include "tokenizers/pipeline.h"
#include "tokenizers/sentencepiece_model.h"
#include "tokenizers/unicode.h"

namespace radlite {

using nlohmann::json;
using namespace radlite::tokenizers;

namespace {

std::string parent_dir(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}
std::string base_name(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

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

class Tokenizer::Impl {
 public:
  std::unique_ptr<Normalizer> normalizer;
  std::unique_ptr<PreTokenizer> pre_tokenizer;
  std::unique_ptr<Model> model;                      // BPE / WordPiece
  std::unique_ptr<const SentencePieceModel> sp;      // Unigram / .model files (then model is null)
  std::unique_ptr<PostProcessor> post;
  std::unique_ptr<Decoder> decoder;
  std::vector<AddedToken> added;
  std::unordered_map<std::string, std::size_t> added_by_content;
  std::unordered_map<std::int32_t, std::size_t> added_by_id;
  AddedTokenMatcher raw_matcher, normalized_matcher;
  std::int32_t pad = -1;  // resolved by apply_config
  std::size_t max_length = 0;
  std::int32_t max_added_id = -1;  // the largest id of an added token (ids of replaced tokens never shrink it)

  void add_token(AddedToken t) {
    if (t.content.empty()) return;
    max_added_id = std::max(max_added_id, t.id);
    auto it = added_by_content.find(t.content);
    if (it != added_by_content.end()) {
      added[it->second] = t;
      added_by_id[t.id] = it->second;
      return;
    }
    added_by_content[t.content] = added.size();
    added_by_id[t.id] = added.size();
    added.push_back(std::move(t));
  }

  // The id HF gives a token being added: its vocabulary id, else (for new text) the id after the vocabulary and
  // the tokens added so far. The "id" written in tokenizer.json is not used; HF only warns when it differs.
  std::int32_t id_for_new_token(const std::string& content) const {
    auto it = added_by_content.find(content);
    if (it != added_by_content.end()) return added[it->second].id;
    std::int32_t id = model_token_to_id(content);
    if (id >= 0) return id;
    const auto vocab_n = static_cast<std::int32_t>(model ? model->vocab().size() : sp ? sp->vocab_size() : 0);
    if (added.empty()) return vocab_n;
    return (max_added_id >= vocab_n || vocab_n == 0) ? max_added_id + 1 : vocab_n;
  }

  // Builds the matchers once all tokens and the normalizer are known. With a SentencePiece component, which
  // normalizes internally, every token is matched on the raw text.
  void finish() {
    for (std::size_t k = 0; k < added.size(); ++k) {
      const AddedToken& t = added[k];
      if (t.normalized && normalizer && !sp) {
        std::string pattern = t.content;
        normalizer->normalize(pattern);
        normalized_matcher.add(pattern, k);
      } else if (t.normalized && !sp) {
        normalized_matcher.add(t.content, k);
      } else {
        raw_matcher.add(t.content, k);
      }
    }
    raw_matcher.finish();
    normalized_matcher.finish();
  }

  std::int32_t model_token_to_id(const std::string& token) const {
    if (model) return model->vocab().find(token);
    if (sp) return sp->piece_to_id(token);
    return -1;
  }

  std::int32_t token_to_id(const std::string& token) const {
    auto it = added_by_content.find(token);
    if (it != added_by_content.end()) return added[it->second].id;
    return model_token_to_id(token);
  }

  const std::string* model_token(std::int32_t id) const { return model ? model->vocab().token_of(id) : nullptr; }

  std::string id_to_token(std::int32_t id) const {
    auto it = added_by_id.find(id);
    if (it != added_by_id.end()) return added[it->second].content;
    if (const std::string* t = model_token(id)) return *t;
    if (sp && id >= 0 && static_cast<std::size_t>(id) < sp->vocab_size()) return sp->id_to_piece(id);
    throw InvalidArgument("token id " + std::to_string(id) + " is out of range (vocabulary size " +
                          std::to_string(vocab_size()) + ")");
  }

  bool has_id(std::int32_t id) const {
    return added_by_id.count(id) || model_token(id) ||
           (sp && id >= 0 && static_cast<std::size_t>(id) < sp->vocab_size());
  }

  std::size_t vocab_size() const {
    std::size_t n = model ? model->vocab().size() : sp ? sp->vocab_size() : 0;
    for (const auto& t : added) {
      bool in_model = model ? model->vocab().token_of(t.id) != nullptr
                            : (sp && t.id >= 0 && static_cast<std::size_t>(t.id) < sp->vocab_size());
      if (!in_model) ++n;
    }
    return n;
  }

  // Ids of one text, no special tokens. With limit > 0, stops after the first pre-token (word) at which the count
  // reaches limit, as HF tokenizers >= 0.23 does when truncation is on ("early exit"): pair truncation then works
  // on these capped lengths, so the cap decides which side of a pair keeps the odd token. Added tokens count but,
  // as in HF, do not end the sequence themselves.
  void encode_sequence(std::string_view input, std::vector<std::int32_t>& ids, std::size_t limit = 0) const {
    std::string repaired;
    if (!unicode::is_valid_utf8(input)) {
      repaired = unicode::repair_utf8(input);
      input = repaired;
    }
    Pieces in, out;
    std::string text;
    std::vector<Piece> pieces;
    bool done = false;
    auto word_done = [&] {
      if (limit && ids.size() >= limit) done = true;
    };
    raw_matcher.split(input, added, [&](std::string_view seg, int token, std::size_t offset) {
      if (done) return;
      if (token >= 0) {
        ids.push_back(added[static_cast<std::size_t>(token)].id);
        return;
      }
      if (sp) {
        pieces.clear();
        sp->encode(seg, pieces);
        // Words are not reported by the SentencePiece component: a piece starting with U+2581 begins one.
        for (std::size_t k = 0; k < pieces.size(); ++k) {
          if (k > 0 && pieces[k].text.compare(0, 3, "\xE2\x96\x81") == 0) {
            word_done();
            if (done) return;
          }
          ids.push_back(pieces[k].id);
        }
        if (!pieces.empty()) word_done();
        return;
      }
      text.assign(seg.data(), seg.size());
      // HF asks whether a split starts at original offset 0 (Metaspace prepend_scheme "first"); after
      // normalization that is false when the normalizer deleted the first character (a control or a lone
      // combining mark, say).
      bool seg_at_start = offset == 0;
      if (normalizer) {
        normalizer->normalize(text);
        if (seg_at_start && !seg.empty()) {
          std::string first(seg.substr(0, unicode::cp_len(static_cast<unsigned char>(seg[0]))));
          normalizer->normalize(first);
          seg_at_start = !first.empty();
        }
      }
      normalized_matcher.split(text, added, [&](std::string_view sub, int tok2, std::size_t offset2) {
        if (done) return;
        if (tok2 >= 0) {
          ids.push_back(added[static_cast<std::size_t>(tok2)].id);
          return;
        }
        in.clear();
        in.add(sub, seg_at_start && offset2 == 0);
        const Pieces* words = &in;
        if (pre_tokenizer) {
          pre_tokenizer->apply(in, out);
          words = &out;
        }
        for (const auto& span : words->spans) {
          model->tokenize(words->view(span), ids);
          word_done();
          if (done) return;
        }
      });
    });
  }

  void fill(const Sequence& s, Encoding& e) const {
    e.ids = s.ids;
    e.type_ids = s.type_ids;
    e.attention_mask.assign(s.ids.size(), 1);
    e.tokens.clear();
    e.tokens.reserve(s.ids.size());
    for (std::int32_t id : s.ids) {
      auto it = added_by_id.find(id);
      if (it != added_by_id.end()) {
        e.tokens.push_back(added[it->second].content);
      } else if (const std::string* t = model_token(id)) {
        e.tokens.push_back(*t);
      } else {
        e.tokens.push_back(sp ? sp->id_to_piece(id) : std::string());
      }
    }
  }

  std::size_t content_budget(const EncodeOptions& o, bool pair) const {
    std::size_t added_n = o.add_special_tokens ? post->added_tokens(pair) : 0;
    if (o.max_length < added_n)
      throw InvalidArgument("max_length " + std::to_string(o.max_length) + " is smaller than the " +
                            std::to_string(added_n) + " special tokens the tokenizer adds");
    return o.max_length - added_n;
  }
};

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
  if (!impl->model) {
    impl->sp = SentencePieceModel::from_tokenizer_json(j, file);
  } else {
    if (j.contains("normalizer")) impl->normalizer = make_normalizer(j["normalizer"], root.at("normalizer"));
    if (j.contains("pre_tokenizer"))
      impl->pre_tokenizer = make_pre_tokenizer(j["pre_tokenizer"], root.at("pre_tokenizer"));
  }
  impl->post = make_post_processor(j.contains("post_processor") ? j["post_processor"] : json(),
                                   root.at("post_processor"));
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
      if (!id.is_number_integer() || id.get<long long>() < 0) format_error(tp.at("id"), "expected a non-negative integer");
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

std::unique_ptr<Tokenizer::Impl> build_spm(const std::string& path, const json& cfg) {
  auto impl = std::make_unique<Tokenizer::Impl>();
  impl->sp = SentencePieceModel::from_spm_file(path, /*xlmr_ids=*/true);
  // XLM-RoBERTa convention: fixed ids for <s> <pad> </s> <unk>, <mask> last.
  const std::int32_t n = static_cast<std::int32_t>(impl->sp->vocab_size());
  std::int32_t mask_id = impl->sp->piece_to_id(config_token(cfg, "mask_token", "<mask>"));
  if (mask_id < 0) mask_id = n - 1;
  struct S {
    const char* key;
    const char* fallback;
    std::int32_t id;
    bool lstrip;
  };
  for (const S& s : {S{"bos_token", "<s>", 0, false}, S{"pad_token", "<pad>", 1, false}, S{"eos_token", "</s>", 2, false},
                     S{"unk_token", "<unk>", 3, false}, S{"mask_token", "<mask>", mask_id, false}}) {
    AddedToken t;
    t.content = config_token(cfg, s.key, s.fallback);
    t.id = s.id;
    t.special = true;
    t.lstrip = s.lstrip;
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
      char* end = nullptr;
      long id = std::strtol(it.key().c_str(), &end, 10);
      if (it.key().empty() || *end != '\0' || id < 0) format_error(tp, "key is not a token id");
      AddedToken t;
      t.id = static_cast<std::int32_t>(id);
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
      t.id = impl.model_token_to_id(content);
      if (t.id < 0) continue;  // transformers would grow the vocabulary; such ids exist in no checkpoint here
      t.special = true;
      impl.add_token(std::move(t));
    }
  }
}

json read_config(const std::string& dir) {
  std::string p = io::join_path(dir, "tokenizer_config.json");
  if (!io::is_file(p)) return json();
  json cfg = io::read_json_file(p);
  if (!cfg.is_object()) throw FormatError(p + ": expected a JSON object");
  return cfg;
}

void apply_config(Tokenizer::Impl& impl, const json& cfg) {
  if (cfg.is_object() && cfg.contains("model_max_length") && cfg["model_max_length"].is_number()) {
    double v = cfg["model_max_length"].get<double>();
    impl.max_length = (v >= 1e9 || v < 0) ? 0 : static_cast<std::size_t>(v);
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

Tokenizer::Tokenizer(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

Tokenizer Tokenizer::from_json(const std::string& tokenizer_json) {
  const std::string what = "tokenizer.json (in memory)";
  auto impl = build_from_json(io::parse_json(tokenizer_json, what), what);
  apply_config(*impl, json());
  return Tokenizer(std::shared_ptr<const Impl>(std::move(impl)));
}

Tokenizer Tokenizer::from_path(const std::string& path) {
  std::unique_ptr<Impl> impl;
  std::string dir;
  if (io::is_directory(path)) {
    dir = path;
    auto in = [&](const char* name) { return io::join_path(path, name); };
    if (io::is_file(in("tokenizer.json"))) {
      impl = build_from_json(io::read_json_file(in("tokenizer.json")), in("tokenizer.json"));
    } else if (io::is_file(in("vocab.json")) && io::is_file(in("merges.txt"))) {
      impl = build_roberta(in("vocab.json"), in("merges.txt"), read_config(dir));
    } else if (io::is_file(in("vocab.txt"))) {
      impl = build_bert(in("vocab.txt"), read_config(dir));
    } else if (io::is_file(in("sentencepiece.bpe.model"))) {
      impl = build_spm(in("sentencepiece.bpe.model"), read_config(dir));
    } else {
      throw IoError(path + ": no tokenizer files (looked for tokenizer.json, vocab.json + merges.txt, vocab.txt, "
                           "sentencepiece.bpe.model)");
    }
  } else if (io::is_file(path)) {
    dir = parent_dir(path);
    const std::string name = base_name(path);
    if (ends_with(name, ".model")) {
      impl = build_spm(path, read_config(dir));
    } else if (ends_with(name, ".txt")) {
      impl = build_bert(path, read_config(dir));
    } else if (name == "vocab.json") {
      std::string merges = io::join_path(dir, "merges.txt");
      if (!io::is_file(merges)) throw IoError(merges + ": missing (needed beside " + path + ")");
      impl = build_roberta(path, merges, read_config(dir));
    } else if (ends_with(name, ".json")) {
      impl = build_from_json(io::read_json_file(path), path);
    } else {
      throw ModelError(path + ": not a tokenizer file (expected tokenizer.json, vocab.json, vocab.txt or .model)");
    }
  } else {
    throw IoError(path + ": no such file or directory");
  }
  apply_config(*impl, read_config(dir));
  return Tokenizer(std::shared_ptr<const Impl>(std::move(impl)));
}

Encoding Tokenizer::encode(std::string_view text, const EncodeOptions& options) const {
  Sequence a, out;
  impl_->encode_sequence(text, a.ids, options.max_length);
  if (options.max_length) {
    std::size_t budget = impl_->content_budget(options, false);
    if (a.ids.size() > budget) a.ids.resize(budget);
  }
  a.type_ids.assign(a.ids.size(), 0);
  impl_->post->process(a, nullptr, options.add_special_tokens, out);
  Encoding e;
  impl_->fill(out, e);
  return e;
}

Encoding Tokenizer::encode_pair(std::string_view first, std::string_view second, const EncodeOptions& options) const {
  // transformers treats an empty second text as no pair at all (text_pair="" is falsy); the reference ids follow it.
  if (second.empty()) return encode(first, options);
  Sequence a, b, out;
  impl_->encode_sequence(first, a.ids, options.max_length);
  impl_->encode_sequence(second, b.ids, options.max_length);
  if (options.max_length) {
    // longest_first as HF computes it on the capped lengths: the shorter side keeps its length when it fits in
    // half, else both get half and the longer one the odd token (the second one on a tie).
    const std::size_t budget = impl_->content_budget(options, true);
    std::size_t n1 = a.ids.size(), n2 = b.ids.size();
    if (n1 + n2 > budget) {
      const bool swap = n1 > n2;
      if (swap) std::swap(n1, n2);
      n2 = n1 > budget ? n1 : std::max(n1, budget - n1);
      if (n1 + n2 > budget) {
        n1 = budget / 2;
        n2 = n1 + budget % 2;
      }
      if (swap) std::swap(n1, n2);
      a.ids.resize(std::min(a.ids.size(), n1));
      b.ids.resize(std::min(b.ids.size(), n2));
    }
  }
  a.type_ids.assign(a.ids.size(), 0);
  b.type_ids.assign(b.ids.size(), 1);
  impl_->post->process(a, &b, options.add_special_tokens, out);
  Encoding e;
  impl_->fill(out, e);
  return e;
}

std::vector<Encoding> Tokenizer::encode_batch(const std::vector<std::string>& texts,
                                              const EncodeOptions& options) const {
  std::vector<Encoding> out;
  out.reserve(texts.size());
  for (const auto& t : texts) out.push_back(encode(t, options));
  return out;
}

std::string Tokenizer::decode(const std::vector<std::int32_t>& ids, bool skip_special_tokens) const {
  const Impl& m = *impl_;
  std::string result;
  std::vector<std::string> tokens;
  std::vector<std::int32_t> sp_run;
  auto flush_sp = [&] {
    if (!sp_run.empty()) result += m.sp->decode(sp_run);
    sp_run.clear();
  };
  for (std::int32_t id : ids) {
    auto it = m.added_by_id.find(id);
    const bool is_added = it != m.added_by_id.end();
    if (is_added && skip_special_tokens && m.added[it->second].special) continue;
    if (m.sp) {
      if (is_added) {
        flush_sp();
        result += m.added[it->second].content;
      } else {
        m.id_to_token(id);  // range check
        sp_run.push_back(id);
      }
      continue;
    }
    tokens.push_back(m.id_to_token(id));
  }
  if (m.sp) {
    flush_sp();
    return result;
  }
  if (m.decoder) return m.decoder->decode(tokens);
  for (std::size_t i = 0; i < tokens.size(); ++i) result += (i ? " " : "") + tokens[i];
  return result;
}

std::int32_t Tokenizer::token_to_id(const std::string& token) const { return impl_->token_to_id(token); }
std::string Tokenizer::id_to_token(std::int32_t id) const { return impl_->id_to_token(id); }
std::size_t Tokenizer::vocab_size() const { return impl_->vocab_size(); }
std::int32_t Tokenizer::pad_id() const { return impl_->pad; }
std::size_t Tokenizer::model_max_length() const { return impl_->max_length; }

}  // namespace radlite
