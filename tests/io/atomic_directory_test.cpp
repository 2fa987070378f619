// The crash-safe directory writer's guard against replacing what is not ours (issue 8, defect 1: `radlite index
// --out DIR` used to delete whatever DIR held, the corpus included), at the writer and at Pipeline::save.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "io/atomic_directory.h"
#include "radlite/error.h"
#include "radlite/retrieval/pipeline.h"

namespace fs = std::filesystem;
using namespace radlite;

namespace {

std::string scratch(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("radlite_atomic_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}

void write_text(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Pipeline bm25_pipeline(const std::vector<std::string>& texts) {
  Pipeline p(nullptr, nullptr);
  std::vector<BeirDocument> docs;
  for (std::size_t i = 0; i < texts.size(); ++i) docs.push_back({"d" + std::to_string(i), "", texts[i]});
  p.add(docs);
  return p;
}

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const IoError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(AtomicDirectoryGuard, WriterWithoutCheckRefusesANonEmptyDirectory) {
  const std::string dir = scratch("plain") + "/target";
  fs::create_directories(dir);
  write_text(dir + "/mine.txt", "keep me");
  std::string msg = error_of([&] { io::AtomicDirectoryWriter w(dir); });
  EXPECT_NE(msg.find("refusing to replace"), std::string::npos) << msg;
  EXPECT_NE(msg.find(dir), std::string::npos) << msg;
  EXPECT_EQ(read_text(dir + "/mine.txt"), "keep me");
}

TEST(AtomicDirectoryGuard, WriterReplacesAnEmptyDirectory) {
  const std::string dir = scratch("empty") + "/target";
  fs::create_directories(dir);
  io::AtomicDirectoryWriter w(dir);
  w.write_file("a.txt", [](std::ostream& out) { out << "new"; });
  w.commit();
  EXPECT_EQ(read_text(dir + "/a.txt"), "new");
}

TEST(AtomicDirectoryGuard, CheckRunsAgainBeforeTheSwap) {
  // The directory is empty when the writer starts and gains a user's file while the index is written.
  const std::string dir = scratch("late") + "/target";
  fs::create_directories(dir);
  io::AtomicDirectoryWriter w(dir);
  w.write_file("a.txt", [](std::ostream& out) { out << "new"; });
  write_text(dir + "/report.docx", "user data");
  EXPECT_THROW(w.commit(), IoError);
  EXPECT_EQ(read_text(dir + "/report.docx"), "user data");
  EXPECT_FALSE(fs::exists(dir + "/a.txt"));
}

TEST(AtomicDirectoryGuard, PipelineSaveKeepsAUsersDirectoryWithTheCorpusInside) {
  // The reported case: the corpus lives in the directory given as the index's output.
  const std::string dir = scratch("corpus") + "/data";
  fs::create_directories(dir + "/sub");
  write_text(dir + "/corpus.jsonl", "{\"_id\": \"1\", \"text\": \"x\"}\n");
  write_text(dir + "/sub/notes.txt", "notes");
  Pipeline p = bm25_pipeline({"lung nodule", "liver lesion"});
  EXPECT_EQ(error_of([&] { Pipeline::check_save_target(dir); }).find(dir + ": refusing to replace"), 0u);
  std::string msg = error_of([&] { p.save(dir); });
  EXPECT_NE(msg.find("not a radlite index"), std::string::npos) << msg;
  EXPECT_EQ(read_text(dir + "/corpus.jsonl"), "{\"_id\": \"1\", \"text\": \"x\"}\n");
  EXPECT_EQ(read_text(dir + "/sub/notes.txt"), "notes");
  for (const auto& e : fs::directory_iterator(fs::path(dir).parent_path()))
    EXPECT_EQ(e.path().filename().string().find(".radlite-"), std::string::npos) << e.path();
}

TEST(AtomicDirectoryGuard, PipelineSaveReplacesItsOwnIndexButNotAForeignFileInIt) {
  const std::string dir = scratch("own") + "/index";
  bm25_pipeline({"lung nodule"}).save(dir);
  bm25_pipeline({"lung nodule", "liver lesion"}).save(dir);  // an index replaces an index
  EXPECT_EQ(Pipeline::load(dir, nullptr, nullptr).size(), 2u);

  write_text(dir + "/corpus.jsonl", "user data");  // now the directory holds something the index did not write
  std::string msg = error_of([&] { bm25_pipeline({"x"}).save(dir); });
  EXPECT_NE(msg.find("corpus.jsonl"), std::string::npos) << msg;
  EXPECT_EQ(read_text(dir + "/corpus.jsonl"), "user data");
  EXPECT_EQ(Pipeline::load(dir, nullptr, nullptr).size(), 2u);
}

TEST(AtomicDirectoryGuard, PipelineSaveRefusesAForgedManifest) {
  const std::string dir = scratch("forged") + "/index";
  fs::create_directories(dir);
  write_text(dir + "/manifest.json", "{\"format\": \"something-else\"}");
  std::string msg = error_of([&] { bm25_pipeline({"x"}).save(dir); });
  EXPECT_NE(msg.find("does not describe a radlite index"), std::string::npos) << msg;
  EXPECT_TRUE(fs::exists(dir + "/manifest.json"));
}
