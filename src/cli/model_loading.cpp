// The one place where the retrieval commands construct concrete models (radlite/encoder.h).
#include "cli/model_loading.h"

#include "radlite/encoder.h"
#include "radlite/runtime.h"

namespace radlite::cli {

namespace {

// Both model kinds take the same DeviceOptions; the thread count is the process's (radlite/runtime.h), which a
// command-line tool may set whenever it loads a model.
DeviceOptions to_device_options(const ModelLoadOptions& m) {
  set_num_threads(m.threads);
  DeviceOptions d;
  d.batch_size = m.batch_size;
  d.max_length = m.max_length;
  d.device = m.device;
  d.dtype = m.dtype;
  return d;
}

}  // namespace

std::shared_ptr<const TextEncoder> load_bi_encoder(const std::string& dir, const ModelLoadOptions& options) {
  BiEncoderOptions o;
  o.compute = to_device_options(options);
  return std::make_shared<BiEncoder>(BiEncoder::load(dir, o));
}

std::shared_ptr<const PairScorer> load_cross_encoder(const std::string& dir, const ModelLoadOptions& options) {
  CrossEncoderOptions o;
  o.compute = to_device_options(options);
  return std::make_shared<CrossEncoder>(CrossEncoder::load(dir, o));
}

}  // namespace radlite::cli
