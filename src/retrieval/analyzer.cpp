// Word splitting after UAX #29 (the subset that matters for Latin-script text, as Lucene's
// StandardTokenizer applies it), then lowercasing, possessive removal, stopwords and stemming.
#include <radlite/error.h>
#include <radlite/retrieval/analyzer.h>

#include <libstemmer.h>
#include <utf8proc.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>

#include "io/utf8.h"

namespace radlite {
namespace {

// Lucene's ENGLISH_STOP_WORDS_SET (EnglishAnalyzer, StopAnalyzer), sorted for binary search.
constexpr std::array<const char*, 33> kEnglishStopwords = {
    "a",   "an",    "and",  "are",   "as",    "at",   "be",   "but", "by",  "for",  "if",
    "in",  "into",  "is",   "it",    "no",    "not",  "of",   "on",  "or",  "such", "that",
    "the", "their", "then", "there", "these", "they", "this", "to",  "was", "will", "with"};

// Word-break classes; a small closed set so the hot loop is a table lookup for ASCII.
enum class CharClass : std::uint8_t {
  kOther,      // separates words
  kLetter,     // UAX #29 ALetter (letters, letter numbers, other numbers)
  kDigit,      // Numeric (Nd)
  kExtend,     // marks and format characters: continue whatever precedes them
  kConnector,  // ExtendNumLet ('_'): joins letters and digits on either side
  kMidLetter,  // joins two letters
  kMidNumLet,  // joins two letters or two digits
  kMidNum,     // joins two digits
  kIdeograph,  // a token on its own
};

constexpr std::array<CharClass, 128> make_ascii_table() {
  std::array<CharClass, 128> t{};
  for (int c = 0; c < 128; ++c) t[c] = CharClass::kOther;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = CharClass::kLetter;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = CharClass::kLetter;
  for (int c = '0'; c <= '9'; ++c) t[c] = CharClass::kDigit;
  t['_'] = CharClass::kConnector;
  t[':'] = CharClass::kMidLetter;
  t['.'] = CharClass::kMidNumLet;
  t['\''] = CharClass::kMidNumLet;
  t[','] = CharClass::kMidNum;
  t[';'] = CharClass::kMidNum;
  return t;
}
constexpr std::array<CharClass, 128> kAsciiClass = make_ascii_table();

constexpr std::array<bool, 128> make_ascii_word() {
  std::array<bool, 128> t{};
  for (int c = 0; c < 128; ++c) {
    t[c] = kAsciiClass[c] == CharClass::kLetter || kAsciiClass[c] == CharClass::kDigit ||
           kAsciiClass[c] == CharClass::kConnector;
  }
  return t;
}
constexpr std::array<bool, 128> kAsciiWord = make_ascii_word();

constexpr std::array<char, 128> make_ascii_lower() {
  std::array<char, 128> t{};
  for (int c = 0; c < 128; ++c) t[c] = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  return t;
}
constexpr std::array<char, 128> kAsciiLower = make_ascii_lower();

bool is_ideograph(std::int32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2FFFF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x3040 && cp <= 0x309F) || (cp >= 0x3005 && cp <= 0x3007);
}

CharClass classify(std::int32_t cp) {
  if (cp < 128) return kAsciiClass[static_cast<std::size_t>(cp)];
  switch (cp) {  // UAX #29 MidLetter / MidNumLet / MidNum outside ASCII
    case 0x00B7:
    case 0x0387:
    case 0x05F4:
    case 0x2027:
    case 0xFE13:
    case 0xFE55:
    case 0xFF1A:
      return CharClass::kMidLetter;
    case 0x2018:
    case 0x2019:
    case 0x2024:
    case 0xFE52:
    case 0xFF07:
    case 0xFF0E:
      return CharClass::kMidNumLet;
    case 0x037E:
    case 0x0589:
    case 0x060C:
    case 0x060D:
    case 0x066C:
    case 0x07F8:
    case 0x2044:
    case 0xFE10:
    case 0xFE14:
    case 0xFE50:
    case 0xFE54:
    case 0xFF0C:
    case 0xFF1B:
      return CharClass::kMidNum;
    default:
      break;
  }
  if (is_ideograph(cp)) return CharClass::kIdeograph;
  switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
      return CharClass::kLetter;
    case UTF8PROC_CATEGORY_ND:
      return CharClass::kDigit;
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_CF:
      return CharClass::kExtend;
    case UTF8PROC_CATEGORY_PC:
      return CharClass::kConnector;
    default:
      return CharClass::kOther;
  }
}

bool joins(CharClass mid, CharClass before, CharClass after) {
  switch (mid) {
    case CharClass::kMidLetter:
      return before == CharClass::kLetter && after == CharClass::kLetter;
    case CharClass::kMidNumLet:
      return (before == CharClass::kLetter && after == CharClass::kLetter) ||
             (before == CharClass::kDigit && after == CharClass::kDigit);
    case CharClass::kMidNum:
      return before == CharClass::kDigit && after == CharClass::kDigit;
    default:
      return false;
  }
}

bool is_word_class(CharClass c) {
  return c == CharClass::kLetter || c == CharClass::kDigit || c == CharClass::kConnector;
}

struct Decoded {
  std::int32_t cp;
  int bytes;
};

// Decodes the code point at `pos`, with an ASCII fast path; throws on invalid UTF-8.
[[noreturn]] void throw_invalid_utf8(std::size_t pos, unsigned char c) {
  const char* hex = "0123456789abcdef";
  throw InvalidArgument("analyzer: invalid UTF-8 at byte " + std::to_string(pos) + " (byte 0x" +
                        std::string{hex[c >> 4], hex[c & 15]} + ")");
}

inline Decoded decode(std::string_view text, std::size_t pos) {
  const auto c = static_cast<unsigned char>(text[pos]);
  if (c < 0x80) return {c, 1};
  char32_t cp = 0;
  const std::size_t n = io::decode_utf8(text, pos, cp);
  if (n == 0) throw_invalid_utf8(pos, c);
  return {static_cast<std::int32_t>(cp), static_cast<int>(n)};
}

inline void append_code_point(std::string& out, std::int32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
    return;
  }
  io::append_utf8(out, static_cast<char32_t>(cp));
}

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

struct Analyzer::Impl {
  std::vector<std::string> stopwords;  // sorted, unique
  std::string stemmer_algorithm;       // libstemmer name, empty for none
};

Analyzer::Analyzer(AnalyzerOptions options) : options_(std::move(options)) {
  auto impl = std::make_shared<Impl>();
  if (options_.stopwords == "english") {
    for (const char* w : kEnglishStopwords) impl->stopwords.emplace_back(w);
  } else if (options_.stopwords != "none" && !options_.stopwords.empty()) {
    throw InvalidArgument("analyzer: unknown stopwords list '" + options_.stopwords +
                          "' (expected \"none\" or \"english\")");
  }
  for (const auto& w : options_.extra_stopwords) impl->stopwords.push_back(w);
  std::sort(impl->stopwords.begin(), impl->stopwords.end());
  impl->stopwords.erase(std::unique(impl->stopwords.begin(), impl->stopwords.end()), impl->stopwords.end());

  if (options_.stemmer == "porter" || options_.stemmer == "english") {
    impl->stemmer_algorithm = options_.stemmer;
    // Fail at construction, not at the first analyze(), when libstemmer lacks the algorithm.
    sb_stemmer* probe = sb_stemmer_new(impl->stemmer_algorithm.c_str(), "UTF_8");
    if (probe == nullptr) throw InvalidArgument("analyzer: libstemmer has no '" + options_.stemmer + "' stemmer");
    sb_stemmer_delete(probe);
  } else if (options_.stemmer != "none" && !options_.stemmer.empty()) {
    throw InvalidArgument("analyzer: unknown stemmer '" + options_.stemmer +
                          "' (expected \"none\", \"porter\" or \"english\")");
  }
  if (options_.max_token_length == 0) throw InvalidArgument("analyzer: max_token_length must be >= 1");
  impl_ = std::move(impl);
}

Analyzer::~Analyzer() = default;
Analyzer::Analyzer(const Analyzer&) = default;
Analyzer& Analyzer::operator=(const Analyzer&) = default;
Analyzer::Analyzer(Analyzer&&) noexcept = default;
Analyzer& Analyzer::operator=(Analyzer&&) noexcept = default;

bool Analyzer::is_stopword(std::string_view term) const {
  const auto& s = impl_->stopwords;
  if (s.empty()) return false;
  auto it = std::lower_bound(s.begin(), s.end(), term,
                             [](const std::string& a, std::string_view b) { return std::string_view(a) < b; });
  return it != s.end() && std::string_view(*it) == term;
}

std::vector<std::string> Analyzer::analyze(std::string_view text) const {
  AnalyzerSession session(*this);
  std::vector<std::string> terms;
  session.analyze(text, terms);
  return terms;
}

struct AnalyzerSession::State {
  Analyzer analyzer;
  sb_stemmer* stemmer = nullptr;
  bool has_stopwords = false;
  std::vector<std::string>* out = nullptr;
  std::size_t count = 0;       // terms emitted so far
  std::string* cur = nullptr;  // the token being built, in place in (*out)[count]

  explicit State(const Analyzer& a) : analyzer(a), has_stopwords(!a.impl_->stopwords.empty()) {
    if (!a.impl_->stemmer_algorithm.empty()) {
      stemmer = sb_stemmer_new(a.impl_->stemmer_algorithm.c_str(), "UTF_8");
      if (stemmer == nullptr) throw Error("analyzer: cannot create the '" + a.impl_->stemmer_algorithm + "' stemmer");
    }
  }
  ~State() {
    if (stemmer != nullptr) sb_stemmer_delete(stemmer);
  }
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  std::string& begin_token() {
    if (count == out->size()) out->emplace_back();
    cur = &(*out)[count];
    cur->clear();
    return *cur;
  }

  // Runs the token filters on the finished token in place; keeps it unless a filter drops it.
  void emit() {
    std::string& token = *cur;
    cur = nullptr;
    const AnalyzerOptions& o = analyzer.options();
    if (o.english_possessive) {
      if (ends_with(token, "'s") || ends_with(token, "'S")) {
        token.resize(token.size() - 2);
      } else if (ends_with(token, "\xE2\x80\x99s") || ends_with(token, "\xE2\x80\x99S")) {
        token.resize(token.size() - 4);
      }
      if (token.empty()) return;
    }
    if (has_stopwords && analyzer.is_stopword(token)) return;
    if (stemmer != nullptr) {
      const sb_symbol* s =
          sb_stemmer_stem(stemmer, reinterpret_cast<const sb_symbol*>(token.data()), static_cast<int>(token.size()));
      if (s == nullptr) throw Error("analyzer: libstemmer ran out of memory");
      token.assign(reinterpret_cast<const char*>(s), static_cast<std::size_t>(sb_stemmer_length(stemmer)));
    }
    ++count;
  }
};

AnalyzerSession::AnalyzerSession(const Analyzer& analyzer) : state_(std::make_unique<State>(analyzer)) {}
AnalyzerSession::~AnalyzerSession() = default;
AnalyzerSession::AnalyzerSession(AnalyzerSession&&) noexcept = default;
AnalyzerSession& AnalyzerSession::operator=(AnalyzerSession&&) noexcept = default;

void AnalyzerSession::analyze(std::string_view text, std::vector<std::string>& terms) {
  State& st = *state_;
  const AnalyzerOptions& o = st.analyzer.options();
  const bool lower = o.lowercase;
  const std::size_t max_len = o.max_token_length;
  st.out = &terms;
  st.count = 0;
  st.cur = nullptr;

  CharClass last = CharClass::kOther;  // class of the last letter/digit of the current token
  bool has_alnum = false;              // a token of only '_' is not emitted (as in Lucene)
  std::size_t length = 0;              // code points in the current token

  auto finish = [&] {
    if (st.cur != nullptr) {
      if (has_alnum) {
        st.emit();
      } else {
        st.cur = nullptr;
      }
    }
    last = CharClass::kOther;
    has_alnum = false;
    length = 0;
  };
  auto push = [&](std::int32_t cp) {
    std::string& token = st.cur != nullptr ? *st.cur : st.begin_token();
    if (lower) {
      if (cp < 0x80) {
        token.push_back(kAsciiLower[static_cast<std::size_t>(cp)]);
        return;
      }
      cp = utf8proc_tolower(cp);
    }
    append_code_point(token, cp);
  };

  std::size_t pos = 0;
  const std::size_t n = text.size();
  const char* const bytes = text.data();
  while (pos < n) {
    const auto b = static_cast<unsigned char>(bytes[pos]);
    if (b < 0x80 && kAsciiWord[b]) {
      // Fast path: a run of ASCII letters, digits and '_' (the bulk of English text).
      if (length >= max_len) finish();
      const std::size_t room = max_len - length;
      std::size_t end = pos;
      CharClass run_last = last;
      bool run_alnum = false;
      while (end < n && end - pos < room) {
        const auto x = static_cast<unsigned char>(bytes[end]);
        if (x >= 0x80 || !kAsciiWord[x]) break;
        const CharClass c = kAsciiClass[x];
        if (c != CharClass::kConnector) {
          run_last = c;
          run_alnum = true;
        }
        ++end;
      }
      std::string& token = st.cur != nullptr ? *st.cur : st.begin_token();
      const std::size_t old = token.size();
      token.append(bytes + pos, end - pos);
      if (lower) {
        for (std::size_t i = old; i < token.size(); ++i) token[i] = kAsciiLower[static_cast<unsigned char>(token[i])];
      }
      length += end - pos;
      last = run_last;
      has_alnum = has_alnum || run_alnum;
      pos = end;
      continue;
    }
    if (b < 0x80 && kAsciiClass[b] == CharClass::kOther) {  // spaces and plain punctuation
      finish();
      ++pos;
      continue;
    }
    const Decoded d = decode(text, pos);
    const CharClass c = classify(d.cp);
    if (is_word_class(c)) {
      if (length >= max_len) finish();
      push(d.cp);
      ++length;
      if (c != CharClass::kConnector) {
        has_alnum = true;
        last = c;
      }
      pos += static_cast<std::size_t>(d.bytes);
      continue;
    }
    if (c == CharClass::kExtend) {
      // Marks and format characters stay inside a word; on their own they are dropped.
      if (length > 0 && length < max_len) {
        push(d.cp);
        ++length;
      }
      pos += static_cast<std::size_t>(d.bytes);
      continue;
    }
    if ((c == CharClass::kMidLetter || c == CharClass::kMidNumLet || c == CharClass::kMidNum) && length > 0 &&
        pos + static_cast<std::size_t>(d.bytes) < n) {
      const Decoded next = decode(text, pos + static_cast<std::size_t>(d.bytes));
      if (joins(c, last, classify(next.cp)) && length + 1 < max_len) {
        push(d.cp);
        ++length;
        pos += static_cast<std::size_t>(d.bytes);
        continue;
      }
    }
    finish();
    if (c == CharClass::kIdeograph) {
      push(d.cp);
      has_alnum = true;
      length = 1;
      finish();
    }
    pos += static_cast<std::size_t>(d.bytes);
  }
  finish();
  terms.resize(st.count);
  st.out = nullptr;
}

}  // namespace radlite
