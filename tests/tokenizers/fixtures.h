// Test support for the tokenizer tests: reading the recorded fixtures (tests/data/tokenizers, tests/data/golden)
// and printing ids in mismatch reports.
#pragma once

#include <cstdint>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace radlite::test_support {

/// Parses a JSON fixture; a missing file is named instead of surfacing as a parse error.
inline nlohmann::json load_fixture(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  return nlohmann::json::parse(in);
}

/// "1,2,3": ids as they appear in a mismatch report.
inline std::string show_ids(const std::vector<std::int32_t>& v) {
  std::ostringstream o;
  for (std::size_t i = 0; i < v.size(); ++i) o << (i ? "," : "") << v[i];
  return o.str();
}

}  // namespace radlite::test_support
