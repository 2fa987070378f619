// radlite index: builds a retrieval index directory (documents, BM25, embeddings) from a BEIR corpus.
#include <chrono>
#include <cstdio>
#include <iostream>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/model_loading.h"
#include "cli/progress.h"
#include "cli/retrieval_options.h"
#include "radlite/error.h"
#include "radlite/retrieval/beir.h"
#include "radlite/retrieval/pipeline.h"

namespace radlite::cli {

namespace {

const char kUsage[] =
    "usage: radlite index --corpus corpus.jsonl --out DIR [options]\n"
    "\n"
    "Builds an index directory: documents, a BM25 index and, with --bi-encoder, document embeddings.\n"
    "Each document is indexed as title + \" \" + text (text alone when the title is empty), as BEIR does.\n"
    "An existing DIR is replaced atomically (an interrupted run leaves the previous index intact).\n"
    "\n"
    "options:\n"
    "  --corpus FILE       BEIR corpus.jsonl ({\"_id\", \"title\"?, \"text\"} per line)\n"
    "  --out DIR           index directory to create or replace (its parent must exist)\n"
    "  --bi-encoder DIR    embed documents with this bi-encoder (sentence-transformers directory)\n"
    "  --no-bm25           do not build the BM25 index (requires --bi-encoder)\n"
    "  --batch-size N      documents per encoder call (default 32)\n"
    "  --k1 X --b Y        BM25 parameters (default 1.2, 0.75)\n"
    "  --stopwords none|english   --stemmer none|porter|english   BM25 analysis (default none, none)\n"
    "  --device D --threads N     bi-encoder device (default cpu) and threads (default all cores)\n"
    "  --dtype float32|bfloat16|float16 --max-length N   compute dtype (default float32), tokens per text (default: model's)\n"
    "A progress bar is drawn on stderr when it is a terminal.\n";

}  // namespace

int cmd_index(int argc, char** argv) {
  auto values = bm25_value_options();
  for (const char* v : {"--corpus", "--out", "--bi-encoder", "--batch-size", "--device", "--threads", "--dtype", "--max-length"})
    values.insert(v);
  Args args(argc, argv, values, {"--no-bm25", "--help"});
  if (args.has("--help")) {
    std::cout << kUsage;
    return 0;
  }
  if (!args.positional().empty()) throw InvalidArgument("unexpected argument '" + args.positional()[0] + "'");
  const std::string corpus_path = args.required("--corpus");
  const std::string out = args.required("--out");
  radlite::Pipeline::check_save_target(out);  // refuse a bad --out before the (long) build, not after
  ModelLoadOptions mo = model_load_options(args);

  PipelineOptions po;
  po.bm25 = !args.has("--no-bm25");
  po.encode_batch_size = mo.batch_size;
  apply_bm25_options(args, po.bm25_options);
  std::shared_ptr<const TextEncoder> encoder;
  if (auto dir = args.value("--bi-encoder")) encoder = load_bi_encoder(*dir, mo);
  if (!encoder && !po.bm25) throw InvalidArgument("--no-bm25 needs --bi-encoder: the index would hold nothing to search");

  auto start = std::chrono::steady_clock::now();
  std::vector<BeirDocument> corpus = load_beir_corpus(corpus_path);
  Pipeline pipe(encoder, nullptr, po);
  {
    ProgressBar bar("indexing", corpus.size(), "docs");
    pipe.add(corpus, [&](std::size_t done, std::size_t) { bar.update(done); });
    bar.finish();
  }
  pipe.save(out);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "indexed " << pipe.size() << " documents from " << corpus_path << " into " << out << " (";
  if (pipe.has_bm25()) std::cout << "BM25 k1=" << po.bm25_options.k1 << " b=" << po.bm25_options.b;
  if (pipe.has_bm25() && pipe.has_embeddings()) std::cout << ", ";
  if (pipe.has_embeddings()) std::cout << "embeddings of " << pipe.encoder_identity();
  char buf[96];
  std::snprintf(buf, sizeof buf, ") in %.2f s, %.0f docs/s\n", seconds, seconds > 0 ? pipe.size() / seconds : 0.0);
  std::cout << buf;
  return 0;
}

}  // namespace radlite::cli
