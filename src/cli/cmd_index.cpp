// radlite index: builds a retrieval index directory (documents, BM25, embeddings) from a BEIR corpus.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

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
    "An existing DIR is replaced atomically (an interrupted run leaves the previous index intact), and only\n"
    "when it is a radlite index. With --append, --delete or --merge the index in DIR is changed instead: only\n"
    "new segments and deletion lists are written (pass the --bi-encoder that built it when it has embeddings).\n"
    "A progress bar is drawn on stderr when it is a terminal.";

struct IndexArgs {
  std::string corpus, out, bi_encoder, delete_file;
  bool no_bm25 = false, append = false, merge = false;
  ModelLoadOptions model;
  PipelineOptions pipeline;
};

std::vector<std::string> read_ids(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw IoError(path + ": cannot open for reading");
  std::vector<std::string> ids;
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
    if (!line.empty()) ids.push_back(line);
  }
  if (in.bad()) throw IoError(path + ": read failed");
  return ids;
}

// --append / --delete / --merge: load the index in --out, change it, save it back (incrementally).
void run_change(IndexArgs& a) {
  std::shared_ptr<const TextEncoder> encoder;
  if (!a.bi_encoder.empty()) encoder = load_bi_encoder(a.bi_encoder, a.model);
  const auto start = std::chrono::steady_clock::now();
  Pipeline pipe = Pipeline::load(a.out, encoder, nullptr);
  std::string what;
  if (a.append) {
    std::vector<BeirDocument> corpus = load_beir_corpus(a.corpus);
    ProgressBar bar("appending", corpus.size(), "docs");
    pipe.update(corpus, [&](std::size_t done, std::size_t) { bar.update(done); });
    bar.finish();
    what = "appended " + std::to_string(corpus.size()) + " documents";
  }
  if (!a.delete_file.empty()) {
    const std::vector<std::string> ids = read_ids(a.delete_file);
    what += std::string(what.empty() ? "" : ", ") + "deleted " + std::to_string(pipe.remove(ids)) + " of " +
            std::to_string(ids.size()) + " ids";
  }
  if (a.merge) {
    pipe.merge();
    what += std::string(what.empty() ? "" : ", ") + "merged into one segment";
  }
  pipe.save(a.out);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  char buf[64];
  std::snprintf(buf, sizeof buf, " in %.2f s\n", seconds);
  std::cout << a.out << ": " << what << "; " << pipe.live_size() << " live documents in " << pipe.segments().size()
            << " segments" << buf;
}

void run_index(IndexArgs& a) {
  const bool change = a.append || a.merge || !a.delete_file.empty();
  if (change) {
    if (a.append && a.corpus.empty()) throw InvalidArgument("--append needs --corpus");
    if (!a.append && !a.corpus.empty()) throw InvalidArgument("--corpus with --delete or --merge needs --append");
    return run_change(a);
  }
  if (a.corpus.empty()) throw InvalidArgument("--corpus is required (or one of --append, --delete, --merge)");
  if (a.pipeline.dense_kind != DenseKind::kExact && a.bi_encoder.empty())
    throw InvalidArgument(std::string("--dense ") + dense_kind_name(a.pipeline.dense_kind) + " needs --bi-encoder");
  Pipeline::check_save_target(a.out);  // refuse a bad --out (not an index) before the long build, not after
  PipelineOptions& po = a.pipeline;
  po.bm25 = !a.no_bm25;
  po.encode_batch_size = a.model.compute.batch_size;
  std::shared_ptr<const TextEncoder> encoder;
  if (!a.bi_encoder.empty()) encoder = load_bi_encoder(a.bi_encoder, a.model);
  if (!encoder && !po.bm25)
    throw InvalidArgument("--no-bm25 needs --bi-encoder: the index would hold nothing to search");

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
      ->type_name("FILE");
  cmd->add_option("--out", a->out, "index directory to create or replace (its parent must exist)")
      ->type_name("DIR")
      ->required();
  cmd->add_option("--bi-encoder", a->bi_encoder,
                  "embed documents with this bi-encoder (sentence-transformers directory)")
      ->type_name("DIR");
  cmd->add_flag("--no-bm25", a->no_bm25, "do not build the BM25 index (requires --bi-encoder)");
  cmd->add_flag("--append", a->append, "add --corpus to the index in --out (a document whose id is there replaces it)");
  cmd->add_option("--delete", a->delete_file, "delete the ids listed in FILE (one per line) from the index in --out")
      ->type_name("FILE");
  cmd->add_flag("--merge", a->merge, "rewrite the index's segments into one (deleted documents dropped)");
  add_dense_index_options(*cmd, a->pipeline);
  cmd->add_option("--max-segments", a->pipeline.max_segments, "merge policy: segments kept before merging; 0 = never")
      ->type_name("N")
      ->check(integer_in(0, 1 << 20))
      ->capture_default_str()
      ->group("Segments");
  add_bm25_options(*cmd, a->pipeline.bm25_options);
  add_model_options(*cmd, a->model);
  cmd->callback([a] { run_index(*a); });
}

}  // namespace radlite::cli
