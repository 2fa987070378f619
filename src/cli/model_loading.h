// How the radlite tool turns a model directory into models: the one mapping from the command line's model
// settings onto the library's option structs, shared by every command that loads a model.
//
// The retrieval commands (index, search, eval) only see radlite::TextEncoder / radlite::PairScorer, so they
// build without knowing the model module; encode and rerank use the concrete classes through the same mapping.
#pragma once

#include <memory>
#include <string>

#include "radlite/encoder.h"
#include "radlite/text_models.h"

namespace radlite::cli {

/// Model settings from the command line (--device, --threads, --batch-size, --dtype, --max-length; declared in
/// options.h with their bounds).
struct ModelLoadOptions {
  std::string device = "cpu";    // "cpu", "cuda" or "cuda:N"
  int threads = 0;               // libtorch intra-op threads; 0 = all cores
  std::size_t batch_size = 32;   // texts (or pairs) per forward pass, >= 1
  DType dtype = DType::F32;      // compute dtype (F16: CUDA only)
  std::size_t max_length = 0;    // tokens per text or pair; 0 = the model's limit
};

/// The library options for each model kind, from the same settings.
BiEncoderOptions bi_encoder_options(const ModelLoadOptions& m);
CrossEncoderOptions cross_encoder_options(const ModelLoadOptions& m);

/// A sentence-transformers / Hugging Face bi-encoder directory (e.g. matulichpt/radlit-biencoder).
/// Throws radlite::Error subclasses naming the directory or file on failure.
std::shared_ptr<const TextEncoder> load_bi_encoder(const std::string& dir, const ModelLoadOptions& options);

/// A cross-encoder directory (e.g. matulichpt/radlit-crossencoder), one relevance logit per pair.
std::shared_ptr<const PairScorer> load_cross_encoder(const std::string& dir, const ModelLoadOptions& options);

}  // namespace radlite::cli
