// Whole-file reads and path tests with errors that name the file (internal to radlite).
#pragma once

#include "io/json_reader.h"  // parse_json, read_json_file

#include <string>

namespace radlite::io {

/// The whole content of a file. Throws IoError naming the path when it cannot be read.
std::string read_file(const std::string& path);

/// True when the path exists and is a regular file / a directory.
bool is_file(const std::string& path);
bool is_directory(const std::string& path);

/// Joins two path parts with one '/'.
std::string join_path(const std::string& a, const std::string& b);

}  // namespace radlite::io
