#include "cli/utf8_check.h"

#include <utf8proc.h>

#include "radlite/error.h"

namespace radlite::cli {

std::size_t invalid_utf8_offset(std::string_view text) {
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  const auto n = static_cast<utf8proc_ssize_t>(text.size());
  utf8proc_ssize_t i = 0;
  while (i < n) {
    utf8proc_int32_t cp;
    const utf8proc_ssize_t len = utf8proc_iterate(p + i, n - i, &cp);
    if (len <= 0 || cp < 0) return static_cast<std::size_t>(i);
    i += len;
  }
  return std::string_view::npos;
}

void require_utf8(std::string_view text, const std::string& what) {
  const std::size_t bad = invalid_utf8_offset(text);
  if (bad != std::string_view::npos)
    throw InvalidArgument(what + " is not valid UTF-8 (byte offset " + std::to_string(bad) + ")");
}

}  // namespace radlite::cli
