// PLACEHOLDER for branch `pipe` only: the BiEncoder / CrossEncoder classes live on branch `model`.
// At merge the lead replaces the body of this file with one that constructs them. Until then the
// retrieval commands work with BM25 alone and say clearly that models need the model module.
#include "cli/model_loading.h"

#include "radlite/error.h"

namespace radlite::cli {

std::shared_ptr<const TextEncoder> load_bi_encoder(const std::string& dir, const ModelLoadOptions&) {
  throw Error("--bi-encoder " + dir + ": loading a bi-encoder requires the model module (not built into this binary)");
}

std::shared_ptr<const PairScorer> load_cross_encoder(const std::string& dir, const ModelLoadOptions&) {
  throw Error("--cross-encoder " + dir +
              ": loading a cross-encoder requires the model module (not built into this binary)");
}

}  // namespace radlite::cli
