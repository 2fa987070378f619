// Saved pipeline indexes: round trips (with and without embeddings, empty), the encoder identity check, format
// versions, and every corrupted, truncated, deleted or padded index file and malformed manifest field named in the
// error.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <tuple>

#include "pipeline_fixtures.h"
#include "radlite/error.h"
#include "radlite/retrieval/pipeline.h"
#include "retrieval/fake_models.h"

namespace fs = std::filesystem;
using namespace radlite;
using namespace pipeline_tests;
using radlite::test_models::HashingEncoder;
using radlite::test_models::OverlapScorer;

namespace {

// The one file of `dir` whose name ends with `suffix` (segment files are named after their segment).
std::string segment_file(const std::string& dir, const std::string& suffix) {
  std::string found;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string n = e.path().filename().string();
    if (n.size() >= suffix.size() && n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0) {
      EXPECT_TRUE(found.empty()) << "two files end with " << suffix << " in " << dir;
      found = n;
    }
  }
  EXPECT_FALSE(found.empty()) << "no file ends with " << suffix << " in " << dir;
  return found;
}

// The generation number of a saved index as written in its file names ("000003").
std::string gen_of(const std::string& dir) {
  std::ifstream in(dir + "/manifest.json");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  const auto pos = text.find("\"generation\": ");
  EXPECT_NE(pos, std::string::npos);
  std::string digits = std::to_string(std::stoull(text.substr(pos + 14)));
  return std::string(6 - std::min<std::size_t>(6, digits.size()), '0') + digits;
}

}  // namespace

TEST(PipelinePersistence, SaveLoadGivesIdenticalResults) {
  auto enc = std::make_shared<HashingEncoder>();
  auto ce = std::make_shared<OverlapScorer>();
  Pipeline pipe(enc, ce);
  pipe.add(small_corpus());
  std::string dir = temp_dir("roundtrip") + "/index";
  pipe.save(dir);
  EXPECT_TRUE(fs::is_regular_file(dir + "/manifest.json"));
  for (const char* suffix : {".docs.jsonl", ".bm25.bin", ".dense.bin"})
    EXPECT_TRUE(fs::is_regular_file(dir + "/" + segment_file(dir, suffix))) << suffix;
  Pipeline loaded = Pipeline::load(dir, enc, ce);
  EXPECT_EQ(loaded.size(), pipe.size());
  EXPECT_EQ(loaded.encoder_identity(), "test-hashing-bow-64");
  for (std::size_t i = 0; i < pipe.size(); ++i) {
    EXPECT_EQ(loaded.document(i).id, pipe.document(i).id);
    EXPECT_EQ(loaded.document(i).title, pipe.document(i).title);
    EXPECT_EQ(loaded.document(i).text, pipe.document(i).text);
  }
  for (const auto& q : kQueries) {
    SearchOptions o;
    o.k = 20;
    expect_same_hits(pipe.search(q, o), loaded.search(q, o));
    o.fusion = FirstFusion::kLinear;
    expect_same_hits(pipe.search(q, o), loaded.search(q, o));
  }
  // Saving over an existing index replaces it, and the loaded copy can grow and be saved again.
  loaded.add({{"d12", "", "pulmonary embolism pulmonary embolism"}});
  loaded.save(dir);
  Pipeline again = Pipeline::load(dir, enc, ce);
  EXPECT_EQ(again.size(), 13u);
  EXPECT_EQ(again.search("pulmonary embolism")[0].id, "d12");
  // No temp or aside directories are left next to the index.
  for (const auto& e : fs::directory_iterator(fs::path(dir).parent_path()))
    EXPECT_EQ(e.path().filename().string(), "index");
}

TEST(PipelinePersistence, Bm25OnlyIndexRoundTrip) {
  PipelineOptions po;
  po.bm25_options.k1 = 0.9;
  po.bm25_options.b = 0.4;
  Pipeline pipe(nullptr, nullptr, po);
  pipe.add(small_corpus());
  std::string dir = temp_dir("bm25only") + "/index";
  pipe.save(dir);
  for (const auto& e : fs::directory_iterator(dir))
    EXPECT_EQ(e.path().string().find("dense"), std::string::npos) << e.path();
  // An encoder passed for an index without embeddings is ignored.
  Pipeline loaded = Pipeline::load(dir, std::make_shared<HashingEncoder>(), nullptr);
  EXPECT_FALSE(loaded.has_embeddings());
  EXPECT_DOUBLE_EQ(loaded.options().bm25_options.k1, 0.9);
  EXPECT_DOUBLE_EQ(loaded.options().bm25_options.b, 0.4);
  for (const auto& q : kQueries) expect_same_hits(pipe.search(q), loaded.search(q));
  std::ifstream m(dir + "/manifest.json");
  std::stringstream ss;
  ss << m.rdbuf();
  EXPECT_NE(ss.str().find("\"k1\": 0.9"), std::string::npos) << ss.str();
  EXPECT_NE(ss.str().find("\"bi_encoder\": null"), std::string::npos);
}

TEST(PipelinePersistence, WrongEncoderIsRejected) {
  auto enc = std::make_shared<HashingEncoder>();
  Pipeline pipe(enc, nullptr);
  pipe.add(small_corpus());
  std::string dir = temp_dir("identity") + "/index";
  pipe.save(dir);
  try {
    Pipeline::load(dir, std::make_shared<HashingEncoder>(64, "other-model sha256:abc"), nullptr);
    FAIL() << "no exception";
  } catch (const ModelError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("test-hashing-bow-64"), std::string::npos) << msg;
    EXPECT_NE(msg.find("other-model sha256:abc"), std::string::npos) << msg;
  }
  EXPECT_THROW(Pipeline::load(dir, nullptr, nullptr), ModelError);
  EXPECT_THROW(Pipeline::load(dir, std::make_shared<HashingEncoder>(32, "test-hashing-bow-64"), nullptr), ModelError);
  EXPECT_NO_THROW(Pipeline::load(dir, enc, nullptr));
}

TEST(PipelinePersistence, MissingDirectoryAndVersion) {
  EXPECT_THROW(Pipeline::load(temp_dir("missing") + "/nope", nullptr, nullptr), IoError);
  Pipeline pipe(nullptr, nullptr);
  pipe.add(small_corpus());
  std::string dir = temp_dir("version") + "/index";
  pipe.save(dir);
  std::string manifest_path = dir + "/manifest.json";
  std::ifstream in(manifest_path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  auto pos = text.find("\"format_version\": 2");
  ASSERT_NE(pos, std::string::npos);
  text.replace(pos, 19, "\"format_version\": 3");
  std::ofstream(manifest_path, std::ios::trunc) << text;
  try {
    Pipeline::load(dir, nullptr, nullptr);
    FAIL() << "no exception";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("manifest.json: field 'format_version': unsupported version 3"),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("rebuild"), std::string::npos) << e.what();
  }
  std::ofstream(manifest_path, std::ios::trunc) << "{\"format\": \"radlite-index\", ";
  try {
    Pipeline::load(dir, nullptr, nullptr);
    FAIL() << "no exception";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("manifest.json"), std::string::npos) << e.what();
  }
}

namespace {

void expect_load_error_names(const std::string& dir, const std::shared_ptr<const TextEncoder>& enc,
                             const std::string& file, const std::string& what) {
  try {
    Pipeline::load(dir, enc, nullptr);
    ADD_FAILURE() << what << " of " << file << ": no exception";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find(file), std::string::npos) << what << ": " << e.what();
  }
}

}  // namespace

TEST(PipelinePersistence, EveryCorruptedOrTruncatedFileIsNamed) {
  auto enc = std::make_shared<HashingEncoder>();
  Pipeline pipe(enc, nullptr);
  pipe.add(small_corpus());
  std::string base = temp_dir("corrupt");
  pipe.add({{"late", "", "a second segment"}});
  pipe.remove({"d3"});  // a tombstone file too
  // Every file of both segments: documents, BM25, vectors, and the first segment's tombstones.
  for (const std::string suffix : {"-0.docs.jsonl", "-0.docs.idx", "-0.bm25.bin", "-0.dense.bin", "-1.docs.jsonl",
                                   "-1.bm25.bin", "-1.dense.bin", "tombstones"}) {
    for (const std::string how : {"flip", "truncate", "delete", "append"}) {
      SCOPED_TRACE(suffix + " " + how);
      std::string dir = base + "/" + how + "_" + suffix;
      pipe.save(dir);
      ASSERT_NO_THROW(Pipeline::load(dir, enc, nullptr));
      const std::string file = segment_file(dir, suffix == "tombstones" ? ".del-" + gen_of(dir) + ".bin" : suffix);
      std::string path = dir + "/" + file;
      auto size = fs::file_size(path);
      if (how == "flip") {
        std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
        f.seekg(static_cast<std::streamoff>(size / 2));
        char c;
        f.get(c);
        f.seekp(static_cast<std::streamoff>(size / 2));
        f.put(static_cast<char>(c ^ 0x01));
      } else if (how == "truncate") {
        fs::resize_file(path, size - 7);
      } else if (how == "delete") {
        fs::remove(path);
      } else {
        std::ofstream(path, std::ios::app | std::ios::binary) << "x";
      }
      expect_load_error_names(dir, enc, file, how);
    }
  }
}

TEST(PipelinePersistence, MalformedManifestFieldsAreNamed) {
  auto enc = std::make_shared<HashingEncoder>();
  Pipeline pipe(enc, nullptr);
  pipe.add(small_corpus());
  std::string base = temp_dir("manifest_fields");
  // Each edit replaces one piece of the saved manifest; the error must name the manifest (manifest.json, or
  // "the manifest records ..." next to the data file that disagrees with it) and the field or value.
  const std::vector<std::tuple<std::string, std::string, std::string>> edits = {
      {"\"format\": \"radlite-index\"", "\"format\": \"other\"", "format"},
      {"\"format_version\": 2", "\"format_version\": \"2\"", "format_version"},
      {"\"documents\": 12", "\"documents\": -3", "documents"},
      {"\"documents\": 12", "\"documents\": 13", "13"},
      {"\"segments\": [", "\"segments\": {}, \"x\": [", "segments"},
      {"\"name\": \"seg-", "\"name\": \"../seg-", "name"},
      {"\"deleted\": 0", "\"deleted\": 2", "deleted"},
      {"\"identity\": \"test-hashing-bow-64\"", "\"identity\": 64", "identity"},
      {"\"bytes\": ", "\"bytes\": \"x\", \"was\": ", "bytes"},
      {"\"sha256\": \"", "\"sha256\": \"0", "sha256"},
      {"\"files\": {", "\"files\": [], \"x\": {", "files"},
  };
  int n = 0;
  for (const auto& [from, to, expect] : edits) {
    SCOPED_TRACE(to);
    std::string dir = base + "/" + std::to_string(n++);
    pipe.save(dir);
    std::string path = dir + "/manifest.json";
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    auto pos = text.find(from);
    ASSERT_NE(pos, std::string::npos) << text;
    text.replace(pos, from.size(), to);
    std::ofstream(path, std::ios::trunc) << text;
    try {
      Pipeline::load(dir, enc, nullptr);
      ADD_FAILURE() << "no exception";
    } catch (const FormatError& e) {
      std::string msg = e.what();
      EXPECT_NE(msg.find("manifest"), std::string::npos) << msg;
      EXPECT_NE(msg.find(expect), std::string::npos) << msg;
    }
  }
}

TEST(PipelinePersistence, EmptyIndexRoundTrip) {
  auto enc = std::make_shared<HashingEncoder>();
  Pipeline pipe(enc, std::make_shared<OverlapScorer>());
  pipe.add({});
  EXPECT_EQ(pipe.size(), 0u);
  EXPECT_TRUE(pipe.search("anything").empty());
  const std::string dir = temp_dir("empty") + "/index";
  pipe.save(dir);
  Pipeline loaded = Pipeline::load(dir, enc, nullptr);
  EXPECT_EQ(loaded.size(), 0u);
  EXPECT_TRUE(loaded.search("anything").empty());
  loaded.add(small_corpus());
  EXPECT_EQ(loaded.search("pneumothorax")[0].id, "d2");
}
