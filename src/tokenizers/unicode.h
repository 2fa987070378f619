// Unicode helpers for the tokenizers (internal): UTF-8 decoding (over io/utf8.h), character
// classes with the exact definitions the Hugging Face components use (Rust's char methods, BERT's helpers),
// normalization forms and lowercasing. UTF-8 decoding, categories and normalization come from utf8proc.
// All functions are pure; safe to call concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "io/utf8.h"

namespace radlite::tokenizers::unicode {

// UTF-8 validation, encoding and repair are radlite's one implementation (io/utf8.h), named here too because
// the tokenizers use them everywhere.
using io::append_utf8;
using io::is_valid_utf8;
using io::repair_utf8;

/// Decodes the code point at s[i] (s must be valid UTF-8) and advances i past it. ASCII inline; the rest through
/// io::decode_utf8.
char32_t next_cp_multibyte(std::string_view s, std::size_t& i);
inline char32_t next_cp(std::string_view s, std::size_t& i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  return next_cp_multibyte(s, i);
}

/// Number of bytes of the UTF-8 sequence that starts with byte b (valid UTF-8 assumed).
inline std::size_t cp_len(unsigned char b) { return b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4; }

/// Rust char::is_whitespace (the Unicode White_Space property). utf8proc has no White_Space property; the set is
/// small and fixed by the standard, so it is spelled out in the .cpp.
bool is_whitespace(char32_t c);
/// BERT's whitespace: \t \n \r or White_Space.
inline bool is_bert_whitespace(char32_t c) { return is_whitespace(c); }
/// BERT's control (removed by clean_text): HF's is_other (Cc, Cf, Co of Unicode 8.0.0, see char_classes.h) except
/// \t \n \r.
bool is_bert_control(char32_t c);
/// BERT/HF punctuation: ASCII punctuation or general category P* of Unicode 8.0.0 (HF's unicode_categories).
bool is_punctuation(char32_t c);
bool is_letter(char32_t c);           // L*
bool is_number(char32_t c);           // N* (Rust char::is_numeric)
bool is_mark(char32_t c);             // M* of Unicode 9.0.0 (HF StripAccents' is_combining_mark)
bool is_mark_nonspacing(char32_t c);  // Mn of Unicode 8.0.0 (HF BertNormalizer's strip_accents)
/// Regex \w (Unicode): Alphabetic, marks, decimal digits, connector punctuation, join controls; the table of
/// HF's regex crate (regex-syntax 0.8.11, Unicode 16.0.0).
bool is_word_char(char32_t c);
/// Rust's char::is_numeric (N* of Unicode 17.0.0): what HF's Digits pre-tokenizer splits on.
bool is_numeric(char32_t c);
/// The CJK ideograph blocks BERT surrounds with spaces.
bool is_chinese_char(char32_t c);

enum class NormForm { NFC, NFD, NFKC, NFKD };
/// Unicode normalization of valid UTF-8. NFD follows HF (Unicode 9.0.0 tables, char_classes.h); the other
/// forms are utf8proc's.
std::string normalize(std::string_view s, NormForm form);
/// Full lowercase mapping char by char (Rust's char::to_lowercase of Unicode 17.0.0; no context-dependent rules).
std::string lowercase(std::string_view s);

}  // namespace radlite::tokenizers::unicode
