#include <radlite/error.h>
#include <radlite/retrieval/beir.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace {

template <typename Fn>
void expect_format_error(Fn fn, const std::string& fragment) {
  try {
    fn();
    FAIL() << "expected FormatError containing: " << fragment;
  } catch (const radlite::FormatError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(Beir, ReadsCorpusQueriesAndQrels) {
  std::istringstream corpus(R"({"_id": "d1", "title": "T", "text": "body one"}

{"_id": "d2", "text": "body two", "metadata": {}}
)");
  const auto docs = radlite::read_beir_corpus(corpus, "corpus.jsonl");
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0].title, "T");
  EXPECT_EQ(radlite::document_text(docs[0]), "T body one");
  EXPECT_EQ(radlite::document_text(docs[1]), "body two");
  std::istringstream queries(R"({"_id": "q1", "text": "what?"})");
  EXPECT_EQ(radlite::read_beir_queries(queries, "queries.jsonl")[0].text, "what?");
  std::istringstream qrels("query-id\tcorpus-id\tscore\nq1\td1\t2\r\nq1\td2\t0\n");
  const auto q = radlite::read_beir_qrels(qrels, "test.tsv");
  EXPECT_EQ(q.at("q1").at("d1"), 2);
  EXPECT_EQ(q.at("q1").at("d2"), 0);
}

TEST(Beir, ErrorsNameFileLineAndProblem) {
  auto corpus = [](const std::string& text) {
    return [text] {
      std::istringstream in(text);
      radlite::read_beir_corpus(in, "corpus.jsonl");
    };
  };
  expect_format_error(corpus("{\"_id\": \"d1\", \"text\": \"a\"}\n{\"_id\": \"d2\", \"text\": }\n"),
                      "corpus.jsonl line 2: invalid JSON");
  expect_format_error(corpus("{\"_id\": \"d1\"}\n"), "corpus.jsonl line 1: field 'text': missing");
  expect_format_error(corpus("{\"_id\": 5, \"text\": \"a\"}\n"),
                      "corpus.jsonl line 1: field '_id': expected a string, got 5");
  expect_format_error(corpus("{\"_id\": \"\", \"text\": \"a\"}\n"), "corpus.jsonl line 1: field '_id': empty");
  expect_format_error(corpus("[1, 2]\n"), "corpus.jsonl line 1: expected a JSON object");
  expect_format_error(corpus("{\"_id\": \"a\", \"text\": \"x\"}\n{\"_id\": \"a\", \"text\": \"y\"}\n"),
                      "corpus.jsonl line 2: duplicate document id 'a'");
  expect_format_error(corpus("{\"_id\": \"a\", \"text\": \"bad \xFF utf8\"}\n"), "corpus.jsonl line 1: invalid JSON");
  auto qrels = [](const std::string& text) {
    return [text] {
      std::istringstream in(text);
      radlite::read_beir_qrels(in, "test.tsv");
    };
  };
  expect_format_error(qrels("query-id\tcorpus-id\tscore\nq1\td1\n"),
                      "test.tsv line 2: expected 3 tab-separated columns");
  expect_format_error(qrels("q1\td1\thigh\n"), "test.tsv line 1: score 'high' is not an integer");
  expect_format_error(qrels("q1\td1\t1\nq1\td1\t2\n"), "test.tsv line 2: query 'q1' judges doc 'd1' twice");
  EXPECT_THROW(radlite::load_beir("/nonexistent/beir"), radlite::IoError);
}

TEST(Beir, LoadsBundledCancerGov) {
  const auto data = radlite::load_beir(std::string(RADLITE_EXAMPLES_DATA_DIR) + "/cancergov");
  EXPECT_EQ(data.corpus.size(), 729u);
  EXPECT_EQ(data.queries.size(), 729u);
  std::size_t rows = 0;
  for (const auto& [q, judged] : data.qrels) rows += judged.size();
  EXPECT_EQ(rows, 1337u);  // README: qrels_rows
  EXPECT_EQ(data.corpus[0].id, "0000001_1-A1");
  EXPECT_TRUE(data.corpus[0].title.empty());
}

TEST(Beir, LoadBeirChecksQrelsAgainstQueriesAndCountsMissingDocs) {
  const std::string dir = ::testing::TempDir() + "/radlite_beir_test";
  std::filesystem::create_directories(dir + "/qrels");
  auto write = [&](const std::string& name, const std::string& text) { std::ofstream(dir + "/" + name) << text; };
  write("corpus.jsonl", "{\"_id\": \"d1\", \"text\": \"a\"}\n");
  write("queries.jsonl", "{\"_id\": \"q1\", \"text\": \"a\"}\n{\"_id\": \"q2\", \"text\": \"b\"}\n");
  write("qrels/test.tsv", "query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td9\t1\n");
  const auto data = radlite::load_beir(dir);
  EXPECT_EQ(data.queries.size(), 1u);  // q2 has no qrels
  EXPECT_EQ(data.qrels_docs_not_in_corpus, 1u);
  write("qrels/test.tsv", "query-id\tcorpus-id\tscore\nq7\td1\t1\n");
  expect_format_error([&] { radlite::load_beir(dir); }, "test.tsv: query 'q7' is not in queries.jsonl");
  write("queries.jsonl", "{\"_id\": \"q1\", \"text\": \"a\"}\nnot json\n");
  expect_format_error([&] { radlite::load_beir(dir); }, "queries.jsonl line 2: invalid JSON");
}
