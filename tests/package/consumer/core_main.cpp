// Uses radlite::core alone: the io/tokenizers/retrieval half of radlite must work without libtorch.
// Prints whether libtorch ended up in the process (Linux: /proc/self/maps); the ctest driver expects "no".
#include <radlite/version.h>

#include <cstdio>
#include <fstream>
#include <string>

int main() {
  std::printf("radlite core version: %s\n", radlite::version());
  std::ifstream maps("/proc/self/maps");
  if (!maps) {
    std::printf("libtorch mapped: unknown (no /proc/self/maps)\n");
    return 0;
  }
  bool torch = false;
  for (std::string line; std::getline(maps, line);) {
    if (line.find("libtorch") != std::string::npos || line.find("libc10") != std::string::npos) torch = true;
  }
  std::printf("libtorch mapped: %s\n", torch ? "yes" : "no");
  return 0;
}
