#include "cli/json_lines.h"

#include "io/json_reader.h"

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
  // io::parse_json refuses a NUL byte (nlohmann::json would stop reading at it) and deep nesting.
  nlohmann::json j = io::parse_json(text, where);
  if (!j.is_object()) throw FormatError(where + ": expected a JSON object");
  return j;
}

std::vector<std::int32_t> int_array_field(const nlohmann::json& j, const char* key, const io::JsonPlace& place) {
  const nlohmann::json& v = io::require(j, key, place);
  if (!v.is_array()) io::format_error(place.at(key), "expected an array of integers, got " + io::describe(v));
  std::vector<std::int32_t> out;
  out.reserve(v.size());
  constexpr auto lo = std::numeric_limits<std::int32_t>::min(), hi = std::numeric_limits<std::int32_t>::max();
  for (std::size_t i = 0; i < v.size(); ++i)
    out.push_back(static_cast<std::int32_t>(io::as_int(v[i], place.at(key).at(i), lo, hi)));
  return out;
}

void append_float(std::string& out, float v) {
  if (!std::isfinite(v)) throw NonFiniteOutput();
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(v));
  out += buf;
}

void append_float_array(std::string& out, const float* values, std::size_t n) {
  out += '[';
  for (std::size_t i = 0; i < n; ++i) {
    if (i) out += ", ";
    append_float(out, values[i]);
  }
  out += ']';
}

}  // namespace radlite::cli
