// Normalizers and pre-tokenizers of the Hugging Face pipeline, and the JSON helpers the loaders share.
#include "tokenizers/components.h"

#include <regex>

#include "radlite/error.h"
#include "tokenizers/unicode.h"

namespace radlite::tokenizers {

using nlohmann::json;
namespace uc = unicode;

// ------------------------------------------------------------------------------------------------ JSON helpers
namespace {
std::string place_text(const JsonPlace& p) {
  return p.file + (p.field.empty() ? std::string() : ": field '" + p.field + "'");
}
}  // namespace

void format_error(const JsonPlace& p, const std::string& message) {
  throw FormatError(place_text(p) + ": " + message);
}
void model_error(const JsonPlace& p, const std::string& message) { throw ModelError(place_text(p) + ": " + message); }

const json& require(const json& obj, const std::string& key, const JsonPlace& p) {
  if (!obj.is_object()) format_error(p, "expected an object");
  auto it = obj.find(key);
  if (it == obj.end()) format_error(p.at(key), "missing");
  return *it;
}

std::string get_string(const json& obj, const std::string& key, const JsonPlace& p, const std::string& fallback) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  if (!it->is_string()) format_error(p.at(key), "expected a string");
  return it->get<std::string>();
}

bool get_bool(const json& obj, const std::string& key, const JsonPlace& p, bool fallback) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) format_error(p.at(key), "expected true or false");
  return it->get<bool>();
}

namespace {

std::string type_of(const json& j, const JsonPlace& p) {
  if (!j.is_object()) format_error(p, "expected an object");
  return get_string(j, "type", p, "");
}

// A pattern in a Replace normalizer or Split pre-tokenizer: {"String": "..."} or {"Regex": "..."}.
struct Pattern {
  std::string literal;
  std::unique_ptr<std::regex> regex;  // used when the pattern is a regex
};

Pattern parse_pattern(const json& j, const JsonPlace& p) {
  Pattern pat;
  if (j.is_object() && j.contains("String") && j["String"].is_string()) {
    pat.literal = j["String"].get<std::string>();
  } else if (j.is_object() && j.contains("Regex") && j["Regex"].is_string()) {
    // std::regex works on bytes and has no \p classes: patterns that need them are reported as unsupported.
    try {
      pat.regex = std::make_unique<std::regex>(j["Regex"].get<std::string>(), std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      model_error(p, "unsupported regex '" + j["Regex"].get<std::string>() + "' (" + e.what() + ")");
    }
  } else {
    format_error(p, "expected {\"String\": ...} or {\"Regex\": ...}");
  }
  return pat;
}

// Byte ranges of the matches of pat in s, in order, non-overlapping.
void find_matches(const Pattern& pat, std::string_view s, std::vector<std::pair<std::size_t, std::size_t>>& out) {
  out.clear();
  if (pat.regex) {
    auto begin = std::cregex_iterator(s.data(), s.data() + s.size(), *pat.regex);
    for (auto it = begin; it != std::cregex_iterator(); ++it) {
      auto pos = static_cast<std::size_t>(it->position(0));
      auto len = static_cast<std::size_t>(it->length(0));
      if (len == 0) continue;
      out.emplace_back(pos, pos + len);
    }
    return;
  }
  if (pat.literal.empty()) return;
  std::size_t pos = 0;
  while ((pos = s.find(pat.literal, pos)) != std::string_view::npos) {
    out.emplace_back(pos, pos + pat.literal.size());
    pos += pat.literal.size();
  }
}

// ------------------------------------------------------------------------------------------------ normalizers

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
      std::string nfd = uc::normalize(text, uc::NormForm::NFD);
      std::string out;
      out.reserve(nfd.size());
      std::size_t i = 0;
      while (i < nfd.size()) {
        std::size_t b = i;
        char32_t c = uc::next_cp(nfd, i);
        if (!uc::is_mark_nonspacing(c)) out.append(nfd, b, i - b);
      }
      text.swap(out);
    }
    if (lower_) text = uc::lowercase(text);
  }

 private:
  bool clean_, chinese_, strip_, lower_;
};

class NormFormNormalizer : public Normalizer {
 public:
  explicit NormFormNormalizer(uc::NormForm f) : form_(f) {}
  void normalize(std::string& text) const override { text = uc::normalize(text, form_); }

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
  void normalize(std::string& text) const override {
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
      std::size_t b = i;
      char32_t c = uc::next_cp(text, i);
      if (!uc::is_mark(c)) out.append(text, b, i - b);
    }
    text.swap(out);
  }
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

std::unique_ptr<Normalizer> make_normalizer(const json& j, const JsonPlace& p) {
  if (j.is_null()) return nullptr;
  const std::string type = type_of(j, p);
  if (type == "BertNormalizer") {
    int strip = -1;
    if (j.contains("strip_accents") && !j["strip_accents"].is_null()) strip = get_bool(j, "strip_accents", p, false);
    return make_bert_normalizer(get_bool(j, "clean_text", p, true), get_bool(j, "handle_chinese_chars", p, true),
                                strip, get_bool(j, "lowercase", p, true));
  }
  if (type == "NFC") return std::make_unique<NormFormNormalizer>(uc::NormForm::NFC);
  if (type == "NFD") return std::make_unique<NormFormNormalizer>(uc::NormForm::NFD);
  if (type == "NFKC") return std::make_unique<NormFormNormalizer>(uc::NormForm::NFKC);
  if (type == "NFKD") return std::make_unique<NormFormNormalizer>(uc::NormForm::NFKD);
  if (type == "Lowercase") return std::make_unique<LowercaseNormalizer>();
  if (type == "StripAccents") return std::make_unique<StripAccentsNormalizer>();
  if (type == "Strip")
    return std::make_unique<StripNormalizer>(get_bool(j, "strip_left", p, true), get_bool(j, "strip_right", p, true));
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
  if (type == "Precompiled")
    model_error(p.at("type"), "the Precompiled normalizer is supported only with a Unigram model");
  model_error(p.at("type"), "unknown normalizer type '" + type + "'");
}

// ------------------------------------------------------------------------------------------------ pre-tokenizers
namespace {

enum class Behavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

Behavior parse_behavior(const json& j, const std::string& key, const JsonPlace& p, Behavior fallback) {
  std::string s = get_string(j, key, p, "");
  if (s.empty()) return fallback;
  if (s == "Removed") return Behavior::Removed;
  if (s == "Isolated") return Behavior::Isolated;
  if (s == "MergedWithPrevious") return Behavior::MergedWithPrevious;
  if (s == "MergedWithNext") return Behavior::MergedWithNext;
  if (s == "Contiguous") return Behavior::Contiguous;
  model_error(p.at(key), "unknown split behavior '" + s + "'");
}

struct Seg {
  std::size_t begin, end;
  bool match;
};

// Emits the pieces of `piece` given its segmentation into matches and non-matches, as HF's
// NormalizedString::split does for each SplitDelimiterBehavior.
void emit_segments(std::string_view piece, bool at_start, std::vector<Seg>& segs, Behavior behavior, Pieces& out) {
  auto add = [&](std::size_t b, std::size_t e) { out.add(piece.substr(b, e - b), at_start && b == 0); };
  switch (behavior) {
    case Behavior::Removed:
      for (auto& s : segs)
        if (!s.match) add(s.begin, s.end);
      break;
    case Behavior::Isolated:
      for (auto& s : segs) add(s.begin, s.end);
      break;
    case Behavior::Contiguous: {
      std::size_t i = 0;
      while (i < segs.size()) {
        std::size_t j = i + 1;
        if (segs[i].match)
          while (j < segs.size() && segs[j].match) ++j;
        add(segs[i].begin, segs[j - 1].end);
        i = j;
      }
      break;
    }
    case Behavior::MergedWithPrevious: {
      std::vector<std::pair<std::size_t, std::size_t>> acc;
      bool prev_match = false;
      for (auto& s : segs) {
        if (s.match && !prev_match && !acc.empty())
          acc.back().second = s.end;
        else
          acc.emplace_back(s.begin, s.end);
        prev_match = s.match;
      }
      for (auto& [b, e] : acc) add(b, e);
      break;
    }
    case Behavior::MergedWithNext: {
      std::vector<std::pair<std::size_t, std::size_t>> acc;
      bool next_match = false;
      for (std::size_t k = segs.size(); k-- > 0;) {
        auto& s = segs[k];
        if (s.match && !next_match && !acc.empty())
          acc.back().first = s.begin;
        else
          acc.emplace_back(s.begin, s.end);
        next_match = s.match;
      }
      for (std::size_t k = acc.size(); k-- > 0;) add(acc[k].first, acc[k].second);
      break;
    }
  }
}

// Segments a piece by a character predicate: every matching character is its own match segment.
template <class Pred>
void segment_by_char(std::string_view piece, Pred pred, std::vector<Seg>& segs) {
  segs.clear();
  std::size_t i = 0, run = 0;
  while (i < piece.size()) {
    std::size_t b = i;
    char32_t c = uc::next_cp(piece, i);
    if (pred(c)) {
      if (run < b) segs.push_back({run, b, false});
      segs.push_back({b, i, true});
      run = i;
    }
  }
  if (run < piece.size()) segs.push_back({run, piece.size(), false});
}

void invert(std::vector<Seg>& segs) {
  for (auto& s : segs) s.match = !s.match;
}

// GPT-2's byte-to-character table: printable Latin-1 bytes map to themselves, the others to U+0100 onwards.
std::array<std::string, 256> byte_to_char_table() {
  std::array<std::string, 256> table;
  int next = 256;
  for (int b = 0; b < 256; ++b) {
    bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    uc::append_utf8(table[b], static_cast<char32_t>(printable ? b : next++));
  }
  return table;
}

class ByteLevelPreTokenizer : public PreTokenizer {
 public:
  ByteLevelPreTokenizer(bool add_prefix_space, bool use_regex)
      : add_prefix_space_(add_prefix_space), use_regex_(use_regex), table_(byte_to_char_table()) {}

  void apply(const Pieces& in, Pieces& out) const override {
    out.clear();
    out.buf.reserve(in.buf.size() * 2 + 16);
    std::string scratch;
    for (const auto& span : in.spans) {
      std::string_view piece = in.view(span);
      if (add_prefix_space_ && piece[0] != ' ') {
        scratch.assign(1, ' ');
        scratch.append(piece.data(), piece.size());
        piece = scratch;
      }
      if (!use_regex_) {
        emit(piece, span.at_start, out);
        continue;
      }
      scan(piece, span.at_start, out);
    }
  }

 private:
  enum Class { kSpace, kLetter, kNumber, kOther };
  static Class classify(char32_t c) {
    if (uc::is_whitespace(c)) return kSpace;
    if (uc::is_letter(c)) return kLetter;
    if (uc::is_number(c)) return kNumber;
    return kOther;
  }

  void emit(std::string_view word, bool at_start, Pieces& out) const {
    auto b = static_cast<std::uint32_t>(out.buf.size());
    for (char ch : word) out.buf += table_[static_cast<unsigned char>(ch)];
    out.spans.push_back({b, static_cast<std::uint32_t>(out.buf.size()), at_start});
  }

  // The GPT-2 pattern 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ as a scanner:
  // alternatives are tried in order at each position, as the backtracking regex engine does.
  void scan(std::string_view s, bool at_start, Pieces& out) const {
    const std::size_t n = s.size();
    std::size_t i = 0;
    while (i < n) {
      const std::size_t start = i;
      if (s[i] == '\'' && i + 1 < n) {
        char a = s[i + 1];
        std::size_t len = 0;
        if (a == 's' || a == 't' || a == 'm' || a == 'd') {
          len = 2;
        } else if (i + 2 < n) {
          char b = s[i + 2];
          if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) len = 3;
        }
        if (len) {
          emit(s.substr(i, len), at_start && i == 0, out);
          i += len;
          continue;
        }
      }
      std::size_t j = i;
      char32_t c = uc::next_cp(s, j);
      Class cls = classify(c);
      std::size_t run_from = i;  // where the run of one class begins (after an optional leading space)
      if (c == ' ' && j < n) {
        std::size_t k = j;
        Class next = classify(uc::next_cp(s, k));
        if (next != kSpace) {
          cls = next;
          run_from = j;
        }
      }
      if (cls != kSpace) {
        std::size_t k = run_from;
        while (k < n) {
          std::size_t m = k;
          if (classify(uc::next_cp(s, m)) != cls) break;
          k = m;
        }
        emit(s.substr(start, k - start), at_start && start == 0, out);
        i = k;
        continue;
      }
      // Whitespace run [i, k); `last` is where its last character begins.
      std::size_t k = i, last = i, count = 0;
      while (k < n) {
        std::size_t m = k;
        if (!uc::is_whitespace(uc::next_cp(s, m))) break;
        last = k;
        k = m;
        ++count;
      }
      // \s+(?!\S) leaves the last whitespace character to the word that follows; \s+ takes a lone one.
      std::size_t end = (k == n || count == 1) ? k : last;
      emit(s.substr(start, end - start), at_start && start == 0, out);
      i = end;
    }
  }

  bool add_prefix_space_, use_regex_;
  std::array<std::string, 256> table_;
};

class BertPreTokenizer : public PreTokenizer {
 public:
  void apply(const Pieces& in, Pieces& out) const override {
    out.clear();
    for (const auto& span : in.spans) {
      std::string_view piece = in.view(span);
      std::size_t i = 0, word = 0;
      while (i < piece.size()) {
        std::size_t b = i;
        char32_t c = uc::next_cp(piece, i);
        if (uc::is_whitespace(c)) {
          out.add(piece.substr(word, b - word), span.at_start && word == 0);
          word = i;
        } else if (uc::is_punctuation(c)) {
          out.add(piece.substr(word, b - word), span.at_start && word == 0);
          out.add(piece.substr(b, i - b), span.at_start && b == 0);
          word = i;
        }
      }
      out.add(piece.substr(word), span.at_start && word == 0);
    }
  }
};

class WhitespaceSplitPreTokenizer : public PreTokenizer {
 public:
  void apply(const Pieces& in, Pieces& out) const override {
    out.clear();
    std::vector<Seg> segs;
    for (const auto& span : in.spans) {
      std::string_view piece = in.view(span);
      segment_by_char(piece, uc::is_whitespace, segs);
      emit_segments(piece, span.at_start, segs, Behavior::Removed, out);
    }
  }
};

// \w+|[^\w\s]+ : runs of word characters and runs of other non-space characters; whitespace dropped.
class WhitespacePreTokenizer : public PreTokenizer {
 public:
  void apply(const Pieces& in, Pieces& out) const override {
    out.clear();
    for (const auto& span : in.spans) {
      std::string_view piece = in.view(span);
      std::size_t i = 0;
      int run_kind = 0;  // 0 none, 1 word, 2 other
      std::size_t run_start = 0;
      while (i < piece.size()) {
        std::size_t b = i;
        char32_t c = uc::next_cp(piece, i);
        int kind = uc::is_word_char(c) ? 1 : uc::is_whitespace(c) ? 0 : 2;
        if (kind != run_kind) {
          if (run_kind) out.add(piece.substr(run_start, b - run_start), span.at_start && run_start == 0);
          run_kind = kind;
          run_start = b;
        }
      }
      if (run_kind) out.add(piece.substr(run_start), span.at_start && run_start == 0);
    }
  }
};

class MetaspacePreTokenizer : public PreTokenizer {
 public:
  MetaspacePreTokenizer(std::string replacement, int scheme, bool split)
      : rep_(std::move(replacement)), scheme_(scheme), split_(split) {
    std::size_t i = 0;
    rep_cp_ = rep_.empty() ? 0 : uc::next_cp(rep_, i);
  }
  void apply(const Pieces& in, Pieces& out) const override {
    out.clear();
    std::string s;
    std::vector<Seg> segs;
    for (const auto& span : in.spans) {
      std::string_view piece = in.view(span);
      s.clear();
      for (char ch : piece) {
        if (ch == ' ')
          s += rep_;
        else
          s.push_back(ch);
      }
      bool prepend = scheme_ == 0 || (scheme_ == 1 && span.at_start);
      if (prepend && s.compare(0, rep_.size(), rep_) != 0) s.insert(0, rep_);
      if (!split_) {
        out.add(s, span.at_start);
        continue;
      }
      segment_by_char(s, [&](char32_t c) { return c == rep_cp_; }, segs);
      emit_segments(s, span.at_start, segs, Behavior::MergedWithNext, out);
    }
  }

 private:
  std::string rep_;
  char32_t rep_cp_;
  int scheme_;  // 0 always, 1 first, 2 never
  bool split_;
};

template <class Pred>
class CharSplitPreTokenizer : public PreTokenizer {
 public:
  CharSplitPreTokenizer(Pred pred, Behavior b) : pred_(pred), behavior_(b) {}
  void apply(const Pieces& in, Pieces& out) const override {
    out.clear();
    std::vector<Seg> segs;
    for (const auto& span : in.spans) {
      std::string_view piece = in.view(span);
      segment_by_char(piece, pred_, segs);
      emit_segments(piece, span.at_start, segs, behavior_, out);
    }
  }

 private:
  Pred pred_;
  Behavior behavior_;
};
template <class Pred>
std::unique_ptr<PreTokenizer> char_split(Pred pred, Behavior b) {
  return std::make_unique<CharSplitPreTokenizer<Pred>>(pred, b);
}

class SplitPreTokenizer : public PreTokenizer {
 public:
  SplitPreTokenizer(Pattern p, Behavior b, bool inv) : pattern_(std::move(p)), behavior_(b), invert_(inv) {}
  void apply(const Pieces& in, Pieces& out) const override {
    out.clear();
    std::vector<std::pair<std::size_t, std::size_t>> m;
    std::vector<Seg> segs;
    for (const auto& span : in.spans) {
      std::string_view piece = in.view(span);
      find_matches(pattern_, piece, m);
      segs.clear();
      std::size_t last = 0;
      for (auto& [b, e] : m) {
        if (last < b) segs.push_back({last, b, false});
        segs.push_back({b, e, true});
        last = e;
      }
      if (last < piece.size()) segs.push_back({last, piece.size(), false});
      if (invert_) invert(segs);
      emit_segments(piece, span.at_start, segs, behavior_, out);
    }
  }

 private:
  Pattern pattern_;
  Behavior behavior_;
  bool invert_;
};

class SequencePreTokenizer : public PreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> items) : items_(std::move(items)) {}
  void apply(const Pieces& in, Pieces& out) const override {
    if (items_.empty()) {
      out = in;
      return;
    }
    Pieces tmp;
    const Pieces* src = &in;
    for (std::size_t k = 0; k < items_.size(); ++k) {
      // Alternate between the two buffers so that the last stage writes into `out`.
      bool to_out = ((items_.size() - 1 - k) % 2) == 0;
      Pieces& dst = to_out ? out : tmp;
      items_[k]->apply(*src, dst);
      src = &dst;
    }
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> items_;
};

}  // namespace

std::unique_ptr<PreTokenizer> make_byte_level_pre_tokenizer(bool add_prefix_space) {
  return std::make_unique<ByteLevelPreTokenizer>(add_prefix_space, true);
}
std::unique_ptr<PreTokenizer> make_bert_pre_tokenizer() { return std::make_unique<BertPreTokenizer>(); }

std::unique_ptr<PreTokenizer> make_pre_tokenizer(const json& j, const JsonPlace& p) {
  if (j.is_null()) return nullptr;
  const std::string type = type_of(j, p);
  if (type == "ByteLevel")
    return std::make_unique<ByteLevelPreTokenizer>(get_bool(j, "add_prefix_space", p, true),
                                                   get_bool(j, "use_regex", p, true));
  if (type == "BertPreTokenizer") return make_bert_pre_tokenizer();
  if (type == "Whitespace") return std::make_unique<WhitespacePreTokenizer>();
  if (type == "WhitespaceSplit") return std::make_unique<WhitespaceSplitPreTokenizer>();
  if (type == "Metaspace") {
    std::string rep = get_string(j, "replacement", p, "\xE2\x96\x81");
    if (rep.empty()) format_error(p.at("replacement"), "must not be empty");
    int scheme = 0;
    std::string s = get_string(j, "prepend_scheme", p, "");
    if (s.empty()) {
      scheme = get_bool(j, "add_prefix_space", p, true) ? 0 : 2;  // files older than prepend_scheme
    } else if (s == "always") {
      scheme = 0;
    } else if (s == "first") {
      scheme = 1;
    } else if (s == "never") {
      scheme = 2;
    } else {
      model_error(p.at("prepend_scheme"), "unknown value '" + s + "'");
    }
    return std::make_unique<MetaspacePreTokenizer>(rep, scheme, get_bool(j, "split", p, true));
  }
  if (type == "Split") {
    auto pat = parse_pattern(require(j, "pattern", p), p.at("pattern"));
    return std::make_unique<SplitPreTokenizer>(std::move(pat), parse_behavior(j, "behavior", p, Behavior::Removed),
                                               get_bool(j, "invert", p, false));
  }
  if (type == "Punctuation")
    return char_split(uc::is_punctuation, parse_behavior(j, "behavior", p, Behavior::Isolated));
  if (type == "Digits") {
    bool individual = get_bool(j, "individual_digits", p, false);
    return char_split(uc::is_number, individual ? Behavior::Isolated : Behavior::Contiguous);
  }
  if (type == "Sequence") {
    const json& list = require(j, "pretokenizers", p);
    if (!list.is_array()) format_error(p.at("pretokenizers"), "expected an array");
    std::vector<std::unique_ptr<PreTokenizer>> items;
    for (std::size_t i = 0; i < list.size(); ++i) {
      auto t = make_pre_tokenizer(list[i], p.at("pretokenizers").at(i));
      if (t) items.push_back(std::move(t));
    }
    return std::make_unique<SequencePreTokenizer>(std::move(items));
  }
  model_error(p.at("type"), "unknown pre-tokenizer type '" + type + "'");
}

}  // namespace radlite::tokenizers
