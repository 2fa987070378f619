#include "tokenizers/char_classes.h"

#include <utf8proc.h>

#include <algorithm>
#include <vector>

#include "tokenizers/unicode.h"

namespace radlite::tokenizers::char_classes {

namespace {

// The range holding c in a sorted table of disjoint ranges, or nullptr.
template <class R>
const R* find(const R* table, std::size_t n, char32_t c) {
  const R* end = table + n;
  const R* it = std::upper_bound(table, end, c, [](char32_t v, const R& r) { return v < r.first; });
  if (it == table) return nullptr;
  --it;
  return c <= it->last ? it : nullptr;
}

bool in(const Range* table, std::size_t n, char32_t c) { return find(table, n, c) != nullptr; }

}  // namespace

bool is_other(char32_t c) { return in(data::kOther, data::kOtherSize, c); }

bool is_punctuation(char32_t c) { return in(data::kPunctuation, data::kPunctuationSize, c); }

bool is_mark_nonspacing(char32_t c) { return c >= 0x300 && in(data::kMarkNonspacing, data::kMarkNonspacingSize, c); }

bool is_combining_mark(char32_t c) { return c >= 0x300 && in(data::kCombiningMark, data::kCombiningMarkSize, c); }

int combining_class(char32_t c) {
  if (c < 0x300) return 0;
  const ValuedRange* r = find(data::kCombiningClass, data::kCombiningClassSize, c);
  return r ? r->value : 0;
}

bool is_word(char32_t c) { return in(data::kWord, data::kWordSize, c); }

bool is_numeric(char32_t c) { return in(data::kNumeric, data::kNumericSize, c); }

void append_lowercase(std::string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
    return;
  }
  if (c == 0x130) {  // the one multi-character lowercase mapping (SpecialCasing.txt): i + combining dot above
    out.append("i\xCC\x87");
    return;
  }
  const CaseRun* r = find(data::kLowercase, data::kLowercaseSize, c);
  if (r && (c - r->first) % static_cast<char32_t>(r->stride) == 0)
    c = static_cast<char32_t>(static_cast<long>(c) + r->delta);
  unicode::append_utf8(out, c);
}

std::string nfd(std::string_view s) {
  // Canonical decomposition, then canonical ordering: each run of non-starters (combining class > 0) is sorted
  // stably by class, as the crate's Decompositions iterator does.
  std::string out;
  out.reserve(s.size() + s.size() / 2);
  struct Pending {
    char32_t c;
    int ccc;
  };
  std::vector<Pending> run;
  auto flush = [&] {
    std::stable_sort(run.begin(), run.end(), [](const Pending& a, const Pending& b) { return a.ccc < b.ccc; });
    for (const Pending& p : run) unicode::append_utf8(out, p.c);
    run.clear();
  };
  auto emit = [&](char32_t c) {
    int ccc = combining_class(c);
    if (ccc == 0) {
      flush();
      unicode::append_utf8(out, c);
    } else {
      run.push_back({c, ccc});
    }
  };
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80 && run.empty()) {  // ASCII neither decomposes nor reorders
      out.push_back(static_cast<char>(b));
      ++i;
      continue;
    }
    char32_t c = unicode::next_cp(s, i);
    if (c < 0xC0 || !in(data::kCanonicalDecomposable, data::kCanonicalDecomposableSize, c)) {
      emit(c);
      continue;
    }
    // Decomposable under 9.0.0: the full decomposition is the same in every later version (Unicode's
    // normalization stability), so utf8proc's copy is used whatever its version.
    utf8proc_int32_t buf[8];
    int last_boundclass = 0;
    utf8proc_ssize_t n =
        utf8proc_decompose_char(static_cast<utf8proc_int32_t>(c), buf, 8, UTF8PROC_DECOMPOSE, &last_boundclass);
    if (n <= 0 || n > 8) {
      emit(c);
      continue;
    }
    for (utf8proc_ssize_t k = 0; k < n; ++k) emit(static_cast<char32_t>(buf[k]));
  }
  flush();
  return out;
}

}  // namespace radlite::tokenizers::char_classes
