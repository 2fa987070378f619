// Failed writes end in a clear error and a non-zero exit status (issue 8 defect 6), and output files appear
// complete or not at all (defect 10): the built binary with stdout on /dev/full, an output file on /dev/full, and
// a run file that outgrows a file-size limit.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "support/cli_runner.h"

namespace fs = std::filesystem;
namespace ts = radlite::test_support;

namespace {

const std::string kModels = RADLITE_MODELS_DIR;
const std::string kData = std::string(RADLITE_TEST_DATA_DIR) + "/../../examples/data/cancergov";

std::string data_args() {
  return "--corpus '" + kData + "/corpus.jsonl' --queries '" + kData + "/queries.jsonl' --qrels '" + kData +
         "/qrels/test.tsv'";
}

// Runs the binary with stdout sent to `stdout_path` (a device such as /dev/full), after `prelude` shell commands.
ts::CliResult run_with_stdout(const std::string& args, const std::string& stdout_path, const std::string& input = "",
                              const std::string& prelude = "") {
  ts::ScratchDir dir;
  ts::write_file(dir.file("in"), input);
  const std::string cmd = prelude + "'" + std::string(RADLITE_CLI) + "' " + args + " < '" + dir.file("in") + "' > '" +
                          stdout_path + "' 2> '" + dir.file("err") + "'";
  const int raw = std::system(cmd.c_str());
  ts::CliResult r;
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  r.err = ts::read_bytes(dir.file("err"));
  return r;
}

bool have_dev_full() { return ::access("/dev/full", W_OK) == 0; }

}  // namespace

TEST(CliFailedWrites, StdoutOnAFullDeviceIsAnError) {
  if (!have_dev_full()) GTEST_SKIP() << "no writable /dev/full here";
  ts::ScratchDir dir;
  ASSERT_EQ(ts::run_cli("index --corpus '" + kData + "/corpus.jsonl' --out '" + dir.file("idx") + "'").status, 0);
  ts::write_file(dir.file("texts.jsonl"), "{\"text\": \"Hello world\"}\n");
  const std::string text_line = "{\"text\": \"CT of the chest\"}\n";
  const struct {
    std::string args, input;
  } cases[] = {
      {"tokenize --tokenizer " + kModels + "/roberta-biencoder-tiny", text_line},
      {"bench-tokenize --tokenizer " + kModels + "/roberta-biencoder-tiny --input " + dir.file("texts.jsonl"), ""},
      {"encode --threads 1 --model " + kModels + "/roberta-biencoder-tiny", text_line},
      {"rerank --threads 1 --model " + kModels + "/bert-crossencoder-tiny", "{\"query\": \"q\", \"doc\": \"d\"}\n"},
      {"search --index " + dir.file("idx") + " 'lung cancer'", ""},
      {"search --json --index " + dir.file("idx") + " 'lung cancer'", ""},
      {"eval --bm25 " + data_args(), ""},
      {"index --corpus '" + kData + "/corpus.jsonl' --out '" + dir.file("idx2") + "'", ""},
      {"version", ""},
  };
  for (const auto& c : cases) {
    const ts::CliResult r = run_with_stdout(c.args, "/dev/full", c.input);
    EXPECT_EQ(r.status, 1) << c.args << "\n" << r.err;
    EXPECT_NE(r.err.find("standard output: write failed (No space left on device)"), std::string::npos)
        << c.args << "\n"
        << r.err;
  }
}

TEST(CliFailedWrites, EvalOutputOnAFullDeviceIsAnError) {
  if (!have_dev_full()) GTEST_SKIP() << "no writable /dev/full here";
  for (const char* option : {"--output", "--run-out"}) {
    const ts::CliResult r = ts::run_cli("eval --bm25 " + data_args() + " " + option + " /dev/full");
    EXPECT_EQ(r.status, 1) << option << "\n" << r.err;
    EXPECT_NE(r.err.find("/dev/full: write failed (No space left on device)"), std::string::npos) << r.err;
  }
}

TEST(CliFailedWrites, FailedRunFileLeavesNoPartialFile) {
  // The run of 729 queries x up to 1000 hits is megabytes; a 64 KiB file-size limit (ulimit -f, in 512-byte
  // blocks for sh, 1024 for bash: either way far below it) makes the write fail part way, with SIGXFSZ
  // ignored so that write() reports EFBIG instead of killing the process.
  ts::ScratchDir dir;
  std::ofstream(dir.file("run.trec")) << "previous run\n";
  const ts::CliResult r = run_with_stdout(
      "eval --bm25 " + data_args() + " --output '" + dir.file("m.json") + "' --run-out '" + dir.file("run.trec") + "'",
      dir.file("stdout"), "", "trap '' XFSZ; ulimit -f 64; ");
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find(dir.file("run.trec") + ": write failed"), std::string::npos) << r.err;
  EXPECT_EQ(ts::read_bytes(dir.file("run.trec")), "previous run\n");  // untouched
  // Neither file is published when one of them failed, and no temp file is left behind.
  EXPECT_FALSE(fs::exists(dir.file("m.json")));
  for (const auto& e : fs::directory_iterator(dir.path()))
    EXPECT_EQ(e.path().filename().string().find(".radlite-tmp"), std::string::npos) << e.path();

  // Without the limit the same command replaces the run file in full.
  const ts::CliResult ok = ts::run_cli("eval --bm25 " + data_args() + " --run-out '" + dir.file("run.trec") + "'");
  ASSERT_EQ(ok.status, 0) << ok.err;
  const std::string run = ts::read_bytes(dir.file("run.trec"));
  EXPECT_GT(run.size(), 1u << 20);
  EXPECT_EQ(run.back(), '\n');
}
