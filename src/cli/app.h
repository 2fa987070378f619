// The radlite tool as a library function: main() is one call to run(), and the tests link the same code.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <ostream>

namespace radlite::cli {

/// The root app with every command declared (options, help, callbacks).
std::unique_ptr<CLI::App> make_app();

/// `radlite` and the command list, from the declared commands.
void print_usage(const CLI::App& app, std::ostream& out);

/// Runs the tool on argv (argv[1] names the command). Exit status: 0 success; 1 any error of a command, a usage
/// error included (printed as "radlite <command>: error: ..." on stderr); 2 no command or an unknown one.
int run(int argc, char** argv);

}  // namespace radlite::cli
