// The readable hit table of `radlite search` and `radlite demo`.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "radlite/retrieval/pipeline.h"

namespace radlite::cli {

/// One line per hit: rank, doc id, ranking score, the score of each stage that ran for any hit, and a text
/// snippet of `text_width` bytes. "(no match)" when hits is empty.
void print_hit_table(std::ostream& out, const Pipeline& pipe, const std::vector<PipelineHit>& hits,
                     std::size_t text_width = 60);

/// At most `max_chars` bytes of `text` on one line (whitespace collapsed), cut at a UTF-8 boundary, "..."
/// appended when cut.
std::string snippet(const std::string& text, std::size_t max_chars);

}  // namespace radlite::cli
