// Crash-safe replacement of a whole directory (internal to radlite; used to save indexes).
//
//   AtomicDirectoryWriter w("indexes/radlit");          // files go to a hidden sibling temp directory
//   auto f = w.write_file("docs.jsonl", [&](std::ostream& out) { ... });   // fsynced, hashed, sized
//   w.commit();                                          // the target now holds exactly these files
//
// Why this shape: readers must never see a half-written index, and a process killed at any instant
// (kill -9, power loss after fsync) must leave either the previous or the new index in place.
//   1. every file is written into `.<name>.radlite-tmp-<pid>-<random>` next to the target and fsynced,
//      then the temp directory itself is fsynced;
//   2. no previous target: rename(temp, target). A previous target: renameat2(RENAME_EXCHANGE) swaps the two
//      directories in one atomic step; the old content (now under the temp name) is deleted afterwards.
//      Where the filesystem cannot exchange (EINVAL/ENOTSUP), the old target is first renamed aside to
//      `.<name>.radlite-old-<pid>-<random>`, then temp is renamed to target: a kill between the two renames
//      leaves no target but a complete aside copy, which recover_directory() finds;
//   3. the parent directory is fsynced so the renames are durable.
// Refusing to replace what is not ours: a target that exists and is not empty is replaced only when the
// caller's `is_ours` check accepts it (an index save checks for its own manifest and nothing else in the
// directory), once when the writer is created and again just before the swap. Without the check a mistyped
// `--out` would delete a user's directory.
// Leftovers of killed saves (temp directories of dead processes, asides once a target exists again) are
// deleted by the next save into the same parent.
// Thread safety: one writer per target at a time; two processes saving the same target concurrently both
// succeed and the last commit wins.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>

namespace radlite::io {

struct WrittenFile {
  std::string name;    // file name inside the directory
  std::string sha256;  // hex digest of the bytes written
  std::uint64_t bytes = 0;
};

class AtomicDirectoryWriter {
 public:
  /// Decides whether an existing, non-empty target directory may be replaced: returns "" to allow it, or the
  /// reason to refuse (quoted in the IoError). Unset: a non-empty target is never replaced.
  using ReplaceCheck = std::function<std::string(const std::string& existing_dir)>;

  /// Creates the temp directory next to `target` (creating `target`'s parent is the caller's job). Throws
  /// IoError when `target` exists and is not a directory, or is a non-empty directory `is_ours` refuses.
  /// `allow_exchange` = false forces the rename-aside path (tests exercise both paths with it).
  explicit AtomicDirectoryWriter(std::string target, ReplaceCheck is_ours = {}, bool allow_exchange = true);
  /// Removes the temp directory when commit() was not reached (an exception unwound the save).
  ~AtomicDirectoryWriter();
  AtomicDirectoryWriter(const AtomicDirectoryWriter&) = delete;
  AtomicDirectoryWriter& operator=(const AtomicDirectoryWriter&) = delete;

  /// Creates `name` in the temp directory, lets `fill` write it through a stream, then flushes and fsyncs.
  /// Throws IoError naming the file when writing fails; exceptions from `fill` propagate.
  WrittenFile write_file(const std::string& name, const std::function<void(std::ostream&)>& fill);

  /// Publishes the temp directory as the target (see the header comment). Throws IoError on failure, in
  /// which case the previous target is still in place (or recoverable by recover_directory()).
  void commit();

  const std::string& temp_path() const { return temp_; }

 private:
  void check_replaceable() const;

  std::string target_, parent_, base_, temp_;
  ReplaceCheck is_ours_;
  bool allow_exchange_;
  bool committed_ = false;
};

/// The directory to read an index from: `target` when it exists, else the complete aside copy a killed
/// rename-aside save left behind (the newest, by modification time), else `target` (the caller reports
/// "not found" for it).
std::string recover_directory(const std::string& target);

/// fsync() a file or directory by path; throws IoError naming it.
void fsync_path(const std::string& path, bool directory);

}  // namespace radlite::io
