// How the radlite tool turns a model directory into the model-role interfaces the retrieval pipeline uses.
//
// The retrieval commands (index, search, eval) only see radlite::TextEncoder / radlite::PairScorer, so they
// build without knowing the model module; this is the one seam where concrete models are constructed.
#pragma once

#include <memory>
#include <string>

#include "radlite/text_models.h"

namespace radlite::cli {

struct ModelLoadOptions {
  std::string device = "cpu";    // "cpu" or "cuda[:N]"
  int threads = 0;               // intra-op threads; 0 = all cores
  std::size_t batch_size = 32;   // texts (or pairs) per forward pass
};

/// A sentence-transformers / Hugging Face bi-encoder directory (e.g. matulichpt/radlit-biencoder).
/// Throws radlite::Error subclasses naming the directory or file on failure.
std::shared_ptr<const TextEncoder> load_bi_encoder(const std::string& dir, const ModelLoadOptions& options);

/// A cross-encoder directory (e.g. matulichpt/radlit-crossencoder), one relevance logit per pair.
std::shared_ptr<const PairScorer> load_cross_encoder(const std::string& dir, const ModelLoadOptions& options);

}  // namespace radlite::cli
