// radlite version: library and libtorch versions.
#include <iostream>

#include "cli/commands.h"
#include "radlite/runtime.h"
#include "radlite/version.h"

namespace radlite::cli {

void add_version_command(CLI::App& root) {
  CLI::App* cmd = root.add_subcommand("version", "print the library and libtorch versions");
  cmd->callback([] {
    std::cout << "radlite " << radlite::version() << " (libtorch " << radlite::torch_version()
              << (radlite::cuda_available() ? ", CUDA available" : ", CPU") << ")\n";
  });
}

}  // namespace radlite::cli
