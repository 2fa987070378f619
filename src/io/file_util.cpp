#include "io/file_util.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "radlite/error.h"

namespace radlite::io {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path + ": cannot open for reading (" + std::strerror(errno) + ")");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw IoError(path + ": read failed");
  return ss.str();
}

}  // namespace radlite::io
