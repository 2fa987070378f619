// trec_eval-compatible measures (recip_rank, ndcg_cut, recall, map) and TREC run files.
#include <radlite/error.h>
#include <radlite/retrieval/metrics.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <istream>
#include <limits>
#include <ostream>
#include <set>
#include <sstream>

#include "io/numbers.h"

namespace radlite {
namespace {

// trec_eval's order: score descending, then doc id descending (strcmp reversed).
bool trec_order(const RunEntry* a, const RunEntry* b) {
  if (a->score != b->score) return a->score > b->score;
  return a->doc_id > b->doc_id;
}

std::vector<const RunEntry*> ranked(const std::vector<RunEntry>& entries, bool resort) {
  std::vector<const RunEntry*> out;
  out.reserve(entries.size());
  for (const auto& e : entries) out.push_back(&e);
  if (resort) std::sort(out.begin(), out.end(), trec_order);
  return out;
}

void check_entries(const std::string& qid, const std::vector<RunEntry>& entries) {
  std::set<std::string_view> seen;
  for (const auto& e : entries) {
    if (!std::isfinite(e.score))
      throw InvalidArgument("evaluate: query '" + qid + "' doc '" + e.doc_id + "' has a non-finite score");
    if (!seen.insert(e.doc_id).second)
      throw InvalidArgument("evaluate: query '" + qid + "' retrieves doc '" + e.doc_id + "' twice");
  }
}

std::string format_score(double s) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", s);
  return buf;
}

bool has_space(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c) != 0; });
}

}  // namespace

std::vector<RunEntry> run_entries(const std::vector<Hit>& hits, const std::function<std::string(std::size_t)>& doc_id) {
  std::vector<RunEntry> out;
  out.reserve(hits.size());
  for (const Hit& h : hits) out.push_back({doc_id(h.doc), h.score});
  return out;
}

double EvalResult::mean(const std::string& name) const {
  for (std::size_t i = 0; i < metric_names.size(); ++i) {
    if (metric_names[i] == name) return means[i];
  }
  throw InvalidArgument("evaluate: metric '" + name + "' was not computed");
}

EvalResult evaluate(const Run& run, const Qrels& qrels, const EvalOptions& options) {
  for (const auto* cuts : {&options.mrr_cutoffs, &options.ndcg_cutoffs, &options.recall_cutoffs}) {
    for (std::size_t k : *cuts) {
      if (k == 0) throw InvalidArgument("evaluate: metric cutoffs must be >= 1");
    }
  }
  EvalResult result;
  for (std::size_t k : options.mrr_cutoffs) result.metric_names.push_back("MRR@" + std::to_string(k));
  for (std::size_t k : options.ndcg_cutoffs) result.metric_names.push_back("nDCG@" + std::to_string(k));
  for (std::size_t k : options.recall_cutoffs) result.metric_names.push_back("Recall@" + std::to_string(k));
  if (options.map) result.metric_names.push_back("MAP");
  result.means.assign(result.metric_names.size(), 0.0);

  for (const auto& [qid, entries] : run) check_entries(qid, entries);

  const std::vector<RunEntry> empty;
  for (const auto& [qid, judged] : qrels) {
    std::size_t num_rel = 0;
    std::vector<int> ideal_gains;  // positive judged scores, for the ideal DCG
    for (const auto& [doc, rel] : judged) {
      if (rel >= options.min_relevance) ++num_rel;
      if (rel > 0) ideal_gains.push_back(rel);
    }
    if (num_rel == 0) continue;
    auto run_it = run.find(qid);
    if (run_it == run.end() && !options.missing_queries_score_zero) continue;
    const std::vector<RunEntry>& entries = run_it == run.end() ? empty : run_it->second;
    const auto order = ranked(entries, options.trec_eval_order);
    std::sort(ideal_gains.begin(), ideal_gains.end(), std::greater<int>());

    // Relevance value of each retrieved doc in rank order (unjudged -> no gain, not relevant).
    std::vector<int> rel_at(order.size(), std::numeric_limits<int>::min());
    for (std::size_t i = 0; i < order.size(); ++i) {
      auto j = judged.find(order[i]->doc_id);
      if (j != judged.end()) rel_at[i] = j->second;
    }
    auto is_rel = [&](std::size_t i) {
      return rel_at[i] != std::numeric_limits<int>::min() && rel_at[i] >= options.min_relevance;
    };

    QueryEvaluation qe;
    qe.query_id = qid;
    qe.relevant = num_rel;
    qe.retrieved = order.size();
    for (std::size_t k : options.mrr_cutoffs) {
      double rr = 0.0;
      for (std::size_t i = 0; i < order.size() && i < k; ++i) {
        if (is_rel(i)) {
          rr = 1.0 / static_cast<double>(i + 1);
          break;
        }
      }
      qe.values.push_back(rr);
    }
    for (std::size_t k : options.ndcg_cutoffs) {
      double dcg = 0.0, idcg = 0.0;
      for (std::size_t i = 0; i < order.size() && i < k; ++i) {
        if (rel_at[i] > 0) dcg += rel_at[i] / std::log2(static_cast<double>(i + 2));
      }
      for (std::size_t i = 0; i < ideal_gains.size() && i < k; ++i) {
        idcg += ideal_gains[i] / std::log2(static_cast<double>(i + 2));
      }
      qe.values.push_back(idcg > 0.0 ? dcg / idcg : 0.0);
    }
    for (std::size_t k : options.recall_cutoffs) {
      std::size_t hits = 0;
      for (std::size_t i = 0; i < order.size() && i < k; ++i) hits += is_rel(i) ? 1 : 0;
      qe.values.push_back(static_cast<double>(hits) / static_cast<double>(num_rel));
    }
    if (options.map) {
      double sum = 0.0;
      std::size_t found = 0;
      for (std::size_t i = 0; i < order.size(); ++i) {
        if (is_rel(i)) {
          ++found;
          sum += static_cast<double>(found) / static_cast<double>(i + 1);
        }
      }
      qe.values.push_back(sum / static_cast<double>(num_rel));
    }
    for (std::size_t m = 0; m < qe.values.size(); ++m) result.means[m] += qe.values[m];
    result.per_query.push_back(std::move(qe));
  }
  result.queries = result.per_query.size();
  if (result.queries > 0) {
    for (double& v : result.means) v /= static_cast<double>(result.queries);
  }
  auto named = [&](const std::string& name) {
    for (std::size_t i = 0; i < result.metric_names.size(); ++i) {
      if (result.metric_names[i] == name) return result.means[i];
    }
    return std::numeric_limits<double>::quiet_NaN();
  };
  result.mrr_at_10 = named("MRR@10");
  result.ndcg_at_10 = named("nDCG@10");
  result.recall_at_10 = named("Recall@10");
  result.recall_at_100 = named("Recall@100");
  result.map = named("MAP");
  return result;
}

void write_trec_run(std::ostream& out, const Run& run, const std::string& tag) {
  if (tag.empty() || has_space(tag))
    throw InvalidArgument("write_trec_run: tag '" + tag + "' must be non-empty without whitespace");
  for (const auto& [qid, entries] : run) {
    if (qid.empty() || has_space(qid))
      throw InvalidArgument("write_trec_run: query id '" + qid + "' must be non-empty without whitespace");
    check_entries(qid, entries);
    const auto order = ranked(entries, true);
    for (std::size_t i = 0; i < order.size(); ++i) {
      const std::string& doc = order[i]->doc_id;
      if (doc.empty() || has_space(doc))
        throw InvalidArgument("write_trec_run: doc id '" + doc + "' must be non-empty without whitespace");
      out << qid << " Q0 " << doc << ' ' << (i + 1) << ' ' << format_score(order[i]->score) << ' ' << tag << '\n';
    }
  }
  out.flush();
  if (!out) throw IoError("write_trec_run: write failed");
}

Run read_trec_run(std::istream& in, const std::string& what) {
  Run run;
  std::map<std::string, std::set<std::string>> seen;
  std::string line;
  std::size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::istringstream fields(line);
    std::vector<std::string> cols;
    for (std::string f; fields >> f;) cols.push_back(f);
    if (cols.empty()) continue;
    const std::string where = what + " line " + std::to_string(line_no);
    if (cols.size() != 6) {
      throw FormatError(where + ": expected 6 columns (qid Q0 docid rank score tag), got " +
                        std::to_string(cols.size()));
    }
    const auto parsed = io::parse_double(cols[4]);
    if (!parsed) throw FormatError(where + ": score '" + cols[4] + "' is not a number");
    const double score = *parsed;
    if (!std::isfinite(score)) throw FormatError(where + ": score '" + cols[4] + "' is not finite");
    if (!seen[cols[0]].insert(cols[2]).second) {
      throw FormatError(where + ": doc '" + cols[2] + "' repeated for query '" + cols[0] + "'");
    }
    run[cols[0]].push_back({cols[2], score});
  }
  if (in.bad()) throw IoError(what + ": read failed");
  return run;
}

}  // namespace radlite
