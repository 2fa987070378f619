// Command-line argument parsing for the radlite tool: declared options only, clear errors.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace radlite::cli {

/// Parses `--name value`, `--name=value` and `--flag` arguments plus positionals.
/// Options that take a value and flags are declared up front; anything else is an error naming it.
class Args {
 public:
  Args(int argc, char** argv, std::set<std::string> value_options, std::set<std::string> flags);

  bool has(const std::string& name) const;  // a value option given, or a flag set
  std::optional<std::string> value(const std::string& name) const;
  std::string get(const std::string& name, const std::string& fallback) const;
  std::string required(const std::string& name) const;  // throws InvalidArgument when absent
  int get_int(const std::string& name, int fallback) const;
  /// A non-negative integer option; InvalidArgument naming it when negative or malformed.
  std::size_t get_count(const std::string& name, std::size_t fallback) const;
  double get_double(const std::string& name, double fallback) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::map<std::string, std::string> values_;
  std::set<std::string> flags_set_;
  std::vector<std::string> positional_;
};

}  // namespace radlite::cli
