// The Unicode helpers against facts of the standard (and of the HF definitions they mirror).
#include <gtest/gtest.h>

#include "tokenizers/pipeline.h"
#include "tokenizers/unicode.h"

using namespace radlite::tokenizers;

TEST(Unicode, RepairUtf8LikePythonReplace) {
  EXPECT_TRUE(unicode::is_valid_utf8("plain ascii and é 漢 😀"));
  EXPECT_FALSE(unicode::is_valid_utf8("\xC0\xAF"));          // overlong
  EXPECT_FALSE(unicode::is_valid_utf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(unicode::is_valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(unicode::is_valid_utf8("\xE2\x82"));          // truncated
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(unicode::repair_utf8("a\xE2\x82"
                                 "b"),
            "a" + r + "b");  // maximal subpart: one replacement
  EXPECT_EQ(unicode::repair_utf8("\xED\xA0\x80"), r + r + r);
  EXPECT_EQ(unicode::repair_utf8("\xF0\x9F\x98"), r);
  EXPECT_EQ(unicode::repair_utf8("ok é"), "ok é");
}

TEST(Unicode, CharacterClasses) {
  for (char32_t c : {U' ', U'\t', U'\n', U'\r', U'\v', U'\f', U'\u0085', U'\u00A0', U'\u2003', U'\u3000', U'\u2028'})
    EXPECT_TRUE(unicode::is_whitespace(c)) << static_cast<unsigned>(c);
  for (char32_t c : {U'a', U'\u200B', U'\u180E', U'\uFEFF', U'_'}) EXPECT_FALSE(unicode::is_whitespace(c));
  EXPECT_TRUE(unicode::is_bert_control(U'\u200B'));  // Cf
  EXPECT_TRUE(unicode::is_bert_control(U'\x01'));
  EXPECT_FALSE(unicode::is_bert_control(U'\n'));
  EXPECT_TRUE(unicode::is_punctuation(U'$'));        // ASCII symbol counted as punctuation by BERT
  EXPECT_TRUE(unicode::is_punctuation(U'\u00BF'));   // ¿ Po
  EXPECT_FALSE(unicode::is_punctuation(U'\u00A9'));  // © So
  EXPECT_TRUE(unicode::is_letter(U'\u00E9'));
  EXPECT_TRUE(unicode::is_letter(U'\u6F22'));
  EXPECT_TRUE(unicode::is_number(U'\u00B2'));  // ² No
  EXPECT_TRUE(unicode::is_number(U'\u0663'));  // Arabic-Indic 3
  EXPECT_FALSE(unicode::is_letter(U'\u0301'));
  EXPECT_TRUE(unicode::is_mark_nonspacing(U'\u0301'));
  EXPECT_TRUE(unicode::is_chinese_char(U'\u6F22'));
  EXPECT_FALSE(unicode::is_chinese_char(U'\u3042'));  // Hiragana is not in BERT's CJK blocks
}

TEST(Unicode, NormalizationAndCase) {
  EXPECT_EQ(unicode::normalize("e\xCC\x81", unicode::NormForm::NFC), "\xC3\xA9");
  EXPECT_EQ(unicode::normalize("\xC3\xA9", unicode::NormForm::NFD), "e\xCC\x81");
  EXPECT_EQ(unicode::normalize("\xEF\xAC\x81", unicode::NormForm::NFKC), "fi");  // ligature
  EXPECT_EQ(unicode::normalize("\xEF\xAC\x81", unicode::NormForm::NFC), "\xEF\xAC\x81");
  EXPECT_EQ(unicode::lowercase("ÀÉÎ ΣΑΣ İ ABC"), "àéî σασ i\xCC\x87 abc");
}

TEST(PreTokenizers, ByteLevelRegexScanner) {
  auto pre = make_byte_level_pre_tokenizer(false);
  auto split = [&](const std::string& s) {
    Pieces in, out;
    in.add(s, true);
    pre->apply(in, out);
    std::vector<std::string> v;
    for (auto& sp : out.spans) v.emplace_back(out.view(sp));
    return v;
  };
  // Ġ is the byte-level form of ' ', Ċ of '\n', ĉ of '\t'.
  EXPECT_EQ(split("Hello world"), (std::vector<std::string>{"Hello", "Ġworld"}));
  EXPECT_EQ(split("it's we'LL 're"), (std::vector<std::string>{"it", "'s", "Ġwe", "'", "LL", "Ġ'", "re"}));
  EXPECT_EQ(split("a   b"), (std::vector<std::string>{"a", "ĠĠ", "Ġb"}));
  EXPECT_EQ(split("a \n\tb  "), (std::vector<std::string>{"a", "ĠĊ", "ĉ", "b", "ĠĠ"}));
  EXPECT_EQ(split("x2024 ?!abc"), (std::vector<std::string>{"x", "2024", "Ġ?!", "abc"}));
  EXPECT_EQ(split("é"), (std::vector<std::string>{"Ã©"}));
}

TEST(PreTokenizers, BertSplitsPunctuationAndWhitespace) {
  auto pre = make_bert_pre_tokenizer();
  Pieces in, out;
  in.add("Hello,  world!(x)\u3000y", true);
  pre->apply(in, out);
  std::vector<std::string> v;
  for (auto& sp : out.spans) v.emplace_back(out.view(sp));
  EXPECT_EQ(v, (std::vector<std::string>{"Hello", ",", "world", "!", "(", "x", ")", "y"}));
}
