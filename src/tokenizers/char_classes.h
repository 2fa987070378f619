// Character classes exactly as Hugging Face tokenizers 0.23.2 decides them (internal).
//
// HF does not classify with one Unicode version. Each predicate comes from the table of the crate it calls, frozen
// at that crate's release:
//
//   predicate (HF call site)                         crate, table                               Unicode
//   BertNormalizer clean_text: is_control           unicode_categories 0.1.1 is_other            8.0.0
//     = Cc + Cf + Co (its lib.rs matches the private-use ranges); not Cn: characters assigned after 8.0.0
//       and unassigned ones are kept (and become [UNK])
//   BertNormalizer clean_text: is_whitespace        Rust std char::is_whitespace (White_Space)    stable
//   BertPreTokenizer / Punctuation: is_bert_punc    is_ascii_punctuation || unicode_categories
//                                                   0.1.1 is_punctuation (P*)                    8.0.0
//   BertNormalizer strip_accents: NFD then drop     unicode-normalization-alignments 0.1.12 NFD   9.0.0
//     is_mark_nonspacing                            unicode_categories 0.1.1 (Mn)                8.0.0
//   StripAccents: drop is_combining_mark            unicode-normalization-alignments 0.1.12 (M*)  9.0.0
//   NFD normalizer                                  unicode-normalization-alignments 0.1.12       9.0.0
//   BertNormalizer lowercase, Lowercase             Rust std char::to_lowercase (rustc 1.98)      17.0.0
//   Whitespace pre-tokenizer: regex \w+|[^\w\s]+    regex-syntax 0.8.11 PERL_WORD                 16.0.0
//   Digits pre-tokenizer                            Rust std char::is_numeric (N*)                17.0.0
//   BertNormalizer handle_chinese_chars             fixed ranges in normalizers/bert.rs (with HF's
//                                                   0x2B920 where Google's BERT has 0x2B820)
//
// The tables (char_classes_data.cpp) are generated from those crates' own sources by
// tests/tokenizers/reference_tools/make_char_classes.py, so they do not depend on the installed utf8proc's
// Unicode version. utf8proc is used only for the decomposition strings of code points the 9.0 table says are
// decomposable (canonical decompositions never change once assigned). tests/tokenizers/codepoints_test.cpp checks
// every scalar value against HF's output.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace radlite::tokenizers::char_classes {

struct Range {
  char32_t first, last;
};
struct ValuedRange {
  char32_t first, last;
  int value;
};
/// Every stride-th code point from first to last lowercases to itself + delta.
struct CaseRun {
  char32_t first, last;
  int stride, delta;
};

/// unicode_categories 0.1.1 is_other (see above): what BertNormalizer's clean_text drops, besides \0 and U+FFFD.
bool is_other(char32_t c);
/// unicode_categories 0.1.1 is_punctuation (P* of Unicode 8.0.0); ASCII symbols are the caller's business.
bool is_punctuation(char32_t c);
/// unicode_categories 0.1.1 is_mark_nonspacing (Mn of Unicode 8.0.0).
bool is_mark_nonspacing(char32_t c);
/// unicode-normalization-alignments 0.1.12 is_combining_mark (General_Category=Mark of Unicode 9.0.0).
bool is_combining_mark(char32_t c);
/// Canonical combining class under Unicode 9.0.0 (0 for everything assigned later).
int combining_class(char32_t c);
/// regex-syntax 0.8.11's \w (Unicode 16.0.0).
bool is_word(char32_t c);
/// Rust's char::is_numeric (Nd, Nl, No of Unicode 17.0.0).
bool is_numeric(char32_t c);
/// Appends Rust's char::to_lowercase(c) (Unicode 17.0.0).
void append_lowercase(std::string& out, char32_t c);
/// NFD of valid UTF-8 as unicode-normalization-alignments 0.1.12 computes it (Unicode 9.0.0: code points assigned
/// later neither decompose nor reorder).
std::string nfd(std::string_view s);

namespace data {
extern const Range kOther[];
extern const std::size_t kOtherSize;
extern const Range kPunctuation[];
extern const std::size_t kPunctuationSize;
extern const Range kMarkNonspacing[];
extern const std::size_t kMarkNonspacingSize;
extern const Range kCombiningMark[];
extern const std::size_t kCombiningMarkSize;
extern const Range kCanonicalDecomposable[];
extern const std::size_t kCanonicalDecomposableSize;
extern const ValuedRange kCombiningClass[];
extern const std::size_t kCombiningClassSize;
extern const Range kWord[];
extern const std::size_t kWordSize;
extern const Range kNumeric[];
extern const std::size_t kNumericSize;
extern const CaseRun kLowercase[];
extern const std::size_t kLowercaseSize;
}  // namespace data

}  // namespace radlite::tokenizers::char_classes
