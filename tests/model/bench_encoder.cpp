// Encoder throughput benchmark (a program, not a test): every number is printed next to a baseline measured in
// the same run, on the same machine and thread count.
//
//   (a) BiEncoder over the CancerGov answers (tiny RoBERTa bi-encoder): the library's batching (length-sorted
//       passes under a padded-token budget) against a naive batcher that pads every batch of batch_size texts, in
//       input order, to the longest text of the whole set, and against length sorting without the token budget.
//   (b) A synthetic RoBERTa-base-sized encoder (random weights, written to a temporary directory): achieved GFLOP/s
//       of a forward pass against a plain at::mm GEMM of the FFN's shape, the roofline the encoder's GEMMs share.
//
// Usage: bench_encoder [--threads N (0 = all cores)] [--repeat N] [--layers N] [--seqs N] [--len N]
//                      [--skip-tiny] [--skip-base]
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "radlite/encoder.h"
#include "radlite/runtime.h"
#include "tiny_model_writer.h"

namespace {

using Clock = std::chrono::steady_clock;

// Best of `repeat` runs: the machine is shared, the minimum is the least disturbed measurement.
double best_seconds(int repeat, const std::function<void()>& f) {
  double best = 1e300;
  for (int i = 0; i < repeat; ++i) {
    const auto t0 = Clock::now();
    f();
    best = std::min(best, std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return best;
}

double max_abs_diff(const radlite::Matrix& a, const radlite::Matrix& b) {
  if (a.size() != b.size()) throw std::runtime_error("result shapes differ");
  double d = 0;
  for (std::size_t i = 0; i < a.size(); ++i) d = std::max(d, std::fabs(double(a.data()[i]) - b.data()[i]));
  return d;
}

struct Args {
  int threads = 0, repeat = 3, layers = 12, seqs = 32, len = 256;
  bool skip_base = false, skip_tiny = false;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    auto value = [&] {
      if (i + 1 >= argc) throw std::invalid_argument(k + " needs a value");
      return std::stoi(argv[++i]);
    };
    if (k == "--threads")
      a.threads = value();
    else if (k == "--repeat")
      a.repeat = std::max(1, value());
    else if (k == "--layers")
      a.layers = std::max(1, value());
    else if (k == "--seqs")
      a.seqs = std::max(1, value());
    else if (k == "--len")
      a.len = std::clamp(value(), 2, 512);
    else if (k == "--skip-base")
      a.skip_base = true;
    else if (k == "--skip-tiny")
      a.skip_tiny = true;
    else
      throw std::invalid_argument("unknown option " + k);
  }
  return a;
}

void bench_cancergov(const Args& args) {
  const std::string model = std::string(RADLITE_MODELS_DIR) + "/roberta-biencoder-tiny";
  std::vector<std::string> texts;
  {
    std::ifstream in(std::string(RADLITE_EXAMPLES_DATA_DIR) + "/cancergov/corpus.jsonl");
    std::string line;
    while (std::getline(in, line))
      if (!line.empty()) texts.push_back(nlohmann::json::parse(line).at("text").get<std::string>());
  }
  if (texts.empty()) throw std::runtime_error("no CancerGov texts found");

  radlite::set_num_threads(args.threads);
  radlite::BiEncoderOptions o;
  const auto budget = radlite::BiEncoder::load(model, o);
  radlite::BiEncoderOptions nb = o;
  nb.compute.max_batch_tokens = 0;
  const auto unbudgeted = radlite::BiEncoder::load(model, nb);

  std::vector<std::vector<std::int32_t>> ids;
  std::size_t tokens = 0, longest = 0;
  for (const auto& t : texts) {
    ids.push_back(budget.tokenize(t));
    tokens += ids.back().size();
    longest = std::max(longest, ids.back().size());
  }
  // The naive batcher: every row padded with the pad id to the longest row of the set, batches in input order.
  // Pads fed as ordinary tokens cost exactly what padded positions cost, which is what this baseline measures.
  std::vector<std::vector<std::int32_t>> padded = ids;
  for (auto& r : padded) r.resize(longest, 1);

  radlite::Matrix ref, fast;
  const double t_naive = best_seconds(args.repeat, [&] { unbudgeted.encode_ids(padded); });
  const double t_sorted = best_seconds(args.repeat, [&] { ref = unbudgeted.encode_ids(ids); });
  const double t_budget = best_seconds(args.repeat, [&] { fast = budget.encode_ids(ids); });

  std::printf(
      "(a) BiEncoder roberta-biencoder-tiny, CancerGov answers: %zu texts, %zu tokens (longest %zu), "
      "batch_size 32, threads %d, best of %d\n",
      texts.size(), tokens, longest, at::get_num_threads(), args.repeat);
  std::printf("  %-44s %9s %9s %11s %8s\n", "batching", "seconds", "texts/s", "tokens/s", "speedup");
  auto row = [&](const char* name, double t) {
    std::printf("  %-44s %9.3f %9.1f %11.0f %7.2fx\n", name, t, texts.size() / t, tokens / t, t_naive / t);
  };
  row("naive: input order, padded to longest text", t_naive);
  row("length-sorted, no token budget", t_sorted);
  row("length-sorted + 8192-token budget (default)", t_budget);
  std::printf("  max |difference| sorted vs budgeted embeddings: %.2e\n\n", max_abs_diff(ref, fast));
  std::fflush(stdout);
}

void bench_base(const Args& args) {
  namespace fs = std::filesystem;
  radlite::test_support::TinySpec spec;
  spec.model_type = "roberta";
  spec.hidden = 768;
  spec.heads = 12;
  spec.layers = args.layers;
  spec.intermediate = 3072;
  spec.vocab = 1000;  // the vocabulary costs a lookup, not FLOPs; a small one keeps the file small
  spec.max_positions = 514;
  spec.act = "gelu";
  const fs::path dir = fs::temp_directory_path() / ("radlite_bench_base_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  radlite::test_support::write_tiny_model(spec, dir.string());

  radlite::set_num_threads(args.threads);
  radlite::BiEncoderOptions o;
  const auto enc = radlite::BiEncoder::load(dir.string(), o);
  fs::remove_all(dir);

  // Equal lengths, so the FLOPs executed are exact: no padding whatever the batching.
  const std::int64_t S = args.seqs, L = args.len, H = spec.hidden, I = spec.intermediate, T = S * L;
  std::vector<std::vector<std::int32_t>> ids(static_cast<std::size_t>(S));
  for (std::int64_t s = 0; s < S; ++s) {
    auto& r = ids[static_cast<std::size_t>(s)];
    r.push_back(0);
    for (std::int64_t j = 1; j + 1 < L; ++j) r.push_back(static_cast<std::int32_t>(3 + (s * 131 + j * 17) % 990));
    r.push_back(2);
  }
  const double per_layer = 2.0 * T * H * (3 * H) + 2.0 * T * H * H + 2.0 * 2.0 * T * H * I  // projections, FFN
                           + 2.0 * 2.0 * S * L * L * H;                                     // scores, context
  const double flops = per_layer * spec.layers;
  enc.encode_ids({ids.front()});  // warm-up
  const double t_enc = best_seconds(args.repeat, [&] { enc.encode_ids(ids); });

  at::Tensor a = at::randn({T, H}), b = at::randn({H, I}), c = at::empty({T, I});
  at::mm_out(c, a, b);  // warm-up
  const double t_mm = best_seconds(args.repeat, [&] { at::mm_out(c, a, b); });
  const double mm_flops = 2.0 * T * H * I;

  std::printf(
      "(b) synthetic RoBERTa-base size (hidden 768, 12 heads, FFN 3072, %d layers): %lld sequences x %lld "
      "tokens, threads %d, best of %d\n",
      spec.layers, static_cast<long long>(S), static_cast<long long>(L), at::get_num_threads(), args.repeat);
  std::printf("  %-44s %9s %9s %9s\n", "", "seconds", "GFLOP/s", "of GEMM");
  std::printf("  %-44s %9.3f %9.1f %8.0f%%\n", "at::mm [T x 768] x [768 x 3072] (roofline)", t_mm,
              mm_flops / t_mm * 1e-9, 100.0);
  std::printf("  %-44s %9.3f %9.1f %8.0f%%\n", "BiEncoder::encode_ids forward pass", t_enc, flops / t_enc * 1e-9,
              100.0 * (flops / t_enc) / (mm_flops / t_mm));
  std::printf("  tokens/s %.0f\n", T / t_enc);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Args args = parse(argc, argv);
    if (!args.skip_tiny) bench_cancergov(args);
    if (!args.skip_base) bench_base(args);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "bench_encoder: " << e.what() << "\n";
    return 1;
  }
}
