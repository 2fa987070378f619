// Options shared by the retrieval commands (index, search, eval): parsing of stage and model flags into
// radlite option structs, so the three commands spell and check them the same way.
#pragma once

#include <memory>
#include <set>
#include <string>

#include "cli/args.h"
#include "cli/model_loading.h"
#include "radlite/retrieval/pipeline.h"

namespace radlite::cli {

/// Value options understood by apply_search_options / model_load_options.
std::set<std::string> search_value_options();

/// --k, --candidates, --rerank-depth, --fusion rrf|linear, --dense-weight, --temperature, --bm25-weight,
/// --rrf-k onto `o`. Throws InvalidArgument naming the option on a bad value.
void apply_search_options(const Args& args, SearchOptions& o);

/// --k1, --b, --stopwords, --stemmer onto BM25 options.
void apply_bm25_options(const Args& args, Bm25Options& o);
std::set<std::string> bm25_value_options();

/// --device, --threads, --batch-size, --dtype, --max-length (InvalidArgument naming the option on a bad value).
ModelLoadOptions model_load_options(const Args& args);

/// At most `max_chars` bytes of `text` on one line (whitespace collapsed), cut at a UTF-8 boundary, "..."
/// appended when cut.
std::string snippet(const std::string& text, std::size_t max_chars);

}  // namespace radlite::cli
