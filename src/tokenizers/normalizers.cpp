// Normalizers of the Hugging Face pipeline (BertNormalizer, Unicode forms, Lowercase, StripAccents, Strip,
// Replace, Prepend, Precompiled, Sequence).
#include <utf8proc.h>

#include "radlite/error.h"
#include "tokenizers/pipeline.h"
#include "tokenizers/precompiled_charsmap.h"
#include "tokenizers/unicode.h"

namespace radlite::tokenizers {

using nlohmann::json;
namespace uc = unicode;

namespace {

// `text` without the code points for which `drop` is true (accent stripping).
std::string without_code_points(const std::string& text, bool (*drop)(char32_t)) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t b = i;
    if (!drop(uc::next_cp(text, i))) out.append(text, b, i - b);
  }
  return out;
}

class BertNormalizer : public Normalizer {
 public:
  BertNormalizer(bool clean, bool chinese, int strip, bool lower)
      : clean_(clean), chinese_(chinese), strip_(strip < 0 ? lower : strip != 0), lower_(lower) {}
  void normalize(std::string& text) const override {
    if (clean_ || chinese_) {
      std::string out;
      out.reserve(text.size() + 8);
      std::size_t i = 0;
      while (i < text.size()) {
        auto b = static_cast<unsigned char>(text[i]);
        if (b >= 0x20 && b < 0x7F) {  // printable ASCII: kept as is
          out.push_back(static_cast<char>(b));
          ++i;
          continue;
        }
        char32_t c = uc::next_cp(text, i);
        if (clean_) {
          if (c == 0 || c == 0xFFFD || uc::is_bert_control(c)) continue;
          if (uc::is_bert_whitespace(c)) c = ' ';
        }
        if (chinese_ && uc::is_chinese_char(c)) {
          out.push_back(' ');
          uc::append_utf8(out, c);
          out.push_back(' ');
        } else {
          uc::append_utf8(out, c);
        }
      }
      text.swap(out);
    }
    if (strip_) {
      text = without_code_points(uc::normalize(text, uc::NormForm::NFD), uc::is_mark_nonspacing);
    }
    if (lower_) text = uc::lowercase(text);
  }

 private:
  bool clean_, chinese_, strip_, lower_;
};

class NormFormNormalizer : public Normalizer {
 public:
  explicit NormFormNormalizer(uc::NormForm f) : form_(f) {}
  void normalize(std::string& text) const override {
    // The Tokenizer only passes valid UTF-8; anything else is a caller's bug, reported the same way for every form
    // (NFD runs on HF's own tables, the others on utf8proc, which would each react differently).
    if (!uc::is_valid_utf8(text)) throw InvalidArgument("Unicode normalization of text that is not valid UTF-8");
    text = uc::normalize(text, form_);
  }

 private:
  uc::NormForm form_;
};

class LowercaseNormalizer : public Normalizer {
 public:
  void normalize(std::string& text) const override { text = uc::lowercase(text); }
};

class StripAccentsNormalizer : public Normalizer {
 public:
  // HF removes every combining mark (Mn, Mc, Me); it expects an NFD normalizer before it.
  void normalize(std::string& text) const override { text = without_code_points(text, uc::is_mark); }
};

class StripNormalizer : public Normalizer {
 public:
  StripNormalizer(bool left, bool right) : left_(left), right_(right) {}
  void normalize(std::string& text) const override {
    std::size_t begin = 0, end = text.size();
    if (left_) {
      while (begin < end) {
        std::size_t i = begin;
        if (!uc::is_whitespace(uc::next_cp(text, i))) break;
        begin = i;
      }
    }
    if (right_) {
      while (end > begin) {
        std::size_t b = end - 1;
        while (b > begin && (static_cast<unsigned char>(text[b]) & 0xC0) == 0x80) --b;
        std::size_t i = b;
        if (!uc::is_whitespace(uc::next_cp(text, i))) break;
        end = b;
      }
    }
    text = text.substr(begin, end - begin);
  }

 private:
  bool left_, right_;
};

class ReplaceNormalizer : public Normalizer {
 public:
  ReplaceNormalizer(Pattern p, std::string content) : pattern_(std::move(p)), content_(std::move(content)) {}
  void normalize(std::string& text) const override {
    std::vector<std::pair<std::size_t, std::size_t>> m;
    find_matches(pattern_, text, m);
    if (m.empty()) return;
    std::string out;
    std::size_t last = 0;
    for (auto& [b, e] : m) {
      out.append(text, last, b - last);
      out += content_;
      last = e;
    }
    out.append(text, last, std::string::npos);
    text.swap(out);
  }

 private:
  Pattern pattern_;
  std::string content_;
};

class PrependNormalizer : public Normalizer {
 public:
  explicit PrependNormalizer(std::string s) : prefix_(std::move(s)) {}
  void normalize(std::string& text) const override {
    if (!text.empty()) text.insert(0, prefix_);
  }

 private:
  std::string prefix_;
};

// SentencePiece's rules as HF's Precompiled applies them: per extended grapheme cluster, a cluster shorter than 6
// bytes is replaced whole when its SHORTEST charsmap prefix matches; otherwise each character is looked up alone.
class PrecompiledNormalizer : public Normalizer {
 public:
  explicit PrecompiledNormalizer(CharsMap map) : map_(std::move(map)) {}
  void normalize(std::string& text) const override {
    if (map_.empty()) return;
    std::string out;
    out.reserve(text.size());
    std::size_t cluster_begin = 0;
    utf8proc_int32_t state = 0;
    utf8proc_int32_t prev = -1;
    for (std::size_t pos = 0; pos < text.size();) {
      const std::size_t at = pos;
      const auto cp = static_cast<utf8proc_int32_t>(uc::next_cp(text, pos));
      if (prev >= 0 && utf8proc_grapheme_break_stateful(prev, cp, &state)) {
        emit_cluster(std::string_view(text).substr(cluster_begin, at - cluster_begin), out);
        cluster_begin = at;
      }
      prev = cp;
    }
    if (cluster_begin < text.size()) emit_cluster(std::string_view(text).substr(cluster_begin), out);
    text.swap(out);
  }

 private:
  bool shortest(std::string_view key, std::string_view& rep) const {
    bool found = false;
    map_.prefix_matches(key, [&](std::size_t, std::string_view r) {
      rep = r;
      found = true;
      return false;
    });
    return found;
  }
  void emit_cluster(std::string_view g, std::string& out) const {
    std::string_view rep;
    if (g.size() < 6 && shortest(g, rep)) {
      out.append(rep);
      return;
    }
    for (std::size_t pos = 0; pos < g.size();) {
      const std::size_t len = uc::cp_len(static_cast<unsigned char>(g[pos]));
      const std::string_view ch = g.substr(pos, len);
      if (shortest(ch, rep))
        out.append(rep);
      else
        out.append(ch);
      pos += len;
    }
  }
  CharsMap map_;
};

class SequenceNormalizer : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> n) : items_(std::move(n)) {}
  void normalize(std::string& text) const override {
    for (auto& n : items_) n->normalize(text);
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> items_;
};

}  // namespace

std::unique_ptr<Normalizer> make_bert_normalizer(bool clean_text, bool chinese_chars, int strip_accents,
                                                 bool lowercase) {
  return std::make_unique<BertNormalizer>(clean_text, chinese_chars, strip_accents, lowercase);
}

std::unique_ptr<Normalizer> make_precompiled_normalizer(const std::string& charsmap, const std::string& what) {
  CharsMap map = CharsMap::parse(charsmap, what);
  if (!map.replacements_are_utf8()) throw FormatError(what + ": replacement strings are not UTF-8");
  if (map.empty()) return nullptr;  // an empty charsmap normalizes nothing
  return std::make_unique<PrecompiledNormalizer>(std::move(map));
}

std::unique_ptr<Normalizer> make_normalizer(const json& j, const JsonPlace& p) {
  if (j.is_null()) return nullptr;
  const std::string type = type_of(j, p);
  if (type == "BertNormalizer") {
    int strip = -1;
    if (j.contains("strip_accents") && !j["strip_accents"].is_null()) strip = get_bool(j, "strip_accents", p, false);
    return make_bert_normalizer(get_bool(j, "clean_text", p, true), get_bool(j, "handle_chinese_chars", p, true), strip,
                                get_bool(j, "lowercase", p, true));
  }
  if (type == "NFC") return std::make_unique<NormFormNormalizer>(uc::NormForm::NFC);
  if (type == "NFD") return std::make_unique<NormFormNormalizer>(uc::NormForm::NFD);
  if (type == "NFKC") return std::make_unique<NormFormNormalizer>(uc::NormForm::NFKC);
  if (type == "NFKD") return std::make_unique<NormFormNormalizer>(uc::NormForm::NFKD);
  if (type == "Lowercase") return std::make_unique<LowercaseNormalizer>();
  if (type == "StripAccents") return std::make_unique<StripAccentsNormalizer>();
  if (type == "Strip") {
    // HF has no defaults here: its Strip refuses a section without both fields, and so does radlite.
    for (const char* key : {"strip_left", "strip_right"})
      if (!j.contains(key) || j[key].is_null()) format_error(p.at(key), "missing (HF's Strip has no default)");
    return std::make_unique<StripNormalizer>(get_bool(j, "strip_left", p, false), get_bool(j, "strip_right", p, false));
  }
  if (type == "Replace") {
    auto pat = parse_pattern(require(j, "pattern", p), p.at("pattern"));
    return std::make_unique<ReplaceNormalizer>(std::move(pat), get_string(j, "content", p, ""));
  }
  if (type == "Prepend") return std::make_unique<PrependNormalizer>(get_string(j, "prepend", p, ""));
  if (type == "Sequence") {
    const json& list = require(j, "normalizers", p);
    if (!list.is_array()) format_error(p.at("normalizers"), "expected an array");
    std::vector<std::unique_ptr<Normalizer>> items;
    for (std::size_t i = 0; i < list.size(); ++i) {
      auto n = make_normalizer(list[i], p.at("normalizers").at(i));
      if (n) items.push_back(std::move(n));
    }
    return std::make_unique<SequenceNormalizer>(std::move(items));
  }
  if (type == "Precompiled") {
    const std::string blob = get_string(j, "precompiled_charsmap", p, "");
    const std::string what = p.at("precompiled_charsmap").text();
    auto n = make_precompiled_normalizer(base64_decode(blob, what), what);
    if (n) return n;
    return std::make_unique<SequenceNormalizer>(std::vector<std::unique_ptr<Normalizer>>{});
  }
  model_error(p.at("type"), "unknown normalizer type '" + type + "'");
}

}  // namespace radlite::tokenizers
