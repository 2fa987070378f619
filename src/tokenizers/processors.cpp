// Post-processors (special tokens and type ids) and decoders.
#include <cstdio>

#include "radlite/error.h"
#include "tokenizers/components.h"
#include "tokenizers/unicode.h"

namespace radlite::tokenizers {

using nlohmann::json;

namespace {

void append(Sequence& out, const Sequence& s) {
  out.ids.insert(out.ids.end(), s.ids.begin(), s.ids.end());
  out.type_ids.insert(out.type_ids.end(), s.type_ids.begin(), s.type_ids.end());
}
void append_n(Sequence& out, const std::vector<std::int32_t>& ids, std::int32_t type_id) {
  out.ids.insert(out.ids.end(), ids.begin(), ids.end());
  out.type_ids.insert(out.type_ids.end(), ids.size(), type_id);
}

class PlainProcessor : public PostProcessor {
 public:
  std::size_t added_tokens(bool) const override { return 0; }
  void process(const Sequence& a, const Sequence* b, bool, Sequence& out) const override {
    out.ids.clear();
    out.type_ids.clear();
    append(out, a);
    if (b) append(out, *b);
  }
};

class RobertaProcessor : public PostProcessor {
 public:
  RobertaProcessor(std::int32_t cls, std::int32_t sep) : cls_(cls), sep_(sep) {}
  std::size_t added_tokens(bool pair) const override { return pair ? 4 : 2; }
  void process(const Sequence& a, const Sequence* b, bool add_special, Sequence& out) const override {
    out.ids.clear();
    if (add_special) out.ids.push_back(cls_);
    out.ids.insert(out.ids.end(), a.ids.begin(), a.ids.end());
    if (add_special) out.ids.push_back(sep_);
    if (b) {
      if (add_special) out.ids.push_back(sep_);
      out.ids.insert(out.ids.end(), b->ids.begin(), b->ids.end());
      if (add_special) out.ids.push_back(sep_);
    }
    out.type_ids.assign(out.ids.size(), 0);  // RoBERTa: every type id is 0, pairs included
  }

 private:
  std::int32_t cls_, sep_;
};

class BertProcessor : public PostProcessor {
 public:
  BertProcessor(std::int32_t cls, std::int32_t sep) : cls_(cls), sep_(sep) {}
  std::size_t added_tokens(bool pair) const override { return pair ? 3 : 2; }
  void process(const Sequence& a, const Sequence* b, bool add_special, Sequence& out) const override {
    out.ids.clear();
    out.type_ids.clear();
    if (add_special) append_n(out, {cls_}, 0);
    append_n(out, a.ids, 0);
    if (add_special) append_n(out, {sep_}, 0);
    if (b) {
      append_n(out, b->ids, 1);
      if (add_special) append_n(out, {sep_}, 1);
    }
  }

 private:
  std::int32_t cls_, sep_;
};

class TemplateProcessor : public PostProcessor {
 public:
  struct Item {
    bool special;
    std::vector<std::int32_t> ids;  // special: its ids
    int sequence;                   // not special: 0 = A, 1 = B
    std::int32_t type_id;
  };
  TemplateProcessor(std::vector<Item> single, std::vector<Item> pair)
      : single_(std::move(single)), pair_(std::move(pair)) {}
  std::size_t added_tokens(bool pair) const override {
    std::size_t n = 0;
    for (auto& it : pair ? pair_ : single_)
      if (it.special) n += it.ids.size();
    return n;
  }
  void process(const Sequence& a, const Sequence* b, bool add_special, Sequence& out) const override {
    out.ids.clear();
    out.type_ids.clear();
    for (auto& it : b ? pair_ : single_) {
      if (it.special) {
        if (add_special) append_n(out, it.ids, it.type_id);
      } else {
        append_n(out, it.sequence == 0 ? a.ids : b->ids, it.type_id);
      }
    }
  }

 private:
  std::vector<Item> single_, pair_;
};

std::vector<TemplateProcessor::Item> parse_template(const json& j, const json& specials, const JsonPlace& p,
                                                    bool pair) {
  std::vector<TemplateProcessor::Item> items;
  // Templates may also be written as strings ("[CLS] $A [SEP]", "$B:1"), as the Python API accepts.
  std::vector<json> pieces;
  if (j.is_string()) {
    std::string s = j.get<std::string>(), word;
    for (std::size_t i = 0; i <= s.size(); ++i) {
      if (i == s.size() || s[i] == ' ') {
        if (!word.empty()) {
          std::string name = word;
          long type_id = 0;
          auto colon = word.rfind(':');
          if (colon != std::string::npos && colon + 1 < word.size()) {
            name = word.substr(0, colon);
            type_id = std::strtol(word.c_str() + colon + 1, nullptr, 10);
          }
          if (name[0] == '$') {
            std::string id = name.size() == 1 ? "A" : name.substr(1);
            pieces.push_back({{"Sequence", {{"id", id}, {"type_id", type_id}}}});
          } else {
            pieces.push_back({{"SpecialToken", {{"id", name}, {"type_id", type_id}}}});
          }
        }
        word.clear();
      } else {
        word.push_back(s[i]);
      }
    }
  } else if (j.is_array()) {
    pieces.assign(j.begin(), j.end());
  } else {
    format_error(p, "expected an array or a string");
  }
  bool seen_b = false;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    const json& piece = pieces[i];
    JsonPlace ip = p.at(i);
    TemplateProcessor::Item item{};
    if (piece.contains("SpecialToken")) {
      const json& st = piece["SpecialToken"];
      std::string id = get_string(st, "id", ip, "");
      item.special = true;
      item.type_id = st.value("type_id", 0);
      if (!specials.is_object() || !specials.contains(id))
        format_error(ip, "special token '" + id + "' is not declared in special_tokens");
      const json& ids = specials[id].value("ids", json::array());
      for (auto& x : ids) {
        if (!x.is_number_integer()) format_error(ip, "special token '" + id + "' has a non-integer id");
        item.ids.push_back(x.get<std::int32_t>());
      }
    } else if (piece.contains("Sequence")) {
      const json& sq = piece["Sequence"];
      std::string id = get_string(sq, "id", ip, "A");
      if (id != "A" && id != "B") format_error(ip, "sequence id must be A or B, got '" + id + "'");
      item.special = false;
      item.sequence = id == "A" ? 0 : 1;
      seen_b |= item.sequence == 1;
      item.type_id = sq.value("type_id", 0);
    } else {
      format_error(ip, "expected a SpecialToken or a Sequence piece");
    }
    items.push_back(std::move(item));
  }
  if (pair && !seen_b) format_error(p, "the pair template has no $B sequence");
  return items;
}

class SequenceProcessor : public PostProcessor {
 public:
  explicit SequenceProcessor(std::unique_ptr<PostProcessor> joiner) : joiner_(std::move(joiner)) {}
  std::size_t added_tokens(bool pair) const override { return joiner_->added_tokens(pair); }
  void process(const Sequence& a, const Sequence* b, bool add_special, Sequence& out) const override {
    joiner_->process(a, b, add_special, out);
  }

 private:
  std::unique_ptr<PostProcessor> joiner_;
};

}  // namespace

std::unique_ptr<PostProcessor> make_plain_post_processor() { return std::make_unique<PlainProcessor>(); }
std::unique_ptr<PostProcessor> make_roberta_processor(std::int32_t cls, std::int32_t sep) {
  return std::make_unique<RobertaProcessor>(cls, sep);
}
std::unique_ptr<PostProcessor> make_bert_processor(std::int32_t cls, std::int32_t sep) {
  return std::make_unique<BertProcessor>(cls, sep);
}

namespace {
std::int32_t token_id_pair(const json& j, const std::string& key, const JsonPlace& p) {
  const json& v = require(j, key, p);
  if (!v.is_array() || v.size() != 2 || !v[1].is_number_integer())
    format_error(p.at(key), "expected [token, id]");
  return v[1].get<std::int32_t>();
}
}  // namespace

std::unique_ptr<PostProcessor> make_post_processor(const json& j, const JsonPlace& p) {
  if (j.is_null()) return make_plain_post_processor();
  if (!j.is_object()) format_error(p, "expected an object");
  const std::string type = get_string(j, "type", p, "");
  if (type == "RobertaProcessing") return make_roberta_processor(token_id_pair(j, "cls", p), token_id_pair(j, "sep", p));
  if (type == "BertProcessing") return make_bert_processor(token_id_pair(j, "cls", p), token_id_pair(j, "sep", p));
  if (type == "TemplateProcessing") {
    const json& specials = j.contains("special_tokens") ? j["special_tokens"] : json::object();
    auto single = parse_template(require(j, "single", p), specials, p.at("single"), false);
    auto pair = parse_template(require(j, "pair", p), specials, p.at("pair"), true);
    return std::make_unique<TemplateProcessor>(std::move(single), std::move(pair));
  }
  if (type == "ByteLevel") return make_plain_post_processor();  // only trims offsets, which radlite does not keep
  if (type == "Sequence") {
    const json& list = require(j, "processors", p);
    if (!list.is_array()) format_error(p.at("processors"), "expected an array");
    std::unique_ptr<PostProcessor> joiner;
    for (std::size_t i = 0; i < list.size(); ++i) {
      JsonPlace ip = p.at("processors").at(i);
      if (list[i].is_object() && list[i].value("type", "") == "ByteLevel") continue;
      if (joiner) model_error(ip, "more than one post-processor adding special tokens is not supported");
      joiner = make_post_processor(list[i], ip);
    }
    if (!joiner) return make_plain_post_processor();
    return std::make_unique<SequenceProcessor>(std::move(joiner));
  }
  model_error(p.at("type"), "unknown post-processor type '" + type + "'");
}

// ------------------------------------------------------------------------------------------------ decoders
namespace {

class ChainDecoder : public Decoder {
 public:
  // Transforms the token list in place (HF's decode_chain); decode joins the result.
  virtual void chain(std::vector<std::string>& tokens) const = 0;
  std::string decode(const std::vector<std::string>& tokens) const override {
    std::vector<std::string> t = tokens;
    chain(t);
    std::string out;
    for (auto& s : t) out += s;
    return out;
  }
};

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  if (from.empty()) return;
  std::size_t pos = 0;
  while ((pos = s.find(from, pos)) != std::string::npos) {
    s.replace(pos, from.size(), to);
    pos += to.size();
  }
}

class ByteLevelDecoder : public ChainDecoder {
 public:
  ByteLevelDecoder() {
    to_byte_.fill(-1);
    int next = 256;
    for (int b = 0; b < 256; ++b) {
      bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
      to_byte_[static_cast<std::size_t>(printable ? b : next++)] = static_cast<std::int16_t>(b);
    }
  }
  void chain(std::vector<std::string>& tokens) const override {
    std::string bytes;
    for (auto& t : tokens) {
      std::size_t i = 0;
      while (i < t.size()) {
        std::size_t b = i;
        char32_t c = unicode::next_cp(t, i);
        if (c < to_byte_.size() && to_byte_[c] >= 0)
          bytes.push_back(static_cast<char>(to_byte_[c]));
        else
          bytes.append(t, b, i - b);  // not a byte-level character (an added token): kept as text
      }
    }
    tokens.assign(1, unicode::repair_utf8(bytes));
  }

 private:
  std::array<std::int16_t, 324> to_byte_{};
};

class WordPieceDecoder : public ChainDecoder {
 public:
  WordPieceDecoder(std::string prefix, bool cleanup) : prefix_(std::move(prefix)), cleanup_(cleanup) {}
  void chain(std::vector<std::string>& tokens) const override {
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      std::string& t = tokens[i];
      if (i > 0) {
        if (!prefix_.empty() && t.compare(0, prefix_.size(), prefix_) == 0)
          t.erase(0, prefix_.size());
        else
          t.insert(0, " ");
      }
      if (cleanup_) {
        for (auto [from, to] : kCleanup) replace_all(t, from, to);
      }
    }
  }

 private:
  static constexpr std::pair<const char*, const char*> kCleanup[] = {
      {" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"}, {" n't", "n't"},
      {" 'm", "'m"}, {" do not", " don't"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
  std::string prefix_;
  bool cleanup_;
};

class MetaspaceDecoder : public ChainDecoder {
 public:
  MetaspaceDecoder(std::string rep, bool strip_first) : rep_(std::move(rep)), strip_first_(strip_first) {}
  void chain(std::vector<std::string>& tokens) const override {
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      replace_all(tokens[i], rep_, " ");
      if (i == 0 && strip_first_ && !tokens[i].empty() && tokens[i][0] == ' ') tokens[i].erase(0, 1);
    }
  }

 private:
  std::string rep_;
  bool strip_first_;
};

class ReplaceDecoder : public ChainDecoder {
 public:
  ReplaceDecoder(std::string from, std::string to) : from_(std::move(from)), to_(std::move(to)) {}
  void chain(std::vector<std::string>& tokens) const override {
    for (auto& t : tokens) replace_all(t, from_, to_);
  }

 private:
  std::string from_, to_;
};

class ByteFallbackDecoder : public ChainDecoder {
 public:
  void chain(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    std::string bytes;
    auto flush = [&] {
      if (!bytes.empty()) out.push_back(unicode::repair_utf8(bytes));
      bytes.clear();
    };
    for (auto& t : tokens) {
      unsigned v = 0;
      if (t.size() == 6 && t.compare(0, 3, "<0x") == 0 && t[5] == '>' && std::sscanf(t.c_str() + 3, "%2x", &v) == 1) {
        bytes.push_back(static_cast<char>(v));
      } else {
        flush();
        out.push_back(t);
      }
    }
    flush();
    tokens.swap(out);
  }
};

class FuseDecoder : public ChainDecoder {
 public:
  void chain(std::vector<std::string>& tokens) const override {
    std::string all;
    for (auto& t : tokens) all += t;
    tokens.assign(1, all);
  }
};

class StripDecoder : public ChainDecoder {
 public:
  StripDecoder(std::string content, std::size_t start, std::size_t stop)
      : content_(std::move(content)), start_(start), stop_(stop) {}
  void chain(std::vector<std::string>& tokens) const override {
    for (auto& t : tokens) {
      std::size_t s = 0;
      while (s < start_ && t.compare(s * content_.size(), content_.size(), content_) == 0) ++s;
      t.erase(0, s * content_.size());
      std::size_t e = 0;
      while (e < stop_ && t.size() >= content_.size() * (e + 1) &&
             t.compare(t.size() - content_.size() * (e + 1), content_.size(), content_) == 0)
        ++e;
      t.resize(t.size() - e * content_.size());
    }
  }

 private:
  std::string content_;
  std::size_t start_, stop_;
};

class SequenceDecoder : public ChainDecoder {
 public:
  explicit SequenceDecoder(std::vector<std::unique_ptr<ChainDecoder>> items) : items_(std::move(items)) {}
  void chain(std::vector<std::string>& tokens) const override {
    for (auto& d : items_) d->chain(tokens);
  }

 private:
  std::vector<std::unique_ptr<ChainDecoder>> items_;
};

std::unique_ptr<ChainDecoder> make_chain_decoder(const json& j, const JsonPlace& p) {
  if (!j.is_object()) format_error(p, "expected an object");
  const std::string type = get_string(j, "type", p, "");
  if (type == "ByteLevel") return std::make_unique<ByteLevelDecoder>();
  if (type == "WordPiece")
    return std::make_unique<WordPieceDecoder>(get_string(j, "prefix", p, "##"), get_bool(j, "cleanup", p, true));
  if (type == "Metaspace") {
    std::string scheme = get_string(j, "prepend_scheme", p, "always");
    bool strip = scheme != "never" && get_bool(j, "add_prefix_space", p, true);
    return std::make_unique<MetaspaceDecoder>(get_string(j, "replacement", p, "\xE2\x96\x81"), strip);
  }
  if (type == "Replace") {
    const json& pat = require(j, "pattern", p);
    if (!pat.is_object() || !pat.contains("String") || !pat["String"].is_string())
      model_error(p.at("pattern"), "only String patterns are supported in the Replace decoder");
    return std::make_unique<ReplaceDecoder>(pat["String"].get<std::string>(), get_string(j, "content", p, ""));
  }
  if (type == "ByteFallback") return std::make_unique<ByteFallbackDecoder>();
  if (type == "Fuse") return std::make_unique<FuseDecoder>();
  if (type == "Strip")
    return std::make_unique<StripDecoder>(get_string(j, "content", p, " "), j.value("start", 0u), j.value("stop", 0u));
  if (type == "Sequence") {
    const json& list = require(j, "decoders", p);
    if (!list.is_array()) format_error(p.at("decoders"), "expected an array");
    std::vector<std::unique_ptr<ChainDecoder>> items;
    for (std::size_t i = 0; i < list.size(); ++i) items.push_back(make_chain_decoder(list[i], p.at("decoders").at(i)));
    return std::make_unique<SequenceDecoder>(std::move(items));
  }
  model_error(p.at("type"), "unknown decoder type '" + type + "'");
}

}  // namespace

std::unique_ptr<Decoder> make_decoder(const json& j, const JsonPlace& p) {
  if (j.is_null()) return nullptr;
  return make_chain_decoder(j, p);
}
std::unique_ptr<Decoder> make_byte_level_decoder() { return std::make_unique<ByteLevelDecoder>(); }
std::unique_ptr<Decoder> make_wordpiece_decoder(const std::string& prefix, bool cleanup) {
  return std::make_unique<WordPieceDecoder>(prefix, cleanup);
}

}  // namespace radlite::tokenizers
