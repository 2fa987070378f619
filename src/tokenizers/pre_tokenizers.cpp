// Pre-tokenizers of the Hugging Face pipeline (ByteLevel with the GPT-2 pattern scanner, BertPreTokenizer,
// Whitespace, WhitespaceSplit, Metaspace, Split, Punctuation, Digits, Sequence).
#include "radlite/error.h"
#include "tokenizers/pipeline.h"
#include "tokenizers/unicode.h"

namespace radlite::tokenizers {

using nlohmann::json;
namespace uc = unicode;

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

const char* const kGpt2Pattern = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

class ByteLevelPreTokenizer : public PreTokenizer {
 public:
  ByteLevelPreTokenizer(bool add_prefix_space, bool use_regex, bool map_bytes = true)
      : add_prefix_space_(add_prefix_space),
        use_regex_(use_regex),
        map_bytes_(map_bytes),
        table_(byte_to_char_table()) {}

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
    if (map_bytes_)
      for (char ch : word) out.buf += table_[static_cast<unsigned char>(ch)];
    else
      out.buf.append(word.data(), word.size());
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

  bool add_prefix_space_, use_regex_, map_bytes_;
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
      segment_by_char(
          s, [&](char32_t c) { return c == rep_cp_; }, segs);
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
    Matches m;
    std::vector<Seg> segs;
    for (const auto& span : in.spans) {
      std::string_view piece = in.view(span);
      // Empty matches stay in as (empty) match segments: like HF, they only affect the merging behaviours.
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
    // Files that spell the GPT-2 pattern as a Split (with a ByteLevel use_regex=false after it) get the
    // hand-written scanner, which gives the same pieces as Oniguruma several times faster. Every character
    // belongs to some match of this pattern, so Isolated (the behaviour such files use) emits exactly the matches.
    const json& pj = require(j, "pattern", p);
    if (pj.is_object() && pj.contains("Regex") && pj["Regex"] == kGpt2Pattern &&
        parse_behavior(j, "behavior", p, Behavior::Removed) == Behavior::Isolated && !get_bool(j, "invert", p, false))
      return std::make_unique<ByteLevelPreTokenizer>(false, true, false);
    auto pat = parse_pattern(require(j, "pattern", p), p.at("pattern"));
    return std::make_unique<SplitPreTokenizer>(std::move(pat), parse_behavior(j, "behavior", p, Behavior::Removed),
                                               get_bool(j, "invert", p, false));
  }
  if (type == "Punctuation")
    return char_split(uc::is_punctuation, parse_behavior(j, "behavior", p, Behavior::Isolated));
  if (type == "Digits") {
    bool individual = get_bool(j, "individual_digits", p, false);
    return char_split(uc::is_numeric, individual ? Behavior::Isolated : Behavior::Contiguous);
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
