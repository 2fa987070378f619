// The radlite tool's commands. Each add_*_command declares its subcommand on the root app: options (bound to
// state the callback owns), help text, and the callback that runs it. A callback reports failure by throwing a
// radlite::Error; app.cpp turns it into "radlite <command>: error: ..." and exit status 1.
#pragma once

#include <CLI/CLI.hpp>

namespace radlite::cli {

void add_demo_command(CLI::App& root);
void add_version_command(CLI::App& root);
void add_tokenize_command(CLI::App& root);
void add_bench_tokenize_command(CLI::App& root);
void add_index_command(CLI::App& root);
void add_info_command(CLI::App& root);
void add_search_command(CLI::App& root);
void add_encode_command(CLI::App& root);
void add_rerank_command(CLI::App& root);
void add_eval_command(CLI::App& root);

}  // namespace radlite::cli
