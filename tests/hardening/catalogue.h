// The bad-input catalogue (issue 8): each entry feeds one malformed input to the library or the CLI and
// checks the documented reaction: a radlite::Error of the expected type whose message names the culprit
// (file, field, line, option). Every message seen is recorded; with RADLITE_CATALOGUE=<file> set, the test
// binary writes them as a Markdown table at exit (tests/hardening/make_catalogue.sh -> CATALOGUE.md).
#pragma once

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <mutex>
#include <string>
#include <typeinfo>
#include <vector>

#include "radlite/error.h"
#include "support/cli_runner.h"

namespace radlite::hardening {

struct CatalogueEntry {
  std::string area, input, reaction, message;
};

inline std::vector<CatalogueEntry>& catalogue() {
  static std::vector<CatalogueEntry> entries;
  return entries;
}

inline void record(const std::string& area, const std::string& input, const std::string& reaction,
                   const std::string& message) {
  catalogue().push_back({area, input, reaction, message});
}

template <class E>
const char* error_name() {
  if constexpr (std::is_same_v<E, IoError>) return "IoError";
  if constexpr (std::is_same_v<E, FormatError>) return "FormatError";
  if constexpr (std::is_same_v<E, ModelError>) return "ModelError";
  if constexpr (std::is_same_v<E, InvalidArgument>) return "InvalidArgument";
  return "Error";
}

inline const char* dynamic_error_name(const Error& e) {
  if (dynamic_cast<const IoError*>(&e)) return "IoError";
  if (dynamic_cast<const FormatError*>(&e)) return "FormatError";
  if (dynamic_cast<const ModelError*>(&e)) return "ModelError";
  if (dynamic_cast<const InvalidArgument*>(&e)) return "InvalidArgument";
  return "Error";
}

/// Expects fn() to throw E (exactly that subclass of radlite::Error) with a message containing every string
/// of `culprits`; records the message.
template <class E>
void expect_error(const std::string& area, const std::string& input, const std::vector<std::string>& culprits,
                  const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    const std::string msg = e.what();
    record(area, input, dynamic_error_name(e), msg);
    EXPECT_STREQ(dynamic_error_name(e), error_name<E>()) << area << " / " << input << ": " << msg;
    for (const auto& c : culprits)
      EXPECT_NE(msg.find(c), std::string::npos)
          << area << " / " << input << ": the message does not name '" << c << "': " << msg;
    return;
  } catch (const std::exception& e) {
    record(area, input, std::string("std::exception (") + typeid(e).name() + ")", e.what());
    ADD_FAILURE() << area << " / " << input << ": not a radlite::Error: " << typeid(e).name() << ": " << e.what();
    return;
  }
  record(area, input, "accepted (no error)", "");
  ADD_FAILURE() << area << " / " << input << ": accepted silently, expected " << error_name<E>();
}

/// Runs fn in a forked child so that a crash (stack overflow, abort) fails this test instead of killing the
/// test binary. The child reports "TYPE\tMESSAGE" through a pipe. Use only before/without libtorch work in
/// the child (a forked child must not rely on the parent's thread pools).
struct ChildOutcome {
  bool crashed = false;
  int signal = 0;
  std::string type, message;  // type "" when fn returned normally
};

inline ChildOutcome run_in_child(const std::function<void()>& fn) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    std::string out;
    try {
      fn();
    } catch (const Error& e) {
      out = std::string(dynamic_error_name(e)) + '\t' + e.what();
    } catch (const std::exception& e) {
      out = std::string("std::exception ") + typeid(e).name() + '\t' + e.what();
    }
    ssize_t ignored = ::write(fds[1], out.data(), out.size());
    (void)ignored;
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string got;
  char buf[4096];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) got.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ChildOutcome o;
  if (WIFSIGNALED(status)) {
    o.crashed = true;
    o.signal = WTERMSIG(status);
    return o;
  }
  const auto tab = got.find('\t');
  if (tab != std::string::npos) {
    o.type = got.substr(0, tab);
    o.message = got.substr(tab + 1);
  }
  return o;
}

/// expect_error in a forked child (see run_in_child).
template <class E>
void expect_error_in_child(const std::string& area, const std::string& input, const std::vector<std::string>& culprits,
                           const std::function<void()>& fn) {
  const ChildOutcome o = run_in_child(fn);
  if (o.crashed) {
    record(area, input, "CRASH (signal " + std::to_string(o.signal) + ")", "");
    ADD_FAILURE() << area << " / " << input << ": crashed with signal " << o.signal;
    return;
  }
  if (o.type.empty()) {
    record(area, input, "accepted (no error)", "");
    ADD_FAILURE() << area << " / " << input << ": accepted silently, expected " << error_name<E>();
    return;
  }
  record(area, input, o.type, o.message);
  EXPECT_EQ(o.type, error_name<E>()) << area << " / " << input << ": " << o.message;
  for (const auto& c : culprits)
    EXPECT_NE(o.message.find(c), std::string::npos)
        << area << " / " << input << ": the message does not name '" << c << "': " << o.message;
}

/// A CLI run that must fail: exit status 1 (radlite::Error) or 2 (usage), stderr naming every culprit, and
/// nothing on stdout.
/// test_support::run_cli under coreutils' timeout: a command that hangs (e.g. --threads 100000) is killed
/// after `seconds` and reported as status -1 (like a crash).
inline test_support::CliResult run_cli_limited(const std::string& args, const std::string& stdin_text,
                                               int seconds = 60) {
  test_support::ScratchDir dir;
  test_support::write_file(dir.file("in"), stdin_text);
  const std::string cmd = "timeout -s KILL " + std::to_string(seconds) + " '" + RADLITE_CLI + "' " + args + " < '" +
                          dir.file("in") + "' > '" + dir.file("out") + "' 2> '" + dir.file("err") + "'";
  const int raw = std::system(cmd.c_str());
  test_support::CliResult r;
  r.status = WIFEXITED(raw) && WEXITSTATUS(raw) < 128 ? WEXITSTATUS(raw) : -1;  // 128+N: the shell saw signal N
  r.out = test_support::read_bytes(dir.file("out"));
  r.err = test_support::read_bytes(dir.file("err"));
  return r;
}

inline void expect_cli_error(const std::string& area, const std::string& input, const std::string& args,
                             const std::string& stdin_text, const std::vector<std::string>& culprits) {
  const test_support::CliResult r = run_cli_limited(args, stdin_text);
  std::string err = r.err;
  while (!err.empty() && err.back() == '\n') err.pop_back();
  record(area, input, r.status < 0 ? "CRASH or HANG (killed)" : "exit " + std::to_string(r.status), err);
  EXPECT_TRUE(r.status == 1 || r.status == 2)
      << area << " / " << input << ": exit status " << r.status << ", stderr: " << r.err;
  for (const auto& c : culprits)
    EXPECT_NE(r.err.find(c), std::string::npos)
        << area << " / " << input << ": stderr does not name '" << c << "': " << r.err;
}

/// Writes the catalogue as Markdown when RADLITE_CATALOGUE names a file (registered by each test binary).
class CatalogueWriter : public ::testing::Environment {
 public:
  void TearDown() override {
    const char* path = std::getenv("RADLITE_CATALOGUE");
    if (!path) return;
    std::ofstream out(path, std::ios::app);
    std::string area;
    for (const auto& e : catalogue()) {
      if (e.area != area) {
        area = e.area;
        out << "\n### " << area << "\n\n| input | reaction | message |\n|---|---|---|\n";
      }
      out << "| " << escape(e.input) << " | " << e.reaction << " | "
          << (e.message.empty() ? "" : "`" + escape(e.message) + "`") << " |\n";
    }
  }

 private:
  static std::string escape(const std::string& s) {
    std::string out;
    for (char c : s) {
      if (c == '|')
        out += "\\|";
      else if (c == '\n')
        out += "<br>";
      else if (c == '`')
        out += "'";
      else if (static_cast<unsigned char>(c) < 0x20) {
        const char* hex = "0123456789abcdef";
        out += std::string("\\x") + hex[(c >> 4) & 15] + hex[c & 15];
      } else
        out += c;
    }
    return out.size() > 600 ? out.substr(0, 600) + "..." : out;
  }
};

inline const bool kCatalogueRegistered = (::testing::AddGlobalTestEnvironment(new CatalogueWriter), true);

}  // namespace radlite::hardening
