// Whole-file reads with errors that name the file (internal to radlite). Paths are std::filesystem's.
#pragma once

#include "io/json_reader.h"  // parse_json, read_json_file

#include <string>

namespace radlite::io {

/// The whole content of a file. Throws IoError naming the path when it cannot be read.
std::string read_file(const std::string& path);

}  // namespace radlite::io
