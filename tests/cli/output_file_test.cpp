// Output files of the radlite tool (complete or absent, previous file kept on failure; special files written in
// place with errors reported) and the UTF-8 check of command-line text.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "cli/output_file.h"
#include "io/utf8.h"
#include "radlite/error.h"

namespace fs = std::filesystem;
using namespace radlite;
using namespace radlite::cli;

namespace {

struct TempDir {
  TempDir() {
    std::string pattern = fs::temp_directory_path().string() + "/radlite-cli-out-XXXXXX";
    path = ::mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path); }
  std::string file(const std::string& name) const { return path + "/" + name; }
  std::string path;
};

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::size_t entries(const std::string& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
  return n;
}

}  // namespace

TEST(OutputFile, ReplacesOnlyOnCommit) {
  TempDir dir;
  const std::string path = dir.file("run.trec");
  std::ofstream(path) << "old\n";
  {
    OutputFile f(path);
    f.stream() << "new content\n";
    EXPECT_EQ(read(path), "old\n");    // nothing visible before commit
    EXPECT_EQ(entries(dir.path), 2u);  // the hidden temp file beside it
    f.commit();
  }
  EXPECT_EQ(read(path), "new content\n");
  EXPECT_EQ(entries(dir.path), 1u);
}

TEST(OutputFile, AbandonedWriteLeavesThePreviousFile) {
  // Issue 8 defect 10: a failed `eval --run-out` left a partial run file.
  TempDir dir;
  const std::string path = dir.file("run.trec");
  std::ofstream(path) << "old\n";
  {
    OutputFile f(path);
    f.stream() << "half of a run";
  }  // an exception unwound the writer: no commit
  EXPECT_EQ(read(path), "old\n");
  EXPECT_EQ(entries(dir.path), 1u);
  {
    OutputFile f(dir.file("fresh.json"));
    f.stream() << "{";
  }
  EXPECT_FALSE(fs::exists(dir.file("fresh.json")));
  EXPECT_EQ(entries(dir.path), 1u);
}

TEST(OutputFile, FollowsSymbolicLinks) {
  TempDir dir;
  std::ofstream(dir.file("real")) << "old\n";
  fs::create_symlink(dir.file("real"), dir.file("link"));
  OutputFile f(dir.file("link"));
  f.stream() << "new\n";
  f.commit();
  EXPECT_TRUE(fs::is_symlink(dir.file("link")));
  EXPECT_EQ(read(dir.file("real")), "new\n");
}

TEST(OutputFile, SpecialFilesAreWrittenInPlace) {
  {
    OutputFile f("/dev/null");
    f.stream() << "discarded\n";
    f.commit();
  }
  struct stat st {};
  ASSERT_EQ(::stat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));  // still the device, not replaced by a file
  if (::access("/dev/full", W_OK) == 0) {
    OutputFile full("/dev/full");
    full.stream() << std::string(1 << 16, 'x');
    try {
      full.commit();
      ADD_FAILURE() << "a write to /dev/full succeeded";
    } catch (const IoError& e) {
      EXPECT_NE(std::string(e.what()).find("/dev/full: write failed (No space left on device)"), std::string::npos)
          << e.what();
    }
  }
}

TEST(OutputFile, UnwritablePathsAreNamed) {
  TempDir dir;
  try {
    OutputFile f(dir.path);
    ADD_FAILURE();
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("is a directory"), std::string::npos) << e.what();
  }
  try {
    OutputFile f(dir.file("no/such/dir/file"));
    ADD_FAILURE();
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(dir.file("no/such/dir/file") + ": cannot open for writing"), std::string::npos)
        << e.what();
  }
}

TEST(Utf8Check, FindsTheFirstInvalidByte) {
  EXPECT_EQ(io::invalid_utf8_offset("plain ascii"), std::string::npos);
  EXPECT_EQ(io::invalid_utf8_offset("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), std::string::npos);  // é € 😀
  EXPECT_EQ(io::invalid_utf8_offset(""), std::string::npos);
  EXPECT_EQ(io::invalid_utf8_offset("ab\xff"), 2u);            // never valid
  EXPECT_EQ(io::invalid_utf8_offset("a\xc0\xaf"), 1u);         // overlong '/'
  EXPECT_EQ(io::invalid_utf8_offset("x\xed\xa0\x80"), 1u);     // surrogate U+D800
  EXPECT_EQ(io::invalid_utf8_offset("\xf4\x90\x80\x80"), 0u);  // above U+10FFFF
  EXPECT_EQ(io::invalid_utf8_offset("euro \xe2\x82"), 5u);     // truncated
  EXPECT_EQ(io::invalid_utf8_offset("\x80"), 0u);              // lone continuation byte
  try {
    io::require_utf8("lung \xff", "query 2");
    ADD_FAILURE();
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "query 2 is not valid UTF-8 (byte offset 5)");
  }
  EXPECT_NO_THROW(io::require_utf8("lung", "query 1"));
}
