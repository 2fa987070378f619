#include "tokenizers/unicode.h"

#include <utf8proc.h>

#include <cstdlib>
#include <memory>

#include "io/utf8.h"
#include "radlite/error.h"
#include "tokenizers/char_classes.h"

namespace radlite::tokenizers::unicode {

namespace {

int category(char32_t c) { return utf8proc_category(static_cast<utf8proc_int32_t>(c)); }

}  // namespace

char32_t next_cp_multibyte(std::string_view s, std::size_t& i) {
  char32_t cp = 0;
  const std::size_t n = io::decode_utf8(s, i, cp);
  if (n == 0) {  // not reachable with valid input; step one byte so callers always advance
    ++i;
    return 0xFFFD;
  }
  i += n;
  return cp;
}

bool is_whitespace(char32_t c) {
  // The White_Space property (Unicode PropList.txt); Rust's char::is_whitespace and regex \s use it.
  if (c <= 0x20) return c == 0x20 || (c >= 0x09 && c <= 0x0D);
  if (c < 0x85) return false;
  return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
         c == 0x202F || c == 0x205F || c == 0x3000;
}

bool is_bert_control(char32_t c) {
  if (c == '\t' || c == '\n' || c == '\r') return false;
  // HF's is_other from unicode_categories 0.1.1 (Unicode 8.0.0 tables; see char_classes.h): Cc, Cf, Co.
  // Format characters assigned later (U+0890...) and unassigned code points are kept and become [UNK].
  return char_classes::is_other(c);
}

bool is_punctuation(char32_t c) {
  if (c < 0x80) return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
  return char_classes::is_punctuation(c);  // P* of Unicode 8.0.0, as HF's unicode_categories 0.1.1
}

bool is_letter(char32_t c) {
  if (c < 0x80) return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
  int cat = category(c);
  return cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO;
}

bool is_number(char32_t c) {
  if (c < 0x80) return c >= '0' && c <= '9';
  int cat = category(c);
  return cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO;
}

bool is_mark(char32_t c) { return char_classes::is_combining_mark(c); }

bool is_mark_nonspacing(char32_t c) { return char_classes::is_mark_nonspacing(c); }

bool is_word_char(char32_t c) {
  if (c < 0x80) return is_letter(c) || (c >= '0' && c <= '9') || c == '_';
  return char_classes::is_word(c);  // the \w table of HF's regex crate (Unicode 16.0.0)
}

bool is_numeric(char32_t c) {
  if (c < 0x80) return c >= '0' && c <= '9';
  return char_classes::is_numeric(c);
}

bool is_chinese_char(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

std::string normalize(std::string_view s, NormForm form) {
  bool ascii = true;
  for (char ch : s)
    if (static_cast<unsigned char>(ch) >= 0x80) {
      ascii = false;
      break;
    }
  if (ascii) return std::string(s);                        // every normalization form leaves ASCII unchanged
  if (form == NormForm::NFD) return char_classes::nfd(s);  // HF's NFD has Unicode 9.0.0 tables
  int options = UTF8PROC_STABLE;
  switch (form) {
    case NormForm::NFC:
      options |= UTF8PROC_COMPOSE;
      break;
    case NormForm::NFD:
      options |= UTF8PROC_DECOMPOSE;
      break;
    case NormForm::NFKC:
      options |= UTF8PROC_COMPOSE | UTF8PROC_COMPAT;
      break;
    case NormForm::NFKD:
      options |= UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT;
      break;
  }
  utf8proc_uint8_t* out = nullptr;
  utf8proc_ssize_t n =
      utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(s.data()), static_cast<utf8proc_ssize_t>(s.size()), &out,
                   static_cast<utf8proc_option_t>(options));
  if (n < 0) {
    std::free(out);
    throw InvalidArgument(std::string("unicode normalization failed: ") + utf8proc_errmsg(n));
  }
  std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> holder(out, &std::free);
  return std::string(reinterpret_cast<const char*>(out), static_cast<std::size_t>(n));
}

std::string lowercase(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      out.push_back(static_cast<char>(b >= 'A' && b <= 'Z' ? b + 32 : b));
      ++i;
      continue;
    }
    char_classes::append_lowercase(out, next_cp(s, i));  // Rust's char::to_lowercase (Unicode 17.0.0)
  }
  return out;
}

}  // namespace radlite::tokenizers::unicode
