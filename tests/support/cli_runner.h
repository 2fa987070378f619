// Runs the built radlite binary (RADLITE_CLI) as a user would: arguments, optional standard input,
// captured stdout / stderr and exit status. Shared by the CLI tests of every module.
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <string>

#include "scratch_dir.h"

namespace radlite::test_support {

struct CliResult {
  int status = -1;  // exit code; -1 when killed by a signal (a crash)
  std::string out, err;
};

/// `args` is appended to the binary's path as shell words (quote paths with spaces yourself).
inline CliResult run_cli(const std::string& args, const std::string& stdin_text = "") {
  ScratchDir dir;
  write_file(dir.file("in"), stdin_text);
  const std::string cmd = std::string("'") + RADLITE_CLI + "' " + args + " < '" + dir.file("in") + "' > '" +
                          dir.file("out") + "' 2> '" + dir.file("err") + "'";
  const int raw = std::system(cmd.c_str());
  CliResult r;
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  r.out = read_bytes(dir.file("out"));
  r.err = read_bytes(dir.file("err"));
  return r;
}

}  // namespace radlite::test_support
