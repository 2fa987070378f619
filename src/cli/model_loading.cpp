// The one place where the command line's model settings become library options (radlite/encoder.h).
#include "cli/model_loading.h"

namespace radlite::cli {

namespace {

// BiEncoderOptions and CrossEncoderOptions share these fields.
template <class Options>
Options to_options(const ModelLoadOptions& m) {
  Options o;
  o.batch_size = m.batch_size;
  o.max_length = m.max_length;
  o.threads = m.threads;
  o.device = m.device;
  o.dtype = m.dtype;
  return o;
}

}  // namespace

BiEncoderOptions bi_encoder_options(const ModelLoadOptions& m) { return to_options<BiEncoderOptions>(m); }
CrossEncoderOptions cross_encoder_options(const ModelLoadOptions& m) { return to_options<CrossEncoderOptions>(m); }

std::shared_ptr<const TextEncoder> load_bi_encoder(const std::string& dir, const ModelLoadOptions& options) {
  return std::make_shared<BiEncoder>(BiEncoder::load(dir, bi_encoder_options(options)));
}

std::shared_ptr<const PairScorer> load_cross_encoder(const std::string& dir, const ModelLoadOptions& options) {
  return std::make_shared<CrossEncoder>(CrossEncoder::load(dir, cross_encoder_options(options)));
}

}  // namespace radlite::cli
