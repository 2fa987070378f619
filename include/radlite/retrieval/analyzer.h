// radlite/retrieval/analyzer.h: text -> index terms for BM25 (word splitting, lowercasing, stopwords, stemming).
//
//   radlite::AnalyzerOptions options;
//   options.stopwords = "english";
//   options.stemmer = "porter";
//   radlite::Analyzer analyzer(options);
//   std::vector<std::string> terms = analyzer.analyze("Don't stop the e.g. 3.5-mg doses!");
//   // -> {"don't", "stop", "e.g", "3.5", "mg", "dose"}
//
//   radlite::AnalyzerSession session(analyzer);     // per thread: owns the stemmer and buffers
//   session.analyze(text, terms);                   // reuses `terms`' strings, no allocation when warm
//
// Word splitting approximates Lucene's StandardTokenizer (Unicode UAX #29 word boundaries):
//   * a word is a run of letters, digits, combining marks and connector punctuation ('_');
//   * apostrophes (' U+2019) and '.' join two letters ("don't", "e.g") or two digits ("3.5"); ',' and ';'
//     join two digits ("1,000"); ':' joins two letters (UAX #29 MidLetter); letters and digits join ("b12",
//     "covid19", "3.5mg");
//   * everything else separates words: spaces, hyphens, slashes, other punctuation and symbols;
//   * Han ideographs and Hiragana (written without spaces) each become a one-character token;
//   * tokens longer than `max_token_length` code points are split every `max_token_length` code points,
//     as Lucene does.
// Lowercasing is Unicode simple case mapping per code point (Lucene's LowerCaseFilter). Invalid UTF-8
// throws InvalidArgument naming the byte offset.
//
// Thread safety: Analyzer is immutable; analyze() may be called concurrently. AnalyzerSession is not
// thread-safe (libstemmer stemmers are stateful): use one per thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace radlite {

struct AnalyzerOptions {
  bool lowercase = true;                     // map every code point to lower case (Unicode simple case mapping)
  std::string stopwords = "none";            // "none", or "english": Lucene's EnglishAnalyzer / StopAnalyzer set
                                             // (ENGLISH_STOP_WORDS_SET, 33 words: a an and are as at be but by for
                                             // if in into is it no not of on or such that the their then there these
                                             // they this to was will with); matched after lowercasing, before stemming
  std::vector<std::string> extra_stopwords;  // more words dropped (compared with the lowercased token)
  std::string stemmer = "none";              // "none", "porter" (original Porter, as Lucene's PorterStemFilter) or
                                             // "english" (Snowball English / Porter2), both through libstemmer
  bool english_possessive = false;           // drop a trailing "'s" / "’s" (Lucene's EnglishPossessiveFilter)
  std::size_t max_token_length = 255;        // code points; longer tokens are split (Lucene's default), >= 1
};

/// The immutable analysis chain. Constructing it validates the options (InvalidArgument on an unknown
/// stopword list or stemmer, or max_token_length 0).
class Analyzer {
 public:
  explicit Analyzer(AnalyzerOptions options = {});
  ~Analyzer();
  Analyzer(const Analyzer&);
  Analyzer& operator=(const Analyzer&);
  Analyzer(Analyzer&&) noexcept;
  Analyzer& operator=(Analyzer&&) noexcept;

  const AnalyzerOptions& options() const { return options_; }

  /// Terms of `text` in order (duplicates kept). Creates a stemmer per call when stemming is on;
  /// use an AnalyzerSession in loops. Throws InvalidArgument on invalid UTF-8.
  std::vector<std::string> analyze(std::string_view text) const;

  /// True when `term` (already lowercased) is in the stopword set.
  bool is_stopword(std::string_view term) const;

  struct Impl;  // internal: stopword set and option switches

 private:
  AnalyzerOptions options_;
  std::shared_ptr<const Impl> impl_;
  friend class AnalyzerSession;
};

/// A per-thread analysis context: holds the stemmer and scratch buffers so analysis does not allocate once
/// warm. Keeps a copy of the Analyzer (cheap: shared immutable state). Not thread-safe.
class AnalyzerSession {
 public:
  explicit AnalyzerSession(const Analyzer& analyzer);
  ~AnalyzerSession();
  AnalyzerSession(AnalyzerSession&&) noexcept;
  AnalyzerSession& operator=(AnalyzerSession&&) noexcept;
  AnalyzerSession(const AnalyzerSession&) = delete;
  AnalyzerSession& operator=(const AnalyzerSession&) = delete;

  /// Replaces the content of `terms` with the terms of `text`; the vector's strings are reused.
  /// Throws InvalidArgument on invalid UTF-8 (naming the byte offset).
  void analyze(std::string_view text, std::vector<std::string>& terms);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace radlite
