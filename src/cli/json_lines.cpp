#include "cli/json_lines.h"

#include <cmath>
#include <cstdio>
#include <limits>

namespace radlite::cli {

std::string line_label(const InputLine& line) { return "stdin line " + std::to_string(line.number); }

bool read_chunk(std::istream& in, std::size_t max_lines, std::size_t& line_number, std::vector<InputLine>& out) {
  out.clear();
  std::string s;
  while (out.size() < max_lines && std::getline(in, s)) {
    ++line_number;
    if (!s.empty() && s.back() == '\r') s.pop_back();
    out.push_back({line_number, std::move(s)});
    s.clear();
  }
  if (in.bad()) throw IoError("stdin: read failed after line " + std::to_string(line_number));
  return !out.empty();
}

nlohmann::json parse_object_line(const std::string& text, const std::string& where) {
  if (text.find_first_not_of(" \t") == std::string::npos)
    throw FormatError(where + ": empty line; every input line must be a JSON object (each gets one output line)");
  // nlohmann::json treats a NUL byte as the end of the input and would ignore everything after it.
  if (const auto nul = text.find('\0'); nul != std::string::npos)
    throw FormatError(where + ": NUL byte at column " + std::to_string(nul + 1) +
                      " (JSON text cannot contain one; inside a string write \\u0000)");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(where + ": invalid JSON (" + e.what() + ")");
  }
  if (!j.is_object()) throw FormatError(where + ": expected a JSON object");
  return j;
}

std::vector<std::int32_t> int_array_field(const nlohmann::json& j, const char* key, const InputLine& line) {
  const std::string where = line_label(line) + ": field '" + key + "'";
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) throw FormatError(where + " must be an array of integers");
  std::vector<std::int32_t> out;
  out.reserve(it->size());
  for (const auto& v : *it) {
    // Only the type is named: printing the value could be a deeply nested array.
    if (!v.is_number_integer()) throw FormatError(where + " must be an array of integers, found a " + v.type_name());
    const auto x = v.get<std::int64_t>();
    if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max()))
      throw FormatError(where + ": " + std::to_string(v.get<std::uint64_t>()) + " is out of range");
    if (x < std::numeric_limits<std::int32_t>::min() || x > std::numeric_limits<std::int32_t>::max())
      throw FormatError(where + ": " + std::to_string(x) + " is out of range");
    out.push_back(static_cast<std::int32_t>(x));
  }
  return out;
}

const std::string& string_field(const nlohmann::json& j, const char* key, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end()) throw FormatError(where + ": missing field '" + key + "'");
  if (!it->is_string()) throw FormatError(where + ": field '" + key + "' must be a string");
  return it->get_ref<const std::string&>();
}

void append_float(std::string& out, float v) {
  if (!std::isfinite(v)) throw NonFiniteOutput();
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(v));
  out += buf;
}

}  // namespace radlite::cli
