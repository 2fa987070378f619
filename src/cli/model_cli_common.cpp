#include "cli/model_cli_common.h"

#include <cmath>
#include <limits>

#include "io/json_reader.h"
#include "radlite/error.h"

namespace radlite::cli {

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

nlohmann::json parse_object_line(const InputLine& line) {
  const std::string where = "stdin line " + std::to_string(line.number);
  nlohmann::json j = io::parse_json(line.text, where);  // NUL bytes and deep nesting are errors there
  if (!j.is_object()) throw FormatError(where + ": expected a JSON object");
  return j;
}

std::vector<std::int32_t> int_array_field(const nlohmann::json& j, const char* key, const InputLine& line) {
  const std::string where = "stdin line " + std::to_string(line.number) + ": field '" + key + "'";
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) throw FormatError(where + " must be an array of integers");
  std::vector<std::int32_t> out;
  out.reserve(it->size());
  for (const auto& v : *it) {
    if (!v.is_number_integer()) throw FormatError(where + " must be an array of integers, found " + v.dump());
    const auto x = v.get<std::int64_t>();
    if (x < std::numeric_limits<std::int32_t>::min() || x > std::numeric_limits<std::int32_t>::max())
      throw FormatError(where + ": " + std::to_string(x) + " is out of range");
    out.push_back(static_cast<std::int32_t>(x));
  }
  return out;
}

const std::string& string_field(const nlohmann::json& j, const char* key, const InputLine& line) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string())
    throw FormatError("stdin line " + std::to_string(line.number) + ": field '" + key + "' must be a string");
  return it->get_ref<const std::string&>();
}

DType parse_dtype(const std::string& name) {
  if (name == "float32" || name == "f32") return DType::F32;
  if (name == "float16" || name == "f16") return DType::F16;
  if (name == "bfloat16" || name == "bf16") return DType::BF16;
  if (name == "int8") return DType::Int8;
  throw InvalidArgument("--dtype must be float32, float16, bfloat16 or int8, got '" + name + "'");
}


void append_float(std::string& out, float v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(v));
  out += buf;
}

}  // namespace radlite::cli
