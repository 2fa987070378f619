#include "io/atomic_directory.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <ostream>
#include <random>
#include <streambuf>
#include <system_error>
#include <vector>

#include "io/numbers.h"
#include "io/sha256.h"
#include "radlite/error.h"

namespace fs = std::filesystem;

namespace radlite::io {

namespace {

const char kTempTag[] = ".radlite-tmp-";
const char kAsideTag[] = ".radlite-old-";

std::string errno_text() { return std::strerror(errno); }

std::string random_suffix() {
  std::random_device rd;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%ld-%08x", static_cast<long>(::getpid()), static_cast<unsigned>(rd()));
  return buf;
}

// Streams bytes to a file descriptor, hashing and counting them on the way, so saving a large index needs
// neither a second read for the checksum nor the whole file in memory.
class HashingFdBuf : public std::streambuf {
 public:
  explicit HashingFdBuf(int fd) : fd_(fd), buf_(1 << 16) { setp(buf_.data(), buf_.data() + buf_.size()); }
  bool failed() const { return failed_; }
  // Why the failed write failed (strerror of its errno: ENOSPC, EFBIG, EIO...).
  std::string error_text() const { return std::strerror(error_); }
  std::uint64_t bytes() const { return bytes_; }
  Sha256& hash() { return hash_; }
  int sync() override { return flush_buffer() ? 0 : -1; }

 protected:
  int_type overflow(int_type ch) override {
    if (!flush_buffer()) return traits_type::eof();
    if (!traits_type::eq_int_type(ch, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(ch);
      pbump(1);
    }
    return traits_type::not_eof(ch);
  }

 private:
  bool flush_buffer() {
    const char* p = pbase();
    std::size_t n = static_cast<std::size_t>(pptr() - pbase());
    hash_.update(p, n);
    bytes_ += n;
    while (n > 0) {
      ssize_t w = ::write(fd_, p, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        failed_ = true;
        error_ = errno;
        return false;
      }
      p += w;
      n -= static_cast<std::size_t>(w);
    }
    setp(buf_.data(), buf_.data() + buf_.size());
    return true;
  }

  int fd_;
  std::vector<char> buf_;
  Sha256 hash_;
  std::uint64_t bytes_ = 0;
  bool failed_ = false;
  int error_ = 0;
};

bool process_alive(long pid) { return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM); }

// Deletes what killed saves of `base` left in `parent`: temp directories whose process is gone, and aside
// copies once the target exists again (the aside is then an outdated index).
void remove_leftovers(const std::string& parent, const std::string& base, bool target_exists) {
  std::error_code ec;
  const std::string temp_prefix = "." + base + kTempTag, aside_prefix = "." + base + kAsideTag;
  for (fs::directory_iterator it(parent, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    bool is_temp = name.rfind(temp_prefix, 0) == 0, is_aside = name.rfind(aside_prefix, 0) == 0;
    if (!is_temp && !is_aside) continue;
    // "<pid>-<random>" after the prefix; a name that does not parse counts as a dead process's.
    const std::string rest = name.substr(is_temp ? temp_prefix.size() : aside_prefix.size());
    const long pid = static_cast<long>(parse_int(rest.substr(0, rest.find('-')), 0, LONG_MAX).value_or(0));
    if (pid == ::getpid() || process_alive(pid)) continue;  // a save in progress, maybe ours or a sibling's
    if (is_aside && !target_exists) continue;               // the only complete copy: keep it for recovery
    std::error_code ignore;
    fs::remove_all(it->path(), ignore);  // best effort: a leftover is only wasted space
  }
}

}  // namespace

void fsync_path(const std::string& path, bool directory) {
  int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) throw IoError(path + ": cannot open for fsync (" + errno_text() + ")");
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  // Some filesystems refuse fsync on directories (EINVAL); their renames are then as durable as they get.
  if (rc != 0 && !(directory && (err == EINVAL || err == EROFS)))
    throw IoError(path + ": fsync failed (" + std::strerror(err) + ")");
}

AtomicDirectoryWriter::AtomicDirectoryWriter(std::string target, ReplaceCheck is_ours, bool allow_exchange)
    : target_(std::move(target)), is_ours_(std::move(is_ours)), allow_exchange_(allow_exchange) {
  while (target_.size() > 1 && target_.back() == '/') target_.pop_back();
  if (target_.empty()) throw InvalidArgument("index directory path is empty");
  fs::path p(target_);
  parent_ = p.parent_path().empty() ? "." : p.parent_path().string();
  base_ = p.filename().string();
  if (base_ == "." || base_ == "..")
    throw InvalidArgument(target_ + ": cannot save into '.' or '..'; name the directory");
  struct stat st {};
  if (::stat(parent_.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw IoError(target_ + ": parent directory " + parent_ + " does not exist");
  if (::stat(target_.c_str(), &st) == 0 && !S_ISDIR(st.st_mode))
    throw IoError(target_ + ": exists and is not a directory");
  check_replaceable();
  remove_leftovers(parent_, base_, ::stat(target_.c_str(), &st) == 0);
  temp_ = (fs::path(parent_) / ("." + base_ + kTempTag + random_suffix())).string();
  if (::mkdir(temp_.c_str(), 0755) != 0) throw IoError(temp_ + ": cannot create directory (" + errno_text() + ")");
}

void AtomicDirectoryWriter::check_replaceable() const {
  std::error_code ec;
  if (!fs::is_directory(target_, ec)) return;  // nothing there (or not a directory: reported by the caller)
  if (fs::is_empty(target_, ec) && !ec) return;
  std::string why = is_ours_ ? is_ours_(target_) : std::string("it is not empty");
  if (!why.empty())
    throw IoError(target_ + ": refusing to replace an existing directory: " + why +
                  ". Choose a new or empty directory, or remove this one yourself");
}

AtomicDirectoryWriter::~AtomicDirectoryWriter() {
  if (committed_) return;
  std::error_code ignore;
  fs::remove_all(temp_, ignore);
}

WrittenFile AtomicDirectoryWriter::write_file(const std::string& name, const std::function<void(std::ostream&)>& fill) {
  if (committed_) throw InvalidArgument("AtomicDirectoryWriter: write_file after commit");
  const std::string path = (fs::path(temp_) / name).string();
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw IoError(path + ": cannot create (" + errno_text() + ")");
  struct FdCloser {
    int fd;
    ~FdCloser() {
      if (fd >= 0) ::close(fd);
    }
  } closer{fd};
  HashingFdBuf buf(fd);
  std::ostream out(&buf);
  try {
    fill(out);
  } catch (const IoError&) {
    // The format writers only know that their stream failed: name the file and the system's reason here.
    if (buf.failed()) throw IoError(path + ": write failed (" + buf.error_text() + ")");
    throw;
  }
  out.flush();
  if (!out || buf.failed()) throw IoError(path + ": write failed (" + (buf.failed() ? buf.error_text() : errno_text()) + ")");
  if (::fsync(fd) != 0) throw IoError(path + ": fsync failed (" + errno_text() + ")");
  closer.fd = -1;
  if (::close(fd) != 0) throw IoError(path + ": close failed (" + errno_text() + ")");
  return WrittenFile{name, buf.hash().hex_digest(), buf.bytes()};
}

void AtomicDirectoryWriter::commit() {
  if (committed_) throw InvalidArgument("AtomicDirectoryWriter: commit called twice");
  fsync_path(temp_, true);
  check_replaceable();  // again: the directory may have changed while the files were written
  struct stat st {};
  bool target_exists = ::stat(target_.c_str(), &st) == 0;
  std::string old_copy;  // where the previous index ends up, deleted at the end
  if (!target_exists) {
    if (::rename(temp_.c_str(), target_.c_str()) != 0)
      throw IoError(target_ + ": cannot rename " + temp_ + " into place (" + errno_text() + ")");
  } else {
    bool exchanged = false;
    if (allow_exchange_) {
      if (::renameat2(AT_FDCWD, temp_.c_str(), AT_FDCWD, target_.c_str(), RENAME_EXCHANGE) == 0) {
        exchanged = true;
        old_copy = temp_;
      } else if (errno != EINVAL && errno != ENOTSUP && errno != ENOSYS) {
        throw IoError(target_ + ": cannot exchange with " + temp_ + " (" + errno_text() + ")");
      }
    }
    if (!exchanged) {
      old_copy = (fs::path(parent_) / ("." + base_ + kAsideTag + random_suffix())).string();
      if (::rename(target_.c_str(), old_copy.c_str()) != 0)
        throw IoError(target_ + ": cannot move the previous index aside (" + errno_text() + ")");
      if (::rename(temp_.c_str(), target_.c_str()) != 0) {
        std::string why = errno_text();
        ::rename(old_copy.c_str(), target_.c_str());  // put the previous index back
        throw IoError(target_ + ": cannot rename " + temp_ + " into place (" + why + ")");
      }
    }
  }
  committed_ = true;
  fsync_path(parent_, true);
  if (!old_copy.empty()) {
    std::error_code ignore;
    fs::remove_all(old_copy, ignore);  // the new index is durable; the old one is only wasted space now
  }
}

std::string recover_directory(const std::string& target_in) {
  std::string target = target_in;
  while (target.size() > 1 && target.back() == '/') target.pop_back();
  struct stat st {};
  if (::stat(target.c_str(), &st) == 0) return target;
  fs::path p(target);
  std::string parent = p.parent_path().empty() ? "." : p.parent_path().string();
  const std::string prefix = "." + p.filename().string() + kAsideTag;
  std::string best;
  fs::file_time_type best_time{};
  std::error_code ec;
  for (fs::directory_iterator it(parent, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    std::error_code tec;
    auto t = fs::last_write_time(it->path(), tec);
    if (tec) continue;
    if (best.empty() || t > best_time) {
      best = it->path().string();
      best_time = t;
    }
  }
  return best.empty() ? target : best;
}

}  // namespace radlite::io
