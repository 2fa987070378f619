// radlite demo: the whole RadLITE pipeline over the bundled CancerGov corpus with the bundled models.
#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/hit_table.h"
#include "cli/model_loading.h"
#include "cli/progress.h"
#include "cli/retrieval_options.h"
#include "io/file_util.h"
#include "radlite/error.h"
#include "radlite/retrieval/beir.h"
#include "radlite/retrieval/pipeline.h"

namespace radlite::cli {

namespace {

const std::string kRoot = RADLITE_SOURCE_DIR;

const char kUsage[] =
    "usage: radlite demo [--data DIR] [--bi-encoder DIR] [--cross-encoder DIR] [--k N] [\"query\"...]\n"
    "\n"
    "Indexes a BEIR corpus (default: the bundled CancerGov questions and answers) with the bi-encoder and BM25,\n"
    "then answers a few questions with the full pipeline: dense + BM25 candidates, RRF, cross-encoder rerank with\n"
    "sigmoid(logit / 1.5), final BM25 fusion. Defaults are the bundled tiny models (random test weights).\n"
    "  --data DIR           BEIR directory with corpus.jsonl (default examples/data/cancergov)\n"
    "  --bi-encoder DIR     default models/tiny/roberta-biencoder-tiny\n"
    "  --cross-encoder DIR  default models/tiny/bert-crossencoder-tiny\n"
    "  --k N                hits shown per question (default 3)\n"
    "  --threads N          intra-op threads (default: all cores)\n";

const std::vector<std::string> kQuestions = {
    "Which imaging tests are used to find and stage non-small cell lung cancer?",
    "How is neuroblastoma diagnosed in children?",
    "Is radiation therapy used to treat osteosarcoma?",
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int cmd_demo(int argc, char** argv) {
  Args args(argc, argv, {"--data", "--bi-encoder", "--cross-encoder", "--k", "--threads"}, {"--help"});
  if (args.has("--help")) {
    std::cout << kUsage;
    return 0;
  }
  const std::string data = args.get("--data", kRoot + "/examples/data/cancergov");
  const std::string bi_dir = args.get("--bi-encoder", kRoot + "/models/tiny/roberta-biencoder-tiny");
  const std::string ce_dir = args.get("--cross-encoder", kRoot + "/models/tiny/bert-crossencoder-tiny");
  const bool tiny = !args.has("--bi-encoder") && !args.has("--cross-encoder");
  const std::string corpus_path = io::join_path(data, "corpus.jsonl");
  if (!io::is_file(corpus_path))
    throw IoError(corpus_path + ": not found (pass --data DIR with a BEIR corpus.jsonl; the default points into the "
                                "radlite source tree this binary was built from)");

  SearchOptions search;
  search.k = args.get_count("--k", 3);
  std::vector<std::string> questions = args.positional().empty() ? kQuestions : args.positional();

  std::cout << "radlite demo: the RadLITE pipeline (bi-encoder + BM25 -> RRF -> cross-encoder, T = 1.5 -> BM25 "
               "fusion)\n\n";
  if (tiny)
    std::cout << "NOTE: the bundled models (models/tiny) are tiny RANDOM-WEIGHT test models: their dense and reranker\n"
                 "scores carry no meaning, so the ranking below is driven by BM25. For real results download the\n"
                 "RadLITE models (needs internet) and point the demo at them:\n"
                 "  bash models/download.sh\n"
                 "  ./build/radlite demo --bi-encoder models/radlit-biencoder --cross-encoder models/radlit-crossencoder\n\n";

  ModelLoadOptions mo;
  mo.threads = args.get_int("--threads", 0);
  auto t0 = std::chrono::steady_clock::now();
  auto encoder = load_bi_encoder(bi_dir, mo);
  auto scorer = load_cross_encoder(ce_dir, mo);
  std::cout << "models:  " << encoder->identity() << " (" << encoder->dimension() << "-d), " << scorer->identity()
            << "\n";

  std::vector<BeirDocument> corpus = load_beir_corpus(corpus_path);
  Pipeline pipe(encoder, scorer);
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
            << corpus_path << " --queries " << io::join_path(data, "queries.jsonl") << " --qrels "
            << io::join_path(data, "qrels/test.tsv") << " --bm25\n";
  return 0;
}

}  // namespace radlite::cli
