#include <iostream>

#include "cli/commands.h"
#include "radlite/runtime.h"
#include "radlite/version.h"

namespace radlite::cli {

int cmd_version(int, char**) {
  std::cout << "radlite " << radlite::version() << " (libtorch " << radlite::torch_version()
            << (radlite::cuda_available() ? ", CUDA available" : ", CPU") << ")\n";
  return 0;
}

}  // namespace radlite::cli
