// IVF-PQ through FAISS (see ivfpq_index.h).
#include "retrieval/ivfpq_index.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexIVFPQ.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/io.h>
#include <faiss/index_io.h>
#include <faiss/invlists/InvertedLists.h>

#include <radlite/error.h>
#include <radlite/retrieval/dense.h>

#include <algorithm>
#include <cmath>
#include <ostream>
#include <random>

#include "retrieval/top_k.h"

namespace radlite::retrieval_internal {

struct IvfPqIndex::Impl {
  std::unique_ptr<faiss::IndexIVFPQ> index;
  std::size_t dim = 0;
};

IvfPqIndex::IvfPqIndex() : impl_(std::make_unique<Impl>()) {}
IvfPqIndex::~IvfPqIndex() = default;

std::unique_ptr<IvfPqIndex> IvfPqIndex::build(const DenseIndex& vectors, const Params& params) {
  const std::size_t n = vectors.size(), dim = vectors.dim();
  if (n < kMinVectors)
    throw InvalidArgument("ivfpq: " + std::to_string(n) + " vectors, at least " + std::to_string(kMinVectors) +
                          " needed");
  std::size_t nlist = params.nlist;
  if (nlist == 0) nlist = static_cast<std::size_t>(4.0 * std::sqrt(static_cast<double>(n)));
  nlist = std::max<std::size_t>(1, std::min(nlist, n / 39));
  std::size_t m = params.pq_m;
  if (m == 0) {
    m = std::max<std::size_t>(1, dim / 8);
    while (dim % m != 0) --m;
  }
  if (dim % m != 0)
    throw InvalidArgument("ivfpq: pq_m " + std::to_string(m) + " does not divide the dimension " + std::to_string(dim));
  std::unique_ptr<IvfPqIndex> out(new IvfPqIndex());
  out->impl_->dim = dim;
  try {
    auto* quantizer = new faiss::IndexFlatIP(static_cast<faiss::Index::idx_t>(dim));
    out->impl_->index = std::make_unique<faiss::IndexIVFPQ>(quantizer, dim, nlist, m, 8, faiss::METRIC_INNER_PRODUCT);
    out->impl_->index->own_fields = true;
    out->impl_->index->verbose = false;
    // Train on a deterministic sample (every stride-th row), then add everything.
    const std::size_t train = std::min(n, std::max(params.train_size, nlist * 39));
    const std::size_t stride = n / train;
    std::vector<float> sample(train * dim);
    for (std::size_t i = 0; i < train; ++i) vectors.copy_vector(i * stride, sample.data() + i * dim);
    out->impl_->index->train(static_cast<faiss::Index::idx_t>(train), sample.data());
    // Added in blocks of float32 rows (float16 storage is converted block by block).
    const std::size_t block = 8192;
    std::vector<float> rows(block * dim);
    for (std::size_t start = 0; start < n; start += block) {
      const std::size_t count = std::min(block, n - start);
      for (std::size_t i = 0; i < count; ++i) vectors.copy_vector(start + i, rows.data() + i * dim);
      out->impl_->index->add(static_cast<faiss::Index::idx_t>(count), rows.data());
    }
  } catch (const faiss::FaissException& e) {
    throw InvalidArgument(std::string("ivfpq: FAISS failed to build the index: ") + e.what());
  }
  return out;
}

std::unique_ptr<IvfPqIndex> IvfPqIndex::load(const char* data, std::size_t size, std::size_t dim, std::size_t rows,
                                             const std::string& what) {
  std::unique_ptr<IvfPqIndex> out(new IvfPqIndex());
  out->impl_->dim = dim;
  faiss::VectorIOReader reader;
  reader.data.assign(reinterpret_cast<const std::uint8_t*>(data), reinterpret_cast<const std::uint8_t*>(data) + size);
  std::unique_ptr<faiss::Index> index;
  try {
    index.reset(faiss::read_index(&reader));
  } catch (const faiss::FaissException& e) {
    throw FormatError(what + ": not a readable IVF-PQ index (" + e.what() + ")");
  }
  auto* ivf = dynamic_cast<faiss::IndexIVFPQ*>(index.get());
  if (!ivf || ivf->d != static_cast<faiss::Index::idx_t>(dim) ||
      ivf->ntotal != static_cast<faiss::Index::idx_t>(rows) || ivf->metric_type != faiss::METRIC_INNER_PRODUCT)
    throw FormatError(what + ": expected an inner-product IVF-PQ index of " + std::to_string(rows) + " x " +
                      std::to_string(dim));
  index.release();
  out->impl_->index.reset(ivf);
  return out;
}

std::vector<Hit> IvfPqIndex::search(const DenseIndex& vectors, const float* query, std::size_t k, std::size_t shortlist,
                                    std::size_t nprobe, const std::uint8_t* skip) const {
  const faiss::IndexIVFPQ& index = *impl_->index;
  if (k == 0 || index.ntotal == 0) return {};
  const std::size_t want = std::min<std::size_t>(std::max(shortlist, k), static_cast<std::size_t>(index.ntotal));
  std::vector<float> distances(want);
  std::vector<faiss::Index::idx_t> labels(want);
  faiss::SearchParametersIVF params;
  params.nprobe = std::max<std::size_t>(1, std::min(nprobe, index.nlist));
  index.search(1, query, static_cast<faiss::Index::idx_t>(want), distances.data(), labels.data(), &params);
  TopK top(k);
  for (faiss::Index::idx_t label : labels) {
    if (label < 0) continue;  // fewer than `want` vectors in the probed cells
    const auto row = static_cast<std::size_t>(label);
    if (skip && skip[row]) continue;
    top.push(row, vectors.score(row, query));  // exact, from the stored float32 or float16 vector
  }
  return top.take();
}

void IvfPqIndex::save(std::ostream& out) const {
  faiss::VectorIOWriter writer;
  faiss::write_index(impl_->index.get(), &writer);
  out.write(reinterpret_cast<const char*>(writer.data.data()), static_cast<std::streamsize>(writer.data.size()));
  if (!out) throw IoError("ivfpq: write failed");
}

std::size_t IvfPqIndex::memory_bytes() const {
  const faiss::IndexIVFPQ& index = *impl_->index;
  const std::size_t n = static_cast<std::size_t>(index.ntotal);
  return n * (index.code_size + sizeof(faiss::Index::idx_t)) + index.nlist * impl_->dim * sizeof(float) +
         index.pq.centroids.size() * sizeof(float);
}

}  // namespace radlite::retrieval_internal
