// The one place where the retrieval commands construct concrete models (radlite/encoder.h).
#include "cli/model_loading.h"

#include "radlite/encoder.h"

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

std::shared_ptr<const TextEncoder> load_bi_encoder(const std::string& dir, const ModelLoadOptions& options) {
  return std::make_shared<BiEncoder>(BiEncoder::load(dir, to_options<BiEncoderOptions>(options)));
}

std::shared_ptr<const PairScorer> load_cross_encoder(const std::string& dir, const ModelLoadOptions& options) {
  return std::make_shared<CrossEncoder>(CrossEncoder::load(dir, to_options<CrossEncoderOptions>(options)));
}

}  // namespace radlite::cli
