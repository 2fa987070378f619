#include "model/int8_linear.h"

#include <ATen/Context.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/native/quantized/PackedParams.h>

#include <mutex>

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

}  // namespace

struct Int8Linear::Packed {
  c10::intrusive_ptr<LinearPackedParamsBase> params;
};

bool Int8Linear::full_range() {
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
  static const bool vnni = __builtin_cpu_supports("avx512vnni") || __builtin_cpu_supports("avxvnni");
  return vnni;
#else
  return false;
#endif
}

Int8Linear::Int8Linear(const at::Tensor& weight, const at::Tensor& bias) : packed_(std::make_unique<Packed>()) {
  use_onednn_engine();
  const at::Tensor w = weight.to(at::kFloat).contiguous();
  const std::int64_t out = w.size(0);
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

at::Tensor Int8Linear::forward(const at::Tensor& x) const {
  return packed_->params->apply_dynamic(x.contiguous(), /*reduce_range=*/!full_range());
}

}  // namespace radlite::model
