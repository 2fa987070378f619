#include "cli/progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <utility>

namespace radlite::cli {

namespace {

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  long s = static_cast<long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

}  // namespace

ProgressBar::ProgressBar(std::string label, std::size_t total, std::string unit, std::FILE* stream)
    : ProgressBar(std::move(label), total, std::move(unit), stream, false) {}

ProgressBar::ProgressBar(std::string label, std::size_t total, std::string unit, std::FILE* stream, bool force_enabled)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      stream_(stream),
      enabled_(stream != nullptr && (force_enabled || ::isatty(::fileno(stream)))),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

ProgressBar::~ProgressBar() {
  if (!finished_) finish();
}

void ProgressBar::update(std::size_t done) {
  if (done <= done_) return;
  done_ = done;
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(100) && done_ != total_) return;
  last_draw_ = now;
  draw(false);
}

void ProgressBar::finish() {
  if (finished_) return;
  finished_ = true;
  if (!enabled_) return;
  if (drawn_ && drawn_done_ == done_) {
    std::fputc('\n', stream_);  // the final state is already on screen: only end its line
    std::fflush(stream_);
  } else {
    draw(true);
  }
}

void ProgressBar::draw(bool final_draw) {
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::string line = render(label_, done_, total_, unit_, elapsed);
  // \r + clear-to-end-of-line so a shorter line does not leave the tail of the previous one.
  std::fprintf(stream_, "\r%s\x1b[K%s", line.c_str(), final_draw ? "\n" : "");
  std::fflush(stream_);
  drawn_ = true;
  drawn_done_ = done_;
}

std::string ProgressBar::render(const std::string& label, std::size_t done, std::size_t total, const std::string& unit,
                                double elapsed_s, std::size_t width) {
  std::string out = label;
  double rate = elapsed_s > 0 ? static_cast<double>(done) / elapsed_s : 0.0;
  char buf[128];
  if (total > 0) {
    std::size_t shown = done > total ? total : done;
    std::size_t filled = static_cast<std::size_t>(static_cast<double>(width) * shown / total);
    out += " [" + std::string(filled, '#') + std::string(width - filled, '.') + "] ";
    std::snprintf(buf, sizeof buf, "%zu/%zu %s  %.1f %s/s", done, total, unit.c_str(), rate, unit.c_str());
    out += buf;
    if (done < total) {
      out += "  ETA " + (rate > 0 ? format_duration(static_cast<double>(total - done) / rate) : std::string("?"));
    } else {
      out += "  " + format_duration(elapsed_s);
    }
  } else {
    std::snprintf(buf, sizeof buf, " %zu %s  %.1f %s/s", done, unit.c_str(), rate, unit.c_str());
    out += buf;
  }
  return out;
}

}  // namespace radlite::cli
