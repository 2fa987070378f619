// A one-line progress bar for long CLI operations (indexing, evaluation), drawn on a terminal only.
//
//   ProgressBar bar("indexing", corpus.size(), "docs");   // draws only when stderr is a terminal
//   for (...) bar.update(done);
//   bar.finish();
//
// When the output stream is not a terminal (a pipe, a log file, a test), nothing is drawn, so scripted runs
// stay quiet. Redraws are throttled (at most ~10 per second) so a fast loop does not spend its time printing.
// Thread safety: none; drive a bar from one thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <string>

namespace radlite::cli {

class ProgressBar {
 public:
  /// `total` = 0 means unknown (shows the count and the rate, no bar or ETA). Draws on `stream` (stderr by
  /// default) when `enabled` is true and the stream is a terminal.
  ProgressBar(std::string label, std::size_t total, std::string unit = "items", std::FILE* stream = stderr);
  ProgressBar(std::string label, std::size_t total, std::string unit, std::FILE* stream, bool force_enabled);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  /// Sets the number of completed items (monotone; smaller values are ignored) and redraws if due.
  void update(std::size_t done);
  /// Draws the final state and ends the line. Called by the destructor if not called before.
  void finish();
  bool enabled() const { return enabled_; }

  /// The text of one bar line (no carriage return), exposed for tests: e.g.
  /// "indexing [#########.........] 450/1000 docs  1234.5 docs/s  ETA 0:01".
  static std::string render(const std::string& label, std::size_t done, std::size_t total, const std::string& unit,
                            double elapsed_s, std::size_t width = 30);

 private:
  void draw(bool final_draw);

  std::string label_, unit_;
  std::size_t total_, done_ = 0;
  std::FILE* stream_;
  bool enabled_, finished_ = false, drawn_ = false;
  std::size_t drawn_done_ = 0;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace radlite::cli
