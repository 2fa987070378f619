// Reading tokenizer.json fields with errors that name the file and the field.
#include "radlite/error.h"
#include "tokenizers/pipeline.h"

namespace radlite::tokenizers {

using nlohmann::json;

// ------------------------------------------------------------------------------------------------ JSON helpers
namespace {
std::string place_text(const JsonPlace& p) {
  return p.file + (p.field.empty() ? std::string() : ": field '" + p.field + "'");
}
}  // namespace

void format_error(const JsonPlace& p, const std::string& message) {
  throw FormatError(place_text(p) + ": " + message);
}
void model_error(const JsonPlace& p, const std::string& message) { throw ModelError(place_text(p) + ": " + message); }

const json& require(const json& obj, const std::string& key, const JsonPlace& p) {
  if (!obj.is_object()) format_error(p, "expected an object");
  auto it = obj.find(key);
  if (it == obj.end()) format_error(p.at(key), "missing");
  return *it;
}

long long get_int(const json& obj, const std::string& key, const JsonPlace& p, long long fallback, long long min,
                  long long max) {
  if (!obj.is_object()) format_error(p, "expected an object");
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  if (!it->is_number_integer()) format_error(p.at(key), "expected an integer");
  if (it->is_number_unsigned() && it->get<unsigned long long>() > static_cast<unsigned long long>(max))
    format_error(p.at(key), "out of range");
  long long v = it->get<long long>();
  if (v < min || v > max)
    format_error(p.at(key), "out of range [" + std::to_string(min) + ", " + std::to_string(max) + "]: " + std::to_string(v));
  return v;
}

std::string get_string(const json& obj, const std::string& key, const JsonPlace& p, const std::string& fallback) {
  if (!obj.is_object()) format_error(p, "expected an object");
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  if (!it->is_string()) format_error(p.at(key), "expected a string");
  return it->get<std::string>();
}

bool get_bool(const json& obj, const std::string& key, const JsonPlace& p, bool fallback) {
  if (!obj.is_object()) format_error(p, "expected an object");
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) format_error(p.at(key), "expected true or false");
  return it->get<bool>();
}

std::string type_of(const json& j, const JsonPlace& p) {
  if (!j.is_object()) format_error(p, "expected an object");
  return get_string(j, "type", p, "");
}

}  // namespace radlite::tokenizers
