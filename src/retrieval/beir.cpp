// BEIR dataset files: JSON-lines corpus and queries, TSV qrels. Every error names file and line.
#include <radlite/error.h>
#include <radlite/retrieval/beir.h>

#include "io/json_reader.h"
#include "io/numbers.h"

#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <unordered_set>

namespace radlite {

namespace fs = std::filesystem;

namespace {

std::ifstream open_input(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path + ": cannot open for reading (" + std::strerror(errno) + ")");
  return in;
}

bool blank(const std::string& line) { return line.find_first_not_of(" \t\r") == std::string::npos; }

// Calls fn(object, "file line N") for each non-blank JSON line.
template <typename Fn>
void for_each_json_line(std::istream& in, const std::string& what, Fn fn) {
  std::string line;
  std::size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (blank(line)) continue;
    const std::string where = what + " line " + std::to_string(line_no);
    nlohmann::json j = io::parse_json(line, where);
    if (!j.is_object()) throw FormatError(where + ": expected a JSON object");
    fn(j, where);
  }
  if (in.bad()) throw IoError(what + ": read failed");
}

std::string id_field(const nlohmann::json& j, const io::JsonPlace& at) {
  std::string id = io::get_string(j, "_id", at);
  if (id.empty()) io::format_error(at.at("_id"), "empty");
  return id;
}

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t tab = line.find('\t', start);
    out.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
    if (tab == std::string::npos) break;
    start = tab + 1;
  }
  return out;
}

}  // namespace

std::string document_text(const BeirDocument& doc) {
  if (doc.title.empty()) return doc.text;
  return doc.title + " " + doc.text;
}

std::vector<BeirDocument> read_beir_corpus(std::istream& in, const std::string& what) {
  std::vector<BeirDocument> docs;
  std::unordered_set<std::string> ids;
  for_each_json_line(in, what, [&](const nlohmann::json& j, const std::string& where) {
    BeirDocument d;
    const io::JsonPlace at{where, ""};
    d.id = id_field(j, at);
    d.title = io::get_string(j, "title", at, "");
    d.text = io::get_string(j, "text", at);
    if (!ids.insert(d.id).second) throw FormatError(where + ": duplicate document id '" + d.id + "'");
    docs.push_back(std::move(d));
  });
  return docs;
}

std::vector<BeirQuery> read_beir_queries(std::istream& in, const std::string& what) {
  std::vector<BeirQuery> queries;
  std::unordered_set<std::string> ids;
  for_each_json_line(in, what, [&](const nlohmann::json& j, const std::string& where) {
    BeirQuery q;
    const io::JsonPlace at{where, ""};
    q.id = id_field(j, at);
    q.text = io::get_string(j, "text", at);
    if (!ids.insert(q.id).second) throw FormatError(where + ": duplicate query id '" + q.id + "'");
    queries.push_back(std::move(q));
  });
  return queries;
}

Qrels read_beir_qrels(std::istream& in, const std::string& what) {
  Qrels qrels;
  std::string line;
  std::size_t line_no = 0;
  bool first = true;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (blank(line)) continue;
    if (first) {
      first = false;
      if (line.rfind("query-id", 0) == 0) continue;
    }
    const std::string where = what + " line " + std::to_string(line_no);
    const auto cols = split_tabs(line);
    if (cols.size() != 3) {
      throw FormatError(where + ": expected 3 tab-separated columns (query-id, corpus-id, score), got " +
                        std::to_string(cols.size()));
    }
    if (cols[0].empty() || cols[1].empty()) throw FormatError(where + ": empty query-id or corpus-id");
    const auto score = io::parse_int(cols[2], INT_MIN, INT_MAX);
    if (!score) throw FormatError(where + ": score '" + cols[2] + "' is not an integer");
    auto& judged = qrels[cols[0]];
    if (!judged.emplace(cols[1], static_cast<int>(*score)).second) {
      throw FormatError(where + ": query '" + cols[0] + "' judges doc '" + cols[1] + "' twice");
    }
  }
  if (in.bad()) throw IoError(what + ": read failed");
  return qrels;
}

std::vector<BeirDocument> load_beir_corpus(const std::string& path) {
  auto in = open_input(path);
  return read_beir_corpus(in, path);
}

std::vector<BeirQuery> load_beir_queries(const std::string& path) {
  auto in = open_input(path);
  return read_beir_queries(in, path);
}

Qrels load_beir_qrels(const std::string& path) {
  auto in = open_input(path);
  return read_beir_qrels(in, path);
}

BeirDataset load_beir(const std::string& dir, const std::string& split) {
  BeirDataset data;
  data.corpus = load_beir_corpus((fs::path(dir) / "corpus.jsonl").string());
  std::vector<BeirQuery> all = load_beir_queries((fs::path(dir) / "queries.jsonl").string());
  const std::string qrels_path = (fs::path(dir) / ("qrels/" + split + ".tsv")).string();
  data.qrels = load_beir_qrels(qrels_path);
  std::unordered_set<std::string> doc_ids, query_ids;
  for (const auto& d : data.corpus) doc_ids.insert(d.id);
  for (const auto& q : all) query_ids.insert(q.id);
  for (const auto& [qid, judged] : data.qrels) {
    if (query_ids.count(qid) == 0) throw FormatError(qrels_path + ": query '" + qid + "' is not in queries.jsonl");
    for (const auto& [doc, rel] : judged) {
      (void)rel;
      if (doc_ids.count(doc) == 0) ++data.qrels_docs_not_in_corpus;
    }
  }
  for (auto& q : all) {
    if (data.qrels.count(q.id) != 0) data.queries.push_back(std::move(q));
  }
  return data;
}

}  // namespace radlite
