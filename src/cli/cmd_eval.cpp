// radlite eval: runs the retrieval pipeline over a BEIR dataset and reports trec_eval metrics, one row per
// configuration (BM25, bi-encoder, fused, reranked, reranked + BM25 fusion) like the RadLIT-9 table.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>
#include <set>

#include "cli/commands.h"
#include "cli/evaluation.h"
#include "cli/model_loading.h"
#include "cli/options.h"
#include "cli/output_file.h"
#include "cli/progress.h"
#include "io/utf8.h"
#include "radlite/error.h"
#include "radlite/retrieval/beir.h"
#include "radlite/retrieval/metrics.h"
#include "radlite/retrieval/pipeline.h"

namespace radlite::cli {

namespace {

const char kHelp[] =
    "Indexes the corpus in memory, runs every judged query and prints MRR@10, nDCG@10, Recall@10/100 and MAP\n"
    "(trec_eval definitions). --dense hnsw|ivfpq evaluates the dense stage through that approximate index, built\n"
    "as `radlite index --dense` builds it. With models, one row per configuration (the RadLIT table shape):\n"
    "  BM25 | bi-encoder | bi-encoder + BM25 | bi-encoder > reranker | bi-encoder + BM25 > reranker + BM25\n"
    "Run depth: 1000 for a single retriever (BM25 or bi-encoder alone), otherwise what the candidate lists give.\n"
    "--output and --run-out files appear complete or not at all: they are written beside the target and renamed\n"
    "into place once every write succeeded.";

struct EvalArgs {
  std::string corpus, queries, qrels, bi_encoder, cross_encoder, run_out, output;
  bool bm25 = false, ablation = false;
  ModelLoadOptions model;
  PipelineOptions pipeline;  // the dense index kind and its build parameters
  SearchOptions search;
  Bm25Options bm25_options;
  EvalOptions eval;
  CLI::Option* candidates_option = nullptr;
};

nlohmann::json metrics_json(const EvalResult& r) {
  return {{"queries", r.queries},        {"mrr@10", r.mrr_at_10},         {"ndcg@10", r.ndcg_at_10},
          {"recall@10", r.recall_at_10}, {"recall@100", r.recall_at_100}, {"map", r.map}};
}

void run_eval(EvalArgs& a) {
  std::vector<BeirDocument> corpus = load_beir_corpus(a.corpus);
  std::vector<BeirQuery> all_queries = load_beir_queries(a.queries);
  Qrels qrels = load_beir_qrels(a.qrels);
  std::vector<std::string> qids, queries;
  for (const auto& q : all_queries)
    if (qrels.count(q.id)) {
      io::require_utf8(q.text, a.queries + ": query '" + q.id + "'");
      qids.push_back(q.id), queries.push_back(q.text);
    }
  if (queries.empty()) throw InvalidArgument(a.queries + ": no query has judgments in " + a.qrels);
  {
    std::set<std::string> known;
    for (const auto& q : all_queries) known.insert(q.id);
    std::size_t unknown = 0;
    for (const auto& [qid, docs] : qrels) unknown += known.count(qid) ? 0 : 1;
    if (unknown)
      std::cerr << "radlite eval: warning: " << unknown << " judged queries of " << a.qrels << " are not in "
                << a.queries << "; they count as 0 in every metric (trec_eval -c)\n";
  }

  std::shared_ptr<const TextEncoder> encoder;
  std::shared_ptr<CachingPairScorer> scorer;
  if (!a.bi_encoder.empty()) encoder = load_bi_encoder(a.bi_encoder, a.model);
  if (!a.cross_encoder.empty())
    scorer = std::make_shared<CachingPairScorer>(load_cross_encoder(a.cross_encoder, a.model));

  if (a.pipeline.dense_kind != DenseKind::kExact && a.bi_encoder.empty())
    throw InvalidArgument(std::string("--dense ") + dense_kind_name(a.pipeline.dense_kind) + " needs --bi-encoder");
  PipelineOptions po = a.pipeline;
  po.bm25 = true;  // always built: cheap, and every ablation row but one uses it
  po.encode_batch_size = a.model.compute.batch_size;
  po.bm25_options = a.bm25_options;
  Pipeline pipe(encoder, scorer, po);
  {
    ProgressBar bar("indexing", corpus.size(), "docs");
    pipe.add(corpus, [&](std::size_t done, std::size_t) { bar.update(done); });
  }

  const bool dense = encoder != nullptr, rerank = scorer != nullptr;
  const std::vector<EvalConfig> configs = ablation_configs(dense, rerank, a.search, a.candidates_option->count() > 0);
  const std::size_t main_index = requested_config(configs, dense, rerank, a.bm25);
  const bool ablation = a.ablation || dense || rerank;

  std::vector<EvalRow> rows;
  std::size_t main_row = 0;
  for (std::size_t ci = 0; ci < configs.size(); ++ci) {
    if (!ablation && ci != main_index) continue;
    if (ci == main_index) main_row = rows.size();
    rows.push_back(run_config(pipe, configs[ci], qids, queries, qrels, a.eval));
  }

  char line[256];
  std::snprintf(line, sizeof line, "%-40s %7s %8s %8s %8s %8s %8s %9s\n", "configuration", "queries", "MRR@10",
                "nDCG@10", "R@10", "R@100", "MAP", "queries/s");
  std::cout << line;
  for (const auto& r : rows) {
    const EvalResult& m = r.result;
    std::snprintf(line, sizeof line, "%-40s %7zu %8.4f %8.4f %8.4f %8.4f %8.4f %9.1f\n", r.name.c_str(), m.queries,
                  m.mrr_at_10, m.ndcg_at_10, m.recall_at_10, m.recall_at_100, m.map,
                  r.seconds > 0 ? queries.size() / r.seconds : 0.0);
    std::cout << line;
  }
  if (scorer) std::cout << "cross-encoder pairs scored: " << scorer->scored() << "\n";
  check_stdout();

  // Both files are written in full before either is renamed into place.
  std::optional<OutputFile> output, run_out;
  if (!a.output.empty()) {
    output.emplace(a.output);
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
    output->stream() << j.dump(2) << "\n";
    check_written(output->stream(), a.output);
  }
  if (!a.run_out.empty()) {
    run_out.emplace(a.run_out);
    try {
      write_trec_run(run_out->stream(), rows[main_row].run, "radlite");
    } catch (const IoError&) {
      check_written(run_out->stream(), a.run_out);  // the same failure, named by path and with the system's reason
      throw;
    }
    check_written(run_out->stream(), a.run_out);
  }
  if (output) output->commit();
  if (run_out) run_out->commit();
}

}  // namespace

void add_eval_command(CLI::App& root) {
  auto a = std::make_shared<EvalArgs>();
  a->search.k = 1000;  // a deep run, as trec_eval expects
  CLI::App* cmd =
      root.add_subcommand("eval", "evaluate retrieval on a BEIR dataset (MRR, nDCG, recall, MAP; ablation)");
  cmd->footer(kHelp);
  cmd->add_option("--corpus", a->corpus, "BEIR corpus.jsonl")->type_name("FILE")->required();
  cmd->add_option("--queries", a->queries, "BEIR queries.jsonl")->type_name("FILE")->required();
  cmd->add_option("--qrels", a->qrels, "BEIR qrels TSV (query-id, corpus-id, score)")->type_name("FILE")->required();
  cmd->add_flag("--bm25", a->bm25, "include BM25 in the evaluated pipeline (implied without --bi-encoder)");
  cmd->add_option("--bi-encoder", a->bi_encoder, "dense first stage")->type_name("DIR");
  cmd->add_option("--cross-encoder", a->cross_encoder, "rerank stage")->type_name("DIR");
  cmd->add_flag("--ablation", a->ablation, "print every configuration (default when a model is given)");
  cmd->add_option("--min-relevance", a->eval.min_relevance, "a doc is relevant when its qrels score >= N")
      ->type_name("N")
      ->check(integer_in(std::numeric_limits<int>::min(), std::numeric_limits<int>::max()))
      ->capture_default_str();
  cmd->add_option("--run-out", a->run_out, "TREC run of the evaluated pipeline (qid Q0 docid rank score radlite)")
      ->type_name("FILE");
  cmd->add_option("--output", a->output, "metrics as JSON (the evaluated pipeline, plus every ablation row)")
      ->type_name("FILE");
  add_search_options(*cmd, a->search);
  a->candidates_option = cmd->get_option("--candidates");
  add_bm25_options(*cmd, a->bm25_options);
  add_dense_index_options(*cmd, a->pipeline);
  add_model_options(*cmd, a->model);
  cmd->callback([a] { run_eval(*a); });
}

}  // namespace radlite::cli
