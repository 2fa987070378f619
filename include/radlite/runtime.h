// radlite/runtime.h: process-wide settings of the compute backend (libtorch).
//
// libtorch starts with ONE intra-op thread on some machines; radlite's models call set_num_threads()
// with their `threads` option when they load (0 = all cores). These functions change process-wide
// state: call them from one thread, before encoding starts.
#pragma once

#include <string>

namespace radlite {

/// Sets libtorch's intra-op thread count. n <= 0 means all hardware threads.
void set_num_threads(int n);

/// libtorch's current intra-op thread count.
int num_threads();

/// True when a CUDA device is usable (a CUDA build of libtorch and a GPU).
bool cuda_available();

/// The libtorch version radlite was built against, e.g. "1.13.1".
std::string torch_version();

}  // namespace radlite
