// HNSW graphs through hnswlib (header-only), with radlite's run-time dispatched distance (see hnsw_index.h).
#include "retrieval/hnsw_index.h"

// hnswlib's own kernels are not used (see hnsw_index.h); keep its headers free of intrinsics.
#define NO_MANUAL_VECTORIZATION
#include <hnswlib/hnswlib.h>

#include <radlite/error.h>
#include <radlite/retrieval/dense.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <thread>

#include "retrieval/dense_kernels.h"
#include "retrieval/top_k.h"

namespace radlite::retrieval_internal {
namespace {

float dot_plain(const float* a, const float* b, std::size_t dim) {
  float s = 0.0f;
  for (std::size_t j = 0; j < dim; ++j) s += a[j] * b[j];
  return s;
}

float distance_plain(const void* a, const void* b, const void* dim) {
  return 1.0f -
         dot_plain(static_cast<const float*>(a), static_cast<const float*>(b), *static_cast<const std::size_t*>(dim));
}

float distance_avx2(const void* a, const void* b, const void* dim) {
  return 1.0f - dense_kernels::dot_avx2(static_cast<const float*>(a), static_cast<const float*>(b),
                                        *static_cast<const std::size_t*>(dim));
}

// Inner-product space with the distance kernel chosen for this CPU.
class DotSpace : public hnswlib::SpaceInterface<float> {
 public:
  explicit DotSpace(std::size_t dim)
      : dim_(dim), f_(dense_kernels::avx2_available() ? distance_avx2 : distance_plain) {}
  size_t get_data_size() override { return dim_ * sizeof(float); }
  hnswlib::DISTFUNC<float> get_dist_func() override { return f_; }
  void* get_dist_func_param() override { return &dim_; }

 private:
  std::size_t dim_;
  hnswlib::DISTFUNC<float> f_;
};

}  // namespace

struct HnswIndex::Impl {
  std::unique_ptr<DotSpace> space;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> graph;
  std::size_t dim = 0;
};

HnswIndex::HnswIndex() : impl_(std::make_unique<Impl>()) {}
HnswIndex::~HnswIndex() = default;

std::unique_ptr<HnswIndex> HnswIndex::build(const DenseIndex& vectors, const Params& params) {
  std::unique_ptr<HnswIndex> out(new HnswIndex());
  Impl& m = *out->impl_;
  m.dim = vectors.dim();
  m.space = std::make_unique<DotSpace>(m.dim);
  const std::size_t n = vectors.size();
  m.graph = std::make_unique<hnswlib::HierarchicalNSW<float>>(m.space.get(), std::max<std::size_t>(n, 1), params.m,
                                                              params.ef_construction, 100);
  // ef_ stays 1: every search passes its own candidate count as k (see search()), so concurrent searches
  // with different ef never write shared state.
  m.graph->setEf(1);
  unsigned threads = params.threads ? params.threads : std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::min<std::size_t>(threads, std::max<std::size_t>(1, n / 1000)));
  // The first point alone, so the graph has an entry point before threads insert concurrently.
  // hnswlib copies each point into the graph as float32 (float16 storage is converted here).
  std::vector<float> first(m.dim);
  if (n > 0) {
    vectors.copy_vector(0, first.data());
    m.graph->addPoint(first.data(), 0);
  }
  std::atomic<std::size_t> next{1};
  std::exception_ptr error;
  auto work = [&] {
    try {
      std::vector<float> v(m.dim);
      for (std::size_t i = next++; i < n; i = next++) {
        vectors.copy_vector(i, v.data());
        m.graph->addPoint(v.data(), i);
      }
    } catch (...) {
      error = std::current_exception();
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
  return out;
}

std::unique_ptr<HnswIndex> HnswIndex::load(const std::string& path, std::size_t dim, std::size_t rows) {
  std::unique_ptr<HnswIndex> out(new HnswIndex());
  Impl& m = *out->impl_;
  m.dim = dim;
  m.space = std::make_unique<DotSpace>(dim);
  try {
    m.graph =
        std::make_unique<hnswlib::HierarchicalNSW<float>>(m.space.get(), path, false, std::max<std::size_t>(rows, 1));
  } catch (const std::exception& e) {
    throw FormatError(path + ": cannot read the HNSW graph (" + e.what() + ")");
  }
  if (m.graph->cur_element_count != rows || m.graph->data_size_ != dim * sizeof(float))
    throw FormatError(path + ": the HNSW graph holds " + std::to_string(m.graph->cur_element_count) +
                      " vectors, the segment has " + std::to_string(rows) + " of dimension " + std::to_string(dim));
  m.graph->setEf(1);
  return out;
}

std::size_t HnswIndex::size() const { return impl_->graph->cur_element_count; }

void HnswIndex::save(std::ostream& out) const {
  // hnswlib writes to a path only: write a private temp file, then stream it into `out`.
  const char* tmpdir = std::getenv("TMPDIR");
  std::string pattern = std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/radlite-hnsw-XXXXXX";
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  const int fd = ::mkstemp(name.data());
  if (fd < 0) throw IoError(pattern + ": cannot create a temporary file for the HNSW graph");
  ::close(fd);
  const std::string path(name.data());
  try {
    impl_->graph->saveIndex(path);
    std::ifstream in(path, std::ios::binary);
    out << in.rdbuf();
    if (!out || in.bad()) throw IoError(path + ": copying the HNSW graph failed");
  } catch (...) {
    std::remove(path.c_str());
    throw;
  }
  std::remove(path.c_str());
}

std::vector<Hit> HnswIndex::search(const DenseIndex& vectors, const float* query, std::size_t k, std::size_t ef,
                                   const std::uint8_t* skip) const {
  const Impl& m = *impl_;
  if (k == 0 || m.graph->cur_element_count == 0) return {};
  auto found = m.graph->searchKnn(query, std::max(ef, k));
  TopK top(k);
  while (!found.empty()) {
    const std::size_t row = found.top().second;
    found.pop();
    if (skip && skip[row]) continue;
    // Exact re-ranking from the stored vectors (float32 or float16): a hit's score is its exact score.
    top.push(row, vectors.score(row, query));
  }
  return top.take();
}

}  // namespace radlite::retrieval_internal
