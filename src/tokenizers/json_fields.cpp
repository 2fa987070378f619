// Reading tokenizer.json fields with errors that name the file and the field, and the String/Regex patterns of
// Replace normalizers and Split pre-tokenizers.
#include <regex>

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

Pattern parse_pattern(const json& j, const JsonPlace& p) {
  Pattern pat;
  if (j.is_object() && j.contains("String") && j["String"].is_string()) {
    pat.literal = j["String"].get<std::string>();
  } else if (j.is_object() && j.contains("Regex") && j["Regex"].is_string()) {
    // std::regex works on bytes and has no \p classes: patterns that need them are reported as unsupported.
    try {
      pat.regex = std::make_unique<std::regex>(j["Regex"].get<std::string>(), std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      model_error(p, "unsupported regex '" + j["Regex"].get<std::string>() + "' (" + e.what() + ")");
    }
  } else {
    format_error(p, "expected {\"String\": ...} or {\"Regex\": ...}");
  }
  return pat;
}

// Byte ranges of the matches of pat in s, in order, non-overlapping.
void find_matches(const Pattern& pat, std::string_view s, std::vector<std::pair<std::size_t, std::size_t>>& out) {
  out.clear();
  if (pat.regex) {
    auto begin = std::cregex_iterator(s.data(), s.data() + s.size(), *pat.regex);
    for (auto it = begin; it != std::cregex_iterator(); ++it) {
      auto pos = static_cast<std::size_t>(it->position(0));
      auto len = static_cast<std::size_t>(it->length(0));
      if (len == 0) continue;
      out.emplace_back(pos, pos + len);
    }
    return;
  }
  if (pat.literal.empty()) return;
  std::size_t pos = 0;
  while ((pos = s.find(pat.literal, pos)) != std::string_view::npos) {
    out.emplace_back(pos, pos + pat.literal.size());
    pos += pat.literal.size();
  }
}

}  // namespace radlite::tokenizers
