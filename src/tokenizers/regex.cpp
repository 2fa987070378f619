// Oniguruma behind the Replace / Split patterns: see regex.h.
#include "tokenizers/regex.h"

#include <dlfcn.h>
#include <oniguruma.h>

#include <mutex>

#include "radlite/error.h"
#include "tokenizers/pipeline.h"
#include "tokenizers/unicode.h"

namespace radlite::tokenizers {

namespace {

// Oniguruma is opened with dlopen(RTLD_LOCAL), not linked. libonig also exports the POSIX names regcomp, regexec,
// regfree and regerror (its POSIX emulation, with its own flag values: REG_EXTENDED there is glibc's REG_ICASE).
// Linked, it sits before libc in the lookup order of every program that links radlite, and takes those names over
// from glibc for the whole process: the host's own regcomp calls, and GoogleTest's, would run Oniguruma's.
// Opened locally, none of its symbols enter the global scope. The calls below go through this table.
struct OnigApi {
  decltype(&onig_initialize) initialize;
  decltype(&onig_new) compile;
  decltype(&onig_free) free_regex;
  decltype(&onig_error_code_to_str) error_code_to_str;
  decltype(&onig_region_new) region_new;
  decltype(&onig_region_free) region_free;
  decltype(&onig_region_clear) region_clear;
  decltype(&onig_new_match_param) new_match_param;
  decltype(&onig_free_match_param) free_match_param;
  decltype(&onig_initialize_match_param) initialize_match_param;
  decltype(&onig_set_retry_limit_in_match_of_match_param) set_retry_limit;
  decltype(&onig_search_with_param) search_with_param;
  OnigEncoding utf8;     // ONIG_ENCODING_UTF8 is &OnigEncodingUTF8, a data symbol of the library
  OnigSyntaxType* ruby;  // ONIG_SYNTAX_RUBY is &OnigSyntaxRuby
};

OnigApi load_onig() {
  const std::string lib = RADLITE_ONIG_SONAME;
  void* h = dlopen(lib.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char* why = dlerror();
    throw ModelError("cannot load Oniguruma (" + lib + "), the regex engine of tokenizer Replace/Split patterns: " +
                     (why ? why : "dlopen failed") + " (Debian package: libonig5)");
  }
  auto sym = [&](const char* name) {
    void* p = dlsym(h, name);
    if (!p) {
      dlclose(h);
      throw ModelError("Oniguruma (" + lib + ") has no symbol '" + name + "': a version older than 6.9.4?");
    }
    return p;
  };
  OnigApi a{};
  // dlsym returns void*; the conversion to a function pointer is the one POSIX guarantees.
  a.initialize = reinterpret_cast<decltype(a.initialize)>(sym("onig_initialize"));
  a.compile = reinterpret_cast<decltype(a.compile)>(sym("onig_new"));
  a.free_regex = reinterpret_cast<decltype(a.free_regex)>(sym("onig_free"));
  a.error_code_to_str = reinterpret_cast<decltype(a.error_code_to_str)>(sym("onig_error_code_to_str"));
  a.region_new = reinterpret_cast<decltype(a.region_new)>(sym("onig_region_new"));
  a.region_free = reinterpret_cast<decltype(a.region_free)>(sym("onig_region_free"));
  a.region_clear = reinterpret_cast<decltype(a.region_clear)>(sym("onig_region_clear"));
  a.new_match_param = reinterpret_cast<decltype(a.new_match_param)>(sym("onig_new_match_param"));
  a.free_match_param = reinterpret_cast<decltype(a.free_match_param)>(sym("onig_free_match_param"));
  a.initialize_match_param =
      reinterpret_cast<decltype(a.initialize_match_param)>(sym("onig_initialize_match_param"));
  a.set_retry_limit =
      reinterpret_cast<decltype(a.set_retry_limit)>(sym("onig_set_retry_limit_in_match_of_match_param"));
  a.search_with_param = reinterpret_cast<decltype(a.search_with_param)>(sym("onig_search_with_param"));
  a.utf8 = static_cast<OnigEncoding>(sym("OnigEncodingUTF8"));
  a.ruby = static_cast<OnigSyntaxType*>(sym("OnigSyntaxRuby"));
  // Oniguruma's global tables are set up once, here.
  OnigEncoding encodings[] = {a.utf8};
  a.initialize(encodings, 1);
  return a;  // the handle stays open for the life of the process
}

// Loaded on first use, once (a failed load throws and is retried by the next caller).
const OnigApi& onig() {
  static const OnigApi api = load_onig();
  return api;
}

std::string onig_message(int code, OnigErrorInfo* info) {
  OnigUChar buf[ONIG_MAX_ERROR_MESSAGE_LEN];
  const int n = info ? onig().error_code_to_str(buf, code, info) : onig().error_code_to_str(buf, code);
  return std::string(reinterpret_cast<const char*>(buf), n > 0 ? static_cast<std::size_t>(n) : 0);
}

// onig_new is not safe to call concurrently (the onig crate serializes it with a mutex too).
std::mutex& compile_mutex() {
  static std::mutex m;
  return m;
}

}  // namespace

struct Regex::Impl {
  OnigRegex reg = nullptr;
};

Regex::Regex(const std::string& pattern, const std::string& where)
    : impl_(std::make_unique<Impl>()), pattern_(pattern) {
  const OnigApi& api = onig();
  OnigErrorInfo info{};
  const auto* begin = reinterpret_cast<const OnigUChar*>(pattern.data());
  int rc;
  {
    std::lock_guard<std::mutex> lock(compile_mutex());
    rc = api.compile(&impl_->reg, begin, begin + pattern.size(), ONIG_OPTION_NONE, api.utf8, api.ruby, &info);
  }
  if (rc != ONIG_NORMAL) {
    impl_->reg = nullptr;
    throw ModelError(where + ": regular expression '" + pattern + "' does not compile: " + onig_message(rc, &info));
  }
}

Regex::~Regex() {
  if (impl_ && impl_->reg) onig().free_regex(impl_->reg);
}

void Regex::find_all(std::string_view s, Matches& out) const {
  out.clear();
  const OnigApi& api = onig();
  std::unique_ptr<OnigRegion, void (*)(OnigRegion*)> region(api.region_new(),
                                                            [](OnigRegion* r) { onig().region_free(r, 1); });
  std::unique_ptr<OnigMatchParam, void (*)(OnigMatchParam*)> param(api.new_match_param(), api.free_match_param);
  if (!region || !param) throw std::bad_alloc();
  api.initialize_match_param(param.get());
  api.set_retry_limit(param.get(), kRetryLimit);
  const auto* str = reinterpret_cast<const OnigUChar*>(s.data());
  const auto* end = str + s.size();
  std::size_t from = 0;
  bool after_nonempty = false;
  while (from <= s.size()) {
    api.region_clear(region.get());
    const int pos =
        api.search_with_param(impl_->reg, str, end, str + from, end, region.get(), ONIG_OPTION_NONE, param.get());
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
