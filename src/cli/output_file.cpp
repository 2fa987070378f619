#include "cli/output_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <random>

#include "radlite/error.h"

namespace fs = std::filesystem;

namespace radlite::cli {

namespace {

std::string reason(int err) { return err ? std::strerror(err) : "unknown error"; }

}  // namespace

OutputFile::OutputFile(std::string path) : path_(std::move(path)), target_(path_) {
  std::error_code ec;
  if (fs::is_symlink(fs::symlink_status(target_, ec))) {
    const fs::path resolved = fs::weakly_canonical(target_, ec);
    if (!ec) target_ = resolved.string();
  }
  const fs::file_status st = fs::status(target_, ec);
  const bool special = fs::exists(st) && !fs::is_regular_file(st);
  if (fs::is_directory(st)) throw IoError(path_ + ": is a directory, cannot write an output file there");
  if (!special) {
    const fs::path p(target_);
    std::random_device rd;
    temp_ = (p.parent_path() /
             ("." + p.filename().string() + ".radlite-tmp-" + std::to_string(::getpid()) + "-" + std::to_string(rd())))
                .string();
  }
  errno = 0;
  out_.open(special ? target_ : temp_, std::ios::binary | std::ios::trunc);
  if (!out_) {
    const int err = errno;
    throw IoError(path_ + ": cannot open for writing (" + reason(err) + ")");
  }
}

OutputFile::~OutputFile() {
  if (committed_ || temp_.empty()) return;
  out_.close();
  std::remove(temp_.c_str());
}

void OutputFile::commit() {
  // errno is read without being cleared first: a failed write may have happened in an earlier `<<`, and a stream
  // in a failed state does not write again, so the last failing call is the one that set errno.
  out_.flush();
  int err = errno;
  if (!out_) throw IoError(path_ + ": write failed (" + reason(err) + ")");
  out_.close();
  err = errno;
  if (out_.fail()) throw IoError(path_ + ": write failed (" + reason(err) + ")");
  if (temp_.empty()) {
    committed_ = true;
    return;
  }
  // The data reaches the disk before the rename publishes it, so a crash cannot leave an empty new file.
  const int fd = ::open(temp_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    err = errno;
    if (fd >= 0) ::close(fd);
    throw IoError(path_ + ": cannot sync the written file (" + reason(err) + ")");
  }
  ::close(fd);
  if (::rename(temp_.c_str(), target_.c_str()) != 0) {
    err = errno;
    throw IoError(path_ + ": cannot move the written file into place (" + reason(err) + ")");
  }
  committed_ = true;
}

void check_written(std::ostream& out, const std::string& what, const std::string& where) {
  out.flush();  // errno not cleared first: see OutputFile::commit
  if (out) return;
  const int err = errno;
  throw IoError(what + ": write failed (" + reason(err) + ")" + (where.empty() ? "" : " at " + where));
}

void check_stdout() {
  check_written(std::cout, "standard output");
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    const int err = errno;
    throw IoError("standard output: write failed (" + reason(err) + ")");
  }
}

}  // namespace radlite::cli
