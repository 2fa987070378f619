// Whole-file reads and JSON parsing with errors that name the file (internal to radlite).
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace radlite::io {

/// The whole content of a file. Throws IoError naming the path when it cannot be read.
std::string read_file(const std::string& path);

/// Parses a JSON document; `what` names its origin in error messages (a path, "stdin line 3").
/// Throws FormatError with the parser's position and message.
nlohmann::json parse_json(const std::string& text, const std::string& what);

/// read_file + parse_json.
nlohmann::json read_json_file(const std::string& path);

/// True when the path exists and is a regular file / a directory.
bool is_file(const std::string& path);
bool is_directory(const std::string& path);

/// Joins two path parts with one '/'.
std::string join_path(const std::string& a, const std::string& b);

}  // namespace radlite::io
