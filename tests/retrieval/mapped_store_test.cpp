// Memory-mapped index storage: documents read on demand through the offsets file (<segment>.docs.idx), the
// checks of that file at load (each inconsistency a FormatError naming it), and segments saved before the
// offsets file existed, which still load (read whole) and keep working with incremental saves; and BM25
// postings read in place, whose corruption is named at load (checksums) or at the first search of the term.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

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

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

std::string only_file(const std::string& dir, const std::string& suffix) {
  std::string found;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string n = e.path().filename().string();
    if (n.size() >= suffix.size() && n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0) {
      EXPECT_TRUE(found.empty()) << "two files end with " << suffix;
      found = dir + "/" + n;
    }
  }
  EXPECT_FALSE(found.empty()) << "no file ends with " << suffix << " in " << dir;
  return found;
}

void put_u64(std::string& bytes, std::size_t at, std::uint64_t v) { std::memcpy(&bytes[at], &v, sizeof v); }

LoadOptions fast() {
  LoadOptions o;
  o.verify_checksums = false;  // only sizes and structure: what the offsets file's own checks must catch
  return o;
}

template <typename F>
void expect_format_error_naming(const std::string& name, const std::string& what, F&& f) {
  try {
    f();
    ADD_FAILURE() << what << ": no exception";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << what << ": " << e.what();
  }
}

}  // namespace

TEST(MappedDocuments, LoadReadsNoTextAndSearchReadsOnlyWhatItReturns) {
  auto enc = std::make_shared<HashingEncoder>();
  Pipeline pipe(enc, nullptr);
  pipe.add(small_corpus());
  const std::string dir = temp_dir("mapped_lazy") + "/index";
  pipe.save(dir);
  const std::string docs = only_file(dir, ".docs.jsonl");
  // Break the line of d4 (same size, so only the checksum would see it): a load that parsed the documents
  // would fail; this one does not, and only reading d4 does.
  std::string bytes = read_file(docs);
  const auto line = bytes.find("{\"_id\":\"d4\"");
  ASSERT_NE(line, std::string::npos);
  bytes[line] = '#';
  write_file(docs, bytes);
  EXPECT_THROW(Pipeline::load(dir, enc, nullptr), FormatError);  // checksums on: caught at load
  Pipeline loaded = Pipeline::load(dir, enc, nullptr, fast());
  EXPECT_EQ(loaded.size(), 12u);
  EXPECT_EQ(loaded.find("d4"), 4);  // ids come from the offsets file
  EXPECT_EQ(loaded.document(3).text, pipe.document(3).text);
  EXPECT_EQ(loaded.document(2).title, "Pneumothorax");
  expect_format_error_naming(docs + " line 5", "reading d4", [&] { loaded.document(4); });
  // Hits carry ids without reading texts: d4 (aortic dissection) is found, its broken line never read.
  const auto hits = loaded.search("aortic dissection intimal flap");
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].id, "d4");
  // The reranker reads the texts it scores: then the broken line is reported, naming the file.
  loaded.set_reranker(std::make_shared<OverlapScorer>());
  expect_format_error_naming(docs, "reranking d4", [&] { loaded.search("aortic dissection intimal flap"); });
}

TEST(MappedDocuments, ResultsEqualTheInMemoryPipelineAcrossSaves) {
  auto enc = std::make_shared<HashingEncoder>();
  auto ce = std::make_shared<OverlapScorer>();
  Pipeline pipe(enc, ce);
  pipe.add(small_corpus());
  pipe.add({{"late", "Late", "pulmonary embolism follow-up CT"}});
  pipe.remove({"d3"});
  const std::string base = temp_dir("mapped_equal");
  pipe.save(base + "/a");
  Pipeline loaded = Pipeline::load(base + "/a", enc, ce);
  for (const auto& q : kQueries) expect_same_hits(loaded.search(q), pipe.search(q));
  for (std::size_t d = 0; d < pipe.size(); ++d) {
    EXPECT_EQ(loaded.document(d).id, pipe.document(d).id);
    EXPECT_EQ(loaded.document(d).text, pipe.document(d).text);
  }
  // A mapped pipeline saved elsewhere (documents copied from the mapping), deleted from, merged, reloaded.
  loaded.save(base + "/b");
  EXPECT_EQ(read_file(only_file(base + "/b", "-0.docs.jsonl")), read_file(only_file(base + "/a", "-0.docs.jsonl")));
  EXPECT_EQ(read_file(only_file(base + "/b", "-0.docs.idx")), read_file(only_file(base + "/a", "-0.docs.idx")));
  Pipeline b = Pipeline::load(base + "/b", enc, ce);
  b.remove({"d5"});  // the delete reads d5's text to update the BM25 statistics
  pipe.remove({"d5"});
  b.merge();
  b.save(base + "/b");
  Pipeline again = Pipeline::load(base + "/b", enc, ce);
  for (const auto& q : kQueries) {
    const auto x = again.search(q), y = pipe.search(q);
    ASSERT_EQ(x.size(), y.size());
    for (std::size_t i = 0; i < x.size(); ++i) {
      EXPECT_EQ(x[i].id, y[i].id);
      EXPECT_EQ(x[i].score, y[i].score);
    }
  }
}

TEST(MappedDocuments, InconsistentOffsetsFilesAreRefusedNamingThem) {
  Pipeline pipe(nullptr, nullptr);
  pipe.add(small_corpus());
  const std::string base = temp_dir("mapped_bad");
  const std::string dir = base + "/index";
  pipe.save(dir);
  const std::string idx = only_file(dir, ".docs.idx");
  const std::string good = read_file(idx);
  ASSERT_EQ(good.size(), 40 + 16 * 13 + std::string("d0d1d2d3d4d5d6d7d8d9d10d11").size() + 8);
  struct Case {
    const char* what;
    std::size_t at;
    std::uint64_t value;
  };
  const std::uint64_t docs_size = fs::file_size(only_file(dir, ".docs.jsonl"));
  const Case cases[] = {
      {"bad magic", 0, 0x5858585858585858ull},
      {"unsupported version", 8, 2},
      {"count larger than the file", 16, 1ull << 60},
      {"count one too many", 16, 13},
      {"documents-file size", 24, docs_size + 1},
      {"first line offset", 40, 1},
      {"line offsets not increasing", 40 + 8 * 2, 0},
      {"line offset past the file", 40 + 8 * 5, docs_size + 100},
      {"id offsets not increasing", 40 + 8 * 13 + 8 * 3, 1},
      {"end marker", good.size() - 8, 0},
  };
  for (const Case& c : cases) {
    std::string bad = good;
    put_u64(bad, c.at, c.value);
    write_file(idx, bad);
    expect_format_error_naming(idx, c.what, [&] { Pipeline::load(dir, nullptr, nullptr, fast()); });
    expect_format_error_naming(idx, c.what, [&] { Pipeline::load(dir, nullptr, nullptr); });
  }
  // Truncated or deleted: named too (the manifest's size check, or the missing file).
  write_file(idx, good.substr(0, good.size() - 5));
  expect_format_error_naming(idx, "truncated", [&] { Pipeline::load(dir, nullptr, nullptr, fast()); });
  fs::remove(idx);
  expect_format_error_naming(idx, "deleted", [&] { Pipeline::load(dir, nullptr, nullptr, fast()); });
  write_file(idx, good);
  EXPECT_EQ(Pipeline::load(dir, nullptr, nullptr, fast()).document(11).id, "d11");
  // A line whose id differs from the offsets file's (same length): reported when read.
  const std::string docs = only_file(dir, ".docs.jsonl");
  std::string text = read_file(docs);
  text.replace(text.find("{\"_id\":\"d7\""), 11, "{\"_id\":\"d8\"");
  write_file(docs, text);
  Pipeline loaded = Pipeline::load(dir, nullptr, nullptr, fast());
  expect_format_error_naming(docs + " line 8", "id mismatch", [&] { loaded.document(7); });
}

TEST(MappedDocuments, SegmentsWithoutOffsetsFilesLoadAndAppend) {
  // An index saved before offsets files existed (format 2 as written by radlite 0.x): no .docs.idx in the
  // segment's file list. It loads by reading the documents file whole, and an incremental save appends a
  // segment that has one, leaving the old segment as it was.
  auto enc = std::make_shared<HashingEncoder>();
  auto ce = std::make_shared<OverlapScorer>();
  Pipeline pipe(enc, ce);
  pipe.add(small_corpus());
  const std::string dir = temp_dir("mapped_old") + "/index";
  pipe.save(dir);
  const std::string idx = only_file(dir, ".docs.idx");
  fs::remove(idx);
  nlohmann::json m = nlohmann::json::parse(read_file(dir + "/manifest.json"));
  ASSERT_EQ(m["segments"][0]["files"].erase(fs::path(idx).filename().string()), 1u);
  write_file(dir + "/manifest.json", m.dump(2));
  Pipeline old = Pipeline::load(dir, enc, ce);
  for (const auto& q : kQueries) expect_same_hits(old.search(q), pipe.search(q));
  old.add({{"new", "", "pulmonary embolism again"}});
  pipe.add({{"new", "", "pulmonary embolism again"}});
  old.save(dir);
  EXPECT_FALSE(fs::exists(idx));  // the old segment was kept, not rewritten
  Pipeline reloaded = Pipeline::load(dir, enc, ce);
  for (const auto& q : kQueries) expect_same_hits(reloaded.search(q), pipe.search(q));
  EXPECT_EQ(reloaded.document(12).text, "pulmonary embolism again");
}

TEST(MappedPostings, CorruptedPostingsAreNamedAtLoadOrAtTheirFirstSearch) {
  Pipeline pipe(nullptr, nullptr);
  pipe.add({{"d0", "", "alpha beta"}, {"d1", "", "beta gamma gamma"}});  // terms alpha, beta, gamma; 4 postings
  const std::string dir = temp_dir("mapped_postings") + "/index";
  pipe.save(dir);
  const std::string bm25 = only_file(dir, ".bm25.bin");
  std::string bytes = read_file(bm25);
  // The last posting (gamma in d1) sits just before the 8-byte end marker: {u32 doc, u32 tf}.
  const std::size_t gamma_doc = bytes.size() - 8 - 8;
  std::uint32_t tf;
  std::memcpy(&tf, &bytes[gamma_doc + 4], 4);
  ASSERT_EQ(tf, 2u);  // the layout this test assumes
  const std::uint32_t bad_doc = 7;
  std::memcpy(&bytes[gamma_doc], &bad_doc, 4);
  write_file(bm25, bytes);
  expect_format_error_naming(bm25, "checksums", [&] { Pipeline::load(dir, nullptr, nullptr); });
  // A fast load checks sizes and offsets only; the term's postings are checked when a search first uses them.
  Pipeline loaded = Pipeline::load(dir, nullptr, nullptr, fast());
  EXPECT_EQ(loaded.search("alpha").size(), 1u);
  expect_format_error_naming(bm25, "first search", [&] { loaded.search("gamma"); });
  expect_format_error_naming(bm25, "second search", [&] { loaded.search("beta gamma"); });
  LoadOptions copy = fast();
  copy.map_postings = false;  // read into memory: every posting checked at load
  expect_format_error_naming(bm25, "copied", [&] { Pipeline::load(dir, nullptr, nullptr, copy); });
}
