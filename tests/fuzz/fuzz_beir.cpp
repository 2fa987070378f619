// Fuzzes the BEIR readers (corpus.jsonl, queries.jsonl, qrels TSV) on the same bytes. Malformed lines must
// end in a FormatError naming the line; what loads must satisfy the documented guarantees.
#include <cstddef>
#include <cstdint>
#include <set>
#include <sstream>
#include <string>

#include "fuzz_check.h"
#include "radlite/error.h"
#include "radlite/retrieval/beir.h"

static int fuzz_one(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    std::istringstream in(bytes);
    const auto corpus = radlite::read_beir_corpus(in, "fuzz corpus.jsonl");
    std::set<std::string> ids;
    for (const auto& d : corpus) {
      ids.insert(d.id);
      (void)radlite::document_text(d);
    }
    RADLITE_FUZZ_CHECK(ids.size() == corpus.size(), "corpus ids are unique");
  } catch (const radlite::Error&) {
  }
  try {
    std::istringstream in(bytes);
    const auto queries = radlite::read_beir_queries(in, "fuzz queries.jsonl");
    std::set<std::string> ids;
    for (const auto& q : queries) ids.insert(q.id);
    RADLITE_FUZZ_CHECK(ids.size() == queries.size(), "query ids are unique");
  } catch (const radlite::Error&) {
  }
  try {
    std::istringstream in(bytes);
    (void)radlite::read_beir_qrels(in, "fuzz qrels.tsv");
  } catch (const radlite::Error&) {
  }
  return 0;
}

RADLITE_FUZZ_ENTRY(fuzz_one)
