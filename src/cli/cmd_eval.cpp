// radlite eval: runs the retrieval pipeline over a BEIR dataset and reports trec_eval metrics, one row per
// configuration (BM25, bi-encoder, fused, reranked, reranked + BM25 fusion) like the RadLIT-9 table.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <set>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/evaluation.h"
#include "cli/model_loading.h"
#include "cli/progress.h"
#include "cli/retrieval_options.h"
#include "radlite/error.h"
#include "radlite/retrieval/beir.h"
#include "radlite/retrieval/metrics.h"
#include "radlite/retrieval/pipeline.h"

namespace radlite::cli {

namespace {

const char kUsage[] =
    "usage: radlite eval --corpus corpus.jsonl --queries queries.jsonl --qrels qrels.tsv [options]\n"
    "\n"
    "Indexes the corpus in memory, runs every judged query and prints MRR@10, nDCG@10, Recall@10/100 and MAP\n"
    "(trec_eval definitions). With models, one row per configuration (the RadLIT table shape):\n"
    "  BM25 | bi-encoder | bi-encoder + BM25 | bi-encoder > reranker | bi-encoder + BM25 > reranker + BM25\n"
    "\n"
    "options:\n"
    "  --bm25                 include BM25 in the evaluated pipeline (implied without --bi-encoder)\n"
    "  --bi-encoder DIR       dense first stage      --cross-encoder DIR   rerank stage\n"
    "  --ablation             print every configuration (default when a model is given)\n"
    "  --fusion rrf|linear    first fusion (default rrf)      --temperature T  calibration (default 1.5)\n"
    "  --k1 X --b Y           BM25 parameters (default 1.2, 0.75)\n"
    "  --stopwords none|english  --stemmer none|porter|english   BM25 analysis (default none, none)\n"
    "  --candidates N --rerank-depth N --dense-weight W --bm25-weight W --rrf-k X   see `radlite search --help`\n"
    "  --min-relevance N      a doc is relevant when its qrels score >= N (default 1)\n"
    "  --run-out FILE         TREC run of the evaluated pipeline (qid Q0 docid rank score radlite)\n"
    "  --output FILE          metrics as JSON (the evaluated pipeline, plus every ablation row)\n"
    "  --device D --threads N --batch-size N --dtype float32|bfloat16|float16 --max-length N   model settings\n"
    "Run depth: 1000 for a single retriever (BM25 or bi-encoder alone), otherwise what the candidate lists give.\n";

nlohmann::json metrics_json(const EvalResult& r) {
  return {{"queries", r.queries},      {"mrr@10", r.mrr_at_10},         {"ndcg@10", r.ndcg_at_10},
          {"recall@10", r.recall_at_10}, {"recall@100", r.recall_at_100}, {"map", r.map}};
}

}  // namespace

int cmd_eval(int argc, char** argv) {
  auto values = search_value_options();
  for (const auto& v : bm25_value_options()) values.insert(v);
  for (const char* v : {"--corpus", "--queries", "--qrels", "--bi-encoder", "--cross-encoder", "--min-relevance",
                        "--run-out", "--output"})
    values.insert(v);
  Args args(argc, argv, values, {"--bm25", "--ablation", "--help"});
  if (args.has("--help")) {
    std::cout << kUsage;
    return 0;
  }
  if (!args.positional().empty()) throw InvalidArgument("unexpected argument '" + args.positional()[0] + "'");
  const std::string corpus_path = args.required("--corpus"), queries_path = args.required("--queries"),
                    qrels_path = args.required("--qrels");
  ModelLoadOptions mo = model_load_options(args);
  SearchOptions base;
  apply_search_options(args, base);
  if (!args.value("--k")) base.k = 1000;
  const bool user_candidates = args.value("--candidates").has_value();
  EvalOptions eo;
  eo.min_relevance = args.get_int("--min-relevance", eo.min_relevance);

  std::vector<BeirDocument> corpus = load_beir_corpus(corpus_path);
  std::vector<BeirQuery> all_queries = load_beir_queries(queries_path);
  Qrels qrels = load_beir_qrels(qrels_path);
  std::vector<std::string> qids, queries;
  for (const auto& q : all_queries)
    if (qrels.count(q.id)) qids.push_back(q.id), queries.push_back(q.text);
  if (queries.empty()) throw InvalidArgument(queries_path + ": no query has judgments in " + qrels_path);
  {
    std::set<std::string> known;
    for (const auto& q : all_queries) known.insert(q.id);
    std::size_t unknown = 0;
    for (const auto& [qid, docs] : qrels) unknown += known.count(qid) ? 0 : 1;
    if (unknown)
      std::cerr << "radlite eval: warning: " << unknown << " judged queries of " << qrels_path << " are not in "
                << queries_path << "; they count as 0 in every metric (trec_eval -c)\n";
  }

  std::shared_ptr<const TextEncoder> encoder;
  std::shared_ptr<CachingPairScorer> scorer;
  if (auto dir = args.value("--bi-encoder")) encoder = load_bi_encoder(*dir, mo);
  if (auto dir = args.value("--cross-encoder")) scorer = std::make_shared<CachingPairScorer>(load_cross_encoder(*dir, mo));

  PipelineOptions po;
  po.bm25 = true;  // always built: cheap, and every ablation row but one uses it
  po.encode_batch_size = mo.batch_size;
  apply_bm25_options(args, po.bm25_options);
  Pipeline pipe(encoder, scorer, po);
  {
    ProgressBar bar("indexing", corpus.size(), "docs");
    pipe.add(corpus, [&](std::size_t done, std::size_t) { bar.update(done); });
  }

  const bool dense = encoder != nullptr, rerank = scorer != nullptr;
  const std::vector<EvalConfig> configs = ablation_configs(dense, rerank, base, user_candidates);
  const std::size_t main_index = requested_config(configs, dense, rerank, args.has("--bm25"));
  const bool ablation = args.has("--ablation") || dense || rerank;

  std::vector<EvalRow> rows;
  std::size_t main_row = 0;
  for (std::size_t ci = 0; ci < configs.size(); ++ci) {
    if (!ablation && ci != main_index) continue;
    if (ci == main_index) main_row = rows.size();
    rows.push_back(run_config(pipe, configs[ci], qids, queries, qrels, eo));
  }

  std::printf("%-40s %7s %8s %8s %8s %8s %8s %9s\n", "configuration", "queries", "MRR@10", "nDCG@10", "R@10",
              "R@100", "MAP", "queries/s");
  for (const auto& r : rows) {
    const EvalResult& m = r.result;
    std::printf("%-40s %7zu %8.4f %8.4f %8.4f %8.4f %8.4f %9.1f\n", r.name.c_str(), m.queries, m.mrr_at_10,
                m.ndcg_at_10, m.recall_at_10, m.recall_at_100, m.map, r.seconds > 0 ? queries.size() / r.seconds : 0.0);
  }
  if (scorer) std::printf("cross-encoder pairs scored: %zu\n", scorer->scored());
  std::fflush(stdout);

  if (auto path = args.value("--output")) {
    nlohmann::json j = metrics_json(rows[main_row].result);
    j["configuration"] = rows[main_row].name;
    nlohmann::json abl = nlohmann::json::array();
    for (const auto& r : rows) {
      nlohmann::json e = metrics_json(r.result);
      e["configuration"] = r.name;
      e["seconds"] = r.seconds;
      abl.push_back(e);
    }
    j["ablation"] = abl;
    std::ofstream out(*path);
    if (!out) throw IoError(*path + ": cannot open for writing");
    out << j.dump(2) << "\n";
    if (!out) throw IoError(*path + ": write failed");
  }
  if (auto path = args.value("--run-out")) {
    std::ofstream out(*path);
    if (!out) throw IoError(*path + ": cannot open for writing");
    write_trec_run(out, rows[main_row].run, "radlite");
    out.flush();
    if (!out) throw IoError(*path + ": write failed");
  }
  return 0;
}

}  // namespace radlite::cli
