#include "model/int8_linear.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/native/quantized/PackedParams.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include "model/gelu.h"
#include "model/int8_dnnl.h"
#include "model/int8_gemm.h"
#include "radlite/error.h"

namespace radlite::model {

namespace {

// The quantized engine is process-wide state in libtorch; oneDNN is the fast one on x86 (and the only one besides
// qnnpack in Debian's build). Set once, before the first weight is packed.
void use_onednn_engine() {
  static std::once_flag once;
  std::call_once(once, [] {
    bool have = false;
    for (auto e : at::globalContext().supportedQEngines()) have = have || e == at::QEngine::ONEDNN;
    if (!have)
      throw ModelError(
          "dtype int8 needs libtorch's oneDNN quantized engine, which this libtorch build lacks; "
          "use float32 or bfloat16");
    at::globalContext().setQEngine(at::QEngine::ONEDNN);
  });
}

// The quantized activations of one call. Kept per calling thread and reused: a fresh 12 MB buffer per call (4,096
// tokens x 3,072) would cost page faults every time.
struct Scratch {
  std::vector<std::uint8_t> q;
  std::vector<float> scale;
  std::vector<std::int32_t> zero;
  std::vector<std::int32_t> acc;  // oneDNN's int32 sums
};

// Rows [r0, r1) of x quantized (int8_gemm.h), with the AVX2 kernel where the CPU has it.
void quantize(const float* x, std::int64_t k, std::int64_t kp, std::int64_t r0, std::int64_t r1, std::uint8_t* q,
              float* scale, std::int32_t* zero) {
  if (int8_gemm_available())
    int8_quantize_rows_avx2(x, k, kp, r0, r1, q, scale, zero);
  else
    int8_quantize_rows_reference(x, k, kp, r0, r1, q, scale, zero);
}

// All rows, shared over the threads.
void quantize_rows(const float* x, std::int64_t k, std::int64_t kp, std::int64_t rows, std::uint8_t* q, float* scale,
                   std::int32_t* zero) {
  at::parallel_for(0, rows, std::max<std::int64_t>(1, (1 << 16) / kp),
                   [&](std::int64_t r0, std::int64_t r1) { quantize(x, k, kp, r0, r1, q, scale, zero); });
}

// Rows of activations per work item: 64 rows x 3,072 bytes (192 KB) stay in the L2 cache while the panels pass.
constexpr std::int64_t kRowsPerItem = 64;

// GELU over rows [r0, r1) of an [.., n] output, on the calling thread.
void gelu_rows(float* out, std::int64_t n, std::int64_t r0, std::int64_t r1) { gelu_erf(out + r0 * n, (r1 - r0) * n); }

void own_linear(const Int8PackedWeights& w, const float* x, std::int64_t rows, float* out, bool gelu) {
  thread_local Scratch scratch;
  const std::int64_t padded = (rows + kInt8TileRows - 1) / kInt8TileRows * kInt8TileRows;
  if (scratch.q.size() < static_cast<std::size_t>(padded * w.kp)) scratch.q.resize(padded * w.kp);
  if (scratch.scale.size() < static_cast<std::size_t>(padded)) {
    scratch.scale.resize(padded);
    scratch.zero.resize(padded);
  }
  std::uint8_t* q = scratch.q.data();
  float* scale = scratch.scale.data();
  std::int32_t* zero = scratch.zero.data();
  // The kernel reads whole tiles of 4 rows: rows past the last are zeros (their results are not written).
  std::fill(q + rows * w.kp, q + padded * w.kp, std::uint8_t{0});
  std::fill(scale + rows, scale + padded, 1.0f);
  std::fill(zero + rows, zero + padded, 0);
  quantize_rows(x, w.k, w.kp, rows, q, scale, zero);
  // Work items: blocks of rows x groups of panels, enough of them for the threads to share even one short query
  // (one block of rows: then the panels are split).
  const std::int64_t blocks = (rows + kRowsPerItem - 1) / kRowsPerItem;
  const std::int64_t groups = std::clamp<std::int64_t>((4 * at::get_num_threads() + blocks - 1) / blocks, 1, w.panels);
  at::parallel_for(0, blocks * groups, 1, [&](std::int64_t i0, std::int64_t i1) {
    for (std::int64_t i = i0; i < i1; ++i) {
      const std::int64_t block = i / groups, group = i % groups;
      const std::int64_t r0 = block * kRowsPerItem, r1 = std::min(rows, r0 + kRowsPerItem);
      int8_gemm_panels_avx2(w.data.data(), w.scale.data(), w.bias.data(), w.colsum.data(), w.n, w.kp, q, scale, zero,
                            r0, r1, w.panels * group / groups, w.panels * (group + 1) / groups, out);
      // Once a block's last group of panels is written, and only where one thread wrote all of them.
      if (gelu && groups == 1) gelu_rows(out, w.n, r0, r1);
    }
  });
  if (gelu && groups > 1) gelu_erf_rows(out, rows, w.n);
}

// Rows per work item of the chunked path below.
constexpr std::int64_t kDnnlChunkRows = 128;

void grow(Scratch& s, std::int64_t rows, std::int64_t kp, std::int64_t n) {
  if (s.q.size() < static_cast<std::size_t>(rows * kp)) s.q.resize(rows * kp);
  if (s.scale.size() < static_cast<std::size_t>(rows)) {
    s.scale.resize(rows);
    s.zero.resize(rows);
  }
  if (s.acc.size() < static_cast<std::size_t>(rows * n)) s.acc.resize(rows * n);
}

void epilogue(const Int8PackedWeights& w, const std::int32_t* acc, const float* scale, const std::int32_t* zero,
              std::int64_t r0, std::int64_t r1, float* out) {
  if (int8_gemm_available())
    int8_epilogue_avx2(acc, w.n, w.scale.data(), w.bias.data(), w.colsum.data(), scale, zero, r0, r1, out);
  else
    int8_epilogue_reference(acc, w.n, w.scale.data(), w.bias.data(), w.colsum.data(), scale, zero, r0, r1, out);
}

// oneDNN sums the products (int8_dnnl.h); the scales, zero points and bias are applied here, as in own_linear.
// Many rows (a batch): each thread takes chunks of kDnnlChunkRows rows and runs quantization, oneDNN's matmul (on
// one thread: oneDNN does not nest inside an OpenMP region) and the epilogue on them while they are in its cache,
// with no barrier between the three. Few rows (a query): each step is spread over all threads instead.
void dnnl_linear(const Int8PackedWeights& w, const Int8DnnlWeights& dw, const float* x, std::int64_t rows, float* out,
                 bool gelu) {
  const std::int64_t chunks = (rows + kDnnlChunkRows - 1) / kDnnlChunkRows;
  if (chunks >= 4 * at::get_num_threads() && !std::getenv("RADLITE_INT8_UNCHUNKED")) {
    at::parallel_for(0, chunks, 1, [&](std::int64_t c0, std::int64_t c1) {
      thread_local Scratch mine;
      grow(mine, kDnnlChunkRows, w.kp, w.n);
      for (std::int64_t c = c0; c < c1; ++c) {
        const std::int64_t r0 = c * kDnnlChunkRows, rn = std::min(kDnnlChunkRows, rows - r0);
        quantize(x + r0 * w.k, w.k, w.kp, 0, rn, mine.q.data(), mine.scale.data(), mine.zero.data());
        int8_dnnl_gemm(dw, mine.q.data(), rn, mine.acc.data());
        epilogue(w, mine.acc.data(), mine.scale.data(), mine.zero.data(), 0, rn, out + r0 * w.n);
        if (gelu) gelu_rows(out + r0 * w.n, w.n, 0, rn);
      }
    });
    return;
  }
  thread_local Scratch scratch;
  grow(scratch, rows, w.kp, w.n);
  // Plain pointers for the threads below: `scratch` names each thread's own (empty) copy there.
  std::uint8_t* q = scratch.q.data();
  float* scale = scratch.scale.data();
  std::int32_t* zero = scratch.zero.data();
  std::int32_t* acc = scratch.acc.data();
  quantize_rows(x, w.k, w.kp, rows, q, scale, zero);
  int8_dnnl_gemm(dw, q, rows, acc);
  at::parallel_for(0, rows, std::max<std::int64_t>(1, (1 << 14) / w.n), [&](std::int64_t r0, std::int64_t r1) {
    epilogue(w, acc, scale, zero, r0, r1, out);
    if (gelu) gelu_rows(out, w.n, r0, r1);
  });
}

}  // namespace

struct Int8Linear::Packed {
  Int8Kernel kernel = Int8Kernel::Torch;
  c10::intrusive_ptr<LinearPackedParamsBase> params;  // Torch
  Int8PackedWeights own;                              // Own and OneDnn (OneDnn keeps no panels: data is empty)
  Int8DnnlWeightsPtr dnnl;                            // OneDnn
};

bool Int8Linear::full_range() {
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
  static const bool vnni = __builtin_cpu_supports("avx512vnni") || __builtin_cpu_supports("avxvnni");
  return vnni;
#else
  return false;
#endif
}

Int8Kernel Int8Linear::chosen_kernel() {
  if (const char* env = std::getenv("RADLITE_INT8_KERNEL"); env && *env) {
    const std::string name = env;
    if (name == "own" && int8_gemm_available()) return Int8Kernel::Own;
    if (name == "onednn" && int8_dnnl_available()) return Int8Kernel::OneDnn;
    if (name == "torch") return Int8Kernel::Torch;
    if (name != "own" && name != "onednn")
      throw InvalidArgument("RADLITE_INT8_KERNEL is '" + name + "'; expected own, onednn or torch");
    throw ModelError("RADLITE_INT8_KERNEL=" + name + ": that kernel is not available in this build on this CPU");
  }
  if (int8_dnnl_preferred()) return Int8Kernel::OneDnn;
  if (int8_gemm_available()) return Int8Kernel::Own;
  if (int8_dnnl_available()) return Int8Kernel::OneDnn;
  return Int8Kernel::Torch;
}

const char* Int8Linear::kernel_name(Int8Kernel k) {
  switch (k) {
    case Int8Kernel::Own:
      return "radlite-avx2";
    case Int8Kernel::OneDnn:
      return "onednn-matmul";
    case Int8Kernel::Torch:
      return "libtorch-quantized";
  }
  return "?";
}

Int8Linear::Int8Linear(const at::Tensor& weight, const at::Tensor& bias) : packed_(std::make_unique<Packed>()) {
  const at::Tensor w = weight.to(at::kFloat).contiguous();
  const std::int64_t out = w.size(0);
  Int8Kernel kernel = chosen_kernel();
  if (kernel != Int8Kernel::Torch && w.size(1) > kInt8MaxDepth) kernel = Int8Kernel::Torch;
  packed_->kernel = kernel;
  if (kernel != Int8Kernel::Torch) {
    const at::Tensor b = bias.to(at::kFloat).contiguous();
    packed_->own = int8_pack_weights(w.data_ptr<float>(), b.data_ptr<float>(), out, w.size(1));
    if (kernel == Int8Kernel::OneDnn) {
      packed_->dnnl = int8_dnnl_pack(packed_->own);
      packed_->own.data.clear();  // oneDNN holds its own copy, in its layout
      packed_->own.data.shrink_to_fit();
    }
    return;
  }
  use_onednn_engine();
  // Symmetric per-output-channel scales; an all-zero row gets a tiny scale instead of a division by zero.
  const at::Tensor scales = (w.abs().amax({1}).clamp_min(1e-12) / 127.0).to(at::kDouble);
  const at::Tensor qw = at::quantize_per_channel(w, scales, at::zeros({out}, at::kLong), 0, at::kQInt8);
  static const auto prepack =
      c10::Dispatcher::singleton()
          .findSchemaOrThrow("quantized::linear_prepack", "")
          .typed<c10::intrusive_ptr<LinearPackedParamsBase>(at::Tensor, c10::optional<at::Tensor>)>();
  packed_->params = prepack.call(qw, bias.to(at::kFloat).contiguous());
}

Int8Linear::~Int8Linear() = default;
Int8Linear::Int8Linear(Int8Linear&&) noexcept = default;
Int8Linear& Int8Linear::operator=(Int8Linear&&) noexcept = default;

Int8Kernel Int8Linear::kernel() const { return packed_->kernel; }

std::string Int8Linear::kernel_detail(std::int64_t rows) const {
  if (packed_->kernel == Int8Kernel::OneDnn)
    return std::string(kernel_name(packed_->kernel)) + " (" + int8_dnnl_kernel_name(*packed_->dnnl, rows) + ")";
  return kernel_name(packed_->kernel);
}

at::Tensor Int8Linear::forward(const at::Tensor& x) const {
  if (packed_->kernel == Int8Kernel::Torch)
    return packed_->params->apply_dynamic(x.contiguous(), /*reduce_range=*/!full_range());
  at::Tensor out = at::empty({x.size(0), packed_->own.n}, x.options().dtype(at::kFloat));
  forward_into(x, out);
  return out;
}

void Int8Linear::forward_into(const at::Tensor& x, at::Tensor& out, bool gelu) const {
  if (packed_->kernel == Int8Kernel::Torch) {
    out.copy_(packed_->params->apply_dynamic(x.contiguous(), /*reduce_range=*/!full_range()));
    if (gelu) at::gelu_(out);
    return;
  }
  const Int8PackedWeights& w = packed_->own;
  const at::Tensor in = x.to(at::kFloat).contiguous();
  if (in.dim() != 2 || in.size(1) != w.k || out.dim() != 2 || out.size(0) != in.size(0) || out.size(1) != w.n)
    throw InvalidArgument("int8 Linear: input of shape " + c10::str(in.sizes()) + " and output of shape " +
                          c10::str(out.sizes()) + " do not fit a layer of " + std::to_string(w.k) + " -> " +
                          std::to_string(w.n));
  if (in.size(0) == 0) return;
  auto run = [&](float* dst) {
    if (packed_->kernel == Int8Kernel::OneDnn)
      dnnl_linear(w, *packed_->dnnl, in.data_ptr<float>(), in.size(0), dst, gelu);
    else
      own_linear(w, in.data_ptr<float>(), in.size(0), dst, gelu);
  };
  if (out.is_contiguous() && out.scalar_type() == at::kFloat) {
    run(out.data_ptr<float>());
  } else {
    at::Tensor tmp = at::empty(out.sizes(), in.options());
    run(tmp.data_ptr<float>());
    out.copy_(tmp);
  }
}

}  // namespace radlite::model
