// Post-processors: special tokens and type ids around one or two sequences (RobertaProcessing, BertProcessing,
// TemplateProcessing, ByteLevel, Sequence).
#include <string_view>

#include "io/numbers.h"
#include "radlite/error.h"
#include "tokenizers/pipeline.h"

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
  std::vector<std::int32_t> special_ids() const override { return {}; }
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
  std::vector<std::int32_t> special_ids() const override { return {cls_, sep_}; }
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
  std::vector<std::int32_t> special_ids() const override { return {cls_, sep_}; }
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
  std::vector<std::int32_t> special_ids() const override {
    std::vector<std::int32_t> ids;
    for (const auto* list : {&single_, &pair_})
      for (const auto& it : *list)
        if (it.special) ids.insert(ids.end(), it.ids.begin(), it.ids.end());
    return ids;
  }
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
          long long type_id = 0;
          auto colon = word.rfind(':');
          if (colon != std::string::npos && colon + 1 < word.size()) {
            name = word.substr(0, colon);
            // HF refuses a piece whose type id does not parse ("Cannot build Piece from string").
            const auto id = io::parse_int(std::string_view(word).substr(colon + 1));
            if (!id) format_error(p, "piece '" + word + "' in template '" + s + "': the type id is not an integer");
            type_id = *id;
          }
          if (name.empty()) format_error(p, "empty piece in template '" + s + "'");
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
      item.type_id = static_cast<std::int32_t>(get_int(st, "type_id", ip, 0, 0, INT32_MAX));
      if (!specials.is_object() || !specials.contains(id))
        format_error(ip, "special token '" + id + "' is not declared in special_tokens");
      const json& decl = specials[id];
      if (!decl.is_object() || !decl.contains("ids") || !decl["ids"].is_array())
        format_error(ip, "special token '" + id + "' has no ids array");
      for (auto& x : decl["ids"]) {
        if (!x.is_number_integer() || x.get<long long>() < 0 || x.get<long long>() > INT32_MAX)
          format_error(ip, "special token '" + id + "' has an invalid id");
        item.ids.push_back(x.get<std::int32_t>());
      }
    } else if (piece.contains("Sequence")) {
      const json& sq = piece["Sequence"];
      std::string id = get_string(sq, "id", ip, "A");
      if (id != "A" && id != "B") format_error(ip, "sequence id must be A or B, got '" + id + "'");
      item.special = false;
      item.sequence = id == "A" ? 0 : 1;
      seen_b |= item.sequence == 1;
      item.type_id = static_cast<std::int32_t>(get_int(sq, "type_id", ip, 0, 0, INT32_MAX));
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
  std::vector<std::int32_t> special_ids() const override { return joiner_->special_ids(); }
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
  if (!v.is_array() || v.size() != 2 || !v[1].is_number_integer() || v[1].get<long long>() < 0 ||
      v[1].get<long long>() > INT32_MAX)
    format_error(p.at(key), "expected [token, id]");
  return v[1].get<std::int32_t>();
}
}  // namespace

std::unique_ptr<PostProcessor> make_post_processor(const json& j, const JsonPlace& p) {
  if (j.is_null()) return make_plain_post_processor();
  if (!j.is_object()) format_error(p, "expected an object");
  const std::string type = get_string(j, "type", p, "");
  if (type == "RobertaProcessing")
    return make_roberta_processor(token_id_pair(j, "cls", p), token_id_pair(j, "sep", p));
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
      if (list[i].is_object() && list[i].contains("type") && list[i]["type"] == "ByteLevel") continue;
      if (joiner) model_error(ip, "more than one post-processor adding special tokens is not supported");
      joiner = make_post_processor(list[i], ip);
    }
    if (!joiner) return make_plain_post_processor();
    return std::make_unique<SequenceProcessor>(std::move(joiner));
  }
  model_error(p.at("type"), "unknown post-processor type '" + type + "'");
}

}  // namespace radlite::tokenizers
