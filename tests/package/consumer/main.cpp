// Uses radlite only through its installed headers and the radlite::radlite target.
// Prints what it observed; the ctest driver compares the output with the expected values.
#include <radlite/error.h>
#include <radlite/matrix.h>
#include <radlite/runtime.h>
#include <radlite/version.h>

#include <cstdio>
#include <string>

int main() {
  std::printf("radlite version: %s\n", radlite::version());
  std::printf("libtorch version: %s\n", radlite::torch_version().c_str());

  // Process-wide libtorch state set through radlite, read back through radlite.
  radlite::set_num_threads(1);
  std::printf("threads after set_num_threads(1): %d\n", radlite::num_threads());

  radlite::Matrix m(2, 3);
  m(1, 2) = 4.5f;
  std::printf("matrix: %zux%zu, row(1)[2] = %.1f\n", m.rows, m.cols, m.row(1)[2]);

  // The error hierarchy is usable across the library boundary.
  try {
    throw radlite::InvalidArgument("consumer: deliberate");
  } catch (const radlite::Error& e) {
    std::printf("caught radlite::Error: %s\n", e.what());
  }
  return 0;
}
