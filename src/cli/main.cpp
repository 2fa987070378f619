// radlite: command-line front end of the library. `radlite help` lists the commands; the code is in radlite_cli.
#include "cli/app.h"

int main(int argc, char** argv) { return radlite::cli::run(argc, argv); }
