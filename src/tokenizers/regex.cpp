// Oniguruma behind the Replace / Split patterns: see regex.h.
#include "tokenizers/regex.h"

#include <oniguruma.h>

#include <mutex>

#include "radlite/error.h"
#include "tokenizers/pipeline.h"
#include "tokenizers/unicode.h"

namespace radlite::tokenizers {

namespace {

std::string onig_message(int code, OnigErrorInfo* info) {
  OnigUChar buf[ONIG_MAX_ERROR_MESSAGE_LEN];
  const int n = info ? onig_error_code_to_str(buf, code, info) : onig_error_code_to_str(buf, code);
  return std::string(reinterpret_cast<const char*>(buf), n > 0 ? static_cast<std::size_t>(n) : 0);
}

// Oniguruma's global tables are set up once; onig_new itself is not safe to call concurrently (the onig crate
// serializes it with a mutex too).
std::mutex& compile_mutex() {
  static std::mutex m;
  return m;
}
void initialize_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    OnigEncoding encodings[] = {ONIG_ENCODING_UTF8};
    onig_initialize(encodings, 1);
  });
}

}  // namespace

struct Regex::Impl {
  OnigRegex reg = nullptr;
};

Regex::Regex(const std::string& pattern, const std::string& where)
    : impl_(std::make_unique<Impl>()), pattern_(pattern) {
  initialize_once();
  OnigErrorInfo info{};
  const auto* begin = reinterpret_cast<const OnigUChar*>(pattern.data());
  int rc;
  {
    std::lock_guard<std::mutex> lock(compile_mutex());
    rc = onig_new(&impl_->reg, begin, begin + pattern.size(), ONIG_OPTION_NONE, ONIG_ENCODING_UTF8, ONIG_SYNTAX_RUBY,
                  &info);
  }
  if (rc != ONIG_NORMAL) {
    impl_->reg = nullptr;
    throw ModelError(where + ": regular expression '" + pattern + "' does not compile: " + onig_message(rc, &info));
  }
}

Regex::~Regex() {
  if (impl_ && impl_->reg) onig_free(impl_->reg);
}

void Regex::find_all(std::string_view s, Matches& out) const {
  out.clear();
  std::unique_ptr<OnigRegion, void (*)(OnigRegion*)> region(onig_region_new(),
                                                            [](OnigRegion* r) { onig_region_free(r, 1); });
  std::unique_ptr<OnigMatchParam, void (*)(OnigMatchParam*)> param(onig_new_match_param(), onig_free_match_param);
  if (!region || !param) throw std::bad_alloc();
  onig_initialize_match_param(param.get());
  onig_set_retry_limit_in_match_of_match_param(param.get(), kRetryLimit);
  const auto* str = reinterpret_cast<const OnigUChar*>(s.data());
  const auto* end = str + s.size();
  std::size_t from = 0;
  bool after_nonempty = false;
  while (from <= s.size()) {
    onig_region_clear(region.get());
    const int pos =
        onig_search_with_param(impl_->reg, str, end, str + from, end, region.get(), ONIG_OPTION_NONE, param.get());
    if (pos == ONIG_MISMATCH) return;
    if (pos < 0) {
      throw ModelError("regular expression '" + pattern_ + "' failed on a text of " + std::to_string(s.size()) +
                       " bytes: " + onig_message(pos, nullptr) +
                       (pos == ONIGERR_RETRY_LIMIT_IN_MATCH_OVER
                            ? " (it backtracks exponentially; HF tokenizers aborts on the same input)"
                            : ""));
    }
    const auto b = static_cast<std::size_t>(region->beg[0]);
    const auto e = static_cast<std::size_t>(region->end[0]);
    if (b == e) {
      // Step over one character so the search advances; an empty match right after a match is not reported.
      from = e < s.size() ? e + unicode::cp_len(static_cast<unsigned char>(s[e])) : e + 1;
      if (after_nonempty) {
        after_nonempty = false;
        continue;
      }
    } else {
      from = e;
      after_nonempty = true;
    }
    out.emplace_back(b, e);
  }
}

Pattern parse_pattern(const nlohmann::json& j, const JsonPlace& p) {
  Pattern pat;
  if (j.is_object() && j.contains("String") && j["String"].is_string()) {
    pat.literal = j["String"].get<std::string>();
    if (pat.literal.empty()) pat.regex = std::make_shared<const Regex>("", p.text());
  } else if (j.is_object() && j.contains("Regex") && j["Regex"].is_string()) {
    pat.regex = std::make_shared<const Regex>(j["Regex"].get<std::string>(), p.text());
  } else {
    io::format_error(p, "expected {\"String\": ...} or {\"Regex\": ...}");
  }
  return pat;
}

void find_matches(const Pattern& pat, std::string_view s, Matches& out) {
  out.clear();
  if (s.empty()) return;
  if (pat.regex) {
    pat.regex->find_all(s, out);
    return;
  }
  std::size_t pos = 0;
  while ((pos = s.find(pat.literal, pos)) != std::string_view::npos) {
    out.emplace_back(pos, pos + pat.literal.size());
    pos += pat.literal.size();
  }
}

}  // namespace radlite::tokenizers
