// The radlite tool's options, declared once on CLI11 and shared by the commands that take them: number
// validators with bounds, and the option groups for models, search stages and BM25.
//
// Every number is checked before it reaches a library struct: it must be written in decimal, fit the stated
// range, and (for reals) be finite. The errors name the option and the range, e.g.
//   radlite search: error: --k: must be an integer in [0, 10000000], got '4294967297'
#pragma once

#include <CLI/CLI.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "cli/model_loading.h"
#include "radlite/retrieval/bm25.h"
#include "radlite/retrieval/pipeline.h"

namespace radlite::cli {

/// --k, --candidates, --rerank-depth: far above any corpus the tool serves; larger values are typos or wrapped
/// numbers, and would only make the library reserve memory for them.
constexpr std::int64_t kMaxHits = 10'000'000;
/// --batch-size: texts or pairs per forward pass (the encoders also bound the padded tokens per pass).
constexpr std::int64_t kMaxBatchSize = 65'536;
/// --max-length: tokens per text; no model has a position table this long.
constexpr std::int64_t kMaxTokens = 1 << 24;
/// --threads: 0 means all hardware threads; an explicit count may oversubscribe up to 4x the hardware threads
/// (at least 4; never above radlite::kMaxThreads), beyond which threads only cost memory and time.
int max_threads();

/// An integer option written in decimal (no sign other than '-', no hex or octal), within [lo, hi].
CLI::Validator integer_in(std::int64_t lo, std::int64_t hi);
/// A finite real within [lo, hi]; with `lo_open` the lower bound itself is excluded (> lo).
CLI::Validator number_in(double lo, double hi, bool lo_open = false);
/// A finite real > 0.
CLI::Validator positive_number();
/// One of `choices` (exact spelling).
CLI::Validator one_of(std::vector<std::string> choices);

/// "float32" | "float16" | "bfloat16" (or f32 / f16 / bf16); InvalidArgument otherwise.
DType parse_dtype(const std::string& name);

/// --device, --threads, --batch-size, --dtype, --max-length onto `m` (which must outlive the parse).
void add_model_options(CLI::App& app, ModelLoadOptions& m);
/// --k, --candidates, --rerank-depth, --fusion, --rrf-k, --dense-weight, --temperature, --bm25-weight, --ef-search,
/// --nprobe onto `o`.
void add_search_options(CLI::App& app, SearchOptions& o);
/// --k1, --b, --stopwords, --stemmer onto `o`.
void add_bm25_options(CLI::App& app, Bm25Options& o);
/// --dense exact|hnsw|ivfpq onto `o.dense_kind`, --vector-dtype float32|float16 onto `o.vector_dtype`, and the
/// approximate indexes' build parameters (--hnsw-m, --hnsw-ef-construction, --ivf-nlist, --ivf-pq-m) onto `o`
/// (`radlite index` and `radlite eval`).
void add_dense_index_options(CLI::App& app, PipelineOptions& o);
/// "exact", "hnsw" or "ivfpq": the --dense spelling of a kind.
const char* dense_kind_name(DenseKind kind);

}  // namespace radlite::cli
