// radlite/retrieval/metrics.h: trec_eval-compatible evaluation of runs against relevance judgments,
// and TREC run files.
//
//   radlite::Qrels qrels = radlite::load_beir_qrels("cancergov/qrels/test.tsv");   // beir.h
//   radlite::Run run;
//   run["q1"] = radlite::run_entries(hits, [&](std::size_t d) { return index.id(d); });
//   radlite::EvalResult r = radlite::evaluate(run, qrels);
//   std::cout << r.queries << " queries, nDCG@10 " << r.ndcg_at_10 << " MRR@10 " << r.mrr_at_10 << '\n';
//   std::ofstream out("run.trec"); radlite::write_trec_run(out, run, "radlite");
//
// Definitions (those of trec_eval 9.x; a doc is relevant when its qrels score >= min_relevance):
//   * ranking: the entries of a query are sorted by score descending and, for equal scores, by doc id
//     DESCENDING in byte order, exactly as trec_eval does (it ignores the rank column). Set
//     `trec_eval_order = false` to keep the given order instead.
//   * MRR@k (trec_eval recip_rank on the top k): 1 / rank of the first relevant doc in the top k, else 0.
//   * nDCG@k (trec_eval ndcg_cut.k): DCG = sum over the top k of gain / log2(rank + 1), gain = the qrels
//     score of the doc when > 0 (graded; docs judged below min_relevance but > 0 still gain, as in
//     trec_eval), 0 for unjudged or non-positive; divided by the ideal DCG of all judged docs with a positive
//     score sorted by score desc and cut at k.
//   * Recall@k: relevant docs in the top k / relevant docs judged for the query.
//   * MAP (trec_eval map, no cutoff): mean over relevant docs of the precision at their rank (0 if not
//     retrieved).
//   * averaging: over the queries of the qrels that have at least one relevant doc. Such a query missing
//     from the run scores 0 in every metric (trec_eval -c) unless `missing_queries_score_zero` is false,
//     in which case it is skipped. Queries of the run that are not in the qrels or have no relevant doc
//     are ignored.
//
// Thread safety: pure functions.
#pragma once

#include <radlite/retrieval/hit.h>

#include <cstddef>
#include <functional>
#include <iosfwd>
#include <limits>
#include <map>
#include <string>
#include <vector>

namespace radlite {

/// query id -> (doc id -> relevance score). Scores may be graded (0, 1, 2, ...) or negative.
using Qrels = std::map<std::string, std::map<std::string, int>>;

struct RunEntry {
  std::string doc_id;
  double score = 0.0;
};
/// query id -> retrieved docs (any order when trec_eval_order is on). A doc may appear once per query.
using Run = std::map<std::string, std::vector<RunEntry>>;

/// Converts search hits (Hit::doc) into run entries with the caller's doc ids.
std::vector<RunEntry> run_entries(const std::vector<Hit>& hits, const std::function<std::string(std::size_t)>& doc_id);

struct EvalOptions {
  std::vector<std::size_t> mrr_cutoffs{10};          // MRR@k for each k (>= 1)
  std::vector<std::size_t> ndcg_cutoffs{10};         // nDCG@k
  std::vector<std::size_t> recall_cutoffs{10, 100};  // Recall@k
  bool map = true;                                   // MAP (no cutoff)
  int min_relevance = 1;                             // relevant when qrels score >= this (trec_eval -l)
  bool missing_queries_score_zero = true;            // trec_eval -c behaviour (see above)
  bool trec_eval_order = true;                       // re-sort entries by score desc, doc id desc
};

struct QueryEvaluation {
  std::string query_id;
  std::size_t relevant = 0;    // judged relevant docs
  std::size_t retrieved = 0;   // run entries for the query
  std::vector<double> values;  // aligned with EvalResult::metric_names
};

struct EvalResult {
  std::size_t queries = 0;                 // queries averaged
  std::vector<std::string> metric_names;   // e.g. "MRR@10", "nDCG@10", "Recall@10", "Recall@100", "MAP"
  std::vector<double> means;               // aligned with metric_names
  std::vector<QueryEvaluation> per_query;  // the averaged queries, sorted by query id
  // The usual five, NaN when not requested in EvalOptions:
  double mrr_at_10 = std::numeric_limits<double>::quiet_NaN(), ndcg_at_10 = std::numeric_limits<double>::quiet_NaN(),
         recall_at_10 = std::numeric_limits<double>::quiet_NaN(),
         recall_at_100 = std::numeric_limits<double>::quiet_NaN(), map = std::numeric_limits<double>::quiet_NaN();

  /// The mean of a metric by name; InvalidArgument when it was not computed.
  double mean(const std::string& name) const;
};

/// Evaluates `run` against `qrels`. InvalidArgument on a cutoff of 0, a doc repeated within a query of the
/// run (naming query and doc) or a non-finite score.
EvalResult evaluate(const Run& run, const Qrels& qrels, const EvalOptions& options = {});

/// Writes "qid Q0 docid rank score tag" lines, queries in id order, entries ranked as evaluate() ranks
/// them with trec_eval_order (score desc, doc id desc), ranks from 1; scores with 9 significant digits.
/// InvalidArgument on ids or tag with whitespace or empty; IoError on stream failure.
void write_trec_run(std::ostream& out, const Run& run, const std::string& tag);

/// Reads a TREC run (6 whitespace-separated columns per line; blank lines skipped). FormatError naming
/// `what` and the line on a wrong column count, an unparsable or non-finite score, or a doc repeated for a
/// query.
Run read_trec_run(std::istream& in, const std::string& what);

}  // namespace radlite
