// The one place where the retrieval commands construct concrete models (radlite/encoder.h).
#include "cli/model_loading.h"

#include "radlite/encoder.h"

namespace radlite::cli {

std::shared_ptr<const TextEncoder> load_bi_encoder(const std::string& dir, const ModelLoadOptions& options) {
  BiEncoderOptions o;
  o.batch_size = options.batch_size;
  o.max_length = options.max_length;
  o.threads = options.threads;
  o.device = options.device;
  o.dtype = options.dtype;
  return std::make_shared<BiEncoder>(BiEncoder::load(dir, o));
}

std::shared_ptr<const PairScorer> load_cross_encoder(const std::string& dir, const ModelLoadOptions& options) {
  CrossEncoderOptions o;
  o.batch_size = options.batch_size;
  o.max_length = options.max_length;
  o.threads = options.threads;
  o.device = options.device;
  o.dtype = options.dtype;
  return std::make_shared<CrossEncoder>(CrossEncoder::load(dir, o));
}

}  // namespace radlite::cli
