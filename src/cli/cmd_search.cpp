// radlite search: queries an index directory built by `radlite index`, printing a table or JSON lines, with
// each query's time.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/hit_table.h"
#include "cli/model_loading.h"
#include "cli/options.h"
#include "io/utf8.h"
#include "radlite/error.h"
#include "radlite/retrieval/beir.h"
#include "radlite/retrieval/pipeline.h"

namespace radlite::cli {

namespace {

const char kHelp[] =
    "Runs each query through the pipeline the index and models allow: bi-encoder and BM25 candidates,\n"
    "fusion, cross-encoder rerank with calibrated probabilities sigmoid(logit / T), final BM25 fusion.\n"
    "Queries run one at a time and each one's time is printed (\"time_ms\" with --json), then, for several\n"
    "queries, their median and 95th percentile. Every query must be valid UTF-8.";

struct SearchArgs {
  std::string index, bi_encoder, cross_encoder, queries_file;
  std::vector<std::string> queries;
  bool json = false, no_dense = false, no_bm25 = false, no_rerank = false, no_final_fusion = false;
  bool no_verify = false;
  ModelLoadOptions model;
  SearchOptions search;
};

nlohmann::json opt_json(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }

nlohmann::json hits_json(const Pipeline& pipe, const std::vector<PipelineHit>& hits) {
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
  return arr;
}

// Nearest-rank percentile of a sorted list.
double percentile(const std::vector<double>& sorted, double p) {
  const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::max<std::size_t>(rank, 1) - 1];
}

std::string ms_text(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f ms", ms);
  return buf;
}

void run_search(SearchArgs& a) {
  SearchOptions& so = a.search;
  so.use_dense = !a.no_dense;
  so.use_bm25 = !a.no_bm25;
  so.use_reranker = !a.no_rerank;
  so.final_bm25_fusion = !a.no_final_fusion;

  std::vector<std::string> qids, queries;
  if (!a.queries_file.empty())
    for (auto& q : load_beir_queries(a.queries_file)) {
      io::require_utf8(q.text, a.queries_file + ": query '" + q.id + "'");
      qids.push_back(q.id), queries.push_back(q.text);
    }
  for (std::size_t i = 0; i < a.queries.size(); ++i) {
    io::require_utf8(a.queries[i], "query " + std::to_string(i + 1));
    qids.push_back("q" + std::to_string(i + 1));
    queries.push_back(a.queries[i]);
  }
  if (queries.empty()) throw InvalidArgument("no query given (pass queries as arguments or --queries FILE)");

  std::shared_ptr<const TextEncoder> encoder;
  std::shared_ptr<const PairScorer> scorer;
  if (!a.bi_encoder.empty()) encoder = load_bi_encoder(a.bi_encoder, a.model);
  if (!a.cross_encoder.empty()) scorer = load_cross_encoder(a.cross_encoder, a.model);
  std::optional<Pipeline> loaded;
  try {
    LoadOptions lo;
    lo.verify_checksums = !a.no_verify;
    loaded.emplace(Pipeline::load(a.index, encoder, scorer, lo));
  } catch (const ModelError& e) {
    if (encoder) throw;
    throw ModelError(std::string(e.what()) + " (pass --bi-encoder DIR)");
  }
  const Pipeline& pipe = *loaded;

  std::vector<double> times_ms;
  for (std::size_t qi = 0; qi < queries.size(); ++qi) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::vector<PipelineHit> hits = pipe.search(queries[qi], so);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    times_ms.push_back(ms);
    if (a.json) {
      std::cout << nlohmann::json{{"query_id", qids[qi]},
                                  {"query", queries[qi]},
                                  {"time_ms", ms},
                                  {"hits", hits_json(pipe, hits)}}
                       .dump()
                << "\n";
    } else {
      std::cout << (qi ? "\n" : "") << "query " << qids[qi] << ": " << queries[qi] << "   (" << ms_text(ms) << ")\n";
      print_hit_table(std::cout, pipe, hits);
    }
    if (!std::cout) break;  // stdout failed (a full disk): app.cpp reports it; searching on is wasted work
  }
  if (!a.json && times_ms.size() > 1) {
    std::sort(times_ms.begin(), times_ms.end());
    double total = 0;
    for (double t : times_ms) total += t;
    std::cout << "\n"
              << times_ms.size() << " queries in " << ms_text(total) << ": median " << ms_text(percentile(times_ms, 50))
              << ", p95 " << ms_text(percentile(times_ms, 95)) << "\n";
  }
}

}  // namespace

void add_search_command(CLI::App& root) {
  auto a = std::make_shared<SearchArgs>();
  CLI::App* cmd = root.add_subcommand("search", "search an index (bi-encoder, BM25, fusion, reranker)");
  cmd->footer(kHelp);
  cmd->add_option("query", a->queries, "query texts (begin with `--` when a query starts with '-')");
  cmd->add_option("--index", a->index, "index directory from `radlite index`")->type_name("DIR")->required();
  cmd->add_option("--bi-encoder", a->bi_encoder, "required when the index has embeddings (the model that made them)")
      ->type_name("DIR");
  cmd->add_option("--cross-encoder", a->cross_encoder, "rerank the top candidates with this cross-encoder")
      ->type_name("DIR");
  cmd->add_option("--queries", a->queries_file,
                  "BEIR queries.jsonl ({\"_id\", \"text\"} per line), after which the "
                  "positional queries run")
      ->type_name("FILE");
  cmd->add_flag("--json", a->json, "one JSON object per query and line instead of a table");
  cmd->add_flag("--no-verify", a->no_verify,
                "skip the sha256 of every index file at load (it reads the whole index; sizes and structure are "
                "still checked): loads a large index in a fraction of the time");
  cmd->add_flag("--no-dense", a->no_dense, "switch the bi-encoder stage off")->group("Stages");
  cmd->add_flag("--no-bm25", a->no_bm25, "switch the BM25 stage off")->group("Stages");
  cmd->add_flag("--no-rerank", a->no_rerank, "switch the cross-encoder stage off")->group("Stages");
  cmd->add_flag("--no-final-fusion", a->no_final_fusion, "switch the final BM25 fusion off")->group("Stages");
  add_search_options(*cmd, a->search);
  add_model_options(*cmd, a->model);
  cmd->callback([a] { run_search(*a); });
}

}  // namespace radlite::cli
