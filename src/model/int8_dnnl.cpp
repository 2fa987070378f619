// oneDNN's matmul as radlite's int8 GEMM on AMX / VNNI CPUs (see int8_dnnl.h). No torch headers here.
#include "model/int8_dnnl.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>
#include <vector>

#include "radlite/error.h"

#ifdef RADLITE_HAVE_DNNL
#include <oneapi/dnnl/dnnl.hpp>
#endif

namespace radlite::model {

#ifdef RADLITE_HAVE_DNNL

namespace {

dnnl::engine& cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

// One matmul per (depth, columns, rows): oneDNN's fast kernels are generated for fixed shapes (a run-time row count
// makes it fall back to its slow gemm). Layers of one shape share them; the weights' blocked layout does not depend
// on the row count (checked for RoBERTa-base's and MiniLM's shapes with 1 to 4,096 rows; asserted below).
// Scratch memory is passed per call, so one primitive serves several threads at once.
struct Kernel {
  dnnl::matmul::primitive_desc pd;
  dnnl::matmul prim;
};

class KernelCache {
 public:
  // Shared: a thread still running a kernel keeps it alive past a clear.
  std::shared_ptr<Kernel> get(const dnnl::memory::desc& wdesc, std::int64_t k, std::int64_t n, std::int64_t rows) {
    std::lock_guard<std::mutex> lock(mu_);
    const auto key = std::make_tuple(k, n, rows);
    auto it = kernels_.find(key);
    if (it != kernels_.end()) return it->second;
    // Bounded: a long run over texts of every length would otherwise keep one kernel per row count forever.
    if (kernels_.size() >= 512) kernels_.clear();
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    auto pd = dnnl::matmul::primitive_desc(
        dnnl::matmul::desc(dnnl::memory::desc({rows, k}, dt::u8, tag::ab), wdesc,
                           dnnl::memory::desc({rows, n}, dt::s32, tag::ab)),
        attr, cpu_engine());
    auto kernel = std::make_shared<Kernel>(Kernel{pd, dnnl::matmul(pd)});
    kernels_.emplace(key, kernel);
    return kernel;
  }

 private:
  std::mutex mu_;
  std::map<std::tuple<std::int64_t, std::int64_t, std::int64_t>, std::shared_ptr<Kernel>> kernels_;
};

KernelCache& kernel_cache() {
  static KernelCache cache;
  return cache;
}

}  // namespace

struct Int8DnnlWeights {
  std::int64_t k = 0, n = 0;
  dnnl::memory::desc desc;
  dnnl::memory weights;
};

bool int8_dnnl_available() { return true; }

Int8DnnlWeightsPtr int8_dnnl_pack(const Int8PackedWeights& w) {
  if (w.n < 1 || w.kp < 1 || w.data.size() < static_cast<std::size_t>(w.panels * w.kp * kInt8PanelCols))
    throw InvalidArgument("int8 GEMM (oneDNN): the packed weights are empty or incomplete");
  // Back from radlite's panels to a plain [n][kp] matrix, which is the [kp, n] weights matrix in oneDNN's "ba".
  std::vector<std::int8_t> plain(static_cast<std::size_t>(w.n * w.kp));
  for (std::int64_t j = 0; j < w.n; ++j) {
    const std::int8_t* panel = w.data.data() + (j / kInt8PanelCols) * w.kp * kInt8PanelCols;
    const std::int64_t c = j % kInt8PanelCols;
    for (std::int64_t i = 0; i < w.kp; ++i) plain[j * w.kp + i] = panel[(i / 4) * 4 * kInt8PanelCols + c * 4 + i % 4];
  }
  Int8DnnlWeightsPtr out(new Int8DnnlWeights);
  out->k = w.kp;
  out->n = w.n;
  // The layout oneDNN wants for these weights, asked with a typical row count.
  const dnnl::memory::desc any({w.kp, w.n}, dt::s8, tag::any);
  auto pd = dnnl::matmul::primitive_desc(
      dnnl::matmul::desc(dnnl::memory::desc({256, w.kp}, dt::u8, tag::ab), any,
                         dnnl::memory::desc({256, w.n}, dt::s32, tag::ab)),
      cpu_engine());
  out->desc = pd.weights_desc();
  out->weights = dnnl::memory(out->desc, cpu_engine());
  dnnl::memory src(dnnl::memory::desc({w.kp, w.n}, dt::s8, tag::ba), cpu_engine(), plain.data());
  dnnl::stream stream(cpu_engine());
  dnnl::reorder(src, out->weights).execute(stream, src, out->weights);
  stream.wait();
  return out;
}

void Int8DnnlWeightsDeleter::operator()(Int8DnnlWeights* p) const { delete p; }

void int8_dnnl_gemm(const Int8DnnlWeights& w, const std::uint8_t* q, std::int64_t rows, std::int32_t* acc) {
  if (rows <= 0) return;
  const std::shared_ptr<Kernel> kernel = kernel_cache().get(w.desc, w.k, w.n, rows);
  if (!(kernel->pd.weights_desc() == w.desc))
    throw ModelError("int8 GEMM (oneDNN): the kernel for " + std::to_string(rows) +
                     " rows wants another weight layout than the one packed");
  thread_local std::vector<std::uint8_t> scratch;
  const std::size_t need = kernel->pd.scratchpad_desc().get_size();
  if (scratch.size() < need) scratch.resize(need);
  dnnl::engine& engine = cpu_engine();
  dnnl::memory src(dnnl::memory::desc({rows, w.k}, dt::u8, tag::ab), engine, const_cast<std::uint8_t*>(q));
  dnnl::memory dst(dnnl::memory::desc({rows, w.n}, dt::s32, tag::ab), engine, acc);
  dnnl::memory pad(kernel->pd.scratchpad_desc(), engine, scratch.data());
  dnnl::stream stream(engine);
  kernel->prim.execute(stream, {{DNNL_ARG_SRC, src},
                                {DNNL_ARG_WEIGHTS, w.weights},
                                {DNNL_ARG_DST, dst},
                                {DNNL_ARG_SCRATCHPAD, pad}});
  stream.wait();
}

std::string int8_dnnl_kernel_name(const Int8DnnlWeights& w, std::int64_t rows) {
  return kernel_cache().get(w.desc, w.k, w.n, std::max<std::int64_t>(rows, 1))->pd.impl_info_str();
}

#else  // !RADLITE_HAVE_DNNL

struct Int8DnnlWeights {};
bool int8_dnnl_available() { return false; }
Int8DnnlWeightsPtr int8_dnnl_pack(const Int8PackedWeights&) {
  throw ModelError("int8 GEMM: this build of radlite has no oneDNN (libdnnl-dev)");
}
void Int8DnnlWeightsDeleter::operator()(Int8DnnlWeights* p) const { delete p; }
void int8_dnnl_gemm(const Int8DnnlWeights&, const std::uint8_t*, std::int64_t, std::int32_t*) {
  throw ModelError("int8 GEMM: this build of radlite has no oneDNN (libdnnl-dev)");
}
std::string int8_dnnl_kernel_name(const Int8DnnlWeights&, std::int64_t) { return "none"; }

#endif

bool int8_dnnl_preferred() {
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
  static const bool fast = __builtin_cpu_supports("avx512vnni") || __builtin_cpu_supports("avxvnni");
  return int8_dnnl_available() && fast;
#else
  return false;
#endif
}

}  // namespace radlite::model
