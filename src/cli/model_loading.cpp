// The one place where the command line's model settings become library options (radlite/encoder.h, runtime.h).
#include "cli/model_loading.h"

#include "radlite/runtime.h"

namespace radlite::cli {

namespace {

// The thread count is the process's, not a model's (radlite/runtime.h); a command-line tool sets it whenever it
// loads a model, before any encoding.
DeviceOptions device_options(const ModelLoadOptions& m) {
  set_num_threads(m.threads);
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
