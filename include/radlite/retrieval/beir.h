// radlite/retrieval/beir.h: loading BEIR-format datasets (corpus.jsonl, queries.jsonl, qrels/<split>.tsv).
//
//   radlite::BeirDataset data = radlite::load_beir("examples/data/cancergov", "test");
//   for (const auto& d : data.corpus) ids.push_back(d.id), texts.push_back(radlite::document_text(d));
//   // data.queries: only the queries that have qrels in the split, in file order
//
// Formats: corpus.jsonl has one JSON object per line with string "_id" and "text" and optional string
// "title"; queries.jsonl has "_id" and "text"; the qrels TSV has a header line (ignored if it starts with
// "query-id") then "query-id<TAB>corpus-id<TAB>score" rows with an integer score. Blank lines are skipped.
// Every error is a FormatError (IoError when a file cannot be read) naming the file and the 1-based line,
// and saying what is wrong: broken JSON, a missing or non-string field, a duplicate id, a bad column
// count or score, a qrels query that is not in queries.jsonl (load_beir only: it could not be searched).
// A qrels doc missing from the corpus is kept (it counts as relevant and never retrieved, as trec_eval
// would count it) and reported in BeirDataset::qrels_docs_not_in_corpus so callers can warn.
//
// Thread safety: pure functions.
#pragma once

#include <radlite/retrieval/metrics.h>

#include <iosfwd>
#include <string>
#include <vector>

namespace radlite {

struct BeirDocument {
  std::string id;
  std::string title;  // may be empty
  std::string text;
};

struct BeirQuery {
  std::string id;
  std::string text;
};

struct BeirDataset {
  std::vector<BeirDocument> corpus;  // file order
  std::vector<BeirQuery> queries;    // file order; load_beir keeps only queries with qrels
  Qrels qrels;
  std::size_t qrels_docs_not_in_corpus = 0;  // qrels rows whose doc is not in corpus.jsonl
};

/// The text BEIR indexes for a document: "title text" when the title is non-empty, else text.
std::string document_text(const BeirDocument& doc);

std::vector<BeirDocument> load_beir_corpus(const std::string& path);
std::vector<BeirDocument> read_beir_corpus(std::istream& in, const std::string& what);
std::vector<BeirQuery> load_beir_queries(const std::string& path);
std::vector<BeirQuery> read_beir_queries(std::istream& in, const std::string& what);
Qrels load_beir_qrels(const std::string& path);
Qrels read_beir_qrels(std::istream& in, const std::string& what);

/// corpus.jsonl + queries.jsonl + qrels/<split>.tsv of `dir`; checks that every qrels query exists.
BeirDataset load_beir(const std::string& dir, const std::string& split = "test");

}  // namespace radlite
