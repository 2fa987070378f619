// Retrieval throughput on one thread, each figure with a baseline measured in the same run:
//   * BM25 indexing (docs/s) over the CancerGov corpus vs a straightforward per-document term-count map
//     index (what rank_bm25-style implementations build); Lucene's quoted figure for reference;
//   * BM25 search (queries/s, top 10) vs a naive scorer that scans every document per query, whose
//     rankings are checked to agree; Lucene's quoted figure for reference;
//   * exact dense search (GB/s of the stored matrix scanned) vs a streaming read (sum) and memcpy of the
//     same matrix.
// Rates are per second of this thread's CPU time (wall-clock in parentheses) for BM25; GB/s use wall time.
// Usage: bench_retrieval [beir_dir] [dense_rows] [dense_dim]
#include <radlite/retrieval/analyzer.h>
#include <radlite/retrieval/beir.h>
#include <radlite/retrieval/bm25.h>
#include <radlite/retrieval/dense.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// Seconds per call of fn(), best of several rounds (at least min_seconds in all). Both wall-clock and this
// thread's CPU time are kept: on a shared machine the CPU time is the fairer single-thread figure, since
// the wall clock also counts time the thread spent descheduled.
struct Timing {
  double wall = 1e300;
  double cpu = 1e300;
};

template <typename Fn>
Timing time_per_call(Fn fn, double min_seconds = 1.0) {
  Timing best;
  double total = 0.0;
  int calls = 0;
  while (total < min_seconds || calls < 3) {
    const auto t0 = Clock::now();
    const double c0 = thread_cpu_seconds();
    fn();
    const double c = thread_cpu_seconds() - c0;
    const double s = seconds_since(t0);
    best.wall = std::min(best.wall, s);
    best.cpu = std::min(best.cpu, c);
    total += s;
    ++calls;
  }
  return best;
}

// The baseline BM25: per-document hash maps of term counts, every document scored for every query.
struct NaiveBm25 {
  std::vector<std::unordered_map<std::string, int>> docs;
  std::unordered_map<std::string, int> df;
  std::vector<int> lengths;
  double avglen = 0.0;
  double k1 = 1.2, b = 0.75;

  void build(const radlite::Analyzer& analyzer, const std::vector<std::string>& texts) {
    docs.clear();
    df.clear();
    lengths.clear();
    double total = 0.0;
    std::size_t nonempty = 0;
    for (const auto& t : texts) {
      std::unordered_map<std::string, int> counts;
      const auto terms = analyzer.analyze(t);
      for (const auto& w : terms) ++counts[w];
      for (const auto& [w, c] : counts) ++df[w];
      lengths.push_back(static_cast<int>(terms.size()));
      total += static_cast<double>(terms.size());
      nonempty += terms.empty() ? 0 : 1;
      docs.push_back(std::move(counts));
    }
    avglen = total / static_cast<double>(nonempty);
  }

  std::vector<radlite::Hit> search(const radlite::Analyzer& analyzer, const std::string& q, std::size_t k) const {
    const auto terms = analyzer.analyze(q);
    const double n = static_cast<double>(std::count_if(lengths.begin(), lengths.end(), [](int l) { return l > 0; }));
    std::vector<radlite::Hit> all;
    for (std::size_t d = 0; d < docs.size(); ++d) {
      double s = 0.0;
      for (const auto& t : terms) {
        auto it = docs[d].find(t);
        if (it == docs[d].end()) continue;
        const double dfv = df.at(t), tf = it->second;
        s += std::log(1.0 + (n - dfv + 0.5) / (dfv + 0.5)) * tf / (tf + k1 * (1 - b + b * lengths[d] / avglen));
      }
      if (s > 0) all.push_back({d, s});
    }
    std::sort(all.begin(), all.end(), radlite::ranks_before);
    if (all.size() > k) all.resize(k);
    return all;
  }
};

}  // namespace

int main(int argc, char** argv) {
  const std::string dir =
      argc > 1 && argv[1][0] != '\0' ? argv[1] : std::string(RADLITE_EXAMPLES_DATA_DIR) + "/cancergov";
  const std::size_t dense_rows = argc > 2 ? std::stoul(argv[2]) : 200000;
  const std::size_t dense_dim = argc > 3 ? std::stoul(argv[3]) : 384;

  const auto data = radlite::load_beir(dir);
  std::vector<std::string> ids, texts, queries;
  std::size_t bytes = 0;
  for (const auto& d : data.corpus) {
    ids.push_back(d.id);
    texts.push_back(radlite::document_text(d));
    bytes += texts.back().size();
  }
  for (const auto& q : data.queries) queries.push_back(q.text);
  std::printf("corpus %s: %zu docs (%.1f KB of text), %zu queries; one thread\n", dir.c_str(), ids.size(),
              bytes / 1024.0, queries.size());

  // --- BM25 indexing
  const Timing index_s = time_per_call([&] {
    radlite::Bm25Index index;
    index.add(ids, texts);
  });
  const radlite::Analyzer analyzer;
  NaiveBm25 naive;
  const Timing naive_index_s = time_per_call([&] { naive.build(analyzer, texts); });
  const double index_rate = ids.size() / index_s.cpu, naive_index_rate = ids.size() / naive_index_s.cpu;
  std::printf(
      "BM25 indexing:  radlite %9.0f docs/s (wall %9.0f) | naive map index %9.0f docs/s (wall %9.0f) | "
      "ratio %.2fx | vs Lucene 8.7 quoted ~4,100 docs/s: %.1fx\n",
      index_rate, ids.size() / index_s.wall, naive_index_rate, ids.size() / naive_index_s.wall,
      index_rate / naive_index_rate, index_rate / 4100.0);

  // --- BM25 search
  radlite::Bm25Index index;
  index.add(ids, texts);
  std::size_t mismatches = 0;
  for (std::size_t q = 0; q < queries.size(); ++q) {
    const auto a = index.search(queries[q], 10), b = naive.search(analyzer, queries[q], 10);
    bool same = a.size() == b.size();
    for (std::size_t i = 0; same && i < a.size(); ++i)
      same = a[i].doc == b[i].doc && std::fabs(a[i].score - b[i].score) < 1e-9;
    mismatches += same ? 0 : 1;
  }
  const Timing search_s = time_per_call([&] {
    for (const auto& q : queries) {
      auto hits = index.search(q, 10);
      if (hits.size() > 10) std::abort();
    }
  });
  const Timing naive_search_s = time_per_call([&] {
    for (const auto& q : queries) {
      auto hits = naive.search(analyzer, q, 10);
      if (hits.size() > 10) std::abort();
    }
  });
  const double qps = queries.size() / search_s.cpu, naive_qps = queries.size() / naive_search_s.cpu;
  std::printf(
      "BM25 search:    radlite %9.0f queries/s (wall %9.0f) | naive full scan %7.0f queries/s (wall %7.0f) | "
      "ratio %.1fx | vs Lucene 8.7 quoted ~2,000 queries/s: %.1fx | top-10 disagreements with naive: %zu\n",
      qps, queries.size() / search_s.wall, naive_qps, queries.size() / naive_search_s.wall, qps / naive_qps,
      qps / 2000.0, mismatches);

  // --- Dense exact search
  radlite::Matrix docs(dense_rows, dense_dim);
  std::mt19937 rng(42);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (std::size_t i = 0; i < docs.size(); ++i) docs.data()[i] = dist(rng);
  radlite::DenseIndex dense(dense_dim);
  dense.add(docs);
  radlite::Matrix qs(32, dense_dim);
  for (std::size_t i = 0; i < qs.size(); ++i) qs.data()[i] = dist(rng);
  const double matrix_gb = static_cast<double>(docs.size() * sizeof(float)) / 1e9;

  volatile float sink = 0.0f;
  const Timing read_s = time_per_call([&] {
    // Streaming read baseline: a vectorisable sum over the matrix (8 independent accumulators).
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    const float* p = docs.data();
    const std::size_t n = docs.size() / 8 * 8;
    for (std::size_t i = 0; i < n; i += 8) {
      for (int j = 0; j < 8; ++j) acc[j] += p[i + j];
    }
    float s = 0.0f;
    for (float a : acc) s += a;
    sink = sink + s;
  });
  std::vector<float> copy(docs.size());
  const Timing memcpy_s = time_per_call([&] {
    std::memcpy(copy.data(), docs.data(), docs.size() * sizeof(float));
    sink = sink + copy[12345 % copy.size()];
  });
  std::size_t qi = 0;
  const Timing one_s = time_per_call([&] {
    auto hits = dense.search(qs.row(qi++ % qs.rows()), 10);
    sink = sink + static_cast<float>(hits[0].score);
  });
  const Timing batch_s = time_per_call([&] {
    auto hits = dense.search(qs, 10);
    sink = sink + static_cast<float>(hits[0][0].score);
  });
  // Bandwidth figures use wall-clock time (memory, not the CPU, is the limit), baseline in the same run.
  const double read_gbs = matrix_gb / read_s.wall, memcpy_gbs = matrix_gb / memcpy_s.wall;
  const double one_gbs = matrix_gb / one_s.wall, batch_gbs = matrix_gb * qs.rows() / batch_s.wall;
  std::printf("Dense exact:    matrix %zu x %zu (%.2f GB)\n", dense_rows, dense_dim, matrix_gb);
  std::printf("  streaming read (sum) %6.2f GB/s | memcpy %6.2f GB/s (bytes read)\n", read_gbs, memcpy_gbs);
  std::printf("  1 query:   %6.2f GB/s scanned (%.2f ms/query) | ratio vs streaming read %.2f, vs memcpy %.2f\n",
              one_gbs, one_s.wall * 1e3, one_gbs / read_gbs, one_gbs / memcpy_gbs);
  std::printf("  32 queries batched: %6.2f GB/s effective (%.3f ms/query) | ratio vs streaming read %.2f\n", batch_gbs,
              batch_s.wall * 1e3 / qs.rows(), batch_gbs / read_gbs);
  return mismatches == 0 ? 0 : 1;
}
