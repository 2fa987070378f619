#include <radlite/error.h>
#include <radlite/retrieval/analyzer.h>

#include <gtest/gtest.h>

#include <random>

using radlite::Analyzer;
using radlite::AnalyzerOptions;
using Terms = std::vector<std::string>;

namespace {

Terms run(const std::string& text, AnalyzerOptions o = {}) { return Analyzer(o).analyze(text); }

}  // namespace

TEST(Analyzer, SplitsWordsLikeStandardTokenizer) {
  EXPECT_EQ(run("Don't stop the e.g. 3.5-mg doses!"), (Terms{"don't", "stop", "the", "e.g", "3.5", "mg", "doses"}));
  EXPECT_EQ(run("1,000 patients; U.S.A. (ALL) vs. non-Hodgkin"),
            (Terms{"1,000", "patients", "u.s.a", "all", "vs", "non", "hodgkin"}));
  EXPECT_EQ(run("covid19 B12 x_y __ a/b 10% $5 end."), (Terms{"covid19", "b12", "x_y", "a", "b", "10", "5", "end"}));
  EXPECT_EQ(run("  \t\n"), Terms{});
  EXPECT_EQ(run(""), Terms{});
  // A separator in the middle: "a." at the end and ".5" at the start do not join.
  EXPECT_EQ(run("a. .5 a.5 3.a"), (Terms{"a", "5", "a", "5", "3", "a"}));
}

TEST(Analyzer, UnicodeLettersMarksAndIdeographs) {
  EXPECT_EQ(run("Ärzte NAÏVE Café"), (Terms{"ärzte", "naïve", "café"}));
  EXPECT_EQ(run("cafe\xCC\x81 ok"), (Terms{"cafe\xCC\x81", "ok"}));         // combining acute stays in the word
  EXPECT_EQ(run("patient\xE2\x80\x99s"), (Terms{"patient\xE2\x80\x99s"}));  // U+2019 joins letters
  EXPECT_EQ(run("\xE4\xB8\xAD\xE6\x96\x87"
                "abc"),
            (Terms{"\xE4\xB8\xAD", "\xE6\x96\x87", "abc"}));  // Han singletons
  EXPECT_EQ(run("\xCE\x91\xCE\xB8\xCE\xAE\xCE\xBD\xCE\xB1"),
            (Terms{"\xCE\xB1\xCE\xB8\xCE\xAE\xCE\xBD\xCE\xB1"}));  // Greek lowercased
}

TEST(Analyzer, LowercaseCanBeDisabled) {
  AnalyzerOptions o;
  o.lowercase = false;
  EXPECT_EQ(run("BRCA1 Gene", o), (Terms{"BRCA1", "Gene"}));
}

TEST(Analyzer, StopwordsPossessiveAndStemming) {
  AnalyzerOptions o;
  o.stopwords = "english";
  EXPECT_EQ(run("The symptoms of the disease are not these", o), (Terms{"symptoms", "disease"}));
  o.extra_stopwords = {"disease"};
  EXPECT_EQ(run("The symptoms of the disease", o), (Terms{"symptoms"}));

  AnalyzerOptions p;
  p.english_possessive = true;
  EXPECT_EQ(run("patient's doctor\xE2\x80\x99s", p), (Terms{"patient", "doctor"}));

  AnalyzerOptions s;
  s.stemmer = "porter";
  EXPECT_EQ(run("running doses cancers treatment", s), (Terms{"run", "dose", "cancer", "treatment"}));
  s.stemmer = "english";
  EXPECT_EQ(run("generously treated", s), (Terms{"generous", "treat"}));
}

TEST(Analyzer, LongTokensAreSplit) {
  AnalyzerOptions o;
  o.max_token_length = 3;
  EXPECT_EQ(run("abcdefg hi", o), (Terms{"abc", "def", "g", "hi"}));
}

TEST(Analyzer, SessionReusesBuffersAndMatches) {
  Analyzer a(AnalyzerOptions{true, "english", {}, "porter", true, 255});
  radlite::AnalyzerSession session(a);
  Terms terms;
  session.analyze("many many words here to fill the vector", terms);
  EXPECT_EQ(terms.size(), 6u);
  session.analyze("Leukemia treatments", terms);
  EXPECT_EQ(terms, a.analyze("Leukemia treatments"));
  EXPECT_EQ(terms, (Terms{"leukemia", "treatment"}));
}

TEST(Analyzer, RejectsInvalidUtf8AndBadOptions) {
  try {
    run("ok \xC3\x28 bad");
    FAIL() << "expected InvalidArgument";
  } catch (const radlite::InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("byte 3"), std::string::npos) << e.what();
  }
  EXPECT_THROW(run("\xED\xA0\x80"), radlite::InvalidArgument);  // UTF-16 surrogate
  EXPECT_THROW(run("abc\xE2\x80"), radlite::InvalidArgument);   // truncated sequence
  AnalyzerOptions o;
  o.stemmer = "klingon";
  EXPECT_THROW(Analyzer{o}, radlite::InvalidArgument);
  o = {};
  o.stopwords = "french";
  EXPECT_THROW(Analyzer{o}, radlite::InvalidArgument);
  o = {};
  o.max_token_length = 0;
  EXPECT_THROW(Analyzer{o}, radlite::InvalidArgument);
}

TEST(Analyzer, FuzzedInputNeverCrashesAndYieldsValidTerms) {
  std::mt19937 rng(3);
  const std::vector<std::string> pieces = {"a",
                                           "Z",
                                           "9",
                                           ".",
                                           ",",
                                           "'",
                                           "-",
                                           " ",
                                           "_",
                                           ":",
                                           "\xC3\xA9",
                                           "\xCC\x81",
                                           "\xE2\x80\x99",
                                           "\xE4\xB8\xAD",
                                           "\xF0\x9F\x98\x80",
                                           "\xC2\xAD",
                                           "\t"};
  radlite::AnalyzerOptions o;
  o.max_token_length = 5;
  o.stemmer = "english";
  o.english_possessive = true;
  radlite::AnalyzerSession session{Analyzer(o)};
  Terms terms;
  for (int round = 0; round < 2000; ++round) {
    std::string text;
    const int n = static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) text += pieces[rng() % pieces.size()];
    session.analyze(text, terms);
    for (const auto& t : terms) {
      EXPECT_FALSE(t.empty()) << text;
      // Every term is itself clean input: analyzing it again must not throw.
      EXPECT_NO_THROW(Analyzer().analyze(t)) << text;
    }
  }
  std::size_t rejected = 0;
  for (int round = 0; round < 2000; ++round) {
    std::string text;
    const int n = static_cast<int>(rng() % 24);
    for (int i = 0; i < n; ++i) text += static_cast<char>(rng() & 0xFF);
    try {
      session.analyze(text, terms);
    } catch (const radlite::InvalidArgument&) {
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 0u);
}
