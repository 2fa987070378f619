// Pipeline overheads, each figure as a ratio against a baseline measured in the same run (CancerGov corpus):
//   * search: Pipeline::search_batch with BM25 alone vs Bm25Index::search_batch on the same index
//     (what the stage bookkeeping, hit assembly and id lookup cost on top of BM25);
//   * save: Pipeline::save (temp directory, sha256 while writing, fsync of files and directories, atomic
//     exchange) vs writing the same three files with plain ofstreams and no fsync;
//   * load: Pipeline::load (size and sha256 checks, JSON documents, consistency checks) vs reading the same
//     files back with the retrieval-core loaders and no verification.
// Times are the best of several rounds (wall clock; this machine is shared, so the minimum is the fairest).
// Usage: bench_pipeline [beir_dir] [scratch_dir]
#include <radlite/retrieval/beir.h>
#include <radlite/retrieval/bm25.h>
#include <radlite/retrieval/pipeline.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

template <typename Fn>
double best_seconds(Fn fn, int rounds = 5) {
  double best = 1e300;
  for (int i = 0; i < rounds; ++i) {
    auto t0 = Clock::now();
    fn();
    best = std::min(best, std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string data = argc > 1 ? argv[1] : RADLITE_EXAMPLES_DATA_DIR "/cancergov";
  const std::string scratch =
      argc > 2 ? argv[2]
               : (std::filesystem::temp_directory_path() / ("radlite_bench_pipeline_" + std::to_string(::getpid())))
                     .string();
  std::filesystem::create_directories(scratch);
  radlite::BeirDataset ds = radlite::load_beir(data, "test");
  std::vector<std::string> queries, ids, texts;
  for (const auto& q : ds.queries) queries.push_back(q.text);
  for (const auto& d : ds.corpus) ids.push_back(d.id), texts.push_back(radlite::document_text(d));

  radlite::Pipeline pipe(nullptr, nullptr);
  pipe.add(ds.corpus);
  radlite::Bm25Index bm25;
  bm25.add(ids, texts);

  radlite::SearchOptions so;
  so.k = 10;
  so.candidates = 10;
  double t_bm25 = best_seconds([&] { bm25.search_batch(queries, 10); });
  double t_pipe = best_seconds([&] { pipe.search_batch(queries, so); });
  std::printf("search (%zu queries, top 10, BM25 only)\n", queries.size());
  std::printf("  Bm25Index::search_batch   %9.1f queries/s\n", queries.size() / t_bm25);
  std::printf("  Pipeline::search_batch    %9.1f queries/s   time ratio %.2fx of the baseline\n",
              queries.size() / t_pipe, t_pipe / t_bm25);

  const std::string index_dir = scratch + "/index", plain_dir = scratch + "/plain";
  std::filesystem::create_directories(plain_dir);
  double t_save = best_seconds([&] { pipe.save(index_dir); });
  double t_plain = best_seconds([&] {
    {
      std::ofstream out(plain_dir + "/documents.jsonl");
      for (const auto& d : ds.corpus) out << d.id << '\t' << d.title << '\t' << d.text << '\n';
    }
    std::ofstream out(plain_dir + "/bm25.bin", std::ios::binary);
    bm25.save(out);
  });
  auto bytes =
      std::filesystem::file_size(index_dir + "/bm25.bin") + std::filesystem::file_size(index_dir + "/documents.jsonl");
  std::printf("save (%.1f MB)\n", bytes / 1e6);
  std::printf("  plain ofstream, no fsync  %9.1f ms\n", 1e3 * t_plain);
  std::printf("  Pipeline::save (atomic)   %9.1f ms   time ratio %.2fx\n", 1e3 * t_save, t_save / t_plain);

  double t_load = best_seconds([&] { radlite::Pipeline::load(index_dir, nullptr, nullptr); });
  double t_raw = best_seconds([&] {
    std::ifstream in(index_dir + "/bm25.bin", std::ios::binary);
    radlite::Bm25Index::load(in, "bm25.bin");
    radlite::load_beir_corpus(index_dir + "/documents.jsonl");
  });
  std::printf("load\n");
  std::printf("  core loaders, unverified  %9.1f ms\n", 1e3 * t_raw);
  std::printf("  Pipeline::load (verified) %9.1f ms   time ratio %.2fx\n", 1e3 * t_load, t_load / t_raw);
  std::filesystem::remove_all(scratch);
  return 0;
}
