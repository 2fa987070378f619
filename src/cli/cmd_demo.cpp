// radlite demo: the whole RadLITE pipeline over the bundled CancerGov corpus with the bundled models.
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "cli/commands.h"
#include "cli/hit_table.h"
#include "cli/model_loading.h"
#include "cli/options.h"
#include "cli/progress.h"
#include "io/utf8.h"
#include "radlite/error.h"
#include "radlite/retrieval/beir.h"
#include "radlite/retrieval/pipeline.h"

namespace radlite::cli {

namespace fs = std::filesystem;

namespace {

const std::string kRoot = RADLITE_SOURCE_DIR;

const char kHelp[] =
    "Indexes a BEIR corpus (default: the bundled CancerGov questions and answers) with the bi-encoder and BM25,\n"
    "then answers a few questions with the full pipeline: dense + BM25 candidates, RRF, cross-encoder rerank with\n"
    "sigmoid(logit / 1.5), final BM25 fusion, and prints each question's time. Defaults are the bundled tiny\n"
    "models (random test weights).";

struct DemoArgs {
  std::string data = kRoot + "/examples/data/cancergov";
  std::string bi_encoder = kRoot + "/models/tiny/roberta-biencoder-tiny";
  std::string cross_encoder = kRoot + "/models/tiny/bert-crossencoder-tiny";
  CLI::Option* bi_option = nullptr;
  CLI::Option* cross_option = nullptr;
  std::size_t k = 3;
  std::vector<std::string> questions;
  ModelLoadOptions model;
};

const std::vector<std::string> kQuestions = {
    "Which imaging tests are used to find and stage non-small cell lung cancer?",
    "How is neuroblastoma diagnosed in children?",
    "Is radiation therapy used to treat osteosarcoma?",
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void run_demo(const DemoArgs& a) {
  std::error_code ec;  // the path tests below report a failure as false
  const std::string& data = a.data;
  const bool tiny = a.bi_option->count() == 0 && a.cross_option->count() == 0;
  const std::string corpus_path = (fs::path(data) / "corpus.jsonl").string();
  if (!fs::is_regular_file(corpus_path, ec))
    throw IoError(corpus_path +
                  ": not found (pass --data DIR with a BEIR corpus.jsonl; the default points into the "
                  "radlite source tree this binary was built from)");
  for (std::size_t i = 0; i < a.questions.size(); ++i)
    io::require_utf8(a.questions[i], "question " + std::to_string(i + 1));

  SearchOptions search;
  search.k = a.k;
  const std::vector<std::string>& questions = a.questions.empty() ? kQuestions : a.questions;

  std::cout << "radlite demo: the RadLITE pipeline (bi-encoder + BM25 -> RRF -> cross-encoder, T = 1.5 -> BM25 "
               "fusion)\n\n";
  if (tiny)
    std::cout
        << "NOTE: the bundled models (models/tiny) are tiny RANDOM-WEIGHT test models: their dense and reranker\n"
           "scores carry no meaning, so the ranking below is driven by BM25. For real results download the\n"
           "RadLITE models (needs internet) and point the demo at them:\n"
           "  bash models/download.sh\n"
           "  ./build/radlite demo --bi-encoder models/radlit-biencoder --cross-encoder models/radlit-crossencoder\n\n";

  auto t0 = std::chrono::steady_clock::now();
  auto encoder = load_bi_encoder(a.bi_encoder, a.model);
  auto scorer = load_cross_encoder(a.cross_encoder, a.model);
  std::cout << "models:  " << encoder->identity() << " (" << encoder->dimension() << "-d), " << scorer->identity()
            << "\n";

  std::vector<BeirDocument> corpus = load_beir_corpus(corpus_path);
  PipelineOptions po;
  po.encode_batch_size = a.model.compute.batch_size;
  Pipeline pipe(encoder, scorer, po);
  {
    ProgressBar bar("indexing", corpus.size(), "docs");  // drawn only when stderr is a terminal
    pipe.add(corpus, [&](std::size_t done, std::size_t) { bar.update(done); });
  }
  std::cout << "corpus:  " << corpus_path << "\n         " << pipe.size() << " documents embedded and indexed in "
            << seconds_since(t0) << " s\n";

  for (std::size_t i = 0; i < questions.size(); ++i) {
    auto t1 = std::chrono::steady_clock::now();
    std::vector<PipelineHit> hits = pipe.search(questions[i], search);
    std::cout << "\nQ" << i + 1 << ": " << questions[i] << "   (" << static_cast<int>(seconds_since(t1) * 1000)
              << " ms)\n";
    print_hit_table(std::cout, pipe, hits, 70);
  }
  std::cout << "\nColumns: dense = cosine of the bi-encoder, bm25 = BM25 (k1 1.2, b 0.75), fused = RRF of both,\n"
               "logit/prob = cross-encoder logit and sigmoid(logit / 1.5), final = 0.7 * prob + 0.3 * min-max(BM25).\n"
               "Evaluate on the judged queries: ./build/radlite eval --corpus "
            << corpus_path << " --queries " << (fs::path(data) / "queries.jsonl").string() << " --qrels "
            << (fs::path(data) / "qrels/test.tsv").string() << " --bm25\n";
}

}  // namespace

void add_demo_command(CLI::App& root) {
  auto a = std::make_shared<DemoArgs>();
  CLI::App* cmd =
      root.add_subcommand("demo", "index the bundled corpus and answer a few questions with the full pipeline");
  cmd->footer(kHelp);
  cmd->add_option("question", a->questions, "questions to answer (default: three built-in ones)");
  cmd->add_option("--data", a->data, "BEIR directory with corpus.jsonl (default examples/data/cancergov)")
      ->type_name("DIR");
  a->bi_option =
      cmd->add_option("--bi-encoder", a->bi_encoder, "default models/tiny/roberta-biencoder-tiny")->type_name("DIR");
  a->cross_option = cmd->add_option("--cross-encoder", a->cross_encoder, "default models/tiny/bert-crossencoder-tiny")
                        ->type_name("DIR");
  cmd->add_option("--k", a->k, "hits shown per question")
      ->type_name("N")
      ->check(integer_in(1, 1000))
      ->capture_default_str();
  add_model_options(*cmd, a->model);
  cmd->callback([a] { run_demo(*a); });
}

}  // namespace radlite::cli
