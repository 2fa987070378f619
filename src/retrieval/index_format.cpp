// The index directory format shared by saving and loading a pipeline (see index_format.h).
#include "retrieval/index_format.h"

#include <cstdint>
#include <filesystem>
#include <limits>
#include <system_error>

#include "radlite/error.h"
#include "retrieval/binary_io.h"

namespace radlite::index_format {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {
const char kTombMagic[8] = "RLTOMB\0";
const char kTombEnd[8] = "RLTBEND";
}  // namespace

const char* metric_name(DenseMetric m) { return m == DenseMetric::kCosine ? "cosine" : "inner_product"; }

const char* dtype_name(VectorDtype d) { return d == VectorDtype::kFloat16 ? "float16" : "float32"; }

VectorDtype vector_dtype_from(const json& dense, const io::JsonPlace& at) {
  const std::string name = io::get_string(dense, "vector_dtype", at, "float32");
  if (name == "float32") return VectorDtype::kFloat32;
  if (name == "float16") return VectorDtype::kFloat16;
  io::format_error(at.at("vector_dtype"), "unknown vector dtype '" + name + "' (this radlite knows float32, float16)");
}

json analyzer_json(const AnalyzerOptions& a) {
  return json{{"lowercase", a.lowercase},
              {"stopwords", a.stopwords},
              {"extra_stopwords", a.extra_stopwords},
              {"stemmer", a.stemmer},
              {"english_possessive", a.english_possessive},
              {"max_token_length", a.max_token_length}};
}

Bm25Options bm25_options_from(const json& meta, const io::JsonPlace& at) {
  constexpr double kMax = std::numeric_limits<double>::max();
  Bm25Options o;
  o.k1 = io::get_number(meta, "k1", at, -kMax, kMax);  // Bm25Index checks the ranges below
  o.b = io::get_number(meta, "b", at, -kMax, kMax);
  const json& a = io::require(meta, "analyzer", at);
  const io::JsonPlace aat = at.at("analyzer");
  o.analyzer.lowercase = io::get_bool(a, "lowercase", aat);
  o.analyzer.stopwords = io::get_string(a, "stopwords", aat);
  const json& extra = io::require(a, "extra_stopwords", aat);
  if (!extra.is_array()) io::format_error(aat.at("extra_stopwords"), "expected an array, got " + io::describe(extra));
  for (std::size_t i = 0; i < extra.size(); ++i) {
    if (!extra[i].is_string())
      io::format_error(aat.at("extra_stopwords").at(i), "expected a string, got " + io::describe(extra[i]));
    o.analyzer.extra_stopwords.push_back(extra[i].get<std::string>());
  }
  o.analyzer.stemmer = io::get_string(a, "stemmer", aat);
  o.analyzer.english_possessive = io::get_bool(a, "english_possessive", aat);
  o.analyzer.max_token_length = io::get_uint(a, "max_token_length", aat, SIZE_MAX);
  try {
    Bm25Index validate(o);
  } catch (const InvalidArgument& e) {
    io::format_error(at, e.what());
  }
  return o;
}

std::vector<BeirDocument> read_documents(std::istream& in, const std::string& path) {
  std::vector<BeirDocument> docs;
  std::string line;
  std::size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    const io::JsonPlace at{path + " line " + std::to_string(line_no), ""};
    json j = io::parse_json(line, at.file);
    docs.push_back({io::get_string(j, "_id", at), io::get_string(j, "title", at), io::get_string(j, "text", at)});
  }
  if (in.bad()) throw IoError(path + ": read failed");
  return docs;
}

void write_tombstones(std::ostream& out, const PipelineSegment& seg) {
  retrieval_io::Writer w(out);
  w.bytes(kTombMagic, sizeof kTombMagic);
  w.u32(1);
  w.u64(seg.deleted_count);
  for (std::size_t i = 0; i < seg.size(); ++i)
    if (seg.deleted[i]) w.u32(static_cast<std::uint32_t>(i));
  w.bytes(kTombEnd, sizeof kTombEnd);
}

std::vector<std::uint32_t> read_tombstones(std::istream& in, const std::string& what, std::size_t docs) {
  retrieval_io::Reader r(in, what);
  r.expect_magic(kTombMagic, sizeof kTombMagic, "not a radlite tombstone file (bad magic)");
  const std::uint32_t version = r.u32("format version");
  if (version != 1) r.fail("unsupported tombstone format version " + std::to_string(version));
  const std::uint64_t n = r.u64("count");
  if (n > docs) r.fail(std::to_string(n) + " tombstones for a segment of " + std::to_string(docs) + " documents");
  std::vector<std::uint32_t> out;
  r.array(out, n, "deleted documents");
  for (std::size_t i = 0; i < out.size(); ++i)
    if (out[i] >= docs || (i > 0 && out[i] <= out[i - 1])) r.fail("corrupted tombstone list");
  r.expect_magic(kTombEnd, sizeof kTombEnd, "bad end marker (corrupted or truncated tombstone file)");
  return out;
}

std::string absolute_dir(const std::string& dir) {
  std::error_code ec;
  fs::path p = fs::absolute(dir, ec);
  std::string s = (ec ? fs::path(dir) : p).lexically_normal().string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

bool is_index_file_name(const std::string& name) {
  return name.rfind(kSegmentPrefix, 0) == 0 || name.rfind(std::string(kManifest) + ".tmp-", 0) == 0;
}

}  // namespace radlite::index_format
