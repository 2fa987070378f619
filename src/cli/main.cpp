// radlite: command-line front end of the library. `radlite help` lists the subcommands.
#include <cstring>
#include <exception>
#include <iostream>
#include <string>

#include "cli/commands.h"
#include "radlite/error.h"
#include "radlite/version.h"

namespace {

struct Command {
  const char* name;
  int (*run)(int, char**);
  const char* summary;
};

const Command kCommands[] = {
    {"demo", radlite::cli::cmd_demo, "index the bundled corpus and answer a few questions with the full pipeline"},
    {"version", radlite::cli::cmd_version, "print the library and libtorch versions"},
    {"tokenize", radlite::cli::cmd_tokenize, "tokenize JSON lines from stdin (ids, type ids, mask per line)"},
    {"bench-tokenize", radlite::cli::cmd_bench_tokenize, "single-thread tokenizer throughput on a JSONL file"},
    {"index", radlite::cli::cmd_index, "build a retrieval index directory from a BEIR corpus"},
    {"search", radlite::cli::cmd_search, "search an index (bi-encoder, BM25, fusion, reranker)"},
    {"encode", radlite::cli::cmd_encode, "embed JSON lines of texts or token ids with a bi-encoder"},
    {"rerank", radlite::cli::cmd_rerank, "score JSON lines of (query, doc) pairs with a cross-encoder"},
    {"eval", radlite::cli::cmd_eval, "evaluate retrieval on a BEIR dataset (MRR, nDCG, recall, MAP; ablation)"},
};

void print_usage(std::ostream& out) {
  out << "radlite " << radlite::version() << ": radiology retrieval (bi-encoder, cross-encoder, BM25)\n\n"
      << "usage: radlite <command> [options]\n\ncommands:\n";
  for (const auto& c : kCommands) {
    std::string name = c.name;
    out << "  " << name << std::string(name.size() < 16 ? 16 - name.size() : 1, ' ') << c.summary << "\n";
  }
  out << "\n`radlite <command> --help` describes a command's options.\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "help") || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    print_usage(std::cout);
    return argc < 2 ? 2 : 0;
  }
  for (const auto& c : kCommands) {
    if (std::strcmp(argv[1], c.name) != 0) continue;
    try {
      return c.run(argc - 2, argv + 2);
    } catch (const radlite::Error& e) {
      std::cerr << "radlite " << c.name << ": error: " << e.what() << "\n";
      return 1;
    } catch (const std::exception& e) {
      std::cerr << "radlite " << c.name << ": unexpected error: " << e.what() << "\n";
      return 1;
    }
  }
  std::cerr << "radlite: unknown command '" << argv[1] << "'\n\n";
  print_usage(std::cerr);
  return 2;
}
