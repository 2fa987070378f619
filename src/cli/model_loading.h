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

/// Model settings from the command line (declared in options.h with their bounds): the per-model DeviceOptions
/// (--device, --dtype, --batch-size, --max-length) both model kinds share, and the process-wide --threads.
struct ModelLoadOptions {
  DeviceOptions compute;  // device "cpu", dtype float32, batch_size 32, max_length 0 = the model's limit
  int threads = 0;        // libtorch intra-op threads of the process (radlite::set_num_threads); 0 = all cores
};

/// The one mapping onto the library: applies --threads to the process (radlite/runtime.h) and returns the options
/// of each model kind, which differ only in the fields the command line does not set.
BiEncoderOptions bi_encoder_options(const ModelLoadOptions& m);
CrossEncoderOptions cross_encoder_options(const ModelLoadOptions& m);

/// A sentence-transformers / Hugging Face bi-encoder directory (e.g. matulichpt/radlit-biencoder).
/// Throws radlite::Error subclasses naming the directory or file on failure.
std::shared_ptr<const TextEncoder> load_bi_encoder(const std::string& dir, const ModelLoadOptions& options);

/// A cross-encoder directory (e.g. matulichpt/radlit-crossencoder), one relevance logit per pair.
std::shared_ptr<const PairScorer> load_cross_encoder(const std::string& dir, const ModelLoadOptions& options);

}  // namespace radlite::cli
