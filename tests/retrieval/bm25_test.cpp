#include <radlite/error.h>
#include <radlite/retrieval/bm25.h>

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

using radlite::Bm25Index;
using radlite::Bm25Options;
using radlite::Hit;

namespace {

// d0: 3 terms, d1: 6 terms, d2: 3 terms -> N = 3, avglen = 12 / 3 = 4.
Bm25Index tiny(Bm25Options o = {}) {
  Bm25Index index(o);
  index.add({"d0", "d1", "d2"}, {"The cat sat.", "the CAT, cat ate the rat", "Dogs chase cats"});
  return index;
}

// The formula written out with the literal statistics of the tiny corpus (not through radlite code).
double term(double N, double df, double tf, double len, double avglen, double k1 = 1.2, double b = 0.75) {
  const double idf = std::log(1.0 + (N - df + 0.5) / (df + 0.5));
  return idf * tf / (tf + k1 * (1.0 - b + b * len / avglen));
}

}  // namespace

TEST(Bm25, StatisticsOfTinyCorpus) {
  const Bm25Index index = tiny();
  EXPECT_EQ(index.size(), 3u);
  EXPECT_EQ(index.doc_length(0), 3u);
  EXPECT_EQ(index.doc_length(1), 6u);
  EXPECT_DOUBLE_EQ(index.average_length(), 4.0);
  EXPECT_EQ(index.doc_frequency("cat"), 2u);
  EXPECT_EQ(index.doc_frequency("cats"), 1u);
  EXPECT_EQ(index.doc_frequency("dog"), 0u);
  EXPECT_EQ(index.vocabulary_size(), 8u);  // the cat sat ate rat dogs chase cats
}

TEST(Bm25, ScoresEqualHandComputation) {
  const Bm25Index index = tiny();
  // "cat": df 2. d0 tf 1 len 3; d1 tf 2 len 6.
  const double d0 = std::log(1.0 + 1.5 / 2.5) * 1.0 / (1.0 + 1.2 * (0.25 + 0.75 * 3.0 / 4.0));
  const double d1 = std::log(1.0 + 1.5 / 2.5) * 2.0 / (2.0 + 1.2 * (0.25 + 0.75 * 6.0 / 4.0));
  auto hits = index.search("cat", 10);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].doc, 1u);
  EXPECT_NEAR(hits[0].score, d1, 1e-6);
  EXPECT_EQ(hits[1].doc, 0u);
  EXPECT_NEAR(hits[1].score, d0, 1e-6);
  EXPECT_NEAR(d1, 0.2575, 1e-4);  // the literal value, so a slip in the formula above shows too
  EXPECT_NEAR(d0, 0.2380, 1e-4);

  // Several terms, one missing from the vocabulary, and a repeated query term (counted twice).
  const double q_d1 = 2 * term(3, 2, 2, 6, 4) + term(3, 2, 2, 6, 4) /*the*/ + term(3, 1, 1, 6, 4) /*rat*/;
  const double q_d0 = 2 * term(3, 2, 1, 3, 4) + term(3, 2, 1, 3, 4);
  hits = index.search("cat CAT the rat unicorn", 10);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_NEAR(hits[0].score, q_d1, 1e-6);
  EXPECT_NEAR(hits[1].score, q_d0, 1e-6);
  EXPECT_NEAR(index.score("cat CAT the rat unicorn", 1), q_d1, 1e-6);
  EXPECT_NEAR(index.score("cat", 2), 0.0, 0.0);

  // The check can fail: the classic (k1 + 1) form or other parameters differ by far more than 1e-6.
  EXPECT_GT(std::fabs(hits[0].score - 2.2 * q_d1), 1e-3);
  const Bm25Index other = tiny(Bm25Options{0.9, 0.4, {}});
  EXPECT_GT(std::fabs(other.search("cat", 1)[0].score - d1), 1e-3);
  EXPECT_NEAR(other.search("cat", 1)[0].score, term(3, 2, 2, 6, 4, 0.9, 0.4), 1e-6);
}

TEST(Bm25, TopKOrderAndTies) {
  Bm25Index index;
  index.add({"a", "b", "c", "d"}, {"x y", "x y", "x", "y y z"});
  auto hits = index.search("x", 10);
  ASSERT_EQ(hits.size(), 3u);
  // c is shorter than a and b; a and b tie and keep insertion order.
  EXPECT_EQ(hits[0].doc, 2u);
  EXPECT_EQ(hits[1].doc, 0u);
  EXPECT_EQ(hits[2].doc, 1u);
  EXPECT_EQ(hits[1].score, hits[2].score);
  hits = index.search("x", 2);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[1].doc, 0u);
  EXPECT_TRUE(index.search("x", 0).empty());
  EXPECT_TRUE(index.search("nothing here", 5).empty());
  EXPECT_TRUE(index.search("", 5).empty());
  EXPECT_TRUE(Bm25Index().search("x", 5).empty());
}

TEST(Bm25, IncrementalAddEqualsOneBatchAndUpdatesStatistics) {
  Bm25Index a, b;
  a.add({"d0", "d1", "d2"}, {"The cat sat.", "the CAT, cat ate the rat", "Dogs chase cats"});
  b.add({"d0"}, {"The cat sat."});
  const double before = b.search("cat", 1)[0].score;
  b.add({"d1", "d2"}, {"the CAT, cat ate the rat", "Dogs chase cats"});
  EXPECT_GT(std::fabs(before - b.score("cat", 0)), 1e-6);  // idf and avglen changed
  for (const char* q : {"cat", "the rat", "dogs cats"}) {
    const auto ha = a.search(q, 10), hb = b.search(q, 10);
    ASSERT_EQ(ha.size(), hb.size());
    for (std::size_t i = 0; i < ha.size(); ++i) {
      EXPECT_EQ(ha[i].doc, hb[i].doc);
      EXPECT_DOUBLE_EQ(ha[i].score, hb[i].score);
    }
  }
  EXPECT_EQ(b.id(2), "d2");
  EXPECT_EQ(b.find("d1"), 1);
  EXPECT_EQ(b.find("zz"), -1);
}

TEST(Bm25, EmptyDocumentsAndBadInput) {
  Bm25Index index;
  index.add({"e", "x"}, {"...", "word"});
  EXPECT_EQ(index.doc_length(0), 0u);
  EXPECT_DOUBLE_EQ(index.average_length(), 1.0);  // N counts documents with terms only
  EXPECT_THROW(index.add({"x"}, {"dup"}), radlite::InvalidArgument);
  EXPECT_THROW(index.add({"p", "p"}, {"a", "b"}), radlite::InvalidArgument);
  EXPECT_THROW(index.add({"p"}, {"a", "b"}), radlite::InvalidArgument);
  EXPECT_THROW(index.add({"p", "q"}, {"fine", "bad \xFF"}), radlite::InvalidArgument);
  // Failed adds leave the index unchanged.
  EXPECT_EQ(index.size(), 2u);
  EXPECT_EQ(index.vocabulary_size(), 1u);
  EXPECT_EQ(index.doc_frequency("fine"), 0u);
  EXPECT_THROW(index.id(2), radlite::InvalidArgument);
  EXPECT_THROW(index.score("word", 9), radlite::InvalidArgument);
  EXPECT_THROW(Bm25Index(Bm25Options{-1.0, 0.75, {}}), radlite::InvalidArgument);
  EXPECT_THROW(Bm25Index(Bm25Options{1.2, 1.5, {}}), radlite::InvalidArgument);
}

TEST(Bm25, BatchSearchEqualsSingleSearch) {
  Bm25Index index = tiny();
  const std::vector<std::string> queries = {"cat", "the rat", "dogs", "cats cat", "none"};
  for (unsigned threads : {1u, 3u}) {
    const auto batch = index.search_batch(queries, 2, threads);
    ASSERT_EQ(batch.size(), queries.size());
    for (std::size_t q = 0; q < queries.size(); ++q) {
      const auto single = index.search(queries[q], 2);
      ASSERT_EQ(batch[q].size(), single.size());
      for (std::size_t i = 0; i < single.size(); ++i) {
        EXPECT_EQ(batch[q][i].doc, single[i].doc);
        EXPECT_EQ(batch[q][i].score, single[i].score);
      }
    }
  }
}

TEST(Bm25, SaveLoadRoundTrip) {
  Bm25Options o;
  o.k1 = 1.1;
  o.analyzer.stemmer = "porter";
  o.analyzer.stopwords = "english";
  Bm25Index index(o);
  index.add({"d0", "d1", "d2"}, {"Running cats", "the runner ran", "cat and dogs running"});
  std::stringstream buf;
  index.save(buf);
  const Bm25Index copy = Bm25Index::load(buf, "mem");
  EXPECT_EQ(copy.size(), 3u);
  EXPECT_EQ(copy.options().analyzer.stemmer, "porter");
  EXPECT_DOUBLE_EQ(copy.options().k1, 1.1);
  for (const char* q : {"run", "cats dog", "the"}) {
    const auto a = index.search(q, 5), b = copy.search(q, 5);
    ASSERT_EQ(a.size(), b.size()) << q;
    for (std::size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].doc, b[i].doc);
      EXPECT_EQ(a[i].score, b[i].score);
    }
  }
  EXPECT_EQ(copy.id(1), "d1");
}

TEST(Bm25, CorruptedStreamsThrowFormatErrorNamingTheSource) {
  Bm25Index index = tiny();
  std::stringstream buf;
  index.save(buf);
  const std::string bytes = buf.str();
  // Every truncation is detected.
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    std::istringstream in(bytes.substr(0, n));
    try {
      Bm25Index::load(in, "idx/bm25.bin");
      FAIL() << "truncation at " << n << " not detected";
    } catch (const radlite::FormatError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("idx/bm25.bin: ", 0), 0u) << e.what();
    }
  }
  // Bad magic, unsupported version.
  std::string bad = bytes;
  bad[0] = 'X';
  std::istringstream in1(bad);
  EXPECT_THROW(Bm25Index::load(in1, "m"), radlite::FormatError);
  bad = bytes;
  bad[8] = 9;
  std::istringstream in2(bad);
  EXPECT_THROW(Bm25Index::load(in2, "m"), radlite::FormatError);
  // Flipping any single byte either still loads consistently or is a FormatError, never a crash.
  std::size_t detected = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    std::string flipped = bytes;
    flipped[i] = static_cast<char>(flipped[i] ^ 0x5A);
    std::istringstream in(flipped);
    try {
      const Bm25Index loaded = Bm25Index::load(in, "m");
      (void)loaded.search("cat the rat", 3);
    } catch (const radlite::FormatError&) {
      ++detected;
    }
  }
  EXPECT_GT(detected, bytes.size() / 2);
}

TEST(Bm25, SparseAndDenseAccumulationGiveIdenticalScores) {
  // 200 documents; "rare" and "odd" occur in few of them, so a single search() takes the sparse path,
  // while in a batch that starts with a common term the accumulator is dense for every later query.
  std::vector<std::string> ids, texts;
  for (int i = 0; i < 200; ++i) {
    ids.push_back("d" + std::to_string(i));
    std::string t = "common filler word" + std::to_string(i);
    if (i % 50 == 7) t += " rare rare odd";
    if (i % 67 == 3) t += " odd";
    texts.push_back(t);
  }
  Bm25Index index;
  index.add(ids, texts);
  const auto single = index.search("rare odd", 10);
  const auto batch = index.search_batch({"common", "rare odd"}, 10, 1);
  ASSERT_EQ(single.size(), 7u);  // 4 docs with "rare odd", 3 with "odd" only
  ASSERT_EQ(batch[1].size(), single.size());
  for (std::size_t i = 0; i < single.size(); ++i) {
    EXPECT_EQ(single[i].doc, batch[1][i].doc);
    EXPECT_EQ(single[i].score, batch[1][i].score);
    EXPECT_EQ(single[i].score, index.score("rare odd", single[i].doc));
  }
  EXPECT_EQ(batch[0].size(), 10u);
}
