// radlite search: queries an index directory built by `radlite index`, printing a table or JSON lines.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/hit_table.h"
#include "cli/model_loading.h"
#include "cli/retrieval_options.h"
#include "radlite/error.h"
#include "radlite/retrieval/beir.h"
#include "radlite/retrieval/pipeline.h"

namespace radlite::cli {

namespace {

const char kUsage[] =
    "usage: radlite search --index DIR [options] \"query\"...\n"
    "\n"
    "Runs each query through the pipeline the index and models allow: bi-encoder and BM25 candidates,\n"
    "fusion, cross-encoder rerank with calibrated probabilities sigmoid(logit / T), final BM25 fusion.\n"
    "\n"
    "options:\n"
    "  --index DIR          index directory from `radlite index`\n"
    "  --bi-encoder DIR     required when the index has embeddings (must be the model that made them)\n"
    "  --cross-encoder DIR  rerank the top candidates with this cross-encoder\n"
    "  --queries FILE       BEIR queries.jsonl ({\"_id\", \"text\"} per line), in addition to positional queries\n"
    "  --k N                hits per query (default 10)\n"
    "  --json               one JSON object per query and line instead of a table\n"
    "  --temperature T      calibration temperature (default 1.5)\n"
    "  --candidates N       first-stage depth K1 (default 100)      --rerank-depth N  K2 (default 50)\n"
    "  --fusion rrf|linear  first fusion (default rrf)   --dense-weight W  linear fusion weight (default 0.5)\n"
    "  --rrf-k X            RRF constant (default 60)    --bm25-weight W   final BM25 weight (default 0.3)\n"
    "  --no-dense --no-bm25 --no-rerank --no-final-fusion   switch stages off\n"
    "  --device D --threads N --batch-size N --dtype float32|bfloat16|float16 --max-length N   model settings\n";

nlohmann::json opt_json(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }

}  // namespace

int cmd_search(int argc, char** argv) {
  auto values = search_value_options();
  for (const char* v : {"--index", "--bi-encoder", "--cross-encoder", "--queries"}) values.insert(v);
  Args args(argc, argv, values, {"--json", "--no-dense", "--no-bm25", "--no-rerank", "--no-final-fusion", "--help"});
  if (args.has("--help")) {
    std::cout << kUsage;
    return 0;
  }
  const std::string index_dir = args.required("--index");
  ModelLoadOptions mo = model_load_options(args);
  SearchOptions so;
  apply_search_options(args, so);
  so.use_dense = !args.has("--no-dense");
  so.use_bm25 = !args.has("--no-bm25");
  so.use_reranker = !args.has("--no-rerank");
  so.final_bm25_fusion = !args.has("--no-final-fusion");

  std::vector<std::string> qids, queries;
  if (auto file = args.value("--queries"))
    for (auto& q : load_beir_queries(*file)) qids.push_back(q.id), queries.push_back(q.text);
  for (std::size_t i = 0; i < args.positional().size(); ++i) {
    qids.push_back("q" + std::to_string(i + 1));
    queries.push_back(args.positional()[i]);
  }
  if (queries.empty()) throw InvalidArgument("no query given (pass queries as arguments or --queries FILE)");

  std::shared_ptr<const TextEncoder> encoder;
  std::shared_ptr<const PairScorer> scorer;
  if (auto dir = args.value("--bi-encoder")) encoder = load_bi_encoder(*dir, mo);
  if (auto dir = args.value("--cross-encoder")) scorer = load_cross_encoder(*dir, mo);
  std::optional<Pipeline> loaded;
  try {
    loaded.emplace(Pipeline::load(index_dir, encoder, scorer));
  } catch (const ModelError& e) {
    if (encoder) throw;
    throw ModelError(std::string(e.what()) + " (pass --bi-encoder DIR)");
  }
  const Pipeline& pipe = *loaded;
  std::vector<std::vector<PipelineHit>> results = pipe.search_batch(queries, so);

  for (std::size_t qi = 0; qi < queries.size(); ++qi) {
    const auto& hits = results[qi];
    if (args.has("--json")) {
      nlohmann::json arr = nlohmann::json::array();
      for (std::size_t r = 0; r < hits.size(); ++r) {
        const auto& h = hits[r];
        arr.push_back({{"rank", r + 1},
                       {"id", h.id},
                       {"score", h.score},
                       {"dense", opt_json(h.dense)},
                       {"bm25", opt_json(h.bm25)},
                       {"fused", opt_json(h.fused)},
                       {"rerank_logit", opt_json(h.rerank_logit)},
                       {"rerank_prob", opt_json(h.rerank_prob)},
                       {"final", opt_json(h.final)},
                       {"title", pipe.document(h.doc).title},
                       {"text", pipe.document(h.doc).text}});
      }
      std::cout << nlohmann::json{{"query_id", qids[qi]}, {"query", queries[qi]}, {"hits", arr}}.dump() << "\n";
      continue;
    }
    std::cout << (qi ? "\n" : "") << "query " << qids[qi] << ": " << queries[qi] << "\n";
    print_hit_table(std::cout, pipe, hits);
  }
  return 0;
}

}  // namespace radlite::cli
