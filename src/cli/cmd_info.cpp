// radlite info: what an index directory holds, read from its manifest alone (no model needed).
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "radlite/retrieval/pipeline.h"

namespace radlite::cli {

namespace {

std::string megabytes(std::uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / 1e6);
  return buf;
}

void run_info(const std::string& dir) {
  const IndexInfo info = Pipeline::info(dir);
  std::uint64_t stored = 0, deleted = 0, bytes = 0;
  for (const PipelineSegmentInfo& s : info.segments) {
    stored += s.documents;
    deleted += s.deleted;
    bytes += s.bytes;
  }
  std::cout << dir << ": radlite index, format version " << info.format_version << ", generation " << info.generation
            << "\n  documents   " << info.documents << " live, " << deleted << " deleted, " << stored << " stored"
            << "\n  bm25        " << (info.bm25 ? "yes" : "no") << "\n  dense       "
            << (info.dense_kind.empty() ? std::string("none")
                                        : info.dense_kind + ", dimension " + std::to_string(info.dimension) + ", " +
                                              info.vector_dtype + " vectors, bi-encoder " + info.encoder_identity)
            << "\n  size        " << megabytes(bytes) << "\n  segments    " << info.segments.size() << '\n';
  for (const PipelineSegmentInfo& s : info.segments)
    std::cout << "    " << (s.name.empty() ? std::string("(version 1)") : s.name) << "  " << s.documents
              << " documents, " << s.deleted << " deleted, " << megabytes(s.bytes) << '\n';
}

}  // namespace

void add_info_command(CLI::App& root) {
  auto dir = std::make_shared<std::string>();
  CLI::App* cmd = root.add_subcommand("info", "describe an index directory: segments, documents, deletes, sizes");
  cmd->add_option("--index", *dir, "index directory (written by radlite index)")->type_name("DIR")->required();
  cmd->callback([dir] { run_info(*dir); });
}

}  // namespace radlite::cli
