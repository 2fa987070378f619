// Concurrent use of one shared bi-encoder, cross-encoder, tokenizer and pipeline index: 8 threads encode,
// rerank and search at the same time and must get results bitwise identical to those of one thread
// (issue 8). Models: the bundled tiny models; data: the first documents of the bundled CancerGov corpus.
// Built normally it checks the results; built with -fsanitize=thread (tests/hardening/run_sanitizers.sh tsan)
// ThreadSanitizer also checks the accesses.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "radlite/encoder.h"
#include "radlite/retrieval/beir.h"
#include "radlite/retrieval/pipeline.h"
#include "radlite/runtime.h"
#include "radlite/tokenizer.h"

namespace {

constexpr int kThreads = 8;

// Exact text of everything a call returned: floats in hexadecimal, so "identical" means bit for bit.
std::string exact(const radlite::Matrix& m) {
  std::ostringstream out;
  out << std::hexfloat << m.rows() << 'x' << m.cols();
  for (float v : m.values()) out << ' ' << v;
  return out.str();
}
std::string exact(const std::vector<std::vector<float>>& logits) {
  std::ostringstream out;
  out << std::hexfloat;
  for (const auto& row : logits) {
    for (float v : row) out << ' ' << v;
    out << ';';
  }
  return out.str();
}
std::string exact(const std::vector<radlite::PipelineHit>& hits) {
  std::ostringstream out;
  out << std::hexfloat;
  for (const auto& h : hits)
    out << h.id << ' ' << h.score << ' ' << h.dense.value_or(-9) << ' ' << h.bm25.value_or(-9) << ' '
        << h.fused.value_or(-9) << ' ' << h.rerank_logit.value_or(-9) << ' ' << h.final.value_or(-9) << ';';
  return out.str();
}
std::string exact(const radlite::Encoding& e) {
  std::ostringstream out;
  for (auto id : e.ids) out << id << ' ';
  return out.str();
}

struct Shared {
  std::shared_ptr<radlite::BiEncoder> encoder;
  std::shared_ptr<radlite::CrossEncoder> reranker;
  std::unique_ptr<radlite::Pipeline> pipeline;
  std::vector<std::string> queries;
  std::vector<std::string> docs;  // a few document texts for direct reranking
};

// One unit of work: query `i` through every shared object. Returns the exact results, concatenated.
std::string work(const Shared& s, std::size_t i) {
  const std::string& q = s.queries[i];
  std::string out = exact(s.encoder->tokenizer().encode(q, {true, 64}));
  out += '\n' + exact(s.encoder->encode({q, s.docs[i % s.docs.size()]}));
  out += '\n' + exact(s.reranker->logits(q, {s.docs[i % s.docs.size()], s.docs[(i + 1) % s.docs.size()]}));
  radlite::SearchOptions o;
  o.k = 5;
  o.candidates = 20;
  o.rerank_depth = 8;
  out += '\n' + exact(s.pipeline->search(q, o));
  return out;
}

class Concurrency : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    shared_ = new Shared;
    const std::string models = RADLITE_MODELS_DIR;
    radlite::BiEncoderOptions eo;
    // One intra-op thread: the concurrency under test is the 8 callers'. (libtorch's OpenMP pool is
    // process-wide; 8 callers each opening a parallel region oversubscribe 2 cores with spinning workers
    // and make the run, above all under TSan, minutes long without testing anything more of radlite.)
    radlite::set_num_threads(1);
    shared_->encoder =
        std::make_shared<radlite::BiEncoder>(radlite::BiEncoder::load(models + "/roberta-biencoder-tiny", eo));
    radlite::CrossEncoderOptions co;
    shared_->reranker =
        std::make_shared<radlite::CrossEncoder>(radlite::CrossEncoder::load(models + "/bert-crossencoder-tiny", co));
    const std::string data = std::string(RADLITE_EXAMPLES_DATA_DIR) + "/cancergov";
    std::vector<radlite::BeirDocument> corpus = radlite::load_beir_corpus(data + "/corpus.jsonl");
    corpus.resize(32);
    for (auto& d : corpus) d.text = d.text.substr(0, 300);  // short texts keep the TSan run fast
    shared_->pipeline = std::make_unique<radlite::Pipeline>(shared_->encoder, shared_->reranker);
    shared_->pipeline->add(corpus);
    for (const auto& q : radlite::load_beir_queries(data + "/queries.jsonl")) {
      shared_->queries.push_back(q.text);
      if (shared_->queries.size() == 12) break;
    }
    for (std::size_t i = 0; i < 6; ++i) shared_->docs.push_back(radlite::document_text(corpus[i * 5]));
  }
  static void TearDownTestSuite() {
    delete shared_;
    shared_ = nullptr;
  }
  static Shared* shared_;
};

Shared* Concurrency::shared_ = nullptr;

TEST_F(Concurrency, EightThreadsGetSingleThreadResults) {
  const Shared& s = *shared_;
  const std::size_t n = s.queries.size();
  std::vector<std::string> expected(n);
  for (std::size_t i = 0; i < n; ++i) expected[i] = work(s, i);
  // The reference is stable on one thread (so a mismatch below is due to concurrency), and every query's
  // results differ from the others' (so a thread answering the wrong query cannot pass).
  ASSERT_EQ(work(s, 0), expected[0]);
  ASSERT_EQ(std::set<std::string>(expected.begin(), expected.end()).size(), n);

  std::vector<std::vector<std::string>> got(kThreads, std::vector<std::string>(n));
  std::vector<std::string> errors(kThreads);
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      ready.fetch_add(1);
      while (ready.load() < kThreads) std::this_thread::yield();  // start together
      try {
        // Each thread walks the queries from a different start, so different calls overlap.
        for (std::size_t k = 0; k < n; ++k) {
          const std::size_t i = (k + static_cast<std::size_t>(t) * 3) % n;
          got[t][i] = work(s, i);
        }
      } catch (const std::exception& e) {
        errors[t] = e.what();
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(errors[t], "") << "thread " << t;
    for (std::size_t i = 0; i < n; ++i)
      EXPECT_EQ(got[t][i], expected[i]) << "thread " << t << ", query " << i << ": " << s.queries[i];
  }
}

TEST_F(Concurrency, BatchSearchUnderLoadEqualsBatchSearchAlone) {
  // search_batch embeds the queries in batches; while 7 other threads run work(), it must return exactly
  // what it returns alone.
  const Shared& s = *shared_;
  radlite::SearchOptions o;
  o.k = 5;
  o.rerank_depth = 8;
  std::string alone;
  for (const auto& hits : s.pipeline->search_batch(s.queries, o)) alone += exact(hits) + '\n';
  std::atomic<bool> stop{false}, failed{false};
  std::vector<std::thread> load;
  for (int t = 0; t < kThreads - 1; ++t)
    load.emplace_back([&, t] {
      try {
        while (!stop.load()) (void)work(s, static_cast<std::size_t>(t) % s.queries.size());
      } catch (const std::exception&) {
        failed = true;
      }
    });
  std::string under_load;
  for (const auto& hits : s.pipeline->search_batch(s.queries, o)) under_load += exact(hits) + '\n';
  stop = true;
  for (auto& th : load) th.join();
  EXPECT_FALSE(failed.load()) << "a loading thread threw";
  EXPECT_EQ(under_load, alone);
}

}  // namespace
