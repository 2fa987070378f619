#include "cli/hit_table.h"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <utility>

#include "radlite/retrieval/beir.h"

namespace radlite::cli {

namespace {

std::string opt_text(const std::optional<double>& v) {
  if (!v) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", *v);
  return buf;
}

}  // namespace

std::string snippet(const std::string& text, std::size_t max_chars) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ', space = false;
    out += c;
    if (out.size() > max_chars) break;
  }
  if (out.size() <= max_chars) return out;
  std::size_t cut = max_chars;
  while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;  // not inside a code point
  return out.substr(0, cut) + "...";
}

void print_hit_table(std::ostream& out, const Pipeline& pipe, const std::vector<PipelineHit>& hits,
                     std::size_t text_width) {
  if (hits.empty()) {
    out << "  (no match)\n";
    return;
  }
  // Only the columns of stages that ran for this query.
  using Field = std::optional<double> PipelineHit::*;
  const std::vector<std::pair<const char*, Field>> columns = {
      {"dense", &PipelineHit::dense},        {"bm25", &PipelineHit::bm25},        {"fused", &PipelineHit::fused},
      {"logit", &PipelineHit::rerank_logit}, {"prob", &PipelineHit::rerank_prob}, {"final", &PipelineHit::final}};
  std::vector<std::pair<const char*, Field>> shown;
  for (const auto& c : columns)
    if (std::any_of(hits.begin(), hits.end(), [&](const PipelineHit& h) { return (h.*(c.second)).has_value(); }))
      shown.push_back(c);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%4s  %-24s %9s", "rank", "doc", "score");
  std::string header = buf;
  for (const auto& c : shown) {
    std::snprintf(buf, sizeof buf, " %9s", c.first);
    header += buf;
  }
  out << header << "  text\n";
  for (std::size_t r = 0; r < hits.size(); ++r) {
    const auto& h = hits[r];
    std::snprintf(buf, sizeof buf, "%4zu  %-24s %9.4f", r + 1, snippet(h.id, 24).c_str(), h.score);
    std::string line = buf;
    for (const auto& c : shown) {
      std::snprintf(buf, sizeof buf, " %9s", opt_text(h.*(c.second)).c_str());
      line += buf;
    }
    out << line << "  " << snippet(document_text(pipe.document(h.doc)), text_width) << "\n";
  }
}

}  // namespace radlite::cli
