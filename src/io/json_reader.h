// The one way radlite reads JSON (internal): parsing with limits, and typed field access whose errors all have
// the same shape, "<file>: field '<a.b[2]>': <what is wrong>".
//
//   nlohmann::json cfg = io::read_json_file(dir + "/config.json");          // size, NUL and depth checked
//   io::JsonPlace at{dir + "/config.json", ""};
//   long long layers = io::get_int(cfg, "num_hidden_layers", at, 12, 1, 1000);
//
// Error rule (error.h): malformed input (not JSON, wrong type, out of range) is a FormatError; callers raise
// ModelError (model_error) for well-formed values radlite does not support.
// Why the limits: configuration files come from the internet. A value nested 100,000 levels deep would make
// nlohmann's recursive dump(), copy and comparison overflow the stack, so parsing refuses nesting deeper than
// kMaxJsonDepth (serde_json, which Hugging Face's Rust code uses, stops at 128 by default); a NUL byte would
// otherwise end parsing silently; and a "file" such as /dev/zero would grow without end.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace radlite::io {

inline constexpr std::size_t kMaxJsonDepth = 256;
inline constexpr std::uint64_t kMaxJsonFileBytes = 512ull << 20;  // 512 MiB: far above any tokenizer.json

/// Where a JSON value sits: the file (or "stdin line 3") and the dotted field path inside it.
struct JsonPlace {
  std::string file;
  std::string field;
  JsonPlace at(const std::string& key) const { return {file, field.empty() ? key : field + "." + key}; }
  JsonPlace at(std::size_t index) const { return {file, field + "[" + std::to_string(index) + "]"}; }
  /// "file: field 'a.b'" (or just "file" at the top level).
  std::string text() const;
};

/// Parses a JSON document; `what` names its origin. Throws FormatError for invalid JSON (with the parser's
/// position), a NUL byte (with its offset) and nesting deeper than kMaxJsonDepth.
nlohmann::json parse_json(const std::string& text, const std::string& what);

/// Reads and parses a JSON file of at most `max_bytes`. Throws IoError when it cannot be read, FormatError
/// when it is larger than `max_bytes` (devices and pipes included) or malformed.
nlohmann::json read_json_file(const std::string& path, std::uint64_t max_bytes = kMaxJsonFileBytes);

/// A short, bounded rendering of a value for error messages (at most `max_chars` characters, "..." when cut).
std::string describe(const nlohmann::json& value, std::size_t max_chars = 80);

[[noreturn]] void format_error(const JsonPlace& p, const std::string& message);  // FormatError "<place>: message"
[[noreturn]] void model_error(const JsonPlace& p, const std::string& message);   // ModelError, same form

/// obj[key], which must exist (FormatError "missing" otherwise); obj must be an object.
const nlohmann::json& require(const nlohmann::json& obj, const std::string& key, const JsonPlace& p);
/// obj[key] or nullptr when absent or null; obj must be an object.
const nlohmann::json* find(const nlohmann::json& obj, const std::string& key, const JsonPlace& p);

// Typed fields. The `fallback` overloads return it when the field is absent or null; the others require it.
std::string get_string(const nlohmann::json& obj, const std::string& key, const JsonPlace& p);
std::string get_string(const nlohmann::json& obj, const std::string& key, const JsonPlace& p,
                       const std::string& fallback);
bool get_bool(const nlohmann::json& obj, const std::string& key, const JsonPlace& p);
bool get_bool(const nlohmann::json& obj, const std::string& key, const JsonPlace& p, bool fallback);
/// An integer within [min, max]; a number with a fraction (7.9) is an error, not truncated.
long long get_int(const nlohmann::json& obj, const std::string& key, const JsonPlace& p, long long min, long long max);
long long get_int(const nlohmann::json& obj, const std::string& key, const JsonPlace& p, long long fallback,
                  long long min, long long max);
std::uint64_t get_uint(const nlohmann::json& obj, const std::string& key, const JsonPlace& p,
                       std::uint64_t max = UINT64_MAX);
/// A finite number within [min, max].
double get_number(const nlohmann::json& obj, const std::string& key, const JsonPlace& p, double min, double max);
double get_number(const nlohmann::json& obj, const std::string& key, const JsonPlace& p, double fallback, double min,
                  double max);

/// The value itself (not a field) as an integer within [min, max], e.g. an array element.
long long as_int(const nlohmann::json& value, const JsonPlace& p, long long min, long long max);

}  // namespace radlite::io
