#include "cli/args.h"

#include <cstdlib>

#include "radlite/error.h"

namespace radlite::cli {

Args::Args(int argc, char** argv, std::set<std::string> value_options, std::set<std::string> flags) {
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (a.size() > 2 && a.compare(0, 2, "--") == 0) {
      std::string name = a, val;
      bool inline_value = false;
      if (auto eq = a.find('='); eq != std::string::npos) {
        name = a.substr(0, eq);
        val = a.substr(eq + 1);
        inline_value = true;
      }
      if (flags.count(name)) {
        if (inline_value) throw InvalidArgument("option " + name + " takes no value");
        flags_set_.insert(name);
      } else if (value_options.count(name)) {
        if (!inline_value) {
          if (i + 1 >= argc) throw InvalidArgument("option " + name + " needs a value");
          val = argv[++i];
        }
        values_[name] = val;
      } else {
        throw InvalidArgument("unknown option " + name);
      }
    } else {
      positional_.push_back(a);
    }
  }
}

bool Args::has(const std::string& name) const { return values_.count(name) || flags_set_.count(name); }

std::optional<std::string> Args::value(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string Args::get(const std::string& name, const std::string& fallback) const {
  return value(name).value_or(fallback);
}

std::string Args::required(const std::string& name) const {
  auto v = value(name);
  if (!v) throw InvalidArgument("missing required option " + name);
  return *v;
}

int Args::get_int(const std::string& name, int fallback) const {
  auto v = value(name);
  if (!v) return fallback;
  char* end = nullptr;
  long x = std::strtol(v->c_str(), &end, 10);
  if (v->empty() || *end != '\0') throw InvalidArgument("option " + name + " expects an integer, got '" + *v + "'");
  return static_cast<int>(x);
}

std::size_t Args::get_count(const std::string& name, std::size_t fallback) const {
  const int v = get_int(name, static_cast<int>(fallback));
  if (v < 0) throw InvalidArgument("option " + name + " must be >= 0, got " + std::to_string(v));
  return static_cast<std::size_t>(v);
}

double Args::get_double(const std::string& name, double fallback) const {
  auto v = value(name);
  if (!v) return fallback;
  char* end = nullptr;
  double x = std::strtod(v->c_str(), &end);
  if (v->empty() || *end != '\0') throw InvalidArgument("option " + name + " expects a number, got '" + *v + "'");
  return x;
}

}  // namespace radlite::cli
