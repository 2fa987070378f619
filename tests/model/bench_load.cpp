// Model load time (a program, not a test): BiEncoder::load, the identity() an index records (the weights'
// SHA-256), and raw SHA-256 throughput on the checkpoint, each the best of N runs. The file stays in the page
// cache after the first run, so the numbers are CPU cost, not disk speed.
//
// Usage: bench_load MODEL_DIR [--repeat N]
// A RoBERTa-base-sized MODEL_DIR (500 MB of F32 weights, random) is what the SHA-256 change was measured on; any
// model directory works.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>

#include "io/safetensors.h"
#include "io/sha256.h"
#include "radlite/encoder.h"

namespace {

double best_seconds(int repeat, const std::function<void()>& f) {
  double best = 1e300;
  for (int i = 0; i < repeat; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_load MODEL_DIR [--repeat N]\n");
    return 2;
  }
  const std::string dir = argv[1];
  int repeat = 3;
  if (argc >= 4 && std::string(argv[2]) == "--repeat") repeat = std::max(1, std::atoi(argv[3]));
  try {
    const auto files = radlite::io::Checkpoint::open_directory(dir).files();
    double bytes = 0;
    std::string digest;
    const double hash_s = best_seconds(repeat, [&] {
      for (const auto& f : files) digest = radlite::io::sha256_file(f);
    });
    for (const auto& f : files) bytes += static_cast<double>(std::filesystem::file_size(f));
    const double load_s = best_seconds(repeat, [&] { (void)radlite::BiEncoder::load(dir); });
    const double load_identity_s = best_seconds(repeat, [&] { (void)radlite::BiEncoder::load(dir).identity(); });
    std::printf("checkpoint: %s (%.0f MB in %zu file(s))\n", dir.c_str(), bytes / 1e6, files.size());
    std::printf("sha256_file:            %7.3f s  (%.0f MB/s)\n", hash_s, bytes / 1e6 / hash_s);
    std::printf("load:                   %7.3f s\n", load_s);
    std::printf("load + identity():      %7.3f s  (identity adds %.0f%% to the load)\n", load_identity_s,
                100.0 * (load_identity_s - load_s) / load_s);
    std::printf("best of %d runs\n", repeat);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_load: %s\n", e.what());
    return 1;
  }
  return 0;
}
