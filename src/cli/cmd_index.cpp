// radlite index: builds a retrieval index directory (documents, BM25, embeddings) from a BEIR corpus.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/model_loading.h"
#include "cli/options.h"
#include "cli/progress.h"
#include "radlite/error.h"
#include "radlite/retrieval/beir.h"
#include "radlite/retrieval/pipeline.h"

namespace radlite::cli {

namespace {

const char kHelp[] =
    "Builds an index directory: documents, a BM25 index and, with --bi-encoder, document embeddings.\n"
    "Each document is indexed as title + \" \" + text (text alone when the title is empty), as BEIR does.\n"
    "An existing DIR is replaced atomically (an interrupted run leaves the previous index intact).\n"
    "A progress bar is drawn on stderr when it is a terminal.";

struct IndexArgs {
  std::string corpus, out, bi_encoder;
  bool no_bm25 = false;
  ModelLoadOptions model;
  PipelineOptions pipeline;
};

void run_index(IndexArgs& a) {
  Pipeline::check_save_target(a.out);  // refuse a bad --out (not an index) before the long build, not after
  PipelineOptions& po = a.pipeline;
  po.bm25 = !a.no_bm25;
  po.encode_batch_size = a.model.compute.batch_size;
  std::shared_ptr<const TextEncoder> encoder;
  if (!a.bi_encoder.empty()) encoder = load_bi_encoder(a.bi_encoder, a.model);
  if (!encoder && !po.bm25) throw InvalidArgument("--no-bm25 needs --bi-encoder: the index would hold nothing to search");

  const auto start = std::chrono::steady_clock::now();
  std::vector<BeirDocument> corpus = load_beir_corpus(a.corpus);
  Pipeline pipe(encoder, nullptr, po);
  {
    ProgressBar bar("indexing", corpus.size(), "docs");
    pipe.add(corpus, [&](std::size_t done, std::size_t) { bar.update(done); });
    bar.finish();
  }
  pipe.save(a.out);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "indexed " << pipe.size() << " documents from " << a.corpus << " into " << a.out << " (";
  if (pipe.has_bm25()) std::cout << "BM25 k1=" << po.bm25_options.k1 << " b=" << po.bm25_options.b;
  if (pipe.has_bm25() && pipe.has_embeddings()) std::cout << ", ";
  if (pipe.has_embeddings()) std::cout << "embeddings of " << pipe.encoder_identity();
  char buf[96];
  std::snprintf(buf, sizeof buf, ") in %.2f s, %.0f docs/s\n", seconds, seconds > 0 ? pipe.size() / seconds : 0.0);
  std::cout << buf;
}

}  // namespace

void add_index_command(CLI::App& root) {
  auto a = std::make_shared<IndexArgs>();
  CLI::App* cmd = root.add_subcommand("index", "build a retrieval index directory from a BEIR corpus");
  cmd->footer(kHelp);
  cmd->add_option("--corpus", a->corpus, "BEIR corpus.jsonl ({\"_id\", \"title\"?, \"text\"} per line)")
      ->type_name("FILE")
      ->required();
  cmd->add_option("--out", a->out, "index directory to create or replace (its parent must exist)")
      ->type_name("DIR")
      ->required();
  cmd->add_option("--bi-encoder", a->bi_encoder, "embed documents with this bi-encoder (sentence-transformers directory)")
      ->type_name("DIR");
  cmd->add_flag("--no-bm25", a->no_bm25, "do not build the BM25 index (requires --bi-encoder)");
  add_bm25_options(*cmd, a->pipeline.bm25_options);
  add_model_options(*cmd, a->model);
  cmd->callback([a] { run_index(*a); });
}

}  // namespace radlite::cli
