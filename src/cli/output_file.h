// Output the radlite tool writes: files that appear complete or not at all, and checked writes to stdout.
//
//   OutputFile run(path);                // a regular file is written to a hidden temp file beside it
//   write_trec_run(run.stream(), ...);
//   run.commit();                        // flush, fsync, rename over `path`; IoError naming it on failure
//
// Why: a failed or interrupted `eval --run-out` used to leave a truncated run file that looked like a result,
// and writes to a full disk used to end in exit status 0. A path that exists and is not a regular file (a
// device such as /dev/stdout or /dev/full, a FIFO) is written in place, since it cannot be replaced by a
// rename; its write errors are still reported. A symbolic link is followed: the file it points to is replaced.
#pragma once

#include <fstream>
#include <ostream>
#include <string>

namespace radlite::cli {

class OutputFile {
 public:
  /// Opens the temp file (or the special file itself); IoError naming the path when it cannot be created.
  explicit OutputFile(std::string path);
  /// Removes the temp file when commit() was not reached, leaving any previous file at `path` untouched.
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  std::ostream& stream() { return out_; }
  /// Flushes and checks every write, fsyncs, then renames the temp file over the path. IoError naming the path
  /// (and the system's reason) on failure; the temp file is removed then.
  void commit();
  const std::string& path() const { return path_; }

 private:
  std::string path_;    // as the user wrote it (for messages)
  std::string target_;  // where the content goes: the path, or the file a symbolic link points to
  std::string temp_;    // empty when writing in place
  std::ofstream out_;
  bool committed_ = false;
};

/// Flushes `out`; when the stream has failed, IoError "<what>: write failed (<reason>)" with ` at <where>` when
/// given. For std::cout and for files written through streams.
void check_written(std::ostream& out, const std::string& what, const std::string& where = "");

/// Flushes std::cout and C's stdout; IoError "standard output: write failed (<reason>)" when either failed.
void check_stdout();

}  // namespace radlite::cli
