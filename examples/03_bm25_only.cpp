// 03: BM25 alone, no model: index a BEIR corpus and search it.
//
//   ./03_bm25_only [CORPUS_JSONL] ["query" ...]
#include <radlite/error.h>
#include <radlite/retrieval/beir.h>
#include <radlite/retrieval/bm25.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  const std::string corpus_path = argc > 1 ? argv[1] : RADLITE_SOURCE_DIR "/examples/data/cancergov/corpus.jsonl";
  std::vector<std::string> queries(argv + std::min(argc, 2), argv + argc);
  if (queries.empty())
    queries = {"How is neuroblastoma diagnosed with imaging?", "Is radiation therapy used for osteosarcoma?"};
  try {
    std::vector<radlite::BeirDocument> corpus = radlite::load_beir_corpus(corpus_path);
    std::vector<std::string> ids, texts;
    for (const auto& d : corpus) {
      ids.push_back(d.id);
      texts.push_back(radlite::document_text(d));  // title + " " + text, as BEIR does
    }
    radlite::Bm25Index index;  // k1 = 1.2, b = 0.75, Unicode word splitting + lowercasing (see bm25.h)
    index.add(ids, texts);
    std::printf("indexed %zu documents, %zu distinct terms\n", index.size(), index.vocabulary_size());
    for (const auto& q : queries) {
      std::printf("\n%s\n", q.c_str());
      for (const radlite::Hit& h : index.search(q, 5))
        std::printf("  %-28s %8.4f  %.70s\n", index.id(h.doc).c_str(), h.score, texts[h.doc].c_str());
    }
  } catch (const radlite::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
