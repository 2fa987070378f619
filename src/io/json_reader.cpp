#include "io/json_reader.h"

#include <sys/stat.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>

#include "radlite/error.h"

namespace radlite::io {

using nlohmann::json;

namespace {

// One linear pass over the text: a NUL byte anywhere, or brackets nested deeper than the limit outside
// strings. Done before nlohmann parses, so nothing deep is ever built.
void check_raw_json(const std::string& text, const std::string& what) {
  std::size_t depth = 0;
  bool in_string = false, escaped = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\0') throw FormatError(what + ": invalid JSON (NUL byte at offset " + std::to_string(i) + ")");
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth)
        throw FormatError(what + ": invalid JSON (nested deeper than " + std::to_string(kMaxJsonDepth) +
                          " levels at offset " + std::to_string(i) + ")");
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
}

std::string kind_of(const json& v) {
  switch (v.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::string:
      return "a string";
    case json::value_t::array:
      return "an array";
    case json::value_t::object:
      return "an object";
    case json::value_t::binary:
      return "binary data";
    case json::value_t::discarded:
      return "nothing";
    default:
      return "a number";
  }
}

}  // namespace

std::string JsonPlace::text() const { return file + (field.empty() ? std::string() : ": field '" + field + "'"); }

json parse_json(const std::string& text, const std::string& what) {
  check_raw_json(text, what);
  try {
    return json::parse(text);
  } catch (const json::exception& e) {  // parse_error, and out_of_range for numbers such as 1e400
    throw FormatError(what + ": invalid JSON (" + e.what() + ")");
  }
}

json read_json_file(const std::string& path, std::uint64_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path + ": cannot open for reading (" + std::strerror(errno) + ")");
  std::string text;
  char buf[1 << 16];
  while (in) {
    in.read(buf, sizeof buf);
    text.append(buf, static_cast<std::size_t>(in.gcount()));
    if (text.size() > max_bytes)
      throw FormatError(path + ": larger than " + std::to_string(max_bytes) + " bytes; not a JSON file radlite reads");
  }
  if (in.bad()) throw IoError(path + ": read failed");
  return parse_json(text, path);
}

std::string describe(const json& value, std::size_t max_chars) {
  // Parsed values are at most kMaxJsonDepth deep, so dump() recursion is bounded; large values are cut.
  std::string s = value.dump(-1, ' ', false, json::error_handler_t::replace);
  if (s.size() > max_chars) {
    s.resize(max_chars);
    s += "...";
  }
  return s;
}

void format_error(const JsonPlace& p, const std::string& message) { throw FormatError(p.text() + ": " + message); }
void model_error(const JsonPlace& p, const std::string& message) { throw ModelError(p.text() + ": " + message); }

const json* find(const json& obj, const std::string& key, const JsonPlace& p) {
  if (!obj.is_object()) format_error(p, "expected an object, got " + kind_of(obj));
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

const json& require(const json& obj, const std::string& key, const JsonPlace& p) {
  if (!obj.is_object()) format_error(p, "expected an object, got " + kind_of(obj));
  auto it = obj.find(key);
  if (it == obj.end()) format_error(p.at(key), "missing");
  return *it;
}

namespace {
const json& required_value(const json& obj, const std::string& key, const JsonPlace& p) {
  const json* v = find(obj, key, p);
  if (!v) format_error(p.at(key), "missing");
  return *v;
}
std::string string_value(const json& v, const JsonPlace& p) {
  if (!v.is_string()) format_error(p, "expected a string, got " + describe(v));
  return v.get<std::string>();
}
bool bool_value(const json& v, const JsonPlace& p) {
  if (!v.is_boolean()) format_error(p, "expected true or false, got " + describe(v));
  return v.get<bool>();
}
double number_value(const json& v, const JsonPlace& p, double min, double max) {
  if (!v.is_number()) format_error(p, "expected a number, got " + describe(v));
  double d = v.get<double>();
  if (!std::isfinite(d) || d < min || d > max)
    format_error(p, "out of range [" + describe(json(min)) + ", " + describe(json(max)) + "]: " + describe(v));
  return d;
}
}  // namespace

long long as_int(const json& v, const JsonPlace& p, long long min, long long max) {
  if (!v.is_number_integer()) format_error(p, "expected an integer, got " + describe(v));
  bool too_big = v.is_number_unsigned() && v.get<unsigned long long>() > static_cast<unsigned long long>(max);
  long long x = too_big ? max : v.get<long long>();
  if (too_big || x < min || x > max)
    format_error(p, "out of range [" + std::to_string(min) + ", " + std::to_string(max) + "]: " + describe(v));
  return x;
}

std::string get_string(const json& obj, const std::string& key, const JsonPlace& p) {
  return string_value(required_value(obj, key, p), p.at(key));
}
std::string get_string(const json& obj, const std::string& key, const JsonPlace& p, const std::string& fallback) {
  const json* v = find(obj, key, p);
  return v ? string_value(*v, p.at(key)) : fallback;
}
bool get_bool(const json& obj, const std::string& key, const JsonPlace& p) {
  return bool_value(required_value(obj, key, p), p.at(key));
}
bool get_bool(const json& obj, const std::string& key, const JsonPlace& p, bool fallback) {
  const json* v = find(obj, key, p);
  return v ? bool_value(*v, p.at(key)) : fallback;
}
long long get_int(const json& obj, const std::string& key, const JsonPlace& p, long long min, long long max) {
  return as_int(required_value(obj, key, p), p.at(key), min, max);
}
long long get_int(const json& obj, const std::string& key, const JsonPlace& p, long long fallback, long long min,
                  long long max) {
  const json* v = find(obj, key, p);
  return v ? as_int(*v, p.at(key), min, max) : fallback;
}
std::uint64_t get_uint(const json& obj, const std::string& key, const JsonPlace& p, std::uint64_t max) {
  const json& v = required_value(obj, key, p);
  if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<long long>() >= 0))
    format_error(p.at(key), "expected a non-negative integer, got " + describe(v));
  std::uint64_t x = v.get<std::uint64_t>();
  if (x > max) format_error(p.at(key), "out of range [0, " + std::to_string(max) + "]: " + describe(v));
  return x;
}
double get_number(const json& obj, const std::string& key, const JsonPlace& p, double min, double max) {
  return number_value(required_value(obj, key, p), p.at(key), min, max);
}
double get_number(const json& obj, const std::string& key, const JsonPlace& p, double fallback, double min,
                  double max) {
  const json* v = find(obj, key, p);
  return v ? number_value(*v, p.at(key), min, max) : fallback;
}

}  // namespace radlite::io
