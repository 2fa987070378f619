// The radlite tool's subcommands. Each takes the arguments after its name and returns the exit code.
#pragma once

namespace radlite::cli {

int cmd_version(int argc, char** argv);
int cmd_demo(int argc, char** argv);
int cmd_tokenize(int argc, char** argv);
int cmd_bench_tokenize(int argc, char** argv);
int cmd_index(int argc, char** argv);
int cmd_search(int argc, char** argv);
int cmd_eval(int argc, char** argv);
int cmd_encode(int argc, char** argv);
int cmd_rerank(int argc, char** argv);

}  // namespace radlite::cli
