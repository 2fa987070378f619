// The on-disk format of a saved radlite::Pipeline (internal): file names, the manifest's BM25 section, the
// documents file and tombstone files. Shared by saving (pipeline_save.cpp) and loading (pipeline_load.cpp);
// see "Persistence" in pipeline.h.
#pragma once

#include <radlite/retrieval/pipeline.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <istream>
#include <ostream>
#include <string>
#include <vector>

#include "io/json_reader.h"
#include "retrieval/pipeline_impl.h"

namespace radlite::index_format {

inline constexpr char kManifest[] = "manifest.json";
inline constexpr char kFormatName[] = "radlite-index";
// Version 1 file names (one unsegmented index).
inline constexpr char kV1DocumentsFile[] = "documents.jsonl";
inline constexpr char kV1Bm25File[] = "bm25.bin";
inline constexpr char kV1DenseFile[] = "dense.bin";
// Version 2: `<segment><suffix>`.
inline constexpr char kDocsSuffix[] = ".docs.jsonl";
inline constexpr char kDocsIndexSuffix[] = ".docs.idx";  // offsets into .docs.jsonl (document_store.h)
inline constexpr char kBm25Suffix[] = ".bm25.bin";
inline constexpr char kDenseSuffix[] = ".dense.bin";
inline constexpr char kHnswSuffix[] = ".hnsw.bin";
inline constexpr char kIvfPqSuffix[] = ".ivfpq.bin";
inline constexpr char kSegmentPrefix[] = "seg-";

const char* metric_name(DenseMetric m);
const char* dtype_name(VectorDtype d);
/// The "vector_dtype" of the manifest's "dense" section at `at` (absent: float32, as before it existed).
VectorDtype vector_dtype_from(const nlohmann::json& dense, const io::JsonPlace& at);

/// The manifest's record of the BM25 analyzer, and the BM25 options read back from the manifest's "bm25"
/// section at `at` (an index without segments has no BM25 file to read them from).
nlohmann::json analyzer_json(const AnalyzerOptions& a);
Bm25Options bm25_options_from(const nlohmann::json& meta, const io::JsonPlace& at);

/// The documents file: one JSON object {_id, title, text} per line. `path` names the file in errors. Read
/// whole only for segments saved without an offsets file (before it existed); the others are mapped and
/// read on demand, and written by DocumentStore (document_store.h).
std::vector<BeirDocument> read_documents(std::istream& in, const std::string& path);

/// A tombstone file: the sorted numbers of a segment's deleted documents.
void write_tombstones(std::ostream& out, const PipelineSegment& seg);
std::vector<std::uint32_t> read_tombstones(std::istream& in, const std::string& what, std::size_t docs);

/// `dir` made absolute and normal, without a trailing slash: how a pipeline remembers where it was saved.
std::string absolute_dir(const std::string& dir);

/// Whether `name` is a file a radlite save writes into an index directory (the only ones it ever deletes).
bool is_index_file_name(const std::string& name);

}  // namespace radlite::index_format
