// The one place where the command line's model settings become library options (radlite/encoder.h, runtime.h).
#include "cli/model_loading.h"

#include <iostream>
#include <mutex>

#include "radlite/runtime.h"

namespace radlite::cli {

namespace {

// The thread count is the process's, not a model's (radlite/runtime.h); a command-line tool sets it whenever it
// loads a model, before any encoding. A bfloat16 model on a CPU without bfloat16 instructions gets a warning on
// stderr, once: it runs, but far slower than float32.
DeviceOptions device_options(const ModelLoadOptions& m) {
  set_num_threads(m.threads);
#if defined(__x86_64__) || defined(__i386__)  // elsewhere the warning's avx512_bf16 means nothing
  if (m.compute.dtype == DType::BF16 && m.compute.device.rfind("cpu", 0) == 0 && !cpu_has_fast_dtype(DType::BF16)) {
    static std::once_flag once;
    std::call_once(once, [] {
      std::cerr << "radlite: warning: --dtype bfloat16 on a CPU without avx512_bf16 runs its matrix products "
                   "about 30x slower than float32; use int8 or float32 here\n";
    });
  }
#endif
  return m.compute;
}

}  // namespace

BiEncoderOptions bi_encoder_options(const ModelLoadOptions& m) {
  BiEncoderOptions o;
  o.compute = device_options(m);
  return o;
}

CrossEncoderOptions cross_encoder_options(const ModelLoadOptions& m) {
  CrossEncoderOptions o;
  o.compute = device_options(m);
  return o;
}

std::shared_ptr<const TextEncoder> load_bi_encoder(const std::string& dir, const ModelLoadOptions& options) {
  return std::make_shared<BiEncoder>(BiEncoder::load(dir, bi_encoder_options(options)));
}

std::shared_ptr<const PairScorer> load_cross_encoder(const std::string& dir, const ModelLoadOptions& options) {
  return std::make_shared<CrossEncoder>(CrossEncoder::load(dir, cross_encoder_options(options)));
}

}  // namespace radlite::cli
