// Invariant checks inside fuzz targets. A violated invariant must stop the run with a message (libFuzzer
// then saves the input as a crash artifact); assert() would vanish in release builds.
#pragma once

#include <cstdio>
#include <cstdlib>

#define RADLITE_FUZZ_CHECK(cond, what)                                                          \
  do {                                                                                          \
    if (!(cond)) {                                                                              \
      std::fprintf(stderr, "fuzz invariant violated at %s:%d: %s (%s)\n", __FILE__, __LINE__, \
                   what, #cond);                                                                \
      std::abort();                                                                             \
    }                                                                                           \
  } while (0)
