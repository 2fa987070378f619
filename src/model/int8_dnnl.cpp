// oneDNN's matmul as radlite's int8 GEMM on AMX / VNNI CPUs (see int8_dnnl.h). No torch headers here.
#include "model/int8_dnnl.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>
#include <unordered_map>
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

// The matmul [rows, k] x wdesc -> [rows, n]: float32 in and out with a bias (f32), or uint8 x int8 -> int32.
dnnl::matmul::primitive_desc matmul_desc(const dnnl::memory::desc& wdesc, std::int64_t k, std::int64_t n,
                                         std::int64_t rows, bool f32,
                                         const dnnl::primitive_attr& attr = dnnl::primitive_attr()) {
  if (f32)
    return dnnl::matmul::primitive_desc(dnnl::matmul::desc(dnnl::memory::desc({rows, k}, dt::f32, tag::ab), wdesc,
                                                           dnnl::memory::desc({1, n}, dt::f32, tag::ab),
                                                           dnnl::memory::desc({rows, n}, dt::f32, tag::ab)),
                                        attr, cpu_engine());
  return dnnl::matmul::primitive_desc(dnnl::matmul::desc(dnnl::memory::desc({rows, k}, dt::u8, tag::ab), wdesc,
                                                         dnnl::memory::desc({rows, n}, dt::s32, tag::ab)),
                                      attr, cpu_engine());
}

// A plain [n][k] weight matrix (the [k, n] matrix in oneDNN's "ba") reordered into the layout oneDNN's kernel
// wants, asked with a typical row count (the layout does not depend on it; KernelCache::get checks).
void blocked_weights(const void* plain, std::int64_t k, std::int64_t n, bool f32, dnnl::memory::desc& desc,
                     dnnl::memory& weights) {
  const dt type = f32 ? dt::f32 : dt::s8;
  desc = matmul_desc(dnnl::memory::desc({k, n}, type, tag::any), k, n, 256, f32).weights_desc();
  weights = dnnl::memory(desc, cpu_engine());
  dnnl::memory src(dnnl::memory::desc({k, n}, type, tag::ba), cpu_engine(), const_cast<void*>(plain));
  dnnl::stream stream(cpu_engine());
  dnnl::reorder(src, weights).execute(stream, src, weights);
  stream.wait();
}

class KernelCache {
 public:
  // Shared: a thread still running a kernel keeps it alive past a clear.
  // f32: float32 in and out with a bias; otherwise uint8 x int8 -> int32.
  std::shared_ptr<Kernel> get(const dnnl::memory::desc& wdesc, std::int64_t k, std::int64_t n, std::int64_t rows,
                              bool f32 = false, F32Epilogue epilogue = F32Epilogue::None) {
    // Weights read in place (oneDNN's plain "ba") and reordered ones of the same shape need different kernels.
    const bool plain = wdesc == dnnl::memory::desc({k, n}, f32 ? dt::f32 : dt::s8, tag::ba);
    std::lock_guard<std::mutex> lock(mu_);
    const auto key = std::make_tuple(f32, plain, static_cast<int>(epilogue), k, n, rows);
    auto it = kernels_.find(key);
    if (it != kernels_.end()) return it->second;
    // Bounded: a long run over texts of every length would otherwise keep one kernel per row count forever.
    if (kernels_.size() >= 512) kernels_.clear();
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    if (epilogue != F32Epilogue::None) {
      dnnl::post_ops ops;
      if (epilogue == F32Epilogue::Gelu)
        ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_gelu_erf, 0.0f, 0.0f);
      else
        ops.append_binary(dnnl::algorithm::binary_add, dnnl::memory::desc({rows, n}, dt::f32, tag::ab));
      attr.set_post_ops(ops);
    }
    const auto pd = matmul_desc(wdesc, k, n, rows, f32, attr);
    auto kernel = std::make_shared<Kernel>(Kernel{pd, dnnl::matmul(pd)});
    kernels_.emplace(key, kernel);
    return kernel;
  }

 private:
  std::mutex mu_;
  std::map<std::tuple<bool, bool, int, std::int64_t, std::int64_t, std::int64_t>, std::shared_ptr<Kernel>> kernels_;
};

KernelCache& kernel_cache() {
  static KernelCache cache;
  return cache;
}

// Runs the kernel for `rows` rows of these weights on src and dst (plain row-major buffers); scratch memory is this
// thread's own, so that one kernel serves several threads at once. `what` names the layer kind in errors.
void run_matmul(const char* what, const dnnl::memory::desc& wdesc, const dnnl::memory& weights,
                const dnnl::memory* bias, std::int64_t k, std::int64_t n, std::int64_t rows, dt src_type,
                const void* src_data, dt dst_type, void* dst_data, F32Epilogue epilogue = F32Epilogue::None,
                const void* residual = nullptr) {
  const std::shared_ptr<Kernel> kernel = kernel_cache().get(wdesc, k, n, rows, /*f32=*/bias != nullptr, epilogue);
  if (!(kernel->pd.weights_desc() == wdesc))
    throw ModelError(std::string(what) + " (oneDNN): the kernel for " + std::to_string(rows) +
                     " rows wants another weight layout than the one packed");
  thread_local std::vector<std::uint8_t> scratch;
  const std::size_t need = kernel->pd.scratchpad_desc().get_size();
  if (scratch.size() < need) scratch.resize(need);
  dnnl::engine& engine = cpu_engine();
  dnnl::memory src(dnnl::memory::desc({rows, k}, src_type, tag::ab), engine, const_cast<void*>(src_data));
  dnnl::memory dst(dnnl::memory::desc({rows, n}, dst_type, tag::ab), engine, dst_data);
  dnnl::memory pad(kernel->pd.scratchpad_desc(), engine, scratch.data());
  std::unordered_map<int, dnnl::memory> args{
      {DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, dst}, {DNNL_ARG_SCRATCHPAD, pad}};
  if (bias) args.emplace(DNNL_ARG_BIAS, *bias);
  if (epilogue == F32Epilogue::Residual)
    args.emplace(DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1,
                 dnnl::memory(dnnl::memory::desc({rows, n}, dt::f32, tag::ab), engine, const_cast<void*>(residual)));
  dnnl::stream stream(engine);
  kernel->prim.execute(stream, args);
  stream.wait();
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
  blocked_weights(plain.data(), w.kp, w.n, /*f32=*/false, out->desc, out->weights);
  return out;
}

void Int8DnnlWeightsDeleter::operator()(Int8DnnlWeights* p) const { delete p; }

void int8_dnnl_gemm(const Int8DnnlWeights& w, const std::uint8_t* q, std::int64_t rows, std::int32_t* acc) {
  if (rows > 0) run_matmul("int8 GEMM", w.desc, w.weights, nullptr, w.k, w.n, rows, dt::u8, q, dt::s32, acc);
}

std::string int8_dnnl_kernel_name(const Int8DnnlWeights& w, std::int64_t rows) {
  return kernel_cache().get(w.desc, w.k, w.n, std::max<std::int64_t>(rows, 1))->pd.impl_info_str();
}

struct F32DnnlWeights {
  std::int64_t k = 0, n = 0;
  dnnl::memory::desc desc;
  dnnl::memory weights, bias;
};

F32DnnlWeightsPtr f32_dnnl_pack(const float* w, const float* bias, std::int64_t n, std::int64_t k,
                                bool in_place) {
  if (n < 1 || k < 1) throw InvalidArgument("float32 Linear (oneDNN): an empty weight matrix");
  F32DnnlWeightsPtr out(new F32DnnlWeights);
  out->k = k;
  out->n = n;
  if (in_place) {
    out->desc = dnnl::memory::desc({k, n}, dt::f32, tag::ba);
    out->weights = dnnl::memory(out->desc, cpu_engine(), const_cast<float*>(w));
  } else {
    blocked_weights(w, k, n, /*f32=*/true, out->desc, out->weights);
  }
  out->bias = dnnl::memory(dnnl::memory::desc({1, n}, dt::f32, tag::ab), cpu_engine());
  auto* b = static_cast<float*>(out->bias.get_data_handle());
  for (std::int64_t j = 0; j < n; ++j) b[j] = bias ? bias[j] : 0.0f;
  return out;
}

void F32DnnlWeightsDeleter::operator()(F32DnnlWeights* p) const { delete p; }

void f32_dnnl_linear(const F32DnnlWeights& w, const float* x, std::int64_t rows, float* out, F32Epilogue epilogue,
                     const float* residual) {
  if (epilogue == F32Epilogue::Residual && !residual)
    throw InvalidArgument("float32 Linear (oneDNN): a residual epilogue without the residual");
  if (rows > 0)
    run_matmul("float32 Linear", w.desc, w.weights, &w.bias, w.k, w.n, rows, dt::f32, x, dt::f32, out, epilogue,
               residual);
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
struct F32DnnlWeights {};
F32DnnlWeightsPtr f32_dnnl_pack(const float*, const float*, std::int64_t, std::int64_t, bool) {
  throw ModelError("float32 Linear: this build of radlite has no oneDNN (libdnnl-dev)");
}
void F32DnnlWeightsDeleter::operator()(F32DnnlWeights* p) const { delete p; }
void f32_dnnl_linear(const F32DnnlWeights&, const float*, std::int64_t, float*, F32Epilogue, const float*) {
  throw ModelError("float32 Linear: this build of radlite has no oneDNN (libdnnl-dev)");
}

#endif

bool int8_dnnl_preferred() {
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
  static const bool fast = __builtin_cpu_supports("avx512vnni") || __builtin_cpu_supports("avxvnni");
  return int8_dnnl_available() && fast;
#else
  return false;
#endif
}

F32DnnlMode f32_dnnl_mode() {
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
  static const F32DnnlMode mode = [] {
    if (!int8_dnnl_available() || std::getenv("RADLITE_F32_OPENBLAS")) return F32DnnlMode::None;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
      return F32DnnlMode::Blocked;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return F32DnnlMode::InPlace;
    return F32DnnlMode::None;
  }();
  return mode;
#else
  return F32DnnlMode::None;
#endif
}

}  // namespace radlite::model
