// Scale benchmark for issue 10 (a program, not a test). One run measures, on synthetic data:
//   dense:  N clustered unit vectors (768-d by default), Q queries from the same clusters; exact search
//           (the baseline; also with float16 storage) vs HNSW at several efSearch: recall@10 against exact, queries/s
//           on one thread, build time, peak RSS over the phase (each index kind runs in its own child process);
//   bm25:   N documents with a Zipf vocabulary and report-like lengths; top-10 queries/s (MaxScore or a scan) vs
//           exhaustive scoring (the baseline, and the oracle: hits must be identical), index memory;
//   append: an N-document index (BM25 + exact vectors) saved, then 1,000 documents appended and saved
//           (time vs the full save), a delete visible after reload, merge identical to a fresh build;
//   load:   load time and RSS of that index with postings, documents and vectors mapped vs read into memory.
// Run with OMP_NUM_THREADS set to the build threads (FAISS trains with OpenMP; one query uses one thread).
// Usage: bench_scale [--docs N] [--bm25-docs N] [--dim D] [--queries Q] [--threads T] [--hnsw-m M] [--dir PATH]
//                    [--skip dense,approx,hnsw,bm25,append,build,cleanup]   (approx: the HNSW and IVF-PQ rows of
//                    dense; hnsw: the HNSW rows only; build: the load rows alone, on the index in --dir;
//                    cleanup: leave the index in --dir for such a run)
#include <radlite/retrieval/bm25.h>
#include <radlite/retrieval/pipeline.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace radlite;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// VmRSS / VmHWM of this process in MiB.
double proc_mib(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key, 0) == 0) return std::stod(line.substr(std::strlen(key))) / 1024.0;
  return 0.0;
}

struct Args {
  std::size_t docs = 200000, bm25_docs = 0, dim = 768, queries = 200, hnsw_m = 16;
  unsigned threads = 2;
  std::string dir = "/tmp/radlite_bench_scale", skip;
};

// Vectors of text "v<i>" are row i of a table; queries "q<i>" are rows of a second table.
class TableEncoder : public TextEncoder {
 public:
  TableEncoder(const Matrix* docs, const Matrix* queries) : docs_(docs), queries_(queries) {}
  Matrix encode_texts(const std::vector<std::string>& texts) const override {
    Matrix m(texts.size(), docs_->cols());
    for (std::size_t i = 0; i < texts.size(); ++i) {
      const Matrix* t = texts[i][0] == 'q' ? queries_ : docs_;
      const std::size_t row = std::stoul(texts[i].substr(1, texts[i].find(' ') - 1));
      std::copy(t->row(row), t->row(row) + t->cols(), m.row(i));
    }
    return m;
  }
  std::size_t dimension() const override { return docs_->cols(); }
  std::string identity() const override { return "bench-table-" + std::to_string(docs_->cols()); }

 private:
  const Matrix* docs_;
  const Matrix* queries_;
};

// n unit vectors around `clusters` random centres (noise 0.6 of the centre norm per vector): clustered,
// like sentence embeddings of a topical corpus, not uniform on the sphere.
Matrix clustered(std::size_t n, std::size_t dim, std::size_t clusters, unsigned seed, const Matrix* centres_in,
                 Matrix* centres_out) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0.0f, 1.0f);
  Matrix centres;
  if (centres_in) {
    centres = *centres_in;
  } else {
    centres = Matrix(clusters, dim);
    for (std::size_t i = 0; i < centres.size(); ++i) centres.data()[i] = g(rng);
  }
  if (centres_out) *centres_out = centres;
  Matrix m(n, dim);
  const float noise = 0.6f;
  for (std::size_t i = 0; i < n; ++i) {
    const float* c = centres.row(rng() % clusters);
    float* r = m.row(i);
    double sq = 0.0;
    for (std::size_t j = 0; j < dim; ++j) {
      r[j] = c[j] + noise * g(rng);
      sq += static_cast<double>(r[j]) * r[j];
    }
    const float inv = static_cast<float>(1.0 / std::sqrt(sq));
    for (std::size_t j = 0; j < dim; ++j) r[j] *= inv;
  }
  return m;
}

SearchOptions dense_only(std::size_t k, std::size_t ef) {
  SearchOptions o;
  o.k = k;
  o.candidates = k;
  o.use_bm25 = false;
  o.use_reranker = false;
  o.ef_search = ef;
  return o;
}

std::vector<BeirDocument> vector_docs(std::size_t n) {
  std::vector<BeirDocument> docs(n);
  for (std::size_t i = 0; i < n; ++i) docs[i] = {"doc" + std::to_string(i), "", "v" + std::to_string(i)};
  return docs;
}

// Runs fn in a child process (so each phase's peak RSS is its own); returns when it exits.
template <typename F>
void in_child(const char* name, F fn) {
  std::fflush(stdout);
  pid_t pid = ::fork();
  if (pid == 0) {
    try {
      fn();
    } catch (const std::exception& e) {
      std::printf("%s: failed: %s\n", name, e.what());
    }
    std::fflush(stdout);
    _exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
}

void bench_dense(const Args& a) {
  Matrix centres;
  const Matrix docs = clustered(a.docs, a.dim, 1000, 1, nullptr, &centres);
  const Matrix qs = clustered(a.queries, a.dim, 1000, 2, &centres, nullptr);
  auto enc = std::make_shared<TableEncoder>(&docs, &qs);
  std::vector<std::string> queries;
  for (std::size_t i = 0; i < a.queries; ++i) queries.push_back("q" + std::to_string(i));
  const double matrix_mib = static_cast<double>(docs.size()) * 4 / (1 << 20);
  std::printf("dense: %zu x %zu clustered vectors (float32 matrix %.0f MiB), %zu queries, top 10, one search thread\n",
              a.docs, a.dim, matrix_mib, a.queries);
  // Exact results (the ground truth) are computed in the parent and written for the children.
  std::vector<std::vector<std::string>> truth(a.queries);
  double exact_qps = 0.0;
  {
    const double rss0 = proc_mib("VmRSS:");
    PipelineOptions po;
    po.bm25 = false;
    Pipeline exact(enc, nullptr, po);
    auto t0 = Clock::now();
    exact.add(vector_docs(a.docs));
    const double build = since(t0);
    t0 = Clock::now();
    for (std::size_t q = 0; q < a.queries; ++q)
      for (const auto& h : exact.search(queries[q], dense_only(10, 1))) truth[q].push_back(h.id);
    exact_qps = static_cast<double>(a.queries) / since(t0);
    std::printf("  exact   build %7.1f s  %8.1f q/s  recall@10 1.000  index memory %7.0f MiB\n", build, exact_qps,
                proc_mib("VmRSS:") - rss0);
  }
  in_child("exact float16", [&] {
    // float16 storage: half the vector memory and bandwidth; recall against float32 storage.
    const double rss0 = proc_mib("VmRSS:");
    PipelineOptions po;
    po.bm25 = false;
    po.vector_dtype = VectorDtype::kFloat16;
    Pipeline half(enc, nullptr, po);
    auto t0 = Clock::now();
    half.add(vector_docs(a.docs));
    const double build = since(t0);
    const double mem = proc_mib("VmRSS:") - rss0;
    std::size_t found = 0;
    t0 = Clock::now();
    for (std::size_t q = 0; q < a.queries; ++q)
      for (const auto& h : half.search(queries[q], dense_only(10, 1)))
        found += std::count(truth[q].begin(), truth[q].end(), h.id);
    const double qps = static_cast<double>(a.queries) / since(t0);
    std::printf("  exact float16  build %5.1f s  %8.1f q/s (%.2fx float32)  recall@10 %.3f  index memory %7.0f MiB\n",
                build, qps, qps / exact_qps, static_cast<double>(found) / (10.0 * a.queries), mem);
  });
  if (a.skip.find("approx") != std::string::npos) return;  // exact search only (float32 vs float16)
  const std::string ivfpq_dir = a.dir + "_ivfpq";
  in_child("ivfpq build", [&] {
    PipelineOptions po;
    po.bm25 = false;
    po.dense_kind = DenseKind::kIvfPq;
    Pipeline p(enc, nullptr, po);
    auto t0 = Clock::now();
    p.add(vector_docs(a.docs));
    const double build = since(t0);
    fs::remove_all(ivfpq_dir);
    p.save(ivfpq_dir);
    std::printf("  ivfpq build (k-means training + PQ codes for %zu vectors) %.1f s, peak RSS %.0f MiB\n", a.docs, build,
                proc_mib("VmHWM:"));
  });
  // Loaded and searched in a fresh process, so that the heap the build freed is not counted (or reused) here.
  in_child("ivfpq", [&] {
    const std::string& dir = ivfpq_dir;
    // Memory of the loaded index: heap (PQ codes, ids, centroids) vs file pages of the mapped float
    // vectors that re-ranking touched.
    const double anon0 = proc_mib("RssAnon:"), file0 = proc_mib("RssFile:");
    LoadOptions lo;
    lo.verify_checksums = false;
    Pipeline p = Pipeline::load(dir, enc, nullptr, lo);
    const double heap = proc_mib("RssAnon:") - anon0;
    // (nprobe, shortlist): the cells scanned, then how many PQ candidates are re-ranked exactly. With coarse codes
    // (pq_m bytes per vector) recall is bounded by the shortlist, whatever nprobe.
    const std::pair<std::size_t, std::size_t> settings[] = {{8, 100},   {16, 100},  {32, 100},   {64, 100},
                                                            {32, 500},  {32, 1000}, {64, 1000},  {64, 2000}};
    for (const auto& [nprobe, shortlist] : settings) {
      std::size_t found = 0;
      auto t0 = Clock::now();
      std::vector<std::vector<PipelineHit>> res;
      SearchOptions o = dense_only(10, shortlist);
      o.nprobe = nprobe;
      for (std::size_t q = 0; q < a.queries; ++q) res.push_back(p.search(queries[q], o));
      const double qps = static_cast<double>(a.queries) / since(t0);
      for (std::size_t q = 0; q < a.queries; ++q) {
        std::set<std::string> t(truth[q].begin(), truth[q].end());
        for (const auto& h : res[q]) found += t.count(h.id);
      }
      std::printf(
          "  ivfpq nprobe=%-2zu shortlist %-4zu  %8.1f q/s (%.0fx exact)  recall@10 %.3f  loaded heap "
          "+%.0f MiB (%.3f of the float32 matrix), mapped pages touched %.0f MiB\n",
          nprobe, shortlist, qps, qps / exact_qps, static_cast<double>(found) / static_cast<double>(10 * a.queries), heap,
          heap / matrix_mib, proc_mib("RssFile:") - file0);
    }
    fs::remove_all(dir);
  });
  if (a.skip.find("hnsw") != std::string::npos) return;  // exact and IVF-PQ rows only
  for (std::size_t m : {a.hnsw_m}) {
    in_child("hnsw", [&] {
      const double rss0 = proc_mib("VmRSS:");
      PipelineOptions po;
      po.bm25 = false;
      po.dense_kind = DenseKind::kHnsw;
      po.hnsw.m = m;
      po.hnsw.ef_construction = 200;
      po.hnsw.build_threads = a.threads;
      Pipeline p(enc, nullptr, po);
      auto t0 = Clock::now();
      p.add(vector_docs(a.docs));
      const double build = since(t0);
      const double mem = proc_mib("VmHWM:") - rss0;
      for (std::size_t ef : {32u, 64u, 128u, 256u}) {
        std::size_t found = 0;
        t0 = Clock::now();
        std::vector<std::vector<PipelineHit>> res;
        for (std::size_t q = 0; q < a.queries; ++q) res.push_back(p.search(queries[q], dense_only(10, ef)));
        const double qps = static_cast<double>(a.queries) / since(t0);
        for (std::size_t q = 0; q < a.queries; ++q) {
          std::set<std::string> t(truth[q].begin(), truth[q].end());
          for (const auto& h : res[q]) found += t.count(h.id);
        }
        std::printf(
            "  hnsw M=%-2zu ef=%-3zu build %7.1f s (%u threads, %.0f vectors/s)  %8.1f q/s (%.0fx exact)  recall@10 "
            "%.3f  peak memory +%.0f MiB\n",
            m, ef, build, a.threads, static_cast<double>(a.docs) / build, qps, qps / exact_qps,
            static_cast<double>(found) / static_cast<double>(10 * a.queries), mem);
      }
    });
  }
}

// Zipf ranks (s = 1.07 over `vocab` terms) for report-like text.
struct Zipf {
  Zipf(std::size_t vocab, double s) {
    cdf.resize(vocab);
    double sum = 0.0;
    for (std::size_t r = 0; r < vocab; ++r) cdf[r] = sum += 1.0 / std::pow(static_cast<double>(r + 1), s);
    for (auto& c : cdf) c /= sum;
  }
  std::size_t draw(std::mt19937& rng) const {
    const double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
    return static_cast<std::size_t>(std::lower_bound(cdf.begin(), cdf.end(), u) - cdf.begin());
  }
  std::vector<double> cdf;
};

std::string zipf_text(const Zipf& z, std::mt19937& rng) {
  // Radiology reports: ~60-400 words, median ~150 (log-normal).
  std::lognormal_distribution<double> len(std::log(150.0), 0.5);
  const int n = std::clamp(static_cast<int>(len(rng)), 20, 1000);
  std::string t;
  t.reserve(static_cast<std::size_t>(n) * 7);
  for (int i = 0; i < n; ++i) t += "w" + std::to_string(z.draw(rng)) + ' ';
  return t;
}

void bench_bm25(const Args& a) {
  const std::size_t n = a.bm25_docs ? a.bm25_docs : a.docs;
  in_child("bm25", [&] {
    Zipf z(200000, 1.07);
    std::mt19937 rng(3);
    const double rss0 = proc_mib("VmRSS:");
    // With --skip build the index an earlier run saved with --skip cleanup is read back (postings copied).
    const std::string cached = a.dir + "/bm25_bench.bin";
    const bool reuse = a.skip.find("build") != std::string::npos && fs::exists(cached);
    Bm25Index index;
    auto t0 = Clock::now();
    if (reuse) {
      std::ifstream in(cached, std::ios::binary);
      index = Bm25Index::load(in, cached);
    } else {
      const std::size_t chunk = 50000;
      for (std::size_t start = 0; start < n; start += chunk) {
        std::vector<std::string> ids, texts;
        for (std::size_t i = start; i < std::min(n, start + chunk); ++i) {
          ids.push_back("d" + std::to_string(i));
          texts.push_back(zipf_text(z, rng));
        }
        index.add(ids, texts);
      }
    }
    const double build = since(t0);
    const double mem = proc_mib("VmRSS:") - rss0;
    if (!reuse && a.skip.find("cleanup") != std::string::npos) {
      fs::create_directories(a.dir);
      std::ofstream out(cached, std::ios::binary);
      index.save(out);
    }
    // Queries: 2-6 terms from the Zipf ranks 10..20000 (a few frequent terms, mostly mid/rare ones).
    std::mt19937 qrng(5);
    std::vector<std::string> queries;
    for (std::size_t q = 0; q < a.queries * 5; ++q) {
      std::string s;
      const int terms = 2 + static_cast<int>(qrng() % 5);
      for (int i = 0; i < terms; ++i) s += "w" + std::to_string(10 + z.draw(qrng) % 20000) + ' ';
      queries.push_back(s);
    }
    std::vector<std::vector<Hit>> pruned(queries.size()), exhaustive(queries.size());
    // The first pass also computes each query term's block bounds and, for frequent terms, dense term
    // frequencies (kept for later queries); the second is the steady state.
    double qps_passes[2];
    for (int pass = 0; pass < 2; ++pass) {
      t0 = Clock::now();
      for (std::size_t q = 0; q < queries.size(); ++q) pruned[q] = index.search(queries[q], 10);
      qps_passes[pass] = static_cast<double>(queries.size()) / since(t0);
    }
    const double qps = qps_passes[1];
    const double mem_searched = proc_mib("VmRSS:") - rss0;
    t0 = Clock::now();
    for (std::size_t q = 0; q < queries.size(); ++q) exhaustive[q] = index.search_exhaustive(queries[q], 10);
    const double qps_ex = static_cast<double>(queries.size()) / since(t0);
    std::size_t same = 0;
    for (std::size_t q = 0; q < queries.size(); ++q) {
      bool eq = pruned[q].size() == exhaustive[q].size();
      for (std::size_t i = 0; eq && i < pruned[q].size(); ++i)
        eq = pruned[q][i].doc == exhaustive[q][i].doc && pruned[q][i].score == exhaustive[q][i].score;
      same += eq;
    }
    std::printf(
        "bm25: %zu Zipf documents (vocabulary %zu, avg length %.0f): %s in %.1f s, index memory %.0f MiB\n",
        index.size(), index.vocabulary_size(), index.average_length(), reuse ? "read back" : "indexed", build, mem);
    std::printf(
        "  search (MaxScore or scan, as chosen per query): first pass %8.1f q/s, second %8.1f q/s; exhaustive %8.1f "
        "q/s (second pass %.1fx); identical top-10 for %zu of %zu queries\n",
        qps_passes[0], qps, qps_ex, qps / qps_ex, same, queries.size());
    std::printf("  memory after the searches %.0f MiB (+%.0f MiB of block bounds and dense term frequencies)\n",
                mem_searched, mem_searched - mem);
    // The same index saved and read in place (what a loaded pipeline searches): each term's postings are
    // checked on first use, so the first pass pays that once.
    std::stringstream buf;
    index.save(buf);
    auto bytes = std::make_shared<std::string>(buf.str());
    const Bm25Index mapped = Bm25Index::view(bytes->data(), bytes->size(), bytes, "bench", false);
    double qps_mapped[2];
    std::size_t same_mapped = 0;
    for (int pass = 0; pass < 2; ++pass) {
      t0 = Clock::now();
      for (std::size_t q = 0; q < queries.size(); ++q) {
        const auto hits = mapped.search(queries[q], 10);
        if (pass == 1) {
          bool eq = hits.size() == pruned[q].size();
          for (std::size_t i = 0; eq && i < hits.size(); ++i)
            eq = hits[i].doc == pruned[q][i].doc && hits[i].score == pruned[q][i].score;
          same_mapped += eq;
        }
      }
      qps_mapped[pass] = static_cast<double>(queries.size()) / since(t0);
    }
    std::printf(
        "  search on the file in place (Bm25Index::view): first pass %8.1f q/s, second %8.1f q/s; "
        "identical top-10 for %zu of %zu queries\n",
        qps_mapped[0], qps_mapped[1], same_mapped, queries.size());
  });
}

void bench_append(const Args& a) {
  const std::size_t n = a.docs;
  // "--skip build": only the load rows, on the index an earlier run left in --dir.
  if (a.skip.find("build") == std::string::npos) in_child("append", [&] {
    Matrix centres;
    const Matrix vecs = clustered(n + 1000, std::min<std::size_t>(a.dim, 768), 1000, 5, nullptr, &centres);
    const Matrix qs = clustered(20, vecs.cols(), 1000, 6, &centres, nullptr);
    auto enc = std::make_shared<TableEncoder>(&vecs, &qs);
    Zipf z(200000, 1.07);
    std::mt19937 rng(4);
    std::vector<BeirDocument> docs(n + 1000);
    for (std::size_t i = 0; i < docs.size(); ++i)
      docs[i] = {"doc" + std::to_string(i), "", "v" + std::to_string(i) + " " + zipf_text(z, rng)};
    Pipeline p(enc, nullptr);
    p.add(std::vector<BeirDocument>(docs.begin(), docs.begin() + static_cast<std::ptrdiff_t>(n)));
    fs::remove_all(a.dir);
    auto t0 = Clock::now();
    p.save(a.dir);
    const double full = since(t0);
    p.add(std::vector<BeirDocument>(docs.begin() + static_cast<std::ptrdiff_t>(n), docs.end()));
    t0 = Clock::now();
    p.save(a.dir);
    const double append = since(t0);
    std::printf(
        "append: %zu documents (BM25 + %zu-d exact vectors): full save %.2f s; append 1,000 + save %.3f s (%.2f%% of "
        "the full save)\n",
        n, vecs.cols(), full, append, 100.0 * append / full);
    // A delete is visible in the next search and after reload.
    const std::string q = "q3 " + docs[n + 5].text.substr(docs[n + 5].text.find(' ') + 1, 40);
    const std::string victim = p.search(q, {1})[0].id;
    p.remove({victim});
    p.save(a.dir);
    const bool gone_now = p.search(q, {1})[0].id != victim;
    Pipeline r = Pipeline::load(a.dir, enc, nullptr);
    std::printf("  delete of %s: gone from the next search %s, after reload %s\n", victim.c_str(),
                gone_now ? "yes" : "NO", r.find(victim) < 0 && r.search(q, {1})[0].id != victim ? "yes" : "NO");
    // Merge vs a fresh build of the live documents (BM25 + dense, ids and scores).
    std::vector<BeirDocument> live;
    for (std::size_t d = 0; d < r.size(); ++d)
      if (!r.is_deleted(d)) live.push_back(r.document(d));
    t0 = Clock::now();
    r.merge();
    const double merge_s = since(t0);
    Pipeline f(enc, nullptr);
    f.add(live);
    std::size_t same = 0, total = 0;
    for (std::size_t i = 0; i < 20; ++i) {
      const std::string qq =
          "q" + std::to_string(i) + " " + docs[i * 7].text.substr(docs[i * 7].text.find(' ') + 1, 30);
      auto x = r.search(qq, {10}), y = f.search(qq, {10});
      for (std::size_t j = 0; j < std::min(x.size(), y.size()); ++j)
        same += x[j].id == y[j].id && x[j].score == y[j].score;
      total += std::max(x.size(), y.size());
    }
    std::printf("  merge %.1f s: %zu of %zu hits identical (id and score) to a fresh build of the live documents\n",
                merge_s, same, total);
    r.save(a.dir);
  });
  // Everything mapped (the default), then each kind of file read into memory as before it was mapped:
  // copied = 2 is the earlier default (vectors mapped, postings and documents read), 3 the version-1 load.
  for (int copied = 0; copied < 4; ++copied) {
    in_child("load", [&] {
      Matrix dummy(1, std::min<std::size_t>(a.dim, 768));
      auto enc = std::make_shared<TableEncoder>(&dummy, &dummy);
      LoadOptions lo;
      lo.verify_checksums = false;
      lo.map_postings = copied < 1;
      lo.map_documents = copied < 2;
      lo.map_vectors = copied < 3;
      const double rss0 = proc_mib("VmRSS:");
      auto t0 = Clock::now();
      Pipeline p = Pipeline::load(a.dir, enc, nullptr, lo);
      const double s = since(t0);
      const double rss = proc_mib("VmRSS:") - rss0;
      // One search and its hits' documents: what a query reads of the mapped files.
      t0 = Clock::now();
      std::size_t bytes = 0;
      for (const PipelineHit& h : p.search("q0 w120 w77 w3051", {10})) bytes += p.document(h.doc).text.size();
      std::printf(
          "load (postings %s, documents %s, vectors %s, no checksum pass): %.2f s, RSS +%.0f MiB; first search + "
          "10 documents %.1f ms, RSS +%.0f MiB (%zu text bytes)\n",
          lo.map_postings ? "mapped" : "copied", lo.map_documents ? "mapped" : "read",
          lo.map_vectors ? "mapped" : "copied", s, rss, 1000.0 * since(t0), proc_mib("VmRSS:") - rss0 - rss, bytes);
    });
  }
  in_child("load", [&] {
    Matrix dummy(1, std::min<std::size_t>(a.dim, 768));
    auto enc = std::make_shared<TableEncoder>(&dummy, &dummy);
    const double rss0 = proc_mib("VmRSS:");
    auto t0 = Clock::now();
    Pipeline p = Pipeline::load(a.dir, enc, nullptr);
    std::printf("load (all mapped, sha256 of every file): %.2f s, RSS +%.0f MiB\n", since(t0),
                proc_mib("VmRSS:") - rss0);
  });
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--docs")
      a.docs = std::stoul(v);
    else if (k == "--bm25-docs")
      a.bm25_docs = std::stoul(v);
    else if (k == "--dim")
      a.dim = std::stoul(v);
    else if (k == "--queries")
      a.queries = std::stoul(v);
    else if (k == "--hnsw-m")
      a.hnsw_m = std::stoul(v);
    else if (k == "--threads")
      a.threads = static_cast<unsigned>(std::stoul(v));
    else if (k == "--dir")
      a.dir = v;
    else if (k == "--skip")
      a.skip = v;
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  std::printf("bench_scale --docs %zu --dim %zu --queries %zu --threads %u\n", a.docs, a.dim, a.queries, a.threads);
  if (a.skip.find("dense") == std::string::npos) bench_dense(a);
  if (a.skip.find("bm25") == std::string::npos) bench_bm25(a);
  if (a.skip.find("append") == std::string::npos) bench_append(a);
  if (a.skip.find("cleanup") == std::string::npos) fs::remove_all(a.dir);
  return 0;
}
