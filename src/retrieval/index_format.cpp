// The index directory format shared by saving and loading a pipeline (see index_format.h).
#include "retrieval/index_format.h"

#include <filesystem>
#include <system_error>

#include "io/json_reader.h"
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

// Manifest field access with errors naming the file and the field.
const json& field(const json& obj, const char* name, const std::string& what) {
  if (!obj.is_object() || !obj.contains(name)) throw FormatError(what + ": missing field '" + name + "'");
  return obj.at(name);
}

std::string string_field(const json& obj, const char* name, const std::string& what) {
  const json& v = field(obj, name, what);
  if (!v.is_string()) throw FormatError(what + ": field '" + name + "' must be a string");
  return v.get<std::string>();
}

std::uint64_t uint_field(const json& obj, const char* name, const std::string& what) {
  const json& v = field(obj, name, what);
  if (!v.is_number_unsigned()) throw FormatError(what + ": field '" + name + "' must be a non-negative integer");
  return v.get<std::uint64_t>();
}

json analyzer_json(const AnalyzerOptions& a) {
  return json{{"lowercase", a.lowercase},
              {"stopwords", a.stopwords},
              {"extra_stopwords", a.extra_stopwords},
              {"stemmer", a.stemmer},
              {"english_possessive", a.english_possessive},
              {"max_token_length", a.max_token_length}};
}

// The BM25 options recorded in the manifest (an index without segments has no BM25 file to read them from).
Bm25Options bm25_options_from(const json& meta, const std::string& what) {
  Bm25Options o;
  const json& k1 = field(meta, "k1", what);
  const json& b = field(meta, "b", what);
  if (!k1.is_number() || !b.is_number()) throw FormatError(what + ": fields 'k1' and 'b' must be numbers");
  o.k1 = k1.get<double>();
  o.b = b.get<double>();
  const json& a = field(meta, "analyzer", what);
  const std::string awhat = what + ".analyzer";
  try {
    o.analyzer.lowercase = field(a, "lowercase", awhat).get<bool>();
    o.analyzer.stopwords = string_field(a, "stopwords", awhat);
    o.analyzer.extra_stopwords = field(a, "extra_stopwords", awhat).get<std::vector<std::string>>();
    o.analyzer.stemmer = string_field(a, "stemmer", awhat);
    o.analyzer.english_possessive = field(a, "english_possessive", awhat).get<bool>();
    o.analyzer.max_token_length = uint_field(a, "max_token_length", awhat);
  } catch (const json::exception& e) {
    throw FormatError(awhat + ": " + e.what());
  }
  try {
    Bm25Index validate(o);
  } catch (const InvalidArgument& e) {
    throw FormatError(what + ": " + e.what());
  }
  return o;
}

std::vector<BeirDocument> read_documents(std::istream& in, const std::string& path) {
  std::vector<BeirDocument> docs;
  std::string line;
  std::size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    const std::string what = path + " line " + std::to_string(line_no);
    json j = io::parse_json(line, what);
    docs.push_back({string_field(j, "_id", what), string_field(j, "title", what), string_field(j, "text", what)});
  }
  if (in.bad()) throw IoError(path + ": read failed");
  return docs;
}

void write_documents(std::ostream& out, const std::vector<BeirDocument>& docs) {
  for (const auto& d : docs) out << json{{"_id", d.id}, {"title", d.title}, {"text", d.text}}.dump() << '\n';
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
